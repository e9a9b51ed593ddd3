package engine

import (
	"errors"
	"fmt"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/queue"
)

// Error is a refused command. Code is stable and machine-readable (the API returns it); Message
// is safe to show to people.
type Error struct {
	Status  int    // HTTP status the API answers with
	Code    string // e.g. "invalid_state"
	Message string
	Err     error // the cause, for errors.Is and logs
}

func (e *Error) Error() string {
	if e.Err != nil && e.Err.Error() != e.Message {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// ErrInvalidState is matched by every refusal of a state machine.
var ErrInvalidState = errors.New("invalid state")

func invalidState(format string, args ...any) *Error {
	return &Error{Status: 409, Code: "invalid_state", Message: fmt.Sprintf(format, args...), Err: ErrInvalidState}
}

// refusal turns a state-machine refusal into an API error, keeping its text.
func refusal(err error) error {
	if errors.Is(err, agent.ErrNotAllowed) || errors.Is(err, call.ErrNotAllowed) || errors.Is(err, queue.ErrNotAllowed) {
		return &Error{Status: 409, Code: "invalid_state", Message: err.Error(), Err: errors.Join(ErrInvalidState, err)}
	}
	if errors.Is(err, agent.ErrBadReason) {
		return &Error{Status: 400, Code: "invalid_reason", Message: "업무 needs one of: training (교육), report (취합/보고), meeting (회의), ticket (티켓처리), chat (채팅처리), coaching (코칭(모니터링))", Err: err}
	}
	return err
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: 404, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

func forbidden(code, format string, args ...any) *Error {
	return &Error{Status: 403, Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalid(code, format string, args ...any) *Error {
	return &Error{Status: 422, Code: code, Message: fmt.Sprintf(format, args...)}
}

func unavailable(format string, args ...any) *Error {
	return &Error{Status: 503, Code: "unavailable", Message: fmt.Sprintf(format, args...)}
}
