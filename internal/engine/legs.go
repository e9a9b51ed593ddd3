package engine

import (
	"context"
	"errors"
	"math"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/events"
	"ringdesk/internal/queue"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
	"ringdesk/internal/tickets"
)

// Report takes an event about a leg from the network and hands it to the loop that owns the
// leg. An answer for a leg nobody owns any more (it crossed a CANCEL, or its call ended) is
// hung up at once, so that no phone is left connected to nothing.
func (e *Engine) Report(ev telephony.Event) {
	if ev.Kind == telephony.RecordingFailed {
		if v, ok := e.recs.Load(ev.Recording); ok {
			l := v.(*loop)
			l.post(func() { l.recordingFailed(ev.Recording) })
		}
		return
	}
	v, ok := e.legs.Load(ev.Leg)
	if !ok {
		if ev.Kind == telephony.Answered {
			e.phone.Hangup(ev.Leg, telephony.CauseCancelled)
		}
		return
	}
	l := v.(*loop)
	l.post(func() { l.legEvent(ev) })
}

func (l *loop) legEvent(ev telephony.Event) {
	ref, ok := l.legs[ev.Leg]
	if ev.Kind == telephony.QualityReport {
		l.qualityReport(ev, ref, ok)
		return
	}
	if !ok {
		if ev.Kind == telephony.Answered {
			l.phone.Hangup(ev.Leg, telephony.CauseCancelled)
		}
		return
	}
	c := ref.call
	switch ref.role {
	case roleAgent:
		l.agentLegEvent(c, ev)
	case roleCustomer:
		l.customerLegEvent(c, ev)
	case roleConsult:
		l.consultLegEvent(c, ev)
	case roleMonitor:
		l.monitorLegEvent(c, ev)
	}
}

func (l *loop) agentLegEvent(c *callRT, ev telephony.Event) {
	a := c.agent
	switch ev.Kind {
	case telephony.Ringing:
		if a != nil {
			l.publish(events.Event{Type: events.CallRinging, Service: l.service, Agent: a.login, Call: c.id,
				Data: map[string]string{"leg": "agent"}})
		}
	case telephony.Answered:
		l.agentAnswered(c)
	case telephony.Failed:
		l.unbindLeg(ev.Leg)
		if c.agentLeg == ev.Leg {
			c.agentLeg = ""
		}
		switch c.m.State {
		case call.Ringing:
			if a == nil {
				return
			}
			l.stopTimer(a)
			c.agent = nil
			if ev.Cause == telephony.CauseBusy || ev.Cause == telephony.CauseDeclined {
				// declined on the phone: like 취소
				l.logEvent(c, store.EventRejected, a.login, nil)
				l.release(a, agent.Event{Kind: agent.Reject})
				l.recall(c, queue.Reject, "rejected")
				return
			}
			l.logEvent(c, store.EventRingTimeout, a.login, func(e *store.CallEvent) { e.Detail = string(ev.Cause) })
			l.release(a, agent.Event{Kind: agent.NoAnswer, Then: l.noAnswerState()})
			l.notice(a, "phone_unavailable", "전화기에 연결할 수 없어 호가 회수되었습니다: "+causeText(ev.Cause), "cause", string(ev.Cause))
			l.recall(c, queue.Timeout, "phone_"+string(ev.Cause))
		case call.Connecting:
			l.dialFailed(c, ev.Cause)
		}
	case telephony.HungUp:
		l.unbindLeg(ev.Leg)
		if c.agentLeg == ev.Leg {
			c.agentLeg = ""
		}
		switch c.m.State {
		case call.Talking, call.Held:
			if c.kind == kindConsult {
				l.consultTargetGone(c)
				return
			}
			cause := networkCause(ev.Cause)
			if cause != telephony.CauseNormal {
				c.rec.HangupCause, c.rec.HangupBy = string(cause), "system"
			}
			l.agentLeft(c, cause)
		case call.Connecting, call.Dialing:
			l.dialFailed(c, telephony.CauseCancelled)
		case call.ConsultDialing, call.ConsultOnly:
			l.agentLeft(c, telephony.CauseNormal)
		case call.Consulting:
			// hanging up during a connected consult hands the customer over (attended transfer)
			if a != nil {
				if err := l.complete(c, a); err != nil {
					l.agentLeft(c, telephony.CauseNormal)
				}
			}
		case call.Ringing:
			// an answered agent leg cannot be in a ringing call; treat as a decline
			if a != nil {
				l.stopTimer(a)
				c.agent = nil
				l.release(a, agent.Event{Kind: agent.Reject})
				l.recall(c, queue.Reject, "rejected")
			}
		}
	case telephony.Held:
		if a != nil && c.m.State == call.Talking {
			if err := l.hold(a); err != nil {
				l.e.log.Debug("phone hold ignored", "agent", a.login, "err", err)
			}
		}
	case telephony.Resumed:
		if a != nil && c.m.State == call.Held {
			if err := l.unhold(a); err != nil {
				l.e.log.Debug("phone resume ignored", "agent", a.login, "err", err)
			}
		}
	}
}

