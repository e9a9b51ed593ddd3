package engine

import (
	"context"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/clock"
	"ringdesk/internal/queue"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// loop is one service's event loop. Every field below `in` is touched only by the loop's
// goroutine, so business state needs no locks.
type loop struct {
	e       *Engine
	service string
	in      chan func()
	done    chan struct{}

	dir    *directory
	cfg    *site.Service // nil once the service is removed
	agents map[string]*agentRT
	calls  map[string]*callRT
	legs   map[telephony.LegID]legRef
	acd    *queue.ACD
}

// legRef says which call a leg belongs to and what part it plays.
type legRef struct {
	call *callRT
	role legRole
}

type legRole int

const (
	roleCustomer legRole = iota // the customer (or the calling party of an internal call)
	roleAgent                   // the handling agent's phone
	roleConsult                 // a consult target reached by number or plain extension
)

func newLoop(e *Engine, service string) *loop {
	l := &loop{e: e, service: service, in: make(chan func(), 4096), done: make(chan struct{}),
		agents: map[string]*agentRT{}, calls: map[string]*callRT{}, legs: map[telephony.LegID]legRef{},
		acd: queue.New()}
	go l.run()
	return l
}

func (l *loop) run() {
	defer close(l.done)
	for f := range l.in {
		if f == nil {
			return
		}
		f()
	}
}

// do runs f in the loop and waits for its result.
func (l *loop) do(f func() error) error {
	res := make(chan error, 1)
	select {
	case l.in <- func() { res <- f() }:
	case <-l.done:
		return unavailable("the service is stopping")
	}
	select {
	case err := <-res:
		return err
	case <-l.done:
		return unavailable("the service is stopping")
	}
}

// post runs f in the loop without waiting.
func (l *loop) post(f func()) {
	select {
	case l.in <- f:
	case <-l.done:
	}
}

// after runs f in the loop once d has passed, unless the returned timer is stopped first. f
// must still check that what it was armed for is current: a stop can lose a race with a fire.
func (l *loop) after(d time.Duration, f func()) clock.Timer {
	return l.e.clock.AfterFunc(d, func() { l.post(f) })
}

func (l *loop) now() time.Time { return l.e.clock.Now() }

func (l *loop) ctx() context.Context { return context.Background() }

// stop ends every call, logs every agent out and ends the loop.
func (l *loop) stop() {
	_ = l.do(func() error {
		for _, c := range l.calls {
			l.abort(c, telephony.CauseShutdown)
		}
		for _, a := range l.agents {
			l.forceLogout(a, "shutdown")
		}
		return nil
	})
	select {
	case l.in <- nil:
	case <-l.done:
	}
	<-l.done
}

// reconfigure takes a new directory: queues and their members, settings, agents' permissions.
func (l *loop) reconfigure(d *directory) {
	l.dir = d
	l.cfg = d.services[l.service]
	now := l.now()
	want := map[string]bool{}
	if l.cfg != nil {
		for _, q := range l.cfg.Queues {
			want[q.Number] = true
			for _, as := range l.acd.SetQueue(q.Number, q.Members, now) {
				l.offer(as)
			}
		}
	}
	for _, q := range l.acd.Queues() {
		if !want[q] {
			for _, id := range l.acd.RemoveQueue(q) {
				if c := l.calls[id]; c != nil {
					l.abort(c, telephony.CauseUnavailable)
				}
			}
		}
	}
	for login, a := range l.agents {
		cfg, ok := d.agents[login]
		if ok {
			a.cfg = *cfg
		}
		if (!ok || l.cfg == nil || !l.cfg.CTI || !hasService(cfg, l.service)) && a.st.State.Idle() {
			l.forceLogout(a, "permission removed")
		}
	}
}

func hasService(a *site.Agent, svc string) bool {
	if a == nil {
		return false
	}
	for _, s := range a.Services {
		if s == svc {
			return true
		}
	}
	return false
}

func (l *loop) recallTime() time.Duration {
	if l.cfg == nil || l.cfg.RecallSeconds <= 0 {
		return site.DefaultRecallSeconds * time.Second
	}
	return time.Duration(l.cfg.RecallSeconds) * time.Second
}

func (l *loop) noAnswerState() agent.State {
	if l.cfg != nil && l.cfg.NoAnswer == site.NoAnswerReady {
		return agent.Ready
	}
	return agent.Break
}

func (l *loop) holdAudio() telephony.Audio {
	if l.cfg != nil && l.cfg.HoldAudio != "" {
		return telephony.Audio(l.cfg.HoldAudio)
	}
	return telephony.AudioHold
}

func (l *loop) hangupAudio() telephony.Audio {
	if l.cfg != nil && l.cfg.HangupAnnouncement.Audio != "" {
		return telephony.Audio(l.cfg.HangupAnnouncement.Audio)
	}
	return telephony.AudioHangup
}

// bindLeg records which call and role a leg has, here and in the engine's routing table.
func (l *loop) bindLeg(leg telephony.LegID, c *callRT, role legRole) {
	l.legs[leg] = legRef{call: c, role: role}
	l.e.legs.Store(leg, l)
}

func (l *loop) unbindLeg(leg telephony.LegID) {
	if leg == "" {
		return
	}
	delete(l.legs, leg)
	l.e.legs.Delete(leg)
}
