package engine

import (
	"strings"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/events"
	"ringdesk/internal/telephony"
	"ringdesk/internal/tickets"
)

// announcementLimit ends a forced hang-up even if the announcement never reports its end.
const announcementLimit = 2 * time.Minute

// handledCall returns the call the agent handles (not one it placed to a colleague as caller,
// not a consult it was brought into), for 보류, 호전환, 강성종료.
func handledCall(a *agentRT) (*callRT, error) {
	c := a.call
	if c == nil || c.caller == a || c.kind == kindConsult || c.agent != a {
		return nil, invalidState("처리 중인 고객 통화가 없습니다 (no customer call to act on; state %s)", a.st.State)
	}
	return c, nil
}

// Hold is 보류: the customer hears hold audio.
func (e *Engine) Hold(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error { return l.hold(a) })
}

func (l *loop) hold(a *agentRT) error {
	c, err := handledCall(a)
	if err != nil {
		return err
	}
	if c.m.State != call.Talking {
		return invalidState("보류할 수 없습니다 (call is %s)", c.m.State)
	}
	if err := l.apply(a, agent.Event{Kind: agent.Hold}, false); err != nil {
		return err
	}
	l.mustStep(c, call.Hold)
	l.e.phone.Play(c.customer, l.holdAudio(), true)
	l.e.phone.Play(c.agentLeg, telephony.AudioSilence, true)
	l.e.publish(events.Event{Type: events.CallHeld, Service: l.service, Agent: a.login, Call: c.id})
	return nil
}

// Unhold is 해제: customer and agent talk again.
func (e *Engine) Unhold(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error { return l.unhold(a) })
}

func (l *loop) unhold(a *agentRT) error {
	c, err := handledCall(a)
	if err != nil {
		return err
	}
	if c.m.State != call.Held {
		return invalidState("해제할 보류가 없습니다 (call is %s; cancel the consult first)", c.m.State)
	}
	if err := l.apply(a, agent.Event{Kind: agent.Unhold}, false); err != nil {
		return err
	}
	l.mustStep(c, call.Unhold)
	l.e.phone.Bridge(c.customer, c.agentLeg)
	l.e.publish(events.Event{Type: events.CallResumed, Service: l.service, Agent: a.login, Call: c.id})
	return nil
}

// consultPlan is a resolved consult target.
type consultPlan struct {
	agent  *agentRT         // an agent of this service: offered a consult call
	queue  string           // a queue of this service
	target telephony.Target // a plain extension or a number through a trunk
	to     string
}

// planConsult resolves what the agent typed or picked: agent:<login>, an extension, a queue
// number, or a number with a trunk prefix.
func (l *loop) planConsult(a *agentRT, target string) (consultPlan, error) {
	target = strings.TrimSpace(target)
	if target == "" {
		return consultPlan{}, invalid("invalid_target", "호전환 번호를 입력하세요 (a target is required)")
	}
	if login, ok := strings.CutPrefix(target, "agent:"); ok {
		return l.planAgent(a, login)
	}
	if login, ok := l.dir.byExt[target]; ok {
		if _, here := l.agents[login]; here {
			return l.planAgent(a, login)
		}
		if login == a.login {
			return consultPlan{}, invalid("invalid_target", "자기 자신에게 호전환할 수 없습니다 (cannot transfer to yourself)")
		}
		l.e.mu.RLock()
		_, elsewhere := l.e.sessions[login]
		l.e.mu.RUnlock()
		if elsewhere {
			return consultPlan{}, invalid("target_busy", "상담원 %s은(는) 다른 서비스에서 근무 중입니다 (agent works in another service)", login)
		}
		cfg := l.dir.agents[login]
		return consultPlan{target: phoneTarget(cfg, a.cfg.Extension, a.cfg.Name), to: target}, nil
	}
	if l.hasQueue(target) {
		return consultPlan{queue: target, to: target}, nil
	}
	trunk, rest, ok := l.dir.trunkFor(target)
	if !ok || trunk.Prefix == "" && len(l.dir.trunks) > 1 || !validNumber(rest) {
		return consultPlan{}, invalid("invalid_target", "호전환할 수 없는 번호입니다: %q (an external number needs its trunk prefix, e.g. 9)", target)
	}
	callerID := firstRegisteredCallerID(l.cfg)
	if callerID == "" {
		return consultPlan{}, invalid("invalid_caller_id", "등록 완료된 발신번호가 없어 외부로 호전환할 수 없습니다 (no registered caller ID)")
	}
	return consultPlan{target: telephony.Target{Kind: telephony.TargetTrunk, Trunk: trunk.ID, Number: rest, CallerID: callerID}, to: rest}, nil
}

