package fault

import (
	"errors"
	"strings"
)

// Kind is the class of a failure: what an adapter needs to choose its protocol's answer.
type Kind string

const (
	// Invalid: the request is malformed or names something impossible (a bad number, an
	// unknown reason). Repeating it will not help.
	Invalid Kind = "invalid"
	// NotFound: what it names does not exist.
	NotFound Kind = "not_found"
	// Forbidden: it exists, but the caller may not do this (no permission, not configured for
	// it, a number the dial plan refuses).
	Forbidden Kind = "forbidden"
	// Refused: the request is well formed, but a rule the site set refuses it (a number the
	// service's dial plan does not allow).
	Refused Kind = "refused"
	// State: the state machine refuses it in the current state (SPEC §2); nothing changed.
	State Kind = "state"
	// Busy: the party asked for is occupied.
	Busy Kind = "busy"
	// Offline: the party or service exists but cannot take it now (not logged in, no queue,
	// phone service switched off).
	Offline Kind = "offline"
	// Unavailable: Ringdesk cannot do it now (stopping, the store failed); it may work later.
	Unavailable Kind = "unavailable"
	// Moved: another node of the cluster serves it; Params name that node ("node") and
	// where it takes SIP ("sip") and HTTP ("http"). The adapters send the request on there (a
	// SIP redirect, an HTTP request forwarded) or tell the client where to go.
	Moved Kind = "moved"
)

// Kinds lists every kind, for the adapters' exhaustive table tests.
var Kinds = []Kind{Invalid, NotFound, Forbidden, Refused, State, Busy, Offline, Unavailable, Moved}

// Error is a failure with its kind, code, readable message and the cause.
type Error struct {
	Kind Kind
	// Code is stable and machine-readable, e.g. "invalid_state", "cti_disabled".
	Code string
	// Message is safe to show to a person, in Korean.
	Message string
	// Params are the values the message names (agent, number, state…), for a catalogue that
	// words the message in another language.
	Params map[string]string
	// Err is the cause, for errors.Is and for logs; never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Err.Error() != e.Message {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, fault.State) and friends work through wrapping: a Kind compares
// equal to every Error of that kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(kindErr)
	return ok && Kind(k) == e.Kind
}

type kindErr Kind

func (k kindErr) Error() string { return string(k) }

// ErrKind returns a sentinel matching every Error of kind k with errors.Is.
func ErrKind(k Kind) error { return kindErr(k) }

// New builds an error. params alternate names and values, and the message names them in
// braces: New(State, "target_busy", "상담원 {agent}은(는) 대기 상태가 아닙니다", "agent", "kim").
// A catalogue in another language words the same code with the same placeholders.
func New(k Kind, code, message string, params ...string) *Error {
	e := &Error{Kind: k, Code: code, Message: message}
	if len(params) > 1 {
		e.Params = make(map[string]string, len(params)/2)
		pairs := make([]string, 0, len(params))
		for i := 0; i+1 < len(params); i += 2 {
			e.Params[params[i]] = params[i+1]
			pairs = append(pairs, "{"+params[i]+"}", params[i+1])
		}
		e.Message = strings.NewReplacer(pairs...).Replace(message)
	}
	return e
}

// Wrap is New with a cause.
func Wrap(err error, k Kind, code, format string, params ...string) *Error {
	e := New(k, code, format, params...)
	e.Err = err
	return e
}

// As returns the Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// KindOf returns the kind of err, or "" when err is nil or not a fault.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return ""
}
