package engine

import (
	"context"
	"fmt"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
)

// In a cluster each service's loop runs on the node holding its lease (DESIGN.md). The node
// tells the engine when it gains a service (Adopt) or loses one (Drop); a request for a
// service served elsewhere is refused with a fault.Moved naming the owner, which the adapters
// follow (SIP 302, the API forwarding the request).

// adoptTimeout bounds the store reads of a takeover.
const adoptTimeout = 10 * time.Second

// movedNotice is what an agent whose service moved to this node is told: nothing changed for
// the agent but the server.
const movedNotice = "다른 서버가 상담을 이어받았습니다. 상태는 그대로입니다"

// Adopt starts serving a service whose lease this node has just taken: the calls recorded as
// live on another node (the previous owner, dead or cut off) are closed with node_lost, since
// their media died with it; the agents logged in to the service come back in the state they
// were in, their open tickets and notes untouched.
func (e *Engine) Adopt(service string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adoptTimeout)
	defer cancel()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return stopping()
	}
	if e.adopted[service] {
		e.mu.Unlock()
		return nil // served already: its agents are here
	}
	e.adopted[service] = true
	l := e.loops[service]
	if l == nil {
		l = newLoop(e, service)
		e.loops[service] = l
	}
	e.mu.Unlock()
	x := e.live.Index()
	_ = l.do(func() error { l.reconfigure(x); return nil })
	n, err := e.store.Calls().CloseOpenOf(ctx, store.OpenCalls{Service: service, NotNode: e.node}, e.clock.Now(),
		string(telephony.CauseNodeLost))
	if err != nil {
		return fmt.Errorf("engine: closing the calls of %s the previous owner held: %w", service, err)
	}
	if n > 0 {
		e.log.Warn("calls lost with the node that served the service", "service", service, "calls", n)
	}
	return e.restore(ctx, service)
}

// Drop stops serving a service whose lease this node lost. Its calls' legs are hung up (the
// new owner has closed their records); its agents leave this node's memory without a state
// change or the end of their CTI session: the new owner brings them back as they were.
func (e *Engine) Drop(service string) {
	e.mu.Lock()
	delete(e.adopted, service)
	l := e.loops[service]
	delete(e.loops, service)
	e.mu.Unlock()
	if l != nil {
		l.handOver(telephony.CauseNodeLost)
	}
}

// handOver ends the loop leaving the agents to the next owner: calls end with cause, agents
// are forgotten here with their CTI sessions kept and no state recorded.
func (l *loop) handOver(cause telephony.Cause) {
	_ = l.do(func() error {
		for _, c := range l.calls {
			l.abort(c, cause)
		}
		for _, a := range l.agents {
			l.wrapped(a)
			l.dropAgent(a, true)
		}
		return nil
	})
	l.box.close()
	<-l.done
}

// notHere is the refusal for a service with no loop on this node: served elsewhere (Moved),
// being taken over (try again shortly), or this node stopping.
func (e *Engine) notHere(service string) error {
	if e.cluster == nil {
		return stopping()
	}
	if n, ok := e.cluster.Owner(service); ok {
		return moved(service, n)
	}
	return unavailable("taking_over", "서비스를 다른 서버가 이어받는 중입니다. 잠시 후 다시 시도하세요")
}

// Where says where an agent's CTI session is served: nil when here or nowhere (not logged
// in), a fault.Moved naming the node otherwise. The API forwards an agent's commands there.
func (e *Engine) Where(login string) error {
	if e.cluster == nil {
		return nil
	}
	e.mu.RLock()
	_, here := e.sessions[login]
	e.mu.RUnlock()
	if here {
		return nil
	}
	svc, ok := e.sessionService(login)
	if !ok {
		return nil
	}
	if _, mine := e.loopFor(svc); mine {
		return nil
	}
	return e.notHere(svc)
}

// sessionService reads which service an agent is CTI-logged in to from the store: in a
// cluster the session may be served by another node.
func (e *Engine) sessionService(login string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := e.store.CTI().List(ctx)
	if err != nil {
		e.log.Warn("engine: reading CTI sessions", "err", err)
		return "", false
	}
	for _, s := range list {
		if s.Login == login {
			return s.Service, true
		}
	}
	return "", false
}

// resumeState is the state an agent taken over comes back in: the one it was in when an idle
// state (기본, 휴식, 대기, 업무), else — it was on a call that died with the node — 기본.
func resumeState(last store.StateChange) (agent.State, agent.Reason, bool) {
	switch s := agent.State(last.To); s {
	case agent.Default, agent.Break, agent.Ready:
		return s, "", true
	case agent.Work:
		if r, ok := agent.ParseReason(last.Reason); ok {
			return s, r, true
		}
		return agent.Work, agent.ReasonTicket, true
	}
	return agent.Default, "", false
}

// resume brings an agent taken over from another node into the loop in the state it was in.
func (l *loop) resume(a *agentRT, last store.StateChange) {
	now := l.now()
	st, reason, same := resumeState(last)
	since := last.At
	if !same {
		rec := store.StateChange{Agent: a.login, Service: l.service, From: last.To, To: string(st),
			Reason: string(telephony.CauseNodeLost), Call: last.Call, At: now}
		l.store(func(ctx context.Context, tx store.Store) error { return tx.States().Record(ctx, rec) })
		since = now
	}
	a.st = agent.Agent{State: st, Reason: reason, Since: since}
	a.notice = &Notice{Kind: "moved", Message: movedNotice, At: now}
	l.agents[a.login] = a
	if st == agent.Ready {
		if as, ok := l.acd.Ready(a.login, since, now); ok {
			l.offer(as)
		}
	}
}

// served reports whether service exists but, in a cluster, has no loop here: it is served
// elsewhere or being taken over.
func (e *Engine) served(service string) bool {
	if e.cluster == nil {
		return false
	}
	_, ok := e.directory().Services[service]
	return ok
}
