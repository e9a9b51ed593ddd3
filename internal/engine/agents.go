package engine

import (
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/clock"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
)

// agentRT is a CTI-logged-in agent inside its service's loop.
type agentRT struct {
	login string
	cfg   site.Agent
	st    agent.Agent
	// call is the call the agent is involved in: offered, ringing, dialing, talking, or (in
	// after_call) the one that just ended.
	call *callRT
	// the offer timer (recall) while offered or ringing
	timer    clock.Timer
	timerGen uint64
}

// Login is CTI 로그인: the agent starts working the service's phone and is 기본.
func (e *Engine) Login(login, service string) error {
	d := e.directory()
	a, ok := d.agents[login]
	if !ok {
		return notFound("agent %q does not exist", login)
	}
	svc, ok := d.services[service]
	if !ok {
		return notFound("service %q does not exist", service)
	}
	if !svc.CTI {
		return forbidden("cti_disabled", "서비스 %s는 전화 CTI 사용이 미사용입니다 (phone CTI is not enabled for this service)", service)
	}
	if !hasService(a, service) {
		return forbidden("no_phone_permission", "전화 권한이 없습니다 (agent %s has no phone permission in %s)", login, service)
	}
	if msg := ctiIncomplete(a); msg != "" {
		return invalid("cti_not_configured", "CTI 상담원 정보가 완료되지 않았습니다: %s", msg)
	}
	e.mu.Lock()
	if cur, busy := e.sessions[login]; busy {
		e.mu.Unlock()
		return invalidState("이미 CTI 로그인 상태입니다 (already logged in to CTI in %s)", cur)
	}
	l := e.loops[service]
	if l == nil || e.closed {
		e.mu.Unlock()
		return unavailable("service %s is not running", service)
	}
	e.sessions[login] = service
	e.mu.Unlock()
	err := l.do(func() error {
		rt := &agentRT{login: login, cfg: *a, st: agent.Agent{State: agent.LoggedOut, Since: l.now()}}
		if err := l.apply(rt, agent.Event{Kind: agent.Login}, false); err != nil {
			return err
		}
		l.agents[login] = rt
		return nil
	})
	if err != nil {
		e.mu.Lock()
		delete(e.sessions, login)
		e.mu.Unlock()
	}
	return err
}

// ctiIncomplete says what is missing from an agent's CTI 상담원 정보, or "".
func ctiIncomplete(a *site.Agent) string {
	switch a.Phone {
	case site.PhoneBrowser:
		return ""
	case site.PhoneSIP, "":
		if a.Extension == "" {
			return "no extension (내선번호)"
		}
		if a.SIPHA1 == "" && a.SIPHA1SHA256 == "" {
			return "no SIP password"
		}
		return ""
	}
	return "unknown phone type " + string(a.Phone)
}

// Logout is CTI 로그아웃.
func (e *Engine) Logout(login string) error {
	l, err := e.agentLoop(login)
	if err != nil {
		return err
	}
	return l.do(func() error {
		a := l.agents[login]
		if a == nil {
			return invalidState("not logged in to CTI")
		}
		if err := l.apply(a, agent.Event{Kind: agent.Logout}, false); err != nil {
			return err
		}
		l.dropAgent(a)
		return nil
	})
}

// SetState is 기본/휴식/대기/업무.
func (e *Engine) SetState(login string, state agent.State, reason string) error {
	ev := agent.Event{}
	switch state {
	case agent.Default:
		ev.Kind = agent.SetDefault
	case agent.Break:
		ev.Kind = agent.SetBreak
	case agent.Ready:
		ev.Kind = agent.SetReady
	case agent.Work:
		ev.Kind = agent.SetWork
		r, ok := agent.ParseReason(reason)
		if !ok {
			return refusal(agent.ErrBadReason)
		}
		ev.Reason = r
	default:
		return invalid("invalid_state_name", "state must be one of default, break, ready, work (got %q)", state)
	}
	if state != agent.Work && reason != "" {
		return invalid("invalid_reason", "a reason is only for work (업무)")
	}
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		return l.apply(a, ev, false)
	})
}

// withAgent runs f in the agent's loop with the agent's runtime.
func (e *Engine) withAgent(login string, f func(l *loop, a *agentRT) error) error {
	l, err := e.agentLoop(login)
	if err != nil {
		return err
	}
	return l.do(func() error {
		a := l.agents[login]
		if a == nil {
			return invalidState("CTI 로그인이 필요합니다 (not logged in to CTI)")
		}
		return f(l, a)
	})
}

