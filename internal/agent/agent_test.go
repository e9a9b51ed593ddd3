package agent

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// allowed is SPEC §2 written as a table: state → event → next state. Everything absent is refused.
var allowed = map[State]map[Kind]State{
	LoggedOut: {Login: Default},
	Default: {Logout: LoggedOut, SetDefault: Default, SetBreak: Break, SetReady: Ready, SetWork: Work,
		Dial: Dialing},
	Break: {Logout: LoggedOut, SetDefault: Default, SetBreak: Break, SetReady: Ready, SetWork: Work,
		Dial: Dialing},
	Ready: {Logout: LoggedOut, SetDefault: Default, SetBreak: Break, SetReady: Ready, SetWork: Work,
		Dial: Dialing, Offer: Offered},
	Work: {Logout: LoggedOut, SetDefault: Default, SetBreak: Break, SetReady: Ready, SetWork: Work,
		Dial: Dialing},
	Offered:    {Accept: Ringing, Reject: Ready, NoAnswer: Break, CallerGone: Ready},
	Ringing:    {Reject: Ready, NoAnswer: Break, CallerGone: Ready, Answered: OnCall},
	Dialing:    {DialAnswered: OnCall, DialFailed: Work}, // back to where it was: Work in this table
	OnCall:     {Hold: Held, ConsultStart: Held, ForcedHangup: AfterCall, CallEnded: AfterCall},
	Held:       {Unhold: OnCall, ConsultStart: Held, ConsultUp: Consulting, ConsultEnd: Held, ForcedHangup: AfterCall, CallEnded: AfterCall},
	Consulting: {ConsultEnd: Held, ConsultDone: AfterCall, CallEnded: AfterCall},
	AfterCall:  {AfterCallReady: Ready, AfterCallWork: Work},
}

func TestEveryStateEveryEvent(t *testing.T) {
	for _, s := range States {
		for _, k := range Kinds {
			t.Run(fmt.Sprintf("%s/%s", s, k), func(t *testing.T) {
				in := Agent{State: s, Since: t0, Call: "", Before: Work, BeforeReason: ReasonMeeting}
				if s == Work {
					in.Reason = ReasonChat
				}
				if s != LoggedOut && !s.Idle() {
					in.Call = "call-1"
				}
				e := Event{Kind: k, Reason: ReasonTraining, Then: Break, Call: "call-2", At: t0.Add(time.Minute)}
				got, err := Apply(in, e)
				want, ok := allowed[s][k]
				if !ok {
					if !errors.Is(err, ErrNotAllowed) {
						t.Fatalf("got %s, %v; want refusal", got.State, err)
					}
					var r *Refusal
					if !errors.As(err, &r) || r.State != s || r.Kind != k {
						t.Fatalf("refusal does not name state and event: %v", err)
					}
					if got != in {
						t.Fatalf("refusal changed the agent: %+v, want %+v", got, in)
					}
					return
				}
				if err != nil {
					t.Fatalf("got %v, want %s", err, want)
				}
				if got.State != want {
					t.Fatalf("got %s, want %s", got.State, want)
				}
				changed := got.State != in.State || got.Reason != in.Reason
				if changed && !got.Since.Equal(e.At) {
					t.Fatalf("since: got %v, want %v", got.Since, e.At)
				}
				if !changed && !got.Since.Equal(in.Since) {
					t.Fatalf("since moved without a change: %v", got.Since)
				}
				switch {
				case want == Work && k == SetWork && got.Reason != ReasonTraining,
					want == Work && k == AfterCallWork && got.Reason != ReasonTicket,
					want == Work && k == DialFailed && got.Reason != ReasonMeeting,
					want != Work && got.Reason != "":
					t.Fatalf("reason: got %q", got.Reason)
				}
				switch k {
				case Offer, Dial:
					if got.Call != "call-2" {
						t.Fatalf("call: got %q, want call-2", got.Call)
					}
				case Reject, NoAnswer, CallerGone, DialFailed, AfterCallReady, AfterCallWork:
					if got.Call != "" {
						t.Fatalf("call kept after %s: %q", k, got.Call)
					}
				}
			})
		}
	}
}

func TestDialFailureReturnsToStateBefore(t *testing.T) {
	for _, from := range []State{Default, Break, Ready, Work} {
		a := Agent{State: from}
		if from == Work {
			a.Reason = ReasonCoaching
		}
		d, err := Apply(a, Event{Kind: Dial, Call: "c"})
		if err != nil {
			t.Fatal(err)
		}
		back, err := Apply(d, Event{Kind: DialFailed})
		if err != nil {
			t.Fatal(err)
		}
		if back.State != from || back.Reason != a.Reason {
			t.Fatalf("from %s: got %s/%s", from, back.State, back.Reason)
		}
	}
}

func TestNoAnswerGoesWhereTheServiceSays(t *testing.T) {
	a := Agent{State: Ringing, Call: "c"}
	got, err := Apply(a, Event{Kind: NoAnswer, Then: Ready})
	if err != nil || got.State != Ready {
		t.Fatalf("got %s %v, want ready", got.State, err)
	}
	if _, err := Apply(a, Event{Kind: NoAnswer, Then: Work}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("no_answer to work: got %v, want refusal", err)
	}
}

func TestWorkNeedsOneOfSixReasons(t *testing.T) {
	a := Agent{State: Ready}
	if _, err := Apply(a, Event{Kind: SetWork, Reason: "lunch"}); !errors.Is(err, ErrBadReason) {
		t.Fatalf("got %v, want ErrBadReason", err)
	}
	if _, err := Apply(a, Event{Kind: SetWork}); !errors.Is(err, ErrBadReason) {
		t.Fatalf("empty reason: got %v, want ErrBadReason", err)
	}
	for _, label := range []string{"교육", "취합/보고", "회의", "티켓처리", "채팅처리", "코칭(모니터링)"} {
		r, ok := ParseReason(label)
		if !ok {
			t.Fatalf("%s not parsed", label)
		}
		if r.Label("ko") != label {
			t.Fatalf("label round trip: %s -> %s -> %s", label, r, r.Label("ko"))
		}
	}
}

func TestLabels(t *testing.T) {
	want := map[State]string{LoggedOut: "CTI 로그아웃", Default: "기본", Break: "휴식", Ready: "대기", Work: "업무",
		Offered: "전화 인입", Ringing: "연결 중", Dialing: "발신 중", OnCall: "통화 중", Consulting: "통화중(호전환)",
		Held: "보류중", AfterCall: "통화 종료"}
	for s, l := range want {
		if s.Label("ko") != l {
			t.Errorf("%s: got %q, want %q", s, s.Label("ko"), l)
		}
		if s.Label("en") == l {
			t.Errorf("%s: English label is the Korean one", s)
		}
	}
}
