package engine

import (
	"strings"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/dialplan"
	"ringdesk/internal/directory"
	"ringdesk/internal/fault"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
	"ringdesk/internal/tickets"
)

// validNumber reports whether s is a dialable number: digits, optionally after a leading +.
func validNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// registeredCallerID reports whether number is one of the service's 등록 완료 caller IDs.
func registeredCallerID(svc *site.Service, number string) bool {
	for _, c := range svc.CallerIDs {
		if c.Number == number && c.Status == site.CallerIDRegistered {
			return true
		}
	}
	return false
}

func firstRegisteredCallerID(svc *site.Service) string {
	for _, c := range svc.CallerIDs {
		if c.Status == site.CallerIDRegistered {
			return c.Number
		}
	}
	return ""
}

// dialPlanRefusal checks an outside number against the service's dial plan: nil when it may
// be called, else the refusal saying why in the words a person understands.
func (l *loop) dialPlanRefusal(number string) error {
	var plan dialplan.Plan
	if l.cfg != nil {
		plan = dialplan.Plan{Allow: l.cfg.DialPlan.Allow, Deny: l.cfg.DialPlan.Deny}
	}
	d := plan.Check(number)
	if d.Allowed {
		return nil
	}
	msg := "발신이 허용되지 않은 번호입니다. 관리자에게 발신 허용 번호를 문의하세요"
	switch {
	case strings.HasPrefix(number, "+") || strings.HasPrefix(number, "00"):
		msg = "국제전화는 이 서비스에서 걸 수 없습니다. 관리자에게 발신 허용 번호를 문의하세요"
	case strings.HasPrefix(number, "060"):
		msg = "060 유료 정보서비스 번호는 걸 수 없습니다"
	}
	return fault.New(fault.Refused, "invalid_number", msg, "number", number, "rule", d.Rule)
}

// trunkTarget is a call to number through the route's trunks, in order.
func trunkTarget(r directory.Route, callerID string) telephony.Target {
	return telephony.Target{Kind: telephony.TargetTrunk, Trunk: r.Trunks[0], Fallback: r.Trunks[1:], Number: r.Number,
		CallerID: callerID}
}

// Dial is 걸기: the agent's phone rings first, then the customer is called through the trunk
// with the chosen registered caller ID.
func (e *Engine) Dial(login, number, callerID string) error {
	return e.DialFor(login, number, callerID, 0)
}

// DialFor is 걸기 on behalf of a ticket (걸기 back from the missed-call list): once the customer
// answers, the call is linked to that ticket rather than opening a new one, and the ticket's
// 콜백 필요 is cleared. The caller checks that the ticket is of the agent's service; ticket 0
// is a plain 걸기.
func (e *Engine) DialFor(login, number, callerID string, ticket int64) error {
	if !validNumber(number) {
		return invalid("invalid_number", "고객 번호가 올바르지 않습니다. 숫자만 입력하세요")
	}
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		if l.cfg == nil {
			return stopping()
		}
		if !registeredCallerID(l.cfg, callerID) {
			return invalid("invalid_caller_id", "발신 번호 {number}는 등록 완료된 발신번호가 아닙니다", "number", callerID)
		}
		route, ok := l.dir.OutboundRoute(number)
		if !ok {
			return invalid("no_route", "이 번호로 발신할 수 있는 트렁크가 없습니다")
		}
		if err := l.dialPlanRefusal(route.Number); err != nil {
			return err
		}
		if !a.st.State.Idle() {
			return invalidState("지금 상태({state})에서는 걸기를 할 수 없습니다", "state", a.st.State.Label("ko"))
		}
		rest := route.Number
		c := l.newCall(kindOutbound, tickets.Outbound, callerID, rest)
		c.rec.CallerID, c.rec.Agent = callerID, a.login
		c.forTicket = ticket
		c.m = call.Call{State: call.Connecting}
		c.agent, a.call = a, c
		c.dialTarget = trunkTarget(route, callerID)
		if err := l.apply(a, agent.Event{Kind: agent.Dial, Call: c.id}); err != nil {
			a.call = nil
			return err
		}
		l.saveCall(c)
		l.calls[c.id] = c
		leg := l.e.newLeg()
		c.agentLeg = leg
		l.bindLeg(leg, c, roleAgent)
		l.phone.Place(leg, phoneTarget(&a.cfg, rest, "발신 "+rest))
		l.armCallTimer(c, l.recallTime(), func() { l.dialFailed(c, telephony.CauseNoAnswer) })
		return nil
	})
}

