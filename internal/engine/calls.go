package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/clock"
	"ringdesk/internal/events"
	"ringdesk/internal/queue"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
	"ringdesk/internal/tickets"
)

type callKind int

const (
	kindInbound  callKind = iota // from a trunk on a DID
	kindOutbound                 // 걸기, or an agent's phone dialling out through a trunk
	kindInternal                 // an agent's phone dialling an extension or a queue
	kindConsult                  // 협의통화 to an agent or a queue: offered like a call
)

// callRT is a live call inside its service's loop.
type callRT struct {
	id   string
	kind callKind
	rec  tickets.Call // what is stored
	m    call.Call    // the pure call state

	customer telephony.LegID // the customer's leg; for internal calls the far party
	agentLeg telephony.LegID // the handling agent's phone
	agent    *agentRT        // the handling agent
	// caller is the calling agent of an internal call to a queue or an agent; its phone leg is
	// c.customer.
	caller *agentRT
	queue  string
	direct bool // offered to one agent directly, not through the distributor

	consult *consultRT
	parent  *callRT // for kindConsult: the call being transferred

	// outbound: where the customer leg goes once the agent's phone answers
	dialTarget telephony.Target

	timer    clock.Timer // ring/dial/announcement guard
	timerGen uint64

	// ticket is the call's ticket once its creation is stored: written by the pipeline, read
	// by the loop (views, later writes).
	ticket *ticketRef
	// customerHeld: the customer's side put the call on hold (the agent is told)
	customerHeld bool
	// queuedAt is when the call entered its queue (zero: it never did); handled says its
	// handled entry is logged or on its way (the agent's after-call work).
	queuedAt time.Time
	handled  bool
	// forTicket is the ticket a 걸기 back was made for: the answered call joins it (0: none).
	forTicket int64

	// recording is the call's recording once it started (recording.go); recAnnounce is the
	// recording announcement an inbound call still hears before its queue, recAnnouncing says
	// the customer hears it now, mid-call.
	recording     *recordingRT
	recAnnounce   telephony.Audio
	recAnnouncing bool
	// monitor is a supervisor on the call (monitor.go).
	monitor *monitorRT
}

// ticketRef is the id of a ticket whose creation is a write of some turn. Only the pipeline
// sets it, inside the transaction that creates the ticket; writes of later turns read it in
// later transactions, and the loop reads it for views.
type ticketRef struct{ id atomic.Int64 }

// ticketID is the call's ticket, 0 when it has none (yet).
func (c *callRT) ticketID() int64 {
	if c.ticket == nil {
		return 0
	}
	return c.ticket.id.Load()
}

// consultRT is a consult (협의통화) in progress on a call.
type consultRT struct {
	target string          // as the agent entered it
	leg    telephony.LegID // a number or plain extension: the placed leg
	child  *callRT         // an agent or a queue: the consult call offered to an agent
	up     bool            // the target answered
	to     string          // who answered: agent login or number
	idx    int             // index of the transfer in the call record
}

func (l *loop) newCall(kind callKind, dir tickets.Direction, from, to string) *callRT {
	now := l.now()
	c := &callRT{id: l.e.newID("C"), kind: kind}
	c.rec = tickets.Call{ID: c.id, Service: l.service, Direction: dir, From: from, To: to, StartedAt: now, Node: l.e.node}
	return c
}

// saveCall writes the call record as it is now. A consult is recorded as a transfer on the
// call it belongs to.
func (l *loop) saveCall(c *callRT) {
	if c.kind == kindConsult {
		return
	}
	l.store(l.callWrite(c))
}

// callWrite is a write of the call record as it is now: the record is copied at once, and
// the ticket's id read when the write runs.
func (l *loop) callWrite(c *callRT) write {
	rec := c.rec
	rec.Transfers = append([]tickets.Transfer(nil), c.rec.Transfers...)
	ref := c.ticket
	return func(ctx context.Context, tx store.Store) error {
		if ref != nil {
			rec.TicketID = ref.id.Load()
		}
		return tx.Calls().Save(ctx, rec)
	}
}

func (l *loop) step(c *callRT, k call.Kind) error {
	m, err := call.Apply(c.m, k, l.now())
	if err != nil {
		return err
	}
	c.m = m
	return nil
}