func (l *loop) customerLegEvent(c *callRT, ev telephony.Event) {
	switch ev.Kind {
	case telephony.PlayDone:
		if c.recAnnouncing {
			c.recAnnouncing = false
			l.customerHears(c)
			return
		}
		switch c.m.State {
		case call.Scenario:
			l.greeted(c)
		case call.Announcing:
			l.announcementDone(c)
		}
	case telephony.HungUp, telephony.Failed:
		if c.customer != ev.Leg {
			l.unbindLeg(ev.Leg)
			return
		}
		if c.caller != nil {
			l.callerGone(c)
			return
		}
		if c.m.State == call.Dialing || c.m.State == call.Connecting {
			l.dialFailed(c, ev.Cause)
			return
		}
		if cause := networkCause(ev.Cause); cause != telephony.CauseNormal {
			// not a hang-up: the network gave up on the leg (no media, no session refresh)
			c.rec.HangupCause, c.rec.HangupBy = string(cause), "system"
		}
		l.customerGone(c)
	case telephony.Held, telephony.Resumed:
		if a := c.agent; a != nil && c.customer == ev.Leg && c.kind != kindConsult {
			held := ev.Kind == telephony.Held
			c.customerHeld = held
			typ := events.CallCustomerResumed
			if held {
				typ = events.CallCustomerHeld
			}
			l.publish(events.Event{Type: typ, Service: l.service, Agent: a.login, Call: c.id})
		}
	case telephony.Ringing:
		if a := c.agent; a != nil {
			l.publish(events.Event{Type: events.CallRinging, Service: l.service, Agent: a.login, Call: c.id,
				Data: map[string]string{"leg": "customer"}})
		}
	case telephony.Answered:
		if c.m.State != call.Dialing {
			return
		}
		a := c.agent
		l.stopCallTimer(c)
		l.mustStep(c, call.CustomerAnswered)
		now := l.now()
		c.rec.AnsweredAt = &now
		l.talk(c)
		if c.kind == kindOutbound && l.recordingCfg().Mode == site.RecordAll {
			l.startRecording(c, true)
		}
		if a != nil {
			l.logAnswered(c, a.login)
			if c.kind == kindOutbound {
				l.calledBack(c.rec.To, a.login)
			}
			l.answered(c, a)
			l.must(a, agent.Event{Kind: agent.DialAnswered})
		}
	}
}

func (l *loop) consultLegEvent(c *callRT, ev telephony.Event) {
	switch ev.Kind {
	case telephony.Ringing:
		if a := c.agent; a != nil && c.consult != nil {
			l.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
				Data: map[string]string{"target": c.consult.target, "state": "ringing"}})
		}
	case telephony.Answered:
		if c.consult != nil && c.consult.leg == ev.Leg && !c.consult.up {
			l.consultUp(c, "")
		}
	case telephony.Failed:
		if c.consult != nil && c.consult.leg == ev.Leg {
			l.unbindLeg(ev.Leg)
			c.consult.leg = ""
			l.consultFailed(c, string(ev.Cause))
		}
	case telephony.HungUp:
		l.unbindLeg(ev.Leg)
		switch c.m.State {
		case call.Transferred:
			l.mustStep(c, call.TargetGone)
			l.hangupLeg(c.customer, telephony.CauseNormal)
			l.finish(c, telephony.CauseNormal)
		default:
			if c.consult != nil && c.consult.leg == ev.Leg {
				c.consult.leg = ""
				l.consultFailed(c, "target_hung_up")
			}
		}
	}
}

// networkCause is why the network ended a leg, as the call record keeps it: a timeout of its
// media or session, else a plain hang-up.
func networkCause(c telephony.Cause) telephony.Cause {
	switch c {
	case telephony.CauseMediaTimeout, telephony.CauseSessionTimer:
		return c
	}
	return telephony.CauseNormal
}

// qualityReport records what a leg's media measured. The customer's leg is the call's
// quality: kept in the live record, or written to the stored one when the call is over.
func (l *loop) qualityReport(ev telephony.Event, ref legRef, live bool) {
	c, role := ref.call, ref.role
	if !live {
		g, ok := l.gone[ev.Leg]
		if !ok {
			return
		}
		c, role = g.call, g.role
		l.forgetGone(ev.Leg)
	}
	if ev.Quality == nil || c == nil || role != roleCustomer || c.kind == kindConsult {
		return
	}
	q := tickets.Quality{LossPct: round2(ev.Quality.LossPct), JitterMs: round2(ev.Quality.JitterMs), MOS: ev.Quality.MOS,
		FarLossPct: round2(ev.Quality.FarLossPct), RTTMs: round2(ev.Quality.RTTMs)}
	if l.calls[c.id] == c {
		c.rec.Quality = &q
		l.saveCall(c)
		return
	}
	id := c.id
	l.store(func(ctx context.Context, tx store.Store) error {
		if err := tx.Calls().SetQuality(ctx, id, q); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
