package engine

import (
	"context"

	"ringdesk/internal/agent"
	"ringdesk/internal/events"
	"ringdesk/internal/store"
)

// A manager of a service may put an agent of that service on 휴식, 업무, 기본 or 대기, or log it
// out of CTI (SPEC §9, "Supervisor"). The same state machine decides what is allowed: an
// agent on a call is not moved off it. The change is recorded with who made it, and the
// agent's widget is told.

// Supervise sets an agent's state on a manager's word; by is the manager's login, byName how
// the agent knows the manager.
func (e *Engine) Supervise(login string, state agent.State, reason, by, byName string) error {
	ev, err := stateEvent(state, reason)
	if err != nil {
		return err
	}
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		if err := l.applyAs(a, ev, "", by); err != nil {
			return err
		}
		l.forced(a, string(a.st.State), by, byName)
		return nil
	})
}

// SuperviseLogout logs an agent out of CTI on a manager's word.
func (e *Engine) SuperviseLogout(login, by, byName string) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		if !a.st.State.Idle() {
			return invalidState("통화 중인 상담원은 로그아웃시킬 수 없습니다 ({state})", "state", a.st.State.Label("ko"))
		}
		now, prev := l.now(), a.st
		rec := store.StateChange{Agent: a.login, Service: l.service, From: string(prev.State), To: string(agent.LoggedOut),
			Reason: "supervisor", At: now, By: by}
		l.store(func(ctx context.Context, tx store.Store) error { return tx.States().Record(ctx, rec) })
		a.st = agent.Agent{State: agent.LoggedOut, Since: now}
		l.publish(events.Event{Type: events.AgentState, At: now, Service: l.service, Agent: a.login,
			Data: map[string]string{"from": string(prev.State), "to": string(agent.LoggedOut), "reason": "supervisor", "by": by}})
		l.forced(a, string(agent.LoggedOut), by, byName)
		l.wrapped(a)
		l.dropAgent(a, false)
		return nil
	})
}

// forced tells the agent (and the service's managers) who changed its state.
func (l *loop) forced(a *agentRT, to, by, byName string) {
	l.publish(events.Event{Type: events.AgentForced, Service: l.service, Agent: a.login,
		Data: map[string]string{"by": by, "by_name": byName, "to": to, "reason": string(a.st.Reason)}})
	label := agent.State(to).Label("ko")
	if a.st.State == agent.Work && to == string(agent.Work) {
		label += "(" + a.st.Reason.Label("ko") + ")"
	}
	l.notice(a, "forced", "관리자 "+byName+"님이 상태를 "+label+"(으)로 바꿨습니다", "by", by, "by_name", byName, "to", to)
}

// stateEvent is the state machine's event for 기본/휴식/대기/업무 with a reason.
func stateEvent(state agent.State, reason string) (agent.Event, error) {
	ev := agent.Event{}
	switch state {
	case agent.Default:
		ev.Kind = agent.SetDefault
	case agent.Break:
		ev.Kind = agent.SetBreak
	case agent.Ready:
		ev.Kind = agent.SetReady
	case agent.Work:
		ev.Kind = agent.SetWork
		r, ok := agent.ParseReason(reason)
		if !ok {
			return ev, refusal(agent.ErrBadReason)
		}
		ev.Reason = r
	default:
		return ev, invalid("invalid_state_name", "상태는 기본, 휴식, 대기, 업무 중 하나여야 합니다")
	}
	if state != agent.Work && reason != "" {
		return ev, invalid("invalid_reason", "사유는 업무 상태에만 줄 수 있습니다")
	}
	return ev, nil
}