// apply moves an agent through its state machine. The change is recorded in the store first;
// a command (force=false) whose record cannot be written is refused and changes nothing, while
// a change the network forced (force=true) happens anyway and the failure is logged.
func (l *loop) apply(a *agentRT, ev agent.Event, force bool) error {
	ev.At = l.now()
	next, err := agent.Apply(a.st, ev)
	if err != nil {
		return refusal(err)
	}
	prev := a.st
	changed := prev.State != next.State || prev.Reason != next.Reason
	if changed {
		rec := store.StateChange{Agent: a.login, Service: l.service, From: string(prev.State), To: string(next.State),
			Reason: string(next.Reason), Call: next.Call, At: ev.At}
		if rec.Call == "" {
			rec.Call = prev.Call
		}
		if err := l.e.store.States().Record(l.ctx(), rec); err != nil {
			if !force {
				return unavailable("could not record the state change: %v", err)
			}
			l.e.log.Error("recording an agent state change", "agent", a.login, "err", err)
		}
	}
	a.st = next
	if !changed {
		return nil
	}
	l.e.publish(events.Event{Type: events.AgentState, At: ev.At, Service: l.service, Agent: a.login, Call: next.Call,
		Data: map[string]string{"from": string(prev.State), "to": string(next.State), "reason": string(next.Reason)}})
	switch {
	case next.State == agent.AfterCall && l.cfg != nil && l.cfg.AfterCallSeconds > 0:
		// wrap-up time: back to 대기 by itself unless the agent answers the notice first
		l.stopTimer(a)
		gen := a.timerGen
		a.timer = l.after(time.Duration(l.cfg.AfterCallSeconds)*time.Second, func() {
			if a.timerGen == gen && a.st.State == agent.AfterCall && l.agents[a.login] == a {
				l.release(a, agent.Event{Kind: agent.AfterCallReady})
			}
		})
	case prev.State == agent.AfterCall:
		l.stopTimer(a)
	}
	// keep the distributor in step: only Ready agents are offered calls
	switch {
	case next.State == agent.Ready && prev.State != agent.Ready:
		if as, ok := l.acd.Ready(a.login, ev.At, ev.At); ok {
			l.offer(as)
		}
	case prev.State == agent.Ready && next.State != agent.Ready:
		l.acd.NotReady(a.login) // a no-op when the distributor itself made the offer
	}
	return nil
}

// must applies a change the network forced on the agent.
func (l *loop) must(a *agentRT, ev agent.Event) {
	if err := l.apply(a, ev, true); err != nil {
		l.e.log.Error("agent state machine refused a forced change", "agent", a.login, "state", a.st.State, "event", ev.Kind, "err", err)
	}
}

// release takes an agent off its call, then applies a change the network forced. The order
// matters: the change may make the agent ready, and a ready agent may be offered another call
// at once.
func (l *loop) release(a *agentRT, ev agent.Event) {
	a.call = nil
	l.must(a, ev)
}

// notice tells the agent's widget something it must show (a failed dial, a consult that ended).
func (l *loop) notice(a *agentRT, kind, message string) {
	l.e.publish(events.Event{Type: events.AgentNotice, Service: l.service, Agent: a.login, Call: a.st.Call,
		Data: map[string]string{"kind": kind, "message": message}})
}

func (l *loop) stopTimer(a *agentRT) {
	a.timerGen++
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

// forceLogout logs an agent out whatever it is doing (shutdown, permission removed).
func (l *loop) forceLogout(a *agentRT, why string) {
	if a.call != nil && a.call.m.State != "" && !a.st.State.Idle() && a.st.State != agent.AfterCall {
		// never leave a live call without its agent: the call is ended first
		if c := a.call; c != nil {
			l.abort(c, telephony.CauseShutdown)
		}
	}
	now := l.now()
	prev := a.st
	if prev.State != agent.LoggedOut {
		if err := l.e.store.States().Record(l.ctx(), store.StateChange{Agent: a.login, Service: l.service,
			From: string(prev.State), To: string(agent.LoggedOut), Reason: why, At: now}); err != nil {
			l.e.log.Error("recording a forced logout", "agent", a.login, "err", err)
		}
		a.st = agent.Agent{State: agent.LoggedOut, Since: now}
		l.e.publish(events.Event{Type: events.AgentState, At: now, Service: l.service, Agent: a.login,
			Data: map[string]string{"from": string(prev.State), "to": string(agent.LoggedOut), "reason": why}})
	}
	l.dropAgent(a)
}

func (l *loop) dropAgent(a *agentRT) {
	l.stopTimer(a)
	l.acd.NotReady(a.login)
	delete(l.agents, a.login)
	l.e.mu.Lock()
	if l.e.sessions[a.login] == l.service {
		delete(l.e.sessions, a.login)
	}
	l.e.mu.Unlock()
}

// phoneTarget is how to ring an agent's phone.
func phoneTarget(a *site.Agent, callerID, display string) telephony.Target {
	if a.Phone == site.PhoneBrowser {
		return telephony.Target{Kind: telephony.TargetBrowser, Agent: a.Login, CallerID: callerID, DisplayName: display}
	}
	return telephony.Target{Kind: telephony.TargetExtension, Extension: a.Extension, CallerID: callerID, DisplayName: display}
}