// mustStep moves a call for something that already happened on the network.
func (l *loop) mustStep(c *callRT, k call.Kind) {
	if err := l.step(c, k); err != nil {
		l.e.log.Error("call state machine refused a forced change", "call", c.id, "state", c.m.State, "event", k, "err", err)
	}
}

func (l *loop) armCallTimer(c *callRT, d time.Duration, f func()) {
	l.stopCallTimer(c)
	gen := c.timerGen
	c.timer = l.after(d, func() {
		if c.timerGen == gen && l.calls[c.id] == c {
			f()
		}
	})
}

func (l *loop) stopCallTimer(c *callRT) {
	c.timerGen++
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// ---- inbound ----

// Inbound takes a call from a trunk on one of the site's numbers.
func (e *Engine) Inbound(in telephony.InboundCall) error {
	d := e.directory()
	svc, ok := d.DIDs[in.To]
	if !ok {
		return notFound("unknown_number", "없는 번호입니다")
	}
	l, ok := e.loopFor(svc)
	if !ok {
		return e.notHere(svc)
	}
	return l.do(func() error { return l.inbound(in) })
}

func (l *loop) inbound(in telephony.InboundCall) error {
	if l.cfg == nil || !l.cfg.CTI {
		return offline("cti_disabled", "전화 CTI를 사용하지 않는 서비스입니다")
	}
	var greeting, q string
	for _, n := range l.cfg.Numbers {
		if n.Number == in.To {
			greeting, q = n.Greeting, n.Queue
		}
	}
	if q == "" || !l.hasQueue(q) {
		return offline("no_queue", "번호에 연결된 큐가 없습니다")
	}
	c := l.newCall(kindInbound, tickets.Inbound, in.From, in.To)
	c.rec.Queue, c.queue = q, q
	c.customer = in.Leg
	c.m = call.Call{State: call.Scenario}
	l.saveCall(c)
	l.calls[c.id] = c
	l.bindLeg(in.Leg, c, roleCustomer)
	l.phone.Answer(in.Leg)
	if l.recordingCfg().Mode == site.RecordAll {
		c.recAnnounce = l.recordingAnnouncement()
	}
	switch greeting {
	case "none":
		l.greeted(c)
	case "":
		l.phone.Play(in.Leg, telephony.Audio("builtin:greeting"), false)
	default:
		l.phone.Play(in.Leg, telephony.Audio(greeting), false)
	}
	return nil
}

func (l *loop) hasQueue(number string) bool {
	if l.cfg == nil {
		return false
	}
	for _, q := range l.cfg.Queues {
		if q.Number == number {
			return true
		}
	}
	return false
}

// greeted: the greeting is over; the customer hears that the call is recorded, if it will be,
// and then waits in the queue.
func (l *loop) greeted(c *callRT) {
	if a := c.recAnnounce; a != "" {
		c.recAnnounce = ""
		l.phone.Play(c.customer, a, false)
		return
	}
	l.enterQueue(c)
}

// enterQueue ends the scenario: the caller hears hold audio and waits for an agent.
func (l *loop) enterQueue(c *callRT) {
	l.mustStep(c, call.Greeted)
	if c.kind == kindInbound {
		c.queuedAt = l.now()
		l.logEvent(c, store.EventQueued, "", nil)
	}
	l.phone.Play(c.customer, l.holdAudio(), true)
	l.publish(events.Event{Type: events.CallQueued, Service: l.service, Call: c.id,
		Data: map[string]string{"queue": c.queue, "from": c.rec.From, "to": c.rec.To}})
	as, ok, err := l.acd.Enqueue(c.id, c.queue, l.now())
	if err != nil {
		l.e.log.Error("queueing a call", "call", c.id, "queue", c.queue, "err", err)
		l.abort(c, telephony.CauseUnavailable)
		return
	}
	if ok {
		l.offer(as)
	}
}

// ---- offers ----

// offer shows a call to the agent the distributor picked.
func (l *loop) offer(as queue.Assignment) {
	c, a := l.calls[as.Call], l.agents[as.Agent]
	if c == nil || a == nil || a.st.State != agent.Ready {
		// cannot happen while the distributor and the loop agree; put things right rather than lose the call
		l.e.log.Error("distributor offered a call the loop cannot show", "call", as.Call, "agent", as.Agent)
		if c != nil {
			if _, _, err := l.acd.Recall(c.id, queue.Reject, l.now()); err != nil {
				l.e.log.Error("recalling", "call", c.id, "err", err)
			}
		}
		return
	}
	l.present(c, a)
}

// offerDirect offers a call to one agent, bypassing the distributor (consult to an agent, an
// internal call to an agent's extension).
func (l *loop) offerDirect(c *callRT, a *agentRT) error {
	if a.st.State != agent.Ready {
		return invalidState("상담원 {agent}은(는) 대기 상태가 아닙니다", "agent", a.cfg.Name)
	}
	l.acd.NotReady(a.login)
	c.direct = true
	c.m = call.Call{State: call.Queued}
	l.present(c, a)
	return nil
}

func (l *loop) present(c *callRT, a *agentRT) {
	now := l.now()
	l.mustStep(c, call.Offer)
	c.agent, a.call = a, c
	l.must(a, agent.Event{Kind: agent.Offer, Call: c.id})
	l.logEvent(c, store.EventOffered, a.login, nil)
	recallAt := now.Add(l.recallTime())
	if c.rec.OfferedAt == nil && c.kind != kindConsult {
		c.rec.OfferedAt = &now
	}
	l.stopTimer(a)
	gen := a.timerGen
	a.offerUntil = recallAt
	a.timer = l.after(l.recallTime(), func() {
		if a.timerGen == gen && a.call == c && l.agents[a.login] == a {
			l.offerTimedOut(a, c)
		}
	})
	data := map[string]any{"from": c.rec.From, "to": c.rec.To, "queue": c.queue, "service": l.service,
		"recall_at": recallAt.UTC()}
	if c.kind == kindConsult && c.parent != nil && c.parent.agent != nil {
		data["transfer_from"] = c.parent.agent.login
		data["from"] = c.parent.rec.From
	}
	if c.caller != nil {
		data["caller_agent"] = c.caller.login
	}
	l.publish(events.Event{Type: events.CallOffered, Service: l.service, Agent: a.login, Call: c.id, Data: data})
	if a.cfg.AutoAccept {
		if err := l.accept(a); err != nil {
			l.e.log.Error("auto-accepting an offer", "agent", a.login, "call", c.id, "err", err)
		}
	}
}

// Accept is 확인 on the inbound alert: the agent's phone rings.
func (e *Engine) Accept(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error { return l.accept(a) })
}

