package agent

import (
	"errors"
	"fmt"
	"time"
)

// State is an agent's CTI state.
type State string

const (
	LoggedOut  State = "logged_out" // CTI 로그아웃
	Default    State = "default"    // 기본
	Break      State = "break"      // 휴식
	Ready      State = "ready"      // 대기: the only state that gets inbound calls
	Work       State = "work"       // 업무 (+reason)
	Offered    State = "offered"    // 전화 인입: holds one offered call
	Ringing    State = "ringing"    // 연결 중: the agent's phone rings
	Dialing    State = "dialing"    // 발신 중
	OnCall     State = "on_call"    // 통화 중
	Consulting State = "consulting" // 통화중(호전환)
	Held       State = "held"       // 보류중
	AfterCall  State = "after_call" // 통화 종료: the end-of-call notice is shown
)

// States lists every state, in the order of SPEC §2.
var States = []State{LoggedOut, Default, Break, Ready, Work, Offered, Ringing, Dialing, OnCall, Consulting, Held, AfterCall}

// Label returns the state's label in Korean (the default UI language) or English.
func (s State) Label(lang string) string {
	l, ok := labels[s]
	if !ok {
		return string(s)
	}
	if lang == "en" {
		return l[1]
	}
	return l[0]
}

var labels = map[State][2]string{
	LoggedOut:  {"CTI 로그아웃", "Logged out"},
	Default:    {"기본", "Default"},
	Break:      {"휴식", "Break"},
	Ready:      {"대기", "Ready"},
	Work:       {"업무", "Work"},
	Offered:    {"전화 인입", "Incoming"},
	Ringing:    {"연결 중", "Connecting"},
	Dialing:    {"발신 중", "Dialing"},
	OnCall:     {"통화 중", "On call"},
	Consulting: {"통화중(호전환)", "On call (transfer)"},
	Held:       {"보류중", "On hold"},
	AfterCall:  {"통화 종료", "Call ended"},
}

// Idle reports whether the agent is logged in and not involved in a call: the states from
// which 휴식/대기/업무/기본, 걸기 and CTI 로그아웃 are allowed.
func (s State) Idle() bool {
	return s == Default || s == Break || s == Ready || s == Work
}

// Reason is why an agent is in 업무.
type Reason string

const (
	ReasonTraining Reason = "training" // 교육
	ReasonReport   Reason = "report"   // 취합/보고
	ReasonMeeting  Reason = "meeting"  // 회의
	ReasonTicket   Reason = "ticket"   // 티켓처리
	ReasonChat     Reason = "chat"     // 채팅처리
	ReasonCoaching Reason = "coaching" // 코칭(모니터링)
)

// Reasons lists the six work reasons in the guide's order.
var Reasons = []Reason{ReasonTraining, ReasonReport, ReasonMeeting, ReasonTicket, ReasonChat, ReasonCoaching}

var reasonLabels = map[Reason][2]string{
	ReasonTraining: {"교육", "Training"},
	ReasonReport:   {"취합/보고", "Collection/report"},
	ReasonMeeting:  {"회의", "Meeting"},
	ReasonTicket:   {"티켓처리", "Ticket processing"},
	ReasonChat:     {"채팅처리", "Chat processing"},
	ReasonCoaching: {"코칭(모니터링)", "Coaching/monitoring"},
}

// Label returns the reason's label in Korean or English.
func (r Reason) Label(lang string) string {
	l, ok := reasonLabels[r]
	if !ok {
		return string(r)
	}
	if lang == "en" {
		return l[1]
	}
	return l[0]
}

// ParseReason accepts a reason code or its Korean or English label.
func ParseReason(s string) (Reason, bool) {
	for _, r := range Reasons {
		l := reasonLabels[r]
		if s == string(r) || s == l[0] || s == l[1] {
			return r, true
		}
	}
	return "", false
}

// Kind names an event.
type Kind string

const (
	Login          Kind = "login"            // CTI 로그인
	Logout         Kind = "logout"           // CTI 로그아웃
	SetDefault     Kind = "set_default"      // 기본
	SetBreak       Kind = "set_break"        // 휴식
	SetReady       Kind = "set_ready"        // 대기
	SetWork        Kind = "set_work"         // 업무 (needs a reason)
	Dial           Kind = "dial"             // 걸기
	DialAnswered   Kind = "dial_answered"    // the dialled customer answered
	DialFailed     Kind = "dial_failed"      // the dial failed or was cancelled
	Offer          Kind = "offer"            // a call is assigned to the agent
	Accept         Kind = "accept"           // 확인 on the alert: ring the phone
	Reject         Kind = "reject"           // 취소 on the alert, or the phone declined
	NoAnswer       Kind = "no_answer"        // the recall time passed unanswered (or the phone is unreachable)
	CallerGone     Kind = "caller_gone"      // the caller hung up, or the offer was withdrawn, before the agent answered
	Answered       Kind = "answered"         // the agent's phone answered the offered call
	Hold           Kind = "hold"             // 보류
	Unhold         Kind = "unhold"           // 해제
	ConsultStart   Kind = "consult_start"    // 협의통화 placed: the customer is held
	ConsultUp      Kind = "consult_up"       // the consult target answered
	ConsultEnd     Kind = "consult_end"      // 취소, or the target hung up or did not answer
	ConsultDone    Kind = "consult_done"     // 고객연결: the customer joined the target
	ForcedHangup   Kind = "forced_hangup"    // 강성종료 confirmed
	CallEnded      Kind = "call_ended"       // either side hung up
	AfterCallReady Kind = "after_call_ready" // 확인 on the end-of-call notice
	AfterCallWork  Kind = "after_call_work"  // 취소 on the end-of-call notice
)