// dialFailed ends an outbound or internal call that did not connect; the agent goes back to
// where it was, with a notice.
func (l *loop) dialFailed(c *callRT, cause telephony.Cause) {
	if c.m.State != call.Connecting && c.m.State != call.Dialing {
		return
	}
	l.mustStep(c, call.Failed)
	c.rec.Outcome = tickets.OutcomeFailed
	l.hangupLeg(c.customer, cause)
	l.hangupLeg(c.agentLeg, cause)
	if a := c.agent; a != nil && a.call == c && a.st.State == agent.Dialing {
		l.release(a, agent.Event{Kind: agent.DialFailed})
		l.notice(a, "dial_failed", "전화를 연결하지 못했습니다: "+causeText(cause), "cause", string(cause))
	}
	c.rec.HangupBy = "system"
	l.finish(c, cause)
}

// Dialled takes a call dialled on an agent's phone: a number goes out like 걸기 with the
// service's first registered caller ID; an extension or a queue number rings directly.
func (e *Engine) Dialled(pc telephony.PhoneCall) error {
	d := e.directory()
	login, ok := d.ByExt[pc.Extension]
	if !ok {
		return forbidden("unknown_extension", "등록되지 않은 내선번호입니다")
	}
	l, err := e.agentLoop(login)
	if fault.KindOf(err) == fault.Moved {
		return err // the node serving the agent's service places it
	}
	if err != nil {
		return forbidden("not_logged_in", "CTI 로그인이 필요합니다")
	}
	return l.do(func() error {
		a := l.agents[login]
		if a == nil {
			return forbidden("not_logged_in", "CTI 로그인이 필요합니다")
		}
		if !a.st.State.Idle() {
			return busy("busy", "지금은 전화를 걸 수 없습니다")
		}
		return l.dialled(a, pc)
	})
}

func (l *loop) dialled(a *agentRT, pc telephony.PhoneCall) error {
	to := pc.To
	if target, ok := l.dir.ByExt[to]; ok {
		return l.dialExtension(a, pc, target)
	}
	if l.hasQueue(to) {
		return l.dialQueue(a, pc)
	}
	if strings.HasPrefix(to, "agent:") {
		return notFound("unknown_number", "없는 번호입니다")
	}
	route, ok := l.dir.TrunksFor(to)
	if !ok || !validNumber(route.Number) {
		return notFound("no_route", "이 번호로 발신할 수 있는 트렁크가 없습니다")
	}
	if err := l.dialPlanRefusal(route.Number); err != nil {
		return err
	}
	rest := route.Number
	callerID := firstRegisteredCallerID(l.cfg)
	if callerID == "" {
		return forbidden("invalid_caller_id", "등록 완료된 발신번호가 없습니다")
	}
	// like 걸기, but the agent's phone is already up: answer it, play ringback, call out
	c := l.newCall(kindOutbound, tickets.Outbound, callerID, rest)
	c.rec.CallerID, c.rec.Agent = callerID, a.login
	c.m = call.Call{State: call.Dialing}
	c.agent, a.call = a, c
	if err := l.apply(a, agent.Event{Kind: agent.Dial, Call: c.id}); err != nil {
		a.call = nil
		return busy("busy", "지금은 전화를 걸 수 없습니다")
	}
	l.saveCall(c)
	l.calls[c.id] = c
	c.agentLeg = pc.Leg
	l.bindLeg(pc.Leg, c, roleAgent)
	l.phone.Answer(pc.Leg)
	l.phone.Play(pc.Leg, telephony.AudioRingback, true)
	leg := l.e.newLeg()
	c.customer = leg
	l.bindLeg(leg, c, roleCustomer)
	l.phone.Place(leg, trunkTarget(route, callerID))
	l.armCallTimer(c, l.e.dialT, func() { l.dialFailed(c, telephony.CauseNoAnswer) })
	return nil
}

