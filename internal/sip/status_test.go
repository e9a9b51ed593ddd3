package sip

import (
	"errors"
	"fmt"
	"testing"

	"ringdesk/internal/fault"
	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

func TestCauseOfResponse(t *testing.T) {
	for _, c := range []struct {
		code         int
		before, rang telephony.Cause
	}{
		{486, telephony.CauseBusy, telephony.CauseBusy},
		{600, telephony.CauseBusy, telephony.CauseBusy},
		{603, telephony.CauseDeclined, telephony.CauseDeclined},
		{404, telephony.CauseNotFound, telephony.CauseNotFound},
		{484, telephony.CauseNotFound, telephony.CauseNotFound},
		{604, telephony.CauseNotFound, telephony.CauseNotFound},
		{480, telephony.CauseUnavailable, telephony.CauseNoAnswer},
		{408, telephony.CauseUnavailable, telephony.CauseNoAnswer},
		{503, telephony.CauseUnavailable, telephony.CauseUnavailable},
		{502, telephony.CauseUnavailable, telephony.CauseUnavailable},
		{500, telephony.CauseUnavailable, telephony.CauseUnavailable},
		{504, telephony.CauseUnavailable, telephony.CauseUnavailable},
		{410, telephony.CauseUnavailable, telephony.CauseUnavailable},
		{487, telephony.CauseCancelled, telephony.CauseCancelled},
		{403, telephony.CauseRejected, telephony.CauseRejected},
		{401, telephony.CauseRejected, telephony.CauseRejected},
		{407, telephony.CauseRejected, telephony.CauseRejected},
		{488, telephony.CauseRejected, telephony.CauseRejected},
		{420, telephony.CauseRejected, telephony.CauseRejected},
		{699, telephony.CauseRejected, telephony.CauseRejected},
	} {
		if got := causeOf(c.code, false); got != c.before {
			t.Errorf("%d before ringing: %s, want %s", c.code, got, c.before)
		}
		if got := causeOf(c.code, true); got != c.rang {
			t.Errorf("%d after ringing: %s, want %s", c.code, got, c.rang)
		}
	}
}

// TestRefusalOfCause covers every cause the port defines: an inbound leg the engine ends
// before answering gets this final response.
func TestRefusalOfCause(t *testing.T) {
	want := map[telephony.Cause]int{
		telephony.CauseNormal:       487,
		telephony.CauseCancelled:    487,
		telephony.CauseBusy:         486,
		telephony.CauseDeclined:     603,
		telephony.CauseNoAnswer:     480,
		telephony.CauseUnavailable:  480,
		telephony.CauseNotFound:     404,
		telephony.CauseRejected:     403,
		telephony.CauseForced:       603,
		telephony.CauseTransferred:  487,
		telephony.CauseShutdown:     503,
		telephony.CauseMediaTimeout: 408,
		telephony.Cause("new"):      487,
	}
	for cause, code := range want {
		if got := refusal(cause); got != code {
			t.Errorf("%s: %d, want %d", cause, got, code)
		}
		if reasonPhrase(code) == "" {
			t.Errorf("%d has no reason phrase", code)
		}
	}
}

func TestStatusOfError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{fault.New(fault.NotFound, "unknown_number", "없는 번호입니다"), 404},
		{fmt.Errorf("engine: %w", fault.New(fault.Busy, "busy", "통화 중")), 486},
		{fault.New(fault.Unavailable, "unavailable", "중지 중"), 503},
		{fmt.Errorf("wrapped: %w", statusErr(415)), 415},
		{fmt.Errorf("offer: %w", media.ErrNoCodec), 488},
		{fmt.Errorf("offer: %w", media.ErrBadSDP), 400},
		{fmt.Errorf("session: %w", media.ErrNoPorts), 503},
		{errors.New("anything else"), 500},
	} {
		if got := Status(c.err); got != c.want {
			t.Errorf("Status(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// statusErr is an error that classifies itself.
type statusErr int

func (e statusErr) Error() string  { return fmt.Sprint(int(e)) }
func (e statusErr) SIPStatus() int { return int(e) }

// Every kind of refusal has its SIP answer, and a stopping service is 503, never 500.
func TestEveryFaultKindHasASIPStatus(t *testing.T) {
	want := map[fault.Kind]int{fault.Invalid: 484, fault.NotFound: 404, fault.Forbidden: 403, fault.Refused: 403, fault.State: 486,
		fault.Busy: 486, fault.Offline: 480, fault.Unavailable: 503, fault.Moved: 302}
	for _, k := range fault.Kinds {
		got := Status(fault.New(k, "x", "x"))
		if got != want[k] {
			t.Errorf("%s: SIP %d, want %d", k, got, want[k])
		}
	}
}
