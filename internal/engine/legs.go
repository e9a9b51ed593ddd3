package engine

import (
	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/events"
	"ringdesk/internal/queue"
	"ringdesk/internal/telephony"
)

// Report takes an event about a leg from the network and hands it to the loop that owns the
// leg. An answer for a leg nobody owns any more (it crossed a CANCEL, or its call ended) is
// hung up at once, so that no phone is left connected to nothing.
func (e *Engine) Report(ev telephony.Event) {
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
	if !ok {
		if ev.Kind == telephony.Answered {
			l.e.phone.Hangup(ev.Leg, telephony.CauseCancelled)
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
	}
}

func (l *loop) agentLegEvent(c *callRT, ev telephony.Event) {
	a := c.agent
	switch ev.Kind {
	case telephony.Ringing:
		if a != nil {
			l.e.publish(events.Event{Type: events.CallRinging, Service: l.service, Agent: a.login, Call: c.id,
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
				l.release(a, agent.Event{Kind: agent.Reject})
				l.recall(c, queue.Reject, "rejected")
				return
			}
			l.release(a, agent.Event{Kind: agent.NoAnswer, Then: l.noAnswerState()})
			l.notice(a, "phone_unavailable", "전화기에 연결할 수 없어 호가 회수되었습니다: "+causeText(ev.Cause))
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
			l.agentLeft(c, telephony.CauseNormal)
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
		switch c.m.State {
		case call.Scenario:
			l.enterQueue(c)
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
		l.customerGone(c)
	case telephony.Ringing:
		if a := c.agent; a != nil {
			l.e.publish(events.Event{Type: events.CallRinging, Service: l.service, Agent: a.login, Call: c.id,
				Data: map[string]string{"leg": "customer"}})
		}
	case telephony.Answered:
		if c.m.State != call.Dialing {
			return
		}
		a := c.agent
		l.stopCallTimer(c)
		l.mustStep(c, call.CustomerAnswered)
		l.e.phone.Bridge(c.agentLeg, c.customer)
		now := l.now()
		c.rec.AnsweredAt = &now
		if a != nil {
			l.answered(c, a)
			l.must(a, agent.Event{Kind: agent.DialAnswered})
		}
	}
}

func (l *loop) consultLegEvent(c *callRT, ev telephony.Event) {
	switch ev.Kind {
	case telephony.Ringing:
		if a := c.agent; a != nil && c.consult != nil {
			l.e.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
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
			l.consultFailed(c, causeText(ev.Cause))
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
				l.consultFailed(c, "상대방이 통화를 종료했습니다 (target hung up)")
			}
		}
	}
}
