package engine

import (
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/clock"
	"ringdesk/internal/directory"
	"ringdesk/internal/queue"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// loop is one service's event loop. Every field below box is touched only by the loop's
// goroutine, so business state needs no locks.
type loop struct {
	e       *Engine
	service string
	box     *mailbox
	done    chan struct{}

	t     *turn // the outbox of the turn being run
	phone phone // telephony commands, as effects of the turn

	dir    *directory.Index
	cfg    *site.Service // nil once the service is removed
	agents map[string]*agentRT
	calls  map[string]*callRT
	legs   map[telephony.LegID]legRef
	gone   map[telephony.LegID]goneLeg // ended legs whose media report may still come
	goneQ  []telephony.LegID           // gone, oldest first
	acd    *queue.ACD
}

// legRef says which call a leg belongs to and what part it plays.
type legRef struct {
	call *callRT
	role legRole
}

// goneLeg remembers an ended leg until its quality report arrives.
type goneLeg struct {
	call  *callRT
	role  legRole
	ended time.Time
}

type legRole int

const (
	roleCustomer legRole = iota // the customer (or the calling party of an internal call)
	roleAgent                   // the handling agent's phone
	roleConsult                 // a consult target reached by number or plain extension
	roleMonitor                 // a supervisor's phone listening, whispering or barging in
)

func newLoop(e *Engine, service string) *loop {
	l := &loop{e: e, service: service, box: newMailbox(), done: make(chan struct{}),
		agents: map[string]*agentRT{}, calls: map[string]*callRT{}, legs: map[telephony.LegID]legRef{},
		gone: map[telephony.LegID]goneLeg{}, acd: queue.New()}
	l.phone = phone{l}
	go l.run()
	return l
}

func (l *loop) run() {
	defer close(l.done)
	for {
		f, ok := l.box.take()
		if !ok {
			return
		}
		l.t = &turn{}
		f()
		t := l.t
		l.t = nil
		if !t.empty() {
			l.e.pipe.submit(t)
		}
	}
}

// do runs f in the loop. When f succeeds it also waits until the turn's writes are stored
// and its effects released: a command is answered once what it did cannot be lost.
func (l *loop) do(f func() error) error {
	res := make(chan error, 1)
	if !l.box.put(func() {
		if err := f(); err != nil {
			res <- err
			return
		}
		l.t.waiters = append(l.t.waiters, res)
	}) {
		return stopping()
	}
	return <-res
}

// query runs f in the loop to read its state, and returns once everything the loop did
// before is stored: what a reader is shown has been kept.
func (l *loop) query(f func()) bool {
	return l.do(func() error { f(); return nil }) == nil
}

// post runs f in the loop without waiting.
func (l *loop) post(f func()) { l.box.put(f) }

// after runs f in the loop once d has passed, unless the returned timer is stopped first. f
// must still check that what it was armed for is current: a stop can lose a race with a fire.
func (l *loop) after(d time.Duration, f func()) clock.Timer {
	return l.e.clock.AfterFunc(d, func() { l.post(f) })
}

func (l *loop) now() time.Time { return l.e.clock.Now() }

// stop ends every call and logs every agent out, then ends the loop once what is queued has
// run. Agents' CTI sessions are kept: they come back logged in after a restart.
func (l *loop) stop() {
	_ = l.do(func() error {
		for _, c := range l.calls {
			l.abort(c, telephony.CauseShutdown)
		}
		for _, a := range l.agents {
			l.forceLogout(a, "shutdown", true)
		}
		return nil
	})
	l.box.close()
	<-l.done
}

// reconfigure takes a new configuration: queues and their members, settings, agents'
// permissions.
func (l *loop) reconfigure(d *directory.Index) {
	l.dir = d
	l.cfg = d.Services[l.service]
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
		cfg, ok := d.Agents[login]
		if ok {
			a.cfg = *cfg
		}
		if (!ok || l.cfg == nil || !l.cfg.CTI || !hasService(cfg, l.service)) && a.st.State.Idle() {
			l.forceLogout(a, "permission removed", false)
		}
	}
}

// hasService reports whether an agent holds the 전화 permission in a service: CTI 로그인,
// staying logged in when the configuration changes, and coming back after a restart all
// depend on it.
func hasService(a *site.Agent, svc string) bool { return a.HasPhone(svc) }

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
	delete(l.gone, leg) // a leg handed to another call (고객연결) is live again
	l.e.legs.Store(leg, l)
}

// goneFor is how long an ended leg is remembered for its quality report, which the network
// sends as the leg's media closes.
const goneFor = 30 * time.Second

// unbindLeg forgets a leg that ended. A customer or agent leg is remembered a while longer
// so that its quality report still finds its call.
func (l *loop) unbindLeg(leg telephony.LegID) {
	if leg == "" {
		return
	}
	ref, ok := l.legs[leg]
	delete(l.legs, leg)
	now := l.now()
	if ok && (ref.role == roleCustomer || ref.role == roleAgent) {
		l.gone[leg] = goneLeg{call: ref.call, role: ref.role, ended: now}
		l.goneQ = append(l.goneQ, leg)
	} else {
		l.e.legs.Delete(leg)
	}
	for len(l.goneQ) > 0 {
		id := l.goneQ[0]
		if g, ok := l.gone[id]; ok && now.Sub(g.ended) <= goneFor {
			break
		} else if ok {
			delete(l.gone, id)
			if _, live := l.legs[id]; !live {
				l.e.legs.Delete(id)
			}
		}
		l.goneQ = l.goneQ[1:]
	}
}

// forgetGone drops an ended leg whose report came.
func (l *loop) forgetGone(leg telephony.LegID) {
	delete(l.gone, leg)
	l.e.legs.Delete(leg)
}

// agentName is how people know an agent: its name, or its login when it has none.
func (l *loop) agentName(login string) string {
	if a := l.dir.Agents[login]; a != nil && a.Name != "" {
		return a.Name
	}
	return login
}

// trunkPrefix is the prefix of a route's trunks.
func (l *loop) trunkPrefix(r directory.Route) string {
	if t, ok := l.dir.Trunk(r.Trunks[0]); ok {
		return t.Prefix
	}
	return ""
}
