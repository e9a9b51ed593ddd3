package engine

import (
	"ringdesk/internal/call"
	"ringdesk/internal/events"
	"ringdesk/internal/telephony"
)

// A manager of a service may join one of its live customer calls from the manager's own
// phone (desk or browser, rung as an agent's phone is): listening hears both parties and is
// heard by none; whispering is heard by the agent only (coaching); barging in makes a
// three-way call. The mode may change during the call; the manager leaves by hanging up or
// being told to. Only managers are told who listens (call.monitor events carry no agent).

// MonitorMode is how a supervisor takes part in a call.
type MonitorMode string

const (
	MonitorListen  MonitorMode = "listen"
	MonitorWhisper MonitorMode = "whisper"
	MonitorBarge   MonitorMode = "barge"
)

func validMode(m MonitorMode) error {
	switch m {
	case MonitorListen, MonitorWhisper, MonitorBarge:
		return nil
	}
	return invalid("invalid_mode", "모니터링 방식은 listen(청취), whisper(코칭), barge(3자 통화) 중 하나여야 합니다")
}

// monitorRT is a supervisor on a call.
type monitorRT struct {
	by   string // the manager's login
	name string
	leg  telephony.LegID
	mode MonitorMode
	up   bool // the manager's phone answered
}

// MonitorView is a supervisor on a call, as the live view shows it.
type MonitorView struct {
	Call  string      `json:"call"`
	By    string      `json:"by"`
	Name  string      `json:"name"`
	Mode  MonitorMode `json:"mode"`
	State string      `json:"state"` // ringing | joined
	Agent string      `json:"agent,omitempty"`
}

func (c *callRT) monitorView() MonitorView {
	m := c.monitor
	v := MonitorView{Call: c.id, By: m.by, Name: m.name, Mode: m.mode, State: "ringing"}
	if m.up {
		v.State = "joined"
	}
	if c.agent != nil {
		v.Agent = c.agent.login
	}
	return v
}

// Monitor rings manager by's phone into a call of service, joining it in mode once answered.
func (e *Engine) Monitor(service, callID, by string, mode MonitorMode) (MonitorView, error) {
	var out MonitorView
	if err := validMode(mode); err != nil {
		return out, err
	}
	err := e.withCall(service, callID, func(l *loop, c *callRT) error {
		switch c.m.State {
		case call.Talking, call.Held, call.ConsultDialing, call.Consulting, call.Transferred:
		default:
			return invalidState("연결된 통화에만 모니터링으로 참여할 수 있습니다")
		}
		if m := c.monitor; m != nil {
			return busy("monitor_busy", "{name}님이 이미 이 통화를 모니터링하고 있습니다", "name", m.name)
		}
		cfg := l.dir.Agents[by]
		if cfg == nil {
			return notFound("not_found", "상담원 {agent}이(가) 없습니다", "agent", by)
		}
		if c.agent != nil && c.agent.login == by {
			return invalid("monitor_self", "자신의 통화는 모니터링할 수 없습니다")
		}
		if code, _ := ctiIncomplete(cfg); code != "" {
			return invalid("no_phone", "모니터링에 쓸 전화기 정보(내선번호와 SIP 비밀번호, 또는 브라우저 전화)가 없습니다. 관리자에게 문의하세요")
		}
		m := &monitorRT{by: by, name: l.agentName(by), leg: l.e.newLeg(), mode: mode}
		c.monitor = m
		l.bindLeg(m.leg, c, roleMonitor)
		who := "모니터링"
		if c.agent != nil {
			who += " " + c.agent.cfg.Name
		}
		l.phone.Place(m.leg, phoneTarget(cfg, c.rec.From, who))
		out = c.monitorView()
		l.monitorEvent(c, "ringing")
		return nil
	})
	return out, err
}

// SwitchMonitor changes how the supervisor takes part.
func (e *Engine) SwitchMonitor(service, callID, by string, mode MonitorMode) (MonitorView, error) {
	var out MonitorView
	if err := validMode(mode); err != nil {
		return out, err
	}
	err := e.withCall(service, callID, func(l *loop, c *callRT) error {
		m := c.monitor
		if m == nil || m.by != by {
			return invalidState("이 통화를 모니터링하고 있지 않습니다")
		}
		m.mode = mode
		if m.up {
			l.arrangeMonitor(c)
		}
		out = c.monitorView()
		l.monitorEvent(c, "mode")
		return nil
	})
	return out, err
}

// StopMonitor takes the supervisor out of the call.
func (e *Engine) StopMonitor(service, callID, by string) error {
	return e.withCall(service, callID, func(l *loop, c *callRT) error {
		m := c.monitor
		if m == nil || m.by != by {
			return invalidState("이 통화를 모니터링하고 있지 않습니다")
		}
		l.hangupLeg(m.leg, telephony.CauseNormal)
		l.monitorGone(c, "left")
		return nil
	})
}

// withCall runs f in the loop of service with one of its live calls.
func (e *Engine) withCall(service, callID string, f func(l *loop, c *callRT) error) error {
	l, ok := e.loopFor(service)
	if !ok && e.served(service) {
		return e.notHere(service)
	}
	if !ok {
		return notFound("not_found", "서비스 {service}이(가) 없습니다", "service", service)
	}
	return l.do(func() error {
		c := l.calls[callID]
		if c == nil || !c.customerCall() {
			return notFound("call_not_found", "진행 중인 통화가 없습니다")
		}
		return f(l, c)
	})
}

// arrangeMonitor puts the supervisor's phone where its mode says: in the conversation while
// the customer talks, else hearing both sides.
func (l *loop) arrangeMonitor(c *callRT) {
	if c.talking() {
		l.talk(c)
		return
	}
	l.phone.Mix(c.monitor.leg, []telephony.LegID{c.customer, c.far()})
}

// monitorGone: the supervisor's leg ended (or never answered); the parties talk as before.
func (l *loop) monitorGone(c *callRT, state string) {
	m := c.monitor
	if m == nil {
		return
	}
	l.unbindLeg(m.leg)
	up := m.up
	l.monitorEvent(c, state)
	c.monitor = nil
	if up && c.talking() {
		l.talk(c)
	}
}

func (l *loop) monitorLegEvent(c *callRT, ev telephony.Event) {
	m := c.monitor
	if m == nil || m.leg != ev.Leg {
		if ev.Kind == telephony.Answered {
			l.hangupLeg(ev.Leg, telephony.CauseCancelled)
		}
		return
	}
	switch ev.Kind {
	case telephony.Answered:
		m.up = true
		l.arrangeMonitor(c)
		l.monitorEvent(c, "joined")
	case telephony.Failed:
		l.monitorGone(c, "failed")
	case telephony.HungUp:
		l.monitorGone(c, "left")
	}
}

// monitorEvent tells the service's managers (never the parties).
func (l *loop) monitorEvent(c *callRT, state string) {
	m := c.monitor
	data := map[string]string{"by": m.by, "by_name": m.name, "mode": string(m.mode), "state": state}
	if c.agent != nil {
		data["agent"] = c.agent.login
	}
	l.publish(events.Event{Type: events.CallMonitor, Service: l.service, Call: c.id, Data: data})
}
