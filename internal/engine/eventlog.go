package engine

import (
	"context"
	"strconv"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/tickets"
)

// The event log (store.CallEvent) is what every figure is computed from (docs/metrics.md):
// the loop appends an entry at each step of a customer call's life, in the same transaction
// as the state that step changed. Internal calls and consults are not customer calls and are
// not logged.

// logEvent appends an entry about a customer call to the turn's writes.
func (l *loop) logEvent(c *callRT, kind, agentLogin string, fill func(*store.CallEvent)) {
	if c.kind != kindInbound && c.kind != kindOutbound {
		return
	}
	ev := store.CallEvent{Service: l.service, Queue: c.queue, Call: c.id, Agent: agentLogin, Kind: kind, At: l.now()}
	if fill != nil {
		fill(&ev)
	}
	l.store(func(ctx context.Context, tx store.Store) error { return tx.Events().Append(ctx, ev) })
}

// queueCfg is the configuration of a queue of the service (the defaults when it is gone).
func (l *loop) queueCfg(number string) site.Queue {
	if l.cfg != nil {
		for _, q := range l.cfg.Queues {
			if q.Number == number {
				return q
			}
		}
	}
	return site.Queue{Number: number}
}

// waited is how long a queued call has waited.
func (l *loop) waited(c *callRT) float64 {
	if c.queuedAt.IsZero() {
		return 0
	}
	return l.now().Sub(c.queuedAt).Seconds()
}

// logAnswered records an agent answering: the wait, and whether it was within the queue's
// service level.
func (l *loop) logAnswered(c *callRT, agentLogin string) {
	wait := l.waited(c)
	c.rec.Outcome, c.rec.WaitSeconds = tickets.OutcomeAnswered, wait
	sl := float64(l.queueCfg(c.queue).SLSeconds())
	l.logEvent(c, store.EventAnswered, agentLogin, func(e *store.CallEvent) {
		e.Wait, e.WithinSL = wait, c.queue != "" && wait <= sl
	})
}

// abandoned records a customer who hung up before an agent answered. A call that had
// entered its queue is a missed call (부재중): the caller's open ticket is marked 콜백 필요, or a
// new one is opened so marked, and the call is linked to it.
func (l *loop) abandoned(c *callRT) {
	c.rec.Outcome = tickets.OutcomeAbandoned
	if c.queuedAt.IsZero() || c.kind != kindInbound {
		return // gone during the greeting: never offered to anyone
	}
	wait := l.waited(c)
	c.rec.WaitSeconds = wait
	short := wait < float64(l.queueCfg(c.queue).ShortAbandon())
	l.logEvent(c, store.EventAbandoned, "", func(e *store.CallEvent) { e.Wait, e.Short = wait, short })
	if short {
		return // a caller who gave up at once (a misdial) is not called back
	}
	ref := &ticketRef{}
	c.ticket = ref
	service, phone, at := l.service, c.rec.From, l.now()
	note := "부재중 전화: " + formatWait(wait) + " 기다리다 끊었습니다"
	created := false
	l.store(func(ctx context.Context, tx store.Store) error {
		open, err := tx.Tickets().List(ctx, tickets.Filter{Services: []string{service}, Phone: phone, Limit: 10})
		if err != nil {
			return err
		}
		for _, t := range open {
			if t.Status == tickets.StatusSolved || t.Status == tickets.StatusClosed {
				continue
			}
			on := true
			if _, err := tx.Tickets().Update(ctx, t.ID, tickets.Update{Callback: &on, Note: note, Author: "system"}, at); err != nil {
				return err
			}
			ref.id.Store(t.ID)
			return nil
		}
		t := tickets.Ticket{Service: service, Subject: "부재중 전화 " + phone, Status: tickets.StatusNew, Phone: phone,
			Callback: true, CreatedAt: at, UpdatedAt: at}
		if err := tx.Tickets().Create(ctx, &t); err != nil {
			return err
		}
		if _, err := tx.Tickets().Update(ctx, t.ID, tickets.Update{Note: note, Author: "system"}, at); err != nil {
			return err
		}
		ref.id.Store(t.ID)
		created = true
		return nil
	})
	l.t.undo = append(l.t.undo, func() { ref.id.Store(0) })
	bus, base := l.e.bus, events.Event{Service: l.service, Call: c.id, At: at}
	l.t.effects = append(l.t.effects, effect{event: true, f: func() {
		if id := ref.id.Load(); id != 0 {
			ev := base
			ev.Type = events.TicketUpdated
			if created {
				ev.Type = events.TicketCreated
			}
			ev.Data = map[string]any{"ticket": id, "service": base.Service, "phone": phone, "callback": true}
			bus.Publish(ev)
		}
	}})
}

// calledBack clears 콜백 필요 on the service's tickets of a number an agent reached.
func (l *loop) calledBack(number, agentLogin string) {
	service, at := l.service, l.now()
	l.store(func(ctx context.Context, tx store.Store) error {
		list, err := tx.Tickets().List(ctx, tickets.Filter{Services: []string{service}, Phone: number, Callback: true, Limit: 100})
		if err != nil {
			return err
		}
		off := false
		for _, t := range list {
			if _, err := tx.Tickets().Update(ctx, t.ID, tickets.Update{Callback: &off, Note: "콜백 완료", Author: agentLogin}, at); err != nil {
				return err
			}
		}
		return nil
	})
}

// wrapUp is a call an agent is doing after-call work on (통화 종료), for the handled entry.
type wrapUp struct {
	call       *callRT
	talk, hold float64
	since      time.Time
}

// handledAfterCall starts the agent's after-call work on an answered call that has ended, or
// logs it handled at once when the agent is not in after-call work.
func (l *loop) handledAfterCall(c *callRT) {
	a := c.agent
	if c.rec.AnsweredAt == nil || c.kind != kindInbound && c.kind != kindOutbound || c.handled {
		return
	}
	c.handled = true
	talk, hold := c.m.TalkTime.Seconds(), c.m.HoldTime.Seconds()
	if a != nil && a.st.State == agent.AfterCall && a.call == c {
		a.wrap = &wrapUp{call: c, talk: talk, hold: hold, since: l.now()}
		return
	}
	login := ""
	if a != nil {
		login = a.login
	}
	l.logEvent(c, store.EventHandled, login, func(e *store.CallEvent) { e.Talk, e.Hold = talk, hold })
}

// wrapped logs the call an agent has just finished its after-call work on.
func (l *loop) wrapped(a *agentRT) {
	w := a.wrap
	if w == nil {
		return
	}
	a.wrap = nil
	acw := l.now().Sub(w.since).Seconds()
	l.logEvent(w.call, store.EventHandled, a.login, func(e *store.CallEvent) {
		e.Talk, e.Hold, e.AfterCall = w.talk, w.hold, acw
	})
}

// formatWait words a wait for a note: "1분 5초", "40초".
func formatWait(s float64) string {
	d := time.Duration(s) * time.Second
	m, sec := int(d/time.Minute), int(d%time.Minute/time.Second)
	if m > 0 {
		return strconv.Itoa(m) + "분 " + strconv.Itoa(sec) + "초"
	}
	return strconv.Itoa(sec) + "초"
}
