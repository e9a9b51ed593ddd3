package engine

import (
	"errors"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/fault"
	"ringdesk/internal/queue"
	"ringdesk/internal/store"
)

// The engine's refusals are fault.Errors: a kind for the adapters' status tables, a code for
// programs and the console's catalogue, a Korean message and its parameters. No HTTP or SIP
// number is decided here.

// ErrInvalidState is matched by every refusal of a state machine.
var ErrInvalidState = fault.ErrKind(fault.State)

func invalidState(msg string, params ...string) *fault.Error {
	return fault.New(fault.State, "invalid_state", msg, params...)
}

func notLoggedIn() *fault.Error {
	return fault.New(fault.State, "invalid_state", "CTI 로그인이 필요합니다")
}

func stopping() *fault.Error {
	return fault.New(fault.Unavailable, "unavailable", "서비스가 중지되는 중입니다. 잠시 후 다시 시도하세요")
}

// refusal turns a state machine's refusal into the engine's error.
func refusal(err error) error {
	var r *agent.Refusal
	if errors.As(err, &r) {
		return fault.Wrap(err, fault.State, "invalid_state", "지금 상태({state})에서는 할 수 없습니다",
			"state", r.State.Label("ko"), "action", string(r.Kind))
	}
	if errors.Is(err, agent.ErrNotAllowed) || errors.Is(err, call.ErrNotAllowed) || errors.Is(err, queue.ErrNotAllowed) {
		return fault.Wrap(err, fault.State, "invalid_state", "지금 상태에서는 할 수 없습니다")
	}
	if errors.Is(err, agent.ErrBadReason) {
		return fault.Wrap(err, fault.Invalid, "invalid_reason",
			"업무 사유는 교육, 취합/보고, 회의, 티켓처리, 채팅처리, 코칭(모니터링) 중 하나여야 합니다")
	}
	return err
}

func notFound(code, msg string, params ...string) *fault.Error {
	return fault.New(fault.NotFound, code, msg, params...)
}

func forbidden(code, msg string, params ...string) *fault.Error {
	return fault.New(fault.Forbidden, code, msg, params...)
}

func invalid(code, msg string, params ...string) *fault.Error {
	return fault.New(fault.Invalid, code, msg, params...)
}

func unavailable(code, msg string, params ...string) *fault.Error {
	return fault.New(fault.Unavailable, code, msg, params...)
}

func busy(code, msg string, params ...string) *fault.Error {
	return fault.New(fault.Busy, code, msg, params...)
}

func offline(code, msg string, params ...string) *fault.Error {
	return fault.New(fault.Offline, code, msg, params...)
}

// moved: another node of the cluster serves the service; the adapters send the request there.
func moved(service string, n store.Node) *fault.Error {
	return fault.New(fault.Moved, "other_node", "다른 서버({node})가 맡고 있는 서비스입니다",
		"service", service, "node", n.Name, "sip", n.SIP, "http", n.HTTP)
}