func (l *loop) accept(a *agentRT) error {
	c := a.call
	if a.st.State != agent.Offered || c == nil {
		return invalidState("확인할 전화 인입이 없습니다")
	}
	if err := l.apply(a, agent.Event{Kind: agent.Accept}); err != nil {
		return err
	}
	l.mustStep(c, call.Accept)
	if !c.direct {
		if err := l.acd.Accept(c.id, l.now()); err != nil {
			l.e.log.Error("distributor refused accept", "call", c.id, "err", err)
		}
	}
	leg := l.e.newLeg()
	c.agentLeg = leg
	l.bindLeg(leg, c, roleAgent)
	display := l.service
	if l.cfg != nil {
		display = l.cfg.Name
	}
	l.phone.Place(leg, phoneTarget(&a.cfg, c.rec.From, display))
	return nil
}

// Reject is 취소 on the inbound alert: the call is recalled at once and not offered to this
// agent again; the agent stays ready.
func (e *Engine) Reject(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c := a.call
		if (a.st.State != agent.Offered && a.st.State != agent.Ringing) || c == nil {
			return invalidState("취소할 전화 인입이 없습니다")
		}
		l.stopTimer(a)
		l.detachAgentFromOffer(c)
		a.call = nil
		if err := l.apply(a, agent.Event{Kind: agent.Reject}); err != nil {
			a.call = c
			return err
		}
		l.logEvent(c, store.EventRejected, a.login, nil)
		l.recall(c, queue.Reject, "rejected")
		return nil
	})
}

func (l *loop) offerTimedOut(a *agentRT, c *callRT) {
	l.logEvent(c, store.EventRingTimeout, a.login, nil)
	l.detachAgentFromOffer(c)
	l.release(a, agent.Event{Kind: agent.NoAnswer, Then: l.noAnswerState()})
	if l.noAnswerState() == agent.Break {
		l.notice(a, "no_answer_break", "호회수 시간 안에 응답하지 않아 호가 회수되었고, 상태가 휴식으로 바뀌었습니다")
	} else {
		l.notice(a, "no_answer", "호회수 시간 안에 응답하지 않아 호가 회수되었습니다")
	}
	l.recall(c, queue.Timeout, "timeout")
}