// dialExtension rings another agent: through an offer when that agent works this service's
// phone, or straight to the phone when it is not logged in to CTI.
func (l *loop) dialExtension(a *agentRT, pc telephony.PhoneCall, login string) error {
	if login == a.login {
		return busy("busy", "자기 자신에게 걸 수 없습니다")
	}
	if t := l.agents[login]; t != nil {
		if t.st.State != agent.Ready {
			return busy("busy", "상대 상담원이 통화 중입니다")
		}
		c := l.internalFrom(a, pc, pc.To)
		if err := l.offerDirect(c, t); err != nil {
			l.forgetInternal(c)
			return busy("busy", "상대 상담원이 통화 중입니다")
		}
		return nil
	}
	l.e.mu.RLock()
	_, elsewhere := l.e.sessions[login]
	l.e.mu.RUnlock()
	if elsewhere {
		return busy("busy", "상대 상담원이 다른 서비스에서 근무 중입니다")
	}
	cfg := l.dir.Agents[login]
	// a plain phone call: the callee is the far party, the caller handles it like an outbound call
	c := l.newCall(kindInternal, tickets.Internal, a.cfg.Extension, pc.To)
	c.rec.Agent = a.login
	c.m = call.Call{State: call.Dialing}
	c.agent, a.call = a, c
	l.must(a, agent.Event{Kind: agent.Dial, Call: c.id})
	l.saveCall(c)
	l.calls[c.id] = c
	c.agentLeg = pc.Leg
	l.bindLeg(pc.Leg, c, roleAgent)
	l.phone.Answer(pc.Leg)
	l.phone.Play(pc.Leg, telephony.AudioRingback, true)
	leg := l.e.newLeg()
	c.customer = leg
	l.bindLeg(leg, c, roleCustomer)
	l.phone.Place(leg, phoneTarget(cfg, a.cfg.Extension, a.cfg.Name))
	l.armCallTimer(c, l.e.dialT, func() { l.dialFailed(c, telephony.CauseNoAnswer) })
	return nil
}

// dialQueue puts the calling agent in a queue like a customer.
func (l *loop) dialQueue(a *agentRT, pc telephony.PhoneCall) error {
	c := l.internalFrom(a, pc, pc.To)
	c.queue, c.rec.Queue = pc.To, pc.To
	c.m = call.Call{State: call.Scenario}
	l.enterQueue(c)
	return nil
}

// internalFrom starts an internal call whose calling party is agent a's phone leg.
func (l *loop) internalFrom(a *agentRT, pc telephony.PhoneCall, to string) *callRT {
	c := l.newCall(kindInternal, tickets.Internal, a.cfg.Extension, to)
	c.caller, a.call = a, c
	c.customer = pc.Leg
	l.must(a, agent.Event{Kind: agent.Dial, Call: c.id})
	l.saveCall(c)
	l.calls[c.id] = c
	l.bindLeg(pc.Leg, c, roleCustomer)
	l.phone.Answer(pc.Leg)
	l.phone.Play(pc.Leg, telephony.AudioRingback, true)
	return c
}

func (l *loop) forgetInternal(c *callRT) {
	if a := c.caller; a != nil && a.call == c {
		l.release(a, agent.Event{Kind: agent.DialFailed})
	}
	l.hangupLeg(c.customer, telephony.CauseBusy)
	c.rec.HangupBy = "system"
	l.finish(c, telephony.CauseBusy)
}

// endInternalUnanswered ends an internal call to an agent who did not take it.
func (l *loop) endInternalUnanswered(c *callRT, reason string) {
	if a := c.caller; a != nil && a.call == c && a.st.State == agent.Dialing {
		l.release(a, agent.Event{Kind: agent.DialFailed})
		l.notice(a, "dial_failed", "상대방이 받지 않았습니다: "+reasonText(reason), "cause", reason)
	}
	l.hangupLeg(c.customer, telephony.CauseNoAnswer)
	c.m.State = call.Ended
	c.rec.HangupBy = "system"
	l.finish(c, telephony.CauseNoAnswer)
}

// callerGone handles the calling party of an internal call hanging up.
func (l *loop) callerGone(c *callRT) {
	caller := c.caller
	l.hangupLeg(c.customer, telephony.CauseNormal)
	c.customer = ""
	if caller != nil && caller.call == c {
		switch caller.st.State {
		case agent.Dialing:
			l.release(caller, agent.Event{Kind: agent.DialFailed})
		case agent.OnCall, agent.Held, agent.Consulting:
			l.must(caller, agent.Event{Kind: agent.CallEnded})
		}
	}
	l.customerGone(c)
}