func (l *loop) planAgent(a *agentRT, login string) (consultPlan, error) {
	if login == a.login {
		return consultPlan{}, invalid("invalid_target", "자기 자신에게 호전환할 수 없습니다 (cannot transfer to yourself)")
	}
	t := l.agents[login]
	if t == nil {
		return consultPlan{}, invalid("target_unavailable", "상담원 %s은(는) 이 서비스에 CTI 로그인하지 않았습니다 (agent is not logged in here)", login)
	}
	if t.st.State != agent.Ready {
		return consultPlan{}, invalid("target_busy", "상담원 %s은(는) 대기 상태가 아닙니다 (agent is %s)", login, t.st.State)
	}
	return consultPlan{agent: t, to: login}, nil
}

// Consult is 협의통화: the customer is held and the target is called.
func (e *Engine) Consult(login, target string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c, err := handledCall(a)
		if err != nil {
			return err
		}
		if c.consult != nil || (c.m.State != call.Talking && c.m.State != call.Held) {
			return invalidState("호전환할 수 없습니다 (call is %s)", c.m.State)
		}
		plan, err := l.planConsult(a, target)
		if err != nil {
			return err
		}
		if err := l.apply(a, agent.Event{Kind: agent.ConsultStart}, false); err != nil {
			return err
		}
		l.mustStep(c, call.ConsultStart)
		now := l.now()
		c.rec.Transfers = append(c.rec.Transfers, tickets.Transfer{From: a.login, Target: target, StartedAt: now, Outcome: "pending"})
		cons := &consultRT{target: target, idx: len(c.rec.Transfers) - 1}
		c.consult = cons
		l.e.phone.Play(c.customer, l.holdAudio(), true)
		switch {
		case plan.agent != nil || plan.queue != "":
			child := l.newCall(kindConsult, tickets.Internal, a.cfg.Extension, target)
			child.parent = c
			cons.child = child
			l.calls[child.id] = child
			if plan.agent != nil {
				l.e.phone.Play(c.agentLeg, telephony.AudioRingback, true)
				if err := l.offerDirect(child, plan.agent); err != nil {
					l.consultFailed(c, "target busy")
					return nil
				}
			} else {
				child.queue, child.rec.Queue = plan.queue, plan.queue
				child.m = call.Call{State: call.Queued}
				l.e.phone.Play(c.agentLeg, l.holdAudio(), true)
				as, ok, err := l.acd.Enqueue(child.id, plan.queue, now)
				if err != nil {
					l.consultFailed(c, "queue unavailable")
					return nil
				}
				if ok {
					l.offer(as)
				}
			}
		default:
			leg := l.e.newLeg()
			cons.leg, cons.to = leg, plan.to
			l.bindLeg(leg, c, roleConsult)
			l.e.phone.Play(c.agentLeg, telephony.AudioRingback, true)
			l.e.phone.Place(leg, plan.target)
			l.armCallTimer(c, l.e.dialT, func() { l.consultFailed(c, "no answer") })
		}
		if c.consult != nil {
			l.e.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
				Data: map[string]string{"target": target, "state": "dialing"}})
		}
		return nil
	})
}

// consultUp: the consult target answered; the agent talks to it while the customer waits.
func (l *loop) consultUp(c *callRT, to string) {
	cons := c.consult
	if cons == nil {
		return
	}
	l.stopCallTimer(c)
	cons.up = true
	if to != "" {
		cons.to = to
	}
	if c.m.State == call.ConsultDialing {
		l.mustStep(c, call.ConsultUp)
	}
	now := l.now()
	tr := &c.rec.Transfers[cons.idx]
	tr.AnsweredAt, tr.To = &now, cons.to
	leg := cons.leg
	if cons.child != nil {
		leg = cons.child.agentLeg
	}
	l.e.phone.Bridge(c.agentLeg, leg)
	if a := c.agent; a != nil {
		l.must(a, agent.Event{Kind: agent.ConsultUp})
		l.e.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
			Data: map[string]string{"target": cons.target, "state": "up", "to": cons.to}})
	}
}