// detachAgentFromOffer withdraws the agent's ringing phone from an offered call.
func (l *loop) detachAgentFromOffer(c *callRT) {
	if c.agentLeg != "" {
		l.phone.Hangup(c.agentLeg, telephony.CauseCancelled)
		l.unbindLeg(c.agentLeg)
		c.agentLeg = ""
	}
	c.agent = nil
}

// recall puts an offered call back: into its queue for the next agent, or, for a direct offer,
// tells whoever placed it that it failed.
func (l *loop) recall(c *callRT, kind queue.Kind, reason string) {
	l.mustStep(c, call.Recall)
	l.publish(events.Event{Type: events.CallRecalled, Service: l.service, Call: c.id, Data: map[string]string{"reason": reason}})
	if c.direct {
		l.directFailed(c, reason)
		return
	}
	as, ok, err := l.acd.Recall(c.id, kind, l.now())
	if err != nil {
		l.e.log.Error("distributor refused a recall", "call", c.id, "err", err)
		return
	}
	if ok {
		l.offer(as)
	}
}

// directFailed ends a direct offer nobody took.
func (l *loop) directFailed(c *callRT, reason string) {
	switch {
	case c.kind == kindConsult && c.parent != nil:
		l.consultFailed(c.parent, reason)
	case c.caller != nil:
		l.endInternalUnanswered(c, reason)
	}
}

// ---- answer ----

// agentAnswered handles the agent's phone answering.
func (l *loop) agentAnswered(c *callRT) {
	a := c.agent
	switch c.m.State {
	case call.Ringing:
		if a == nil {
			return
		}
		l.stopTimer(a)
		if !c.direct {
			if err := l.acd.Answer(c.id, l.now()); err != nil {
				l.e.log.Error("distributor refused answer", "call", c.id, "err", err)
			}
		}
		l.mustStep(c, call.AgentAnswered)
		if c.kind == kindConsult {
			l.must(a, agent.Event{Kind: agent.Answered})
			l.consultUp(c.parent, a.login)
			return
		}
		now := l.now()
		c.rec.AnsweredAt = &now
		c.rec.Agent = a.login
		l.talk(c)
		if c.kind == kindInbound && l.recordingCfg().Mode == site.RecordAll {
			l.startRecording(c, false) // the customer heard the announcement before the queue
		}
		l.logAnswered(c, a.login)
		if c.caller != nil {
			l.must(c.caller, agent.Event{Kind: agent.DialAnswered})
		}
		l.answered(c, a)
		l.must(a, agent.Event{Kind: agent.Answered})
	case call.Connecting:
		// 걸기: the agent picked up; now call the customer
		l.mustStep(c, call.AgentAnswered)
		leg := l.e.newLeg()
		c.customer = leg
		l.bindLeg(leg, c, roleCustomer)
		l.phone.Play(c.agentLeg, telephony.AudioRingback, true)
		l.phone.Place(leg, c.dialTarget)
		l.armCallTimer(c, l.e.dialT, func() { l.dialFailed(c, telephony.CauseNoAnswer) })
	}
}

