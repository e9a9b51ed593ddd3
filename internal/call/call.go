package call

import (
	"errors"
	"fmt"
	"time"
)

// State is where a call stands.
type State string

const (
	Scenario       State = "scenario"        // inbound: answered by the server, greeting playing
	Queued         State = "queued"          // waiting in a queue, hearing hold audio
	Offered        State = "offered"         // assigned to an agent whose alert is showing
	Ringing        State = "ringing"         // the agent's phone rings
	Connecting     State = "connecting"      // outbound: the agent's own phone rings first
	Dialing        State = "dialing"         // outbound or internal: the far end rings
	Talking        State = "talking"         // customer and agent bridged
	Held           State = "held"            // the customer hears hold audio
	ConsultDialing State = "consult_dialing" // customer held, consult target ringing
	Consulting     State = "consulting"      // customer held, agent talks to the target
	ConsultOnly    State = "consult_only"    // the customer hung up during a consult; the agent's consult leg stays
	Announcing     State = "announcing"      // 강성종료: the announcement plays to the customer
	Transferred    State = "transferred"     // customer joined to a target that is not an agent
	Ended          State = "ended"
)

// States lists every state.
var States = []State{Scenario, Queued, Offered, Ringing, Connecting, Dialing, Talking, Held,
	ConsultDialing, Consulting, ConsultOnly, Announcing, Transferred, Ended}

// Kind names an event.
type Kind string

const (
	Greeted          Kind = "greeted"           // the scenario finished: into the queue
	Offer            Kind = "offer"             // assigned to an agent
	Accept           Kind = "accept"            // the agent confirmed: ring the phone
	Recall           Kind = "recall"            // back to the queue (refused, timed out, phone failed)
	AgentAnswered    Kind = "agent_answered"    // the agent's phone answered
	CustomerAnswered Kind = "customer_answered" // the dialled party answered
	Hold             Kind = "hold"
	Unhold           Kind = "unhold"
	ConsultStart     Kind = "consult_start"
	ConsultUp        Kind = "consult_up"    // the consult target answered
	ConsultEnd       Kind = "consult_end"   // cancelled, or the target hung up or did not answer
	ToAgent          Kind = "to_agent"      // 고객연결 to an agent: the call goes on with the new agent
	ToTarget         Kind = "to_target"     // 고객연결 to a number or plain extension: no agent left
	ForcedHangup     Kind = "forced_hangup" // 강성종료 confirmed
	AnnouncementDone Kind = "announcement_done"
	CustomerGone     Kind = "customer_gone" // the customer's leg ended
	AgentGone        Kind = "agent_gone"    // the agent's leg ended (or 끊기)
	TargetGone       Kind = "target_gone"   // a transferred-to party hung up
	Failed           Kind = "failed"        // an outbound or internal call could not be set up
)

// Kinds lists every event kind.
var Kinds = []Kind{Greeted, Offer, Accept, Recall, AgentAnswered, CustomerAnswered, Hold, Unhold,
	ConsultStart, ConsultUp, ConsultEnd, ToAgent, ToTarget, ForcedHangup, AnnouncementDone,
	CustomerGone, AgentGone, TargetGone, Failed}

// ErrNotAllowed is returned for an event the call's state does not allow; nothing changes.
var ErrNotAllowed = errors.New("not allowed in this call state")

// Call is the live state of one call with the times it has accumulated.
type Call struct {
	State       State
	AnsweredAt  time.Time // first time customer and agent were bridged
	EndedAt     time.Time
	heldSince   time.Time
	HoldTime    time.Duration
	talkSince   time.Time // talk time runs while the customer is connected to someone live
	TalkTime    time.Duration
	EndedBy     string // customer | agent | target | system
	Transferred bool
}

// held reports whether the customer hears hold audio in s.
func held(s State) bool { return s == Held || s == ConsultDialing || s == Consulting }

// talking reports whether the customer is connected to a person in s.
func talking(s State) bool { return s == Talking || s == Transferred }

// Apply returns the call after event k at time at, or ErrNotAllowed and the call unchanged.
func Apply(c Call, k Kind, at time.Time) (Call, error) {
	next, by, ok := transition(c.State, k)
	if !ok {
		return c, fmt.Errorf("%w: %s while %s", ErrNotAllowed, k, c.State)
	}
	n := c
	// close the running intervals of the state left, open those of the state entered
	if held(c.State) && !held(next) && !n.heldSince.IsZero() {
		n.HoldTime += at.Sub(n.heldSince)
		n.heldSince = time.Time{}
	}
	if !held(c.State) && held(next) {
		n.heldSince = at
	}
	if talking(c.State) && !talking(next) && !n.talkSince.IsZero() {
		n.TalkTime += at.Sub(n.talkSince)
		n.talkSince = time.Time{}
	}
	if !talking(c.State) && talking(next) {
		n.talkSince = at
		if n.AnsweredAt.IsZero() {
			n.AnsweredAt = at
		}
	}
	if k == ToAgent || k == ToTarget {
		n.Transferred = true
	}
	if next == Ended {
		n.EndedAt = at
		n.EndedBy = by
	}
	n.State = next
	return n, nil
}

// transition is the table: the next state and, for an end, who ended the call.
func transition(s State, k Kind) (State, string, bool) {
	switch k {
	case Greeted:
		if s == Scenario {
			return Queued, "", true
		}
	case Offer:
		if s == Queued {
			return Offered, "", true
		}
	case Accept:
		if s == Offered {
			return Ringing, "", true
		}
	case Recall:
		if s == Offered || s == Ringing {
			return Queued, "", true
		}
	case AgentAnswered:
		switch s {
		case Ringing:
			return Talking, "", true
		case Connecting:
			return Dialing, "", true
		}
	case CustomerAnswered:
		if s == Dialing {
			return Talking, "", true
		}
	case Hold:
		if s == Talking {
			return Held, "", true
		}
	case Unhold:
		if s == Held {
			return Talking, "", true
		}
	case ConsultStart:
		if s == Talking || s == Held {
			return ConsultDialing, "", true
		}
	case ConsultUp:
		if s == ConsultDialing {
			return Consulting, "", true
		}
	case ConsultEnd:
		switch s {
		case ConsultDialing, Consulting:
			return Held, "", true
		case ConsultOnly:
			return Ended, "agent", true
		}
	case ToAgent:
		if s == Consulting {
			return Talking, "", true
		}
	case ToTarget:
		if s == Consulting {
			return Transferred, "", true
		}
	case ForcedHangup:
		if s == Talking || s == Held {
			return Announcing, "", true
		}
	case AnnouncementDone:
		if s == Announcing {
			return Ended, "agent", true
		}
	case CustomerGone:
		switch s {
		case ConsultDialing, Consulting:
			return ConsultOnly, "", true
		case Announcing:
			return Ended, "agent", true // the agent ended it; the customer just left first
		case Ended, ConsultOnly:
		default:
			return Ended, "customer", true
		}
	case AgentGone:
		switch s {
		case Talking, Held, ConsultDialing, Consulting, ConsultOnly, Connecting, Dialing:
			return Ended, "agent", true
		}
	case TargetGone:
		if s == Transferred {
			return Ended, "target", true
		}
	case Failed:
		if s == Connecting || s == Dialing {
			return Ended, "system", true
		}
	}
	return s, "", false
}