// dropConsult tears a consult down, releasing a colleague it reached.
func (l *loop) dropConsult(c *callRT, outcome string) {
	cons := c.consult
	if cons == nil {
		return
	}
	c.consult = nil
	l.stopCallTimer(c)
	if cons.leg != "" {
		l.hangupLeg(cons.leg, telephony.CauseCancelled)
	}
	if child := cons.child; child != nil {
		t := child.agent
		switch child.m.State {
		case call.Offered, call.Ringing:
			if t != nil {
				l.stopTimer(t)
				l.detachAgentFromOffer(child)
				l.release(t, agent.Event{Kind: agent.CallerGone})
			}
		case call.Talking:
			l.hangupLeg(child.agentLeg, telephony.CauseNormal)
			child.agentLeg = ""
			if t != nil {
				l.must(t, agent.Event{Kind: agent.CallEnded})
			}
		}
		child.m.State = call.Ended
		l.finish(child, telephony.CauseCancelled)
	}
	if cons.idx < len(c.rec.Transfers) && c.rec.Transfers[cons.idx].Outcome == "pending" {
		c.rec.Transfers[cons.idx].Outcome = outcome
	}
}

// consultFailed: the target refused, did not answer or hung up. The customer stays held.
func (l *loop) consultFailed(c *callRT, reason string) {
	if c.consult == nil {
		return
	}
	target := c.consult.target
	l.dropConsult(c, "failed")
	a := c.agent
	if c.m.State == call.ConsultOnly {
		l.mustStep(c, call.ConsultEnd)
		l.hangupLeg(c.agentLeg, telephony.CauseNormal)
		if a != nil {
			l.must(a, agent.Event{Kind: agent.CallEnded})
		}
		l.finish(c, telephony.CauseNormal)
		return
	}
	l.mustStep(c, call.ConsultEnd)
	l.e.phone.Play(c.agentLeg, telephony.AudioSilence, true)
	l.saveCall(c)
	if a != nil {
		l.must(a, agent.Event{Kind: agent.ConsultEnd})
		l.notice(a, "consult_failed", "협의통화가 종료되었습니다: "+reason)
		l.e.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
			Data: map[string]string{"target": target, "state": "failed", "reason": reason}})
	}
}

// consultTargetGone: the colleague in a consult hung up.
func (l *loop) consultTargetGone(child *callRT) {
	if t := child.agent; t != nil && t.call == child {
		l.must(t, agent.Event{Kind: agent.CallEnded})
	}
	parent := child.parent
	if parent == nil || parent.consult == nil || parent.consult.child != child {
		child.m.State = call.Ended
		l.finish(child, telephony.CauseNormal)
		return
	}
	parent.consult.child = nil
	child.m.State = call.Ended
	l.finish(child, telephony.CauseNormal)
	l.consultFailed(parent, "상대방이 통화를 종료했습니다 (target hung up)")
}

// CancelConsult is 취소 during a consult: back to the held customer.
func (e *Engine) CancelConsult(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c, err := handledCall(a)
		if err != nil {
			return err
		}
		if c.consult == nil {
			return invalidState("진행 중인 협의통화가 없습니다 (no consult in progress)")
		}
		target := c.consult.target
		if c.m.State == call.ConsultOnly {
			l.dropConsult(c, "cancelled")
			l.mustStep(c, call.ConsultEnd)
			l.hangupLeg(c.agentLeg, telephony.CauseNormal)
			l.must(a, agent.Event{Kind: agent.CallEnded})
			l.finish(c, telephony.CauseNormal)
			return nil
		}
		if err := l.apply(a, agent.Event{Kind: agent.ConsultEnd}, false); err != nil {
			return err
		}
		l.dropConsult(c, "cancelled")
		l.mustStep(c, call.ConsultEnd)
		l.e.phone.Play(c.agentLeg, telephony.AudioSilence, true)
		l.saveCall(c)
		l.e.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
			Data: map[string]string{"target": target, "state": "cancelled"}})
		return nil
	})
}

// CompleteConsult is 고객연결: the customer is joined to the target and the agent leaves.
func (e *Engine) CompleteConsult(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c, err := handledCall(a)
		if err != nil {
			return err
		}
		if c.m.State != call.Consulting || c.consult == nil || !c.consult.up {
			return invalidState("고객연결은 협의통화가 연결된 뒤에 할 수 있습니다 (the consult is not connected; call is %s)", c.m.State)
		}
		return l.complete(c, a)
	})
}

