package engine

import (
	"context"
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
	// offerUntil is when the offer timer fires (the alert's countdown), while offered or ringing
	offerUntil time.Time
	// notice is what the widget must show on connecting (the agent was logged back in after
	// a restart) until the agent next changes state.
	notice *Notice
	// wrap is the call the agent is doing after-call work on, for the event log.
	wrap *wrapUp
}

// Notice is something the agent's widget must show.
type Notice struct {
	Kind    string    `json:"kind"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// Login is CTI 로그인: the agent starts working the service's phone and is 기본.
func (e *Engine) Login(login, service string) error {
	d := e.directory()
	a, ok := d.Agents[login]
	if !ok {
		return notFound("not_found", "상담원 {agent}이(가) 없습니다", "agent", login)
	}
	svc, ok := d.Services[service]
	if !ok {
		return notFound("not_found", "서비스 {service}이(가) 없습니다", "service", service)
	}
	if !svc.CTI {
		return forbidden("cti_disabled", "서비스 {service}는 전화 CTI 사용이 미사용입니다", "service", svc.Name)
	}
	if !hasService(a, service) {
		return forbidden("no_phone_permission", "서비스 {service}의 전화 권한이 없습니다", "service", svc.Name)
	}
	if code, msg := ctiIncomplete(a); code != "" {
		return invalid(code, msg, "missing", ctiMissing(a))
	}
	e.mu.Lock()
	if cur, busy := e.sessions[login]; busy {
		e.mu.Unlock()
		return invalidState("이미 CTI 로그인 상태입니다 (서비스 {service})", "service", cur)
	}
	l := e.loops[service]
	if l == nil || e.closed {
		e.mu.Unlock()
		return e.notHere(service)
	}
	e.sessions[login] = service
	e.mu.Unlock()
	err := l.do(func() error { return l.login(*a, nil) })
	if err != nil {
		e.mu.Lock()
		if e.sessions[login] == service {
			delete(e.sessions, login)
		}
		e.mu.Unlock()
	}
	return err
}

// login brings an agent into the loop at 기본 and keeps its CTI session, so that a restart
// brings it back. notice, when set, is shown by the widget until the next state change.
func (l *loop) login(cfg site.Agent, notice *Notice) error {
	rt := &agentRT{login: cfg.Login, cfg: cfg, st: agent.Agent{State: agent.LoggedOut, Since: l.now()}}
	reason := ""
	if notice != nil {
		reason = notice.Kind
	}
	if err := l.applyReason(rt, agent.Event{Kind: agent.Login}, reason); err != nil {
		return err
	}
	rt.notice = notice // after the change, which clears a notice
	l.agents[cfg.Login] = rt
	login, service, at := cfg.Login, l.service, l.now()
	l.store(func(ctx context.Context, tx store.Store) error { return tx.CTI().Open(ctx, login, service, at) })
	return nil
}

// ctiIncomplete says what is missing from an agent's CTI 상담원 정보: a code and a message.
func ctiIncomplete(a *site.Agent) (string, string) {
	switch a.Phone {
	case site.PhoneBrowser:
		return "", ""
	case site.PhoneSIP, "":
		if a.Extension == "" {
			return "cti_not_configured", "CTI 상담원 정보에 내선번호가 없습니다. 관리자에게 문의하세요"
		}
		if a.SIPHA1 == "" && a.SIPHA1SHA256 == "" {
			return "cti_not_configured", "CTI 상담원 정보에 SIP 비밀번호가 없습니다. 관리자에게 문의하세요"
		}
		return "", ""
	}
	return "cti_not_configured", "CTI 상담원 정보의 전화 종류가 올바르지 않습니다. 관리자에게 문의하세요"
}

// ctiMissing names what ctiIncomplete found missing (extension, sip_password, phone), for a
// console that words the refusal itself.
func ctiMissing(a *site.Agent) string {
	switch {
	case a.Phone != site.PhoneSIP && a.Phone != site.PhoneBrowser && a.Phone != "":
		return "phone"
	case a.Extension == "":
		return "extension"
	}
	return "sip_password"
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
			return notLoggedIn()
		}
		if err := l.apply(a, agent.Event{Kind: agent.Logout}); err != nil {
			return err
		}
		l.dropAgent(a, false)
		return nil
	})
}

// SetState is 기본/휴식/대기/업무.
func (e *Engine) SetState(login string, state agent.State, reason string) error {
	ev, err := stateEvent(state, reason)
	if err != nil {
		return err
	}
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		return l.apply(a, ev)
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
			return notLoggedIn()
		}
		return f(l, a)
	})
}

// apply moves an agent through its state machine; the change is recorded in the turn's
// writes and announced once they are stored.
func (l *loop) apply(a *agentRT, ev agent.Event) error { return l.applyReason(a, ev, "") }

// applyReason is apply with a reason recorded for a change that has none of its own (a
// restart).
func (l *loop) applyReason(a *agentRT, ev agent.Event, why string) error {
	return l.applyAs(a, ev, why, "")
}

// applyAs is applyReason for a change someone else made: by is the manager.
func (l *loop) applyAs(a *agentRT, ev agent.Event, why, by string) error {
	ev.At = l.now()
	next, err := agent.Apply(a.st, ev)
	if err != nil {
		return refusal(err)
	}
	prev := a.st
	changed := prev.State != next.State || prev.Reason != next.Reason
	a.st = next
	if !changed {
		return nil
	}
	a.notice = nil
	reason := string(next.Reason)
	if reason == "" {
		reason = why
	}
	rec := store.StateChange{Agent: a.login, Service: l.service, From: string(prev.State), To: string(next.State),
		Reason: reason, Call: next.Call, At: ev.At, By: by}
	if rec.Call == "" {
		rec.Call = prev.Call
	}
	l.store(func(ctx context.Context, tx store.Store) error { return tx.States().Record(ctx, rec) })
	data := map[string]string{"from": string(prev.State), "to": string(next.State), "reason": reason}
	if by != "" {
		data["by"] = by
	}
	l.publish(events.Event{Type: events.AgentState, At: ev.At, Service: l.service, Agent: a.login, Call: next.Call, Data: data})
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
		l.wrapped(a)
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
	if err := l.apply(a, ev); err != nil {
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
// kind is stable (the console words it from its catalogue with params); message is Korean.
func (l *loop) notice(a *agentRT, kind, message string, params ...string) {
	data := map[string]string{"kind": kind, "message": message}
	for i := 0; i+1 < len(params); i += 2 {
		data[params[i]] = params[i+1]
	}
	l.publish(events.Event{Type: events.AgentNotice, Service: l.service, Agent: a.login, Call: a.st.Call, Data: data})
}

func (l *loop) stopTimer(a *agentRT) {
	a.timerGen++
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

// forceLogout logs an agent out whatever it is doing (shutdown, permission removed). At a
// shutdown the CTI session is kept, so the agent comes back logged in.
func (l *loop) forceLogout(a *agentRT, why string, keepSession bool) {
	if a.call != nil && a.call.m.State != "" && !a.st.State.Idle() && a.st.State != agent.AfterCall {
		// never leave a live call without its agent: the call is ended first
		if c := a.call; c != nil {
			l.abort(c, telephony.CauseShutdown)
		}
	}
	l.wrapped(a)
	now := l.now()
	prev := a.st
	if prev.State != agent.LoggedOut {
		rec := store.StateChange{Agent: a.login, Service: l.service, From: string(prev.State), To: string(agent.LoggedOut),
			Reason: why, At: now}
		l.store(func(ctx context.Context, tx store.Store) error { return tx.States().Record(ctx, rec) })
		a.st = agent.Agent{State: agent.LoggedOut, Since: now}
		l.publish(events.Event{Type: events.AgentState, At: now, Service: l.service, Agent: a.login,
			Data: map[string]string{"from": string(prev.State), "to": string(agent.LoggedOut), "reason": why}})
	}
	l.dropAgent(a, keepSession)
}

// dropAgent takes a logged-out agent out of the loop; its CTI session ends unless kept.
func (l *loop) dropAgent(a *agentRT, keepSession bool) {
	l.stopTimer(a)
	l.acd.NotReady(a.login)
	delete(l.agents, a.login)
	if !keepSession {
		login := a.login
		l.store(func(ctx context.Context, tx store.Store) error { return tx.CTI().Close(ctx, login) })
	}
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
