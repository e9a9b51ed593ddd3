package engine

import (
	"context"
	"strings"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/events"
	"ringdesk/internal/store"
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
		return nil, invalidState("처리 중인 고객 통화가 없습니다")
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
		return invalidState("지금은 보류할 수 없습니다")
	}
	if err := l.apply(a, agent.Event{Kind: agent.Hold}); err != nil {
		return err
	}
	l.mustStep(c, call.Hold)
	l.logEvent(c, store.EventHeld, a.login, nil)
	c.recAnnouncing = false
	l.phone.Play(c.customer, l.holdAudio(), true)
	l.recordSides(c)
	l.phone.Play(c.agentLeg, telephony.AudioSilence, true)
	l.publish(events.Event{Type: events.CallHeld, Service: l.service, Agent: a.login, Call: c.id})
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
		return invalidState("해제할 보류가 없습니다. 협의통화 중이면 먼저 취소하세요")
	}
	if err := l.apply(a, agent.Event{Kind: agent.Unhold}); err != nil {
		return err
	}
	l.mustStep(c, call.Unhold)
	l.logEvent(c, store.EventResumed, a.login, nil)
	l.talk(c)
	l.publish(events.Event{Type: events.CallResumed, Service: l.service, Agent: a.login, Call: c.id})
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
		return consultPlan{}, invalid("invalid_target", "호전환 번호를 입력하세요")
	}
	if login, ok := strings.CutPrefix(target, "agent:"); ok {
		return l.planAgent(a, login)
	}
	if login, ok := l.dir.ByExt[target]; ok {
		if _, here := l.agents[login]; here {
			return l.planAgent(a, login)
		}
		if login == a.login {
			return consultPlan{}, invalid("transfer_to_self", "자기 자신에게 호전환할 수 없습니다")
		}
		l.e.mu.RLock()
		_, elsewhere := l.e.sessions[login]
		l.e.mu.RUnlock()
		if elsewhere {
			return consultPlan{}, invalid("target_elsewhere", "상담원 {agent}은(는) 다른 서비스에서 근무 중입니다", "agent", l.agentName(login))
		}
		cfg := l.dir.Agents[login]
		return consultPlan{target: phoneTarget(cfg, a.cfg.Extension, a.cfg.Name), to: target}, nil
	}
	if l.hasQueue(target) {
		return consultPlan{queue: target, to: target}, nil
	}
	route, ok := l.dir.TrunksFor(target)
	if !ok || !validNumber(route.Number) || l.trunkPrefix(route) == "" && len(l.dir.Trunks) > 1 {
		return consultPlan{}, invalid("invalid_target", "호전환할 수 없는 번호입니다. 외부 번호는 앞에 트렁크 번호(예: 9)를 붙이세요")
	}
	if err := l.dialPlanRefusal(route.Number); err != nil {
		return consultPlan{}, err
	}
	callerID := firstRegisteredCallerID(l.cfg)
	if callerID == "" {
		return consultPlan{}, invalid("invalid_caller_id", "등록 완료된 발신번호가 없어 외부로 호전환할 수 없습니다")
	}
	return consultPlan{target: trunkTarget(route, callerID), to: route.Number}, nil
}