// Kinds lists every event kind.
var Kinds = []Kind{Login, Logout, SetDefault, SetBreak, SetReady, SetWork, Dial, DialAnswered, DialFailed,
	Offer, Accept, Reject, NoAnswer, CallerGone, Answered, Hold, Unhold, ConsultStart, ConsultUp, ConsultEnd,
	ConsultDone, ForcedHangup, CallEnded, AfterCallReady, AfterCallWork}

// Event is one input to the machine.
type Event struct {
	Kind   Kind
	Reason Reason // SetWork
	// Then is the state NoAnswer moves to: Break or Ready (the service's no_answer setting).
	Then State
	Call string // the call the event concerns, for Offer and Dial
	At   time.Time
}

// Agent is the live CTI state of one agent.
type Agent struct {
	State  State
	Reason Reason // set only in Work
	Call   string // the call the agent holds, from Offer/Dial until the call is over
	Since  time.Time
	// Before is where a failed dial returns to.
	Before       State
	BeforeReason Reason
}

// ErrNotAllowed is returned for a transition the state machine refuses; nothing changes.
var ErrNotAllowed = errors.New("not allowed in this state")

// ErrBadReason is returned when 업무 is asked for without one of the six reasons.
var ErrBadReason = errors.New("unknown work reason")

// Refusal says which event was refused in which state.
type Refusal struct {
	State State
	Kind  Kind
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%s is not allowed while %s", r.Kind, r.State)
}

func (r *Refusal) Unwrap() error { return ErrNotAllowed }

// Apply returns the agent after e, or an error and the agent unchanged.
func Apply(a Agent, e Event) (Agent, error) {
	refuse := func() (Agent, error) { return a, &Refusal{State: a.State, Kind: e.Kind} }
	to := func(s State, r Reason) (Agent, error) {
		n := a
		if s != n.State || r != n.Reason {
			n.Since = e.At
		}
		n.State, n.Reason = s, r
		return n, nil
	}
	switch e.Kind {
	case Login:
		if a.State != LoggedOut {
			return refuse()
		}
		return to(Default, "")
	case Logout:
		if !a.State.Idle() {
			return refuse()
		}
		return to(LoggedOut, "")
	case SetDefault, SetBreak, SetReady:
		if !a.State.Idle() {
			return refuse()
		}
		return to(map[Kind]State{SetDefault: Default, SetBreak: Break, SetReady: Ready}[e.Kind], "")
	case SetWork:
		if !a.State.Idle() {
			return refuse()
		}
		if _, ok := reasonLabels[e.Reason]; !ok {
			return a, fmt.Errorf("%w: %q", ErrBadReason, e.Reason)
		}
		return to(Work, e.Reason)
	case Dial:
		if !a.State.Idle() {
			return refuse()
		}
		n, _ := to(Dialing, "")
		n.Before, n.BeforeReason, n.Call = a.State, a.Reason, e.Call
		return n, nil
	case DialAnswered:
		if a.State != Dialing {
			return refuse()
		}
		return to(OnCall, "")
	case DialFailed:
		if a.State != Dialing {
			return refuse()
		}
		n, _ := to(a.Before, a.BeforeReason)
		n.Call, n.Before, n.BeforeReason = "", "", ""
		return n, nil
	case Offer:
		if a.State != Ready {
			return refuse()
		}
		n, _ := to(Offered, "")
		n.Call = e.Call
		return n, nil
	case Accept:
		if a.State != Offered {
			return refuse()
		}
		return to(Ringing, "")
	case Reject, CallerGone:
		if a.State != Offered && a.State != Ringing {
			return refuse()
		}
		n, _ := to(Ready, "")
		n.Call = ""
		return n, nil
	case NoAnswer:
		if a.State != Offered && a.State != Ringing {
			return refuse()
		}
		if e.Then != Break && e.Then != Ready {
			return refuse()
		}
		n, _ := to(e.Then, "")
		n.Call = ""
		return n, nil
	case Answered:
		if a.State != Ringing {
			return refuse()
		}
		return to(OnCall, "")
	case Hold:
		if a.State != OnCall {
			return refuse()
		}
		return to(Held, "")
	case Unhold:
		if a.State != Held {
			return refuse()
		}
		return to(OnCall, "")
	case ConsultStart:
		if a.State != OnCall && a.State != Held {
			return refuse()
		}
		return to(Held, "")
	case ConsultUp:
		if a.State != Held {
			return refuse()
		}
		return to(Consulting, "")
	case ConsultEnd:
		if a.State != Consulting && a.State != Held {
			return refuse()
		}
		return to(Held, "")
	case ConsultDone:
		if a.State != Consulting {
			return refuse()
		}
		return to(AfterCall, "")
	case ForcedHangup:
		if a.State != OnCall && a.State != Held {
			return refuse()
		}
		return to(AfterCall, "")
	case CallEnded:
		if a.State != OnCall && a.State != Held && a.State != Consulting {
			return refuse()
		}
		return to(AfterCall, "")
	case AfterCallReady:
		if a.State != AfterCall {
			return refuse()
		}
		n, _ := to(Ready, "")
		n.Call = ""
		return n, nil
	case AfterCallWork:
		if a.State != AfterCall {
			return refuse()
		}
		n, _ := to(Work, ReasonTicket)
		n.Call = ""
		return n, nil
	}
	return refuse()
}