// answered records a connected call: the ticket is created (for customer calls) in the same
// transaction as the call record, and announced only once both are stored.
func (l *loop) answered(c *callRT, a *agentRT) {
	at := l.now()
	base := events.Event{Service: l.service, Agent: a.login, Call: c.id, At: at}
	answered := map[string]any{"agent": a.login, "from": c.rec.From, "to": c.rec.To}
	if c.kind != kindInbound && c.kind != kindOutbound {
		l.saveCall(c)
		ev := base
		ev.Type, ev.Data = events.CallAnswered, answered
		l.publish(ev)
		return
	}
	phone, subject := c.rec.From, "전화 문의 "+tickets.DisplayNumber(c.rec.From)
	if c.kind == kindOutbound {
		phone, subject = c.rec.To, "전화 발신 "+tickets.DisplayNumber(c.rec.To)
	}
	t := tickets.Ticket{Service: l.service, Subject: subject, Status: tickets.StatusOpen, Assignee: a.login,
		Phone: phone, CreatedAt: at, UpdatedAt: at}
	ref := &ticketRef{}
	c.ticket = ref
	created := true
	if c.forTicket != 0 {
		// a call back joins the ticket it was made for and clears its 콜백 필요 (a call back to
		// the ticket's own number has had it cleared by calledBack already); only a ticket that
		// is not there (never, as tickets are not removed) makes a new one
		created = false
		id, login := c.forTicket, a.login
		l.store(func(ctx context.Context, tx store.Store) error {
			cur, err := tx.Tickets().Get(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				tk := t
				if err := tx.Tickets().Create(ctx, &tk); err != nil {
					return err
				}
				ref.id.Store(tk.ID)
				created = true
				return nil
			}
			if err != nil {
				return err
			}
			u := tickets.Update{Author: login}
			if cur.Callback {
				off := false
				u.Callback, u.Note = &off, "콜백 완료"
			}
			if cur.Assignee == "" {
				u.Assignee = &login
			}
			if u.Callback != nil || u.Assignee != nil {
				if _, err := tx.Tickets().Update(ctx, id, u, at); err != nil {
					return err
				}
			}
			ref.id.Store(id)
			return nil
		})
	} else {
		l.store(func(ctx context.Context, tx store.Store) error {
			tk := t
			if err := tx.Tickets().Create(ctx, &tk); err != nil {
				return err
			}
			ref.id.Store(tk.ID)
			return nil
		})
	}
	l.t.undo = append(l.t.undo, func() { ref.id.Store(0) })
	l.saveCall(c)
	bus, service, from := l.e.bus, l.service, c.rec.From
	// announced once stored, with the id the store gave
	l.t.effects = append(l.t.effects, effect{event: true, f: func() {
		id := ref.id.Load()
		if id != 0 {
			answered["ticket"] = id
			ev := base
			ev.Type, ev.Data = events.TicketCreated, map[string]any{"ticket": id, "service": service, "phone": from}
			if !created {
				ev.Type, ev.Data = events.TicketUpdated, map[string]any{"ticket": id, "service": service, "phone": phone, "callback": false}
			}
			bus.Publish(ev)
		}
		ev := base
		ev.Type, ev.Data = events.CallAnswered, answered
		bus.Publish(ev)
	}})
}

// ---- ending ----

// finish ends a call whose legs are already gone or being hung up, records it and forgets it.
func (l *loop) finish(c *callRT, cause telephony.Cause) {
	if c.m.State != call.Ended {
		c.m.State = call.Ended
		c.m.EndedAt = l.now()
		if c.m.EndedBy == "" {
			c.m.EndedBy = "system"
		}
	}
	l.stopCallTimer(c)
	if c.monitor != nil {
		l.hangupLeg(c.monitor.leg, telephony.CauseNormal)
		l.monitorGone(c, "left")
	}
	l.stopRecording(c)
	for _, leg := range []telephony.LegID{c.customer, c.agentLeg} {
		l.unbindLeg(leg)
	}
	if c.consult != nil && c.consult.leg != "" {
		l.unbindLeg(c.consult.leg)
	}
	end := c.m.EndedAt
	c.rec.EndedAt = &end
	c.rec.TalkSeconds = c.m.TalkTime.Seconds()
	c.rec.HoldSeconds = c.m.HoldTime.Seconds()
	if c.rec.HangupCause == "" {
		c.rec.HangupCause = string(cause)
	}
	if c.rec.HangupBy == "" {
		c.rec.HangupBy = c.m.EndedBy
	}
	if c.rec.Outcome == "" {
		switch {
		case c.kind == kindInternal || c.kind == kindConsult:
			c.rec.Outcome = tickets.OutcomeInternal
		case c.rec.AnsweredAt != nil:
			c.rec.Outcome = tickets.OutcomeAnswered
		case c.kind == kindOutbound:
			c.rec.Outcome = tickets.OutcomeFailed
		default:
			c.rec.Outcome = tickets.OutcomeAbandoned // ended by the system before anyone answered
		}
	}
	l.saveCall(c)
	l.handledAfterCall(c)
	l.logEvent(c, store.EventEnded, "", func(e *store.CallEvent) { e.Detail = c.rec.HangupCause })
	delete(l.calls, c.id)
	if _, ok := l.acd.Entry(c.id); ok {
		_ = l.acd.Abandon(c.id, l.now())
	}
	data := map[string]string{"cause": c.rec.HangupCause, "by": c.rec.HangupBy}
	ev := events.Event{Type: events.CallEnded, Service: l.service, Call: c.id, Data: data}
	if c.agent != nil {
		ev.Agent = c.agent.login
	}
	l.publish(ev)
}