func (l *loop) complete(c *callRT, a *agentRT) error {
	if err := l.apply(a, agent.Event{Kind: agent.ConsultDone}, true); err != nil {
		return err
	}
	cons := c.consult
	now := l.now()
	tr := &c.rec.Transfers[cons.idx]
	tr.CompletedAt, tr.Outcome = &now, "completed"
	l.hangupLeg(c.agentLeg, telephony.CauseTransferred)
	c.agentLeg = ""
	if child := cons.child; child != nil {
		t := child.agent
		l.unbindLeg(child.agentLeg)
		c.agentLeg = child.agentLeg
		l.bindLeg(c.agentLeg, c, roleAgent)
		child.agentLeg = ""
		l.e.phone.Bridge(c.customer, c.agentLeg)
		l.mustStep(c, call.ToAgent)
		c.consult = nil
		delete(l.calls, child.id)
		c.agent = t
		if t != nil {
			t.call = c
			t.st.Call = c.id
			if c.rec.TicketID != 0 {
				assignee := t.login
				if _, err := l.e.store.Tickets().Update(l.ctx(), c.rec.TicketID, tickets.Update{Assignee: &assignee,
					Note: a.login + " → " + t.login + " 호전환", Author: a.login}, now); err != nil {
					l.e.log.Error("reassigning a transferred ticket", "ticket", c.rec.TicketID, "err", err)
				}
			}
		}
	} else {
		l.e.phone.Bridge(c.customer, cons.leg)
		l.mustStep(c, call.ToTarget)
		c.agent = nil
	}
	l.saveCall(c)
	l.e.publish(events.Event{Type: events.CallTransferred, Service: l.service, Agent: a.login, Call: c.id,
		Data: map[string]string{"target": cons.target, "to": cons.to}})
	if t := c.agent; t != nil && t != a {
		// the colleague now holds the customer's call: its widget must show that call's controls
		l.e.publish(events.Event{Type: events.CallTransferred, Service: l.service, Agent: t.login, Call: c.id,
			Data: map[string]string{"target": cons.target, "to": cons.to, "from": a.login}})
	}
	return nil
}

// ForcedHangup is 강성종료: the announcement plays to the customer, then the call ends. The
// agent leaves at once.
func (e *Engine) ForcedHangup(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c, err := handledCall(a)
		if err != nil {
			return err
		}
		if c.m.State != call.Talking && c.m.State != call.Held {
			return invalidState("강성종료할 수 없습니다 (call is %s)", c.m.State)
		}
		if err := l.apply(a, agent.Event{Kind: agent.ForcedHangup}, false); err != nil {
			return err
		}
		l.mustStep(c, call.ForcedHangup)
		l.hangupLeg(c.agentLeg, telephony.CauseForced)
		c.agentLeg = ""
		c.rec.HangupCause, c.rec.HangupBy = string(telephony.CauseForced), "agent"
		l.e.phone.Play(c.customer, l.hangupAudio(), false)
		l.armCallTimer(c, announcementLimit, func() { l.announcementDone(c) })
		return nil
	})
}

func (l *loop) announcementDone(c *callRT) {
	if c.m.State != call.Announcing {
		return
	}
	l.mustStep(c, call.AnnouncementDone)
	l.hangupLeg(c.customer, telephony.CauseForced)
	l.finish(c, telephony.CauseForced)
}

// customerGone: the customer's leg ended.
func (l *loop) customerGone(c *callRT) {
	l.unbindLeg(c.customer)
	c.customer = ""
	a := c.agent
	switch c.m.State {
	case call.Scenario, call.Queued:
		if _, ok := l.acd.Entry(c.id); ok {
			_ = l.acd.Abandon(c.id, l.now())
		}
		l.mustStep(c, call.CustomerGone)
		l.finish(c, telephony.CauseNormal)
	case call.Offered, call.Ringing:
		if _, ok := l.acd.Entry(c.id); ok {
			_ = l.acd.Abandon(c.id, l.now())
		}
		if a != nil {
			l.stopTimer(a)
			l.detachAgentFromOffer(c)
			l.release(a, agent.Event{Kind: agent.CallerGone})
		}
		l.mustStep(c, call.CustomerGone)
		l.finish(c, telephony.CauseNormal)
	case call.Talking, call.Held:
		l.mustStep(c, call.CustomerGone)
		l.hangupLeg(c.agentLeg, telephony.CauseNormal)
		if a != nil {
			l.must(a, agent.Event{Kind: agent.CallEnded})
		}
		l.finish(c, telephony.CauseNormal)
	case call.ConsultDialing, call.Consulting:
		// the agent's consult leg stays until the agent ends it (SPEC §2 decision)
		l.mustStep(c, call.CustomerGone)
		c.rec.HangupBy = "customer"
		l.saveCall(c)
		if a != nil {
			l.notice(a, "customer_gone", "고객이 통화를 종료했습니다 (the customer hung up)")
		}
	case call.Announcing:
		l.mustStep(c, call.CustomerGone)
		l.finish(c, telephony.CauseForced)
	case call.Transferred:
		l.mustStep(c, call.CustomerGone)
		if c.consult != nil {
			l.hangupLeg(c.consult.leg, telephony.CauseNormal)
		}
		l.finish(c, telephony.CauseNormal)
	case call.Connecting, call.Dialing:
		l.dialFailed(c, telephony.CauseNormal)
	}
}