func (l *loop) planAgent(a *agentRT, login string) (consultPlan, error) {
	if login == a.login {
		return consultPlan{}, invalid("transfer_to_self", "자기 자신에게 호전환할 수 없습니다")
	}
	t := l.agents[login]
	if t == nil {
		return consultPlan{}, invalid("target_unavailable", "상담원 {agent}은(는) 이 서비스에 CTI 로그인하지 않았습니다", "agent", l.agentName(login))
	}
	if t.st.State != agent.Ready {
		return consultPlan{}, invalid("target_busy", "상담원 {agent}은(는) 대기 상태가 아닙니다 ({state})", "agent", t.cfg.Name,
			"state", t.st.State.Label("ko"))
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
			return invalidState("지금은 호전환할 수 없습니다")
		}
		plan, err := l.planConsult(a, target)
		if err != nil {
			return err
		}
		if err := l.apply(a, agent.Event{Kind: agent.ConsultStart}); err != nil {
			return err
		}
		l.mustStep(c, call.ConsultStart)
		now := l.now()
		c.rec.Transfers = append(c.rec.Transfers, tickets.Transfer{From: a.login, Target: target, StartedAt: now, Outcome: "pending"})
		cons := &consultRT{target: target, idx: len(c.rec.Transfers) - 1}
		c.consult = cons
		c.recAnnouncing = false
		l.phone.Play(c.customer, l.holdAudio(), true)
		l.recordSides(c)
		switch {
		case plan.agent != nil || plan.queue != "":
			child := l.newCall(kindConsult, tickets.Internal, a.cfg.Extension, target)
			child.parent = c
			cons.child = child
			l.calls[child.id] = child
			if plan.agent != nil {
				l.phone.Play(c.agentLeg, telephony.AudioRingback, true)
				if err := l.offerDirect(child, plan.agent); err != nil {
					l.consultFailed(c, "busy")
					return nil
				}
			} else {
				child.queue, child.rec.Queue = plan.queue, plan.queue
				child.m = call.Call{State: call.Queued}
				l.phone.Play(c.agentLeg, l.holdAudio(), true)
				as, ok, err := l.acd.Enqueue(child.id, plan.queue, now)
				if err != nil {
					l.consultFailed(c, "queue_unavailable")
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
			l.phone.Play(c.agentLeg, telephony.AudioRingback, true)
			l.phone.Place(leg, plan.target)
			l.armCallTimer(c, l.e.dialT, func() { l.consultFailed(c, string(telephony.CauseNoAnswer)) })
		}
		if c.consult != nil {
			l.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
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
	l.phone.Bridge(c.agentLeg, leg)
	if a := c.agent; a != nil {
		l.must(a, agent.Event{Kind: agent.ConsultUp})
		l.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
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
// reason is a stable word (a telephony cause, rejected, timeout, target_hung_up…).
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
	l.phone.Play(c.agentLeg, telephony.AudioSilence, true)
	l.saveCall(c)
	if a != nil {
		l.must(a, agent.Event{Kind: agent.ConsultEnd})
		l.notice(a, "consult_failed", "협의통화가 종료되었습니다: "+reasonText(reason), "reason", reason)
		l.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
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
	l.consultFailed(parent, "target_hung_up")
}

// CancelConsult is 취소 during a consult: back to the held customer.
func (e *Engine) CancelConsult(login string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c, err := handledCall(a)
		if err != nil {
			return err
		}
		if c.consult == nil {
			return invalidState("진행 중인 협의통화가 없습니다")
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
		if err := l.apply(a, agent.Event{Kind: agent.ConsultEnd}); err != nil {
			return err
		}
		l.dropConsult(c, "cancelled")
		l.mustStep(c, call.ConsultEnd)
		l.phone.Play(c.agentLeg, telephony.AudioSilence, true)
		l.saveCall(c)
		l.publish(events.Event{Type: events.CallConsult, Service: l.service, Agent: a.login, Call: c.id,
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
			return invalidState("고객연결은 협의통화가 연결된 뒤에 할 수 있습니다")
		}
		return l.complete(c, a)
	})
}

func (l *loop) complete(c *callRT, a *agentRT) error {
	if err := l.apply(a, agent.Event{Kind: agent.ConsultDone}); err != nil {
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
		l.mustStep(c, call.ToAgent)
		l.talk(c)
		c.consult = nil
		delete(l.calls, child.id)
		c.agent = t
		if t != nil {
			t.call = c
			t.st.Call = c.id
			if ref := c.ticket; ref != nil {
				assignee, note, author := t.login, a.cfg.Name+" → "+t.cfg.Name+" 호전환", a.login
				l.store(func(ctx context.Context, tx store.Store) error {
					id := ref.id.Load()
					if id == 0 {
						return nil // the ticket itself could not be stored
					}
					_, err := tx.Tickets().Update(ctx, id, tickets.Update{Assignee: &assignee, Note: note, Author: author}, now)
					return err
				})
			}
		}
	} else {
		l.mustStep(c, call.ToTarget)
		c.agent = nil
		l.talk(c)
	}
	l.saveCall(c)
	to := ""
	if c.agent != nil {
		to = c.agent.login
	}
	l.logEvent(c, store.EventTransferred, to, func(e *store.CallEvent) { e.Detail = cons.target })
	l.publish(events.Event{Type: events.CallTransferred, Service: l.service, Agent: a.login, Call: c.id,
		Data: map[string]string{"target": cons.target, "to": cons.to}})
	if t := c.agent; t != nil && t != a {
		// the colleague now holds the customer's call: its widget must show that call's controls
		l.publish(events.Event{Type: events.CallTransferred, Service: l.service, Agent: t.login, Call: c.id,
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
			return invalidState("지금은 강성종료할 수 없습니다")
		}
		if err := l.apply(a, agent.Event{Kind: agent.ForcedHangup}); err != nil {
			return err
		}
		l.mustStep(c, call.ForcedHangup)
		l.hangupLeg(c.agentLeg, telephony.CauseForced)
		c.agentLeg = ""
		c.rec.HangupCause, c.rec.HangupBy = string(telephony.CauseForced), "agent"
		c.recAnnouncing = false
		l.phone.Play(c.customer, l.hangupAudio(), false)
		l.recordSides(c)
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
		l.abandoned(c)
		l.mustStep(c, call.CustomerGone)
		l.finish(c, telephony.CauseNormal)
	case call.Offered, call.Ringing:
		if _, ok := l.acd.Entry(c.id); ok {
			_ = l.acd.Abandon(c.id, l.now())
		}
		l.abandoned(c)
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
			l.notice(a, "customer_gone", "고객이 통화를 종료했습니다")
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

// reasonText words why a consult or an internal call did not go through.
func reasonText(reason string) string {
	switch reason {
	case "rejected":
		return "상대방이 거절했습니다"
	case "timeout":
		return "상대방이 호회수 시간 안에 응답하지 않았습니다"
	case "target_hung_up":
		return "상대방이 통화를 종료했습니다"
	case "queue_unavailable":
		return "큐를 사용할 수 없습니다"
	}
	if c, ok := strings.CutPrefix(reason, "phone_"); ok {
		return causeText(telephony.Cause(c))
	}
	return causeText(telephony.Cause(reason))
}