func (l *loop) hangupLeg(leg telephony.LegID, cause telephony.Cause) {
	if leg != "" {
		l.phone.Hangup(leg, cause)
		l.unbindLeg(leg)
	}
}

// abort ends a call from the server's side (shutdown, queue removed), releasing its agents.
func (l *loop) abort(c *callRT, cause telephony.Cause) {
	if l.calls[c.id] != c {
		return
	}
	if c.consult != nil {
		l.dropConsult(c, "cancelled")
	}
	l.hangupLeg(c.customer, cause)
	l.hangupLeg(c.agentLeg, cause)
	for _, a := range []*agentRT{c.agent, c.caller} {
		if a == nil || a.call != c {
			continue
		}
		switch a.st.State {
		case agent.Offered, agent.Ringing:
			l.stopTimer(a)
			l.release(a, agent.Event{Kind: agent.CallerGone})
		case agent.Dialing:
			l.release(a, agent.Event{Kind: agent.DialFailed})
		case agent.OnCall, agent.Held, agent.Consulting:
			l.must(a, agent.Event{Kind: agent.CallEnded})
		}
	}
	c.rec.HangupBy = "system"
	l.finish(c, cause)
}

// Hangup is the agent ending its call from the widget.
func (e *Engine) Hangup(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c := a.call
		if c == nil {
			return invalidState("끊을 통화가 없습니다")
		}
		switch a.st.State {
		case agent.Dialing:
			if c.caller == a {
				l.callerGone(c)
				return nil
			}
			l.dialFailed(c, telephony.CauseCancelled)
			return nil
		case agent.OnCall, agent.Held, agent.Consulting:
			if c.caller == a {
				l.callerGone(c)
				return nil
			}
			if c.kind == kindConsult {
				// the target of a consult leaves it
				l.hangupLeg(c.agentLeg, telephony.CauseNormal)
				c.agentLeg = ""
				l.consultTargetGone(c)
				return nil
			}
			l.agentLeft(c, telephony.CauseNormal)
			return nil
		}
		return invalidState("지금 상태({state})에서는 통화를 끊을 수 없습니다", "state", a.st.State.Label("ko"))
	})
}

// agentLeft ends a call because its agent left it (끊기 or the phone hung up).
func (l *loop) agentLeft(c *callRT, cause telephony.Cause) {
	a := c.agent
	if c.consult != nil {
		l.dropConsult(c, "cancelled")
	}
	if err := l.step(c, call.AgentGone); err != nil {
		l.e.log.Error("ending a call for its agent", "call", c.id, "state", c.m.State, "err", err)
		return
	}
	l.hangupLeg(c.customer, cause)
	l.hangupLeg(c.agentLeg, cause)
	if a != nil {
		l.must(a, agent.Event{Kind: agent.CallEnded})
	}
	l.finish(c, cause)
}

// AfterCall answers the end-of-call notice: 확인 (ready) or 취소 (work: 티켓처리).
func (e *Engine) AfterCall(login, action string) error {
	var k agent.Kind
	switch action {
	case "ready":
		k = agent.AfterCallReady
	case "work":
		k = agent.AfterCallWork
	default:
		return invalid("invalid_action", "확인(ready) 또는 취소(work) 중 하나를 고르세요")
	}
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		prev := a.call
		a.call = nil
		if err := l.apply(a, agent.Event{Kind: k}); err != nil {
			a.call = prev
			return err
		}
		return nil
	})
}

// causeText words why a leg did not connect, for the agent's notice.
func causeText(c telephony.Cause) string {
	switch c {
	case telephony.CauseBusy:
		return "상대방이 통화 중입니다"
	case telephony.CauseNoAnswer:
		return "상대방이 응답하지 않습니다"
	case telephony.CauseDeclined:
		return "상대방이 거절했습니다"
	case telephony.CauseUnavailable:
		return "상대방에게 연결할 수 없습니다"
	case telephony.CauseNotFound:
		return "없는 번호입니다"
	case telephony.CauseCancelled:
		return "취소되었습니다"
	}
	return "연결하지 못했습니다"
}
