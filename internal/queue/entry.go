package queue

import (
	"errors"
	"fmt"
	"time"
)

// State is where a call stands in its queue.
type State string

const (
	Waiting   State = "waiting"   // in the queue, hearing hold audio
	Offered   State = "offered"   // assigned to an agent whose alert is showing
	Ringing   State = "ringing"   // the agent confirmed; the agent's phone rings
	Answered  State = "answered"  // the agent answered: the call has left the queue
	Abandoned State = "abandoned" // the caller hung up (or the call was withdrawn) before an answer
)

// States lists every entry state.
var States = []State{Waiting, Offered, Ringing, Answered, Abandoned}

// Kind names an event in a queued call's life.
type Kind string

const (
	Offer   Kind = "offer"   // the distributor assigned an agent
	Accept  Kind = "accept"  // the agent confirmed (확인)
	Reject  Kind = "reject"  // the agent refused (취소) or the phone declined: recall at once
	Timeout Kind = "timeout" // the recall time passed unanswered: recall
	Answer  Kind = "answer"  // the agent's phone answered
	Abandon Kind = "abandon" // the caller hung up
)

// Kinds lists every event kind.
var Kinds = []Kind{Offer, Accept, Reject, Timeout, Answer, Abandon}

// Entry is a call's place in a queue.
type Entry struct {
	Call  string
	Queue string
	State State
	// Agent holds the call while Offered or Ringing.
	Agent string
	// EnqueuedAt orders waiting calls: a recalled call keeps its place.
	EnqueuedAt time.Time
	OfferedAt  time.Time
	// Excluded agents are not offered this call again: they refused it or let it time out.
	Excluded map[string]bool
	// Offers counts how many times the call was offered.
	Offers int
}

// ErrNotAllowed is returned for an event the entry's state does not allow; nothing changes.
var ErrNotAllowed = errors.New("not allowed for this queued call")

// Transition applies an event to an entry. agent is the agent for Offer; at is the time.
func Transition(e Entry, k Kind, agent string, at time.Time) (Entry, error) {
	refuse := func() (Entry, error) {
		return e, fmt.Errorf("%w: %s while %s", ErrNotAllowed, k, e.State)
	}
	switch k {
	case Offer:
		if e.State != Waiting || agent == "" || e.Excluded[agent] {
			return refuse()
		}
		e.State, e.Agent, e.OfferedAt = Offered, agent, at
		e.Offers++
	case Accept:
		if e.State != Offered {
			return refuse()
		}
		e.State = Ringing
	case Reject, Timeout:
		if e.State != Offered && e.State != Ringing {
			return refuse()
		}
		ex := make(map[string]bool, len(e.Excluded)+1)
		for a := range e.Excluded {
			ex[a] = true
		}
		ex[e.Agent] = true
		e.Excluded = ex
		e.State, e.Agent = Waiting, ""
	case Answer:
		if e.State != Ringing {
			return refuse()
		}
		e.State = Answered
	case Abandon:
		if e.State != Waiting && e.State != Offered && e.State != Ringing {
			return refuse()
		}
		e.State, e.Agent = Abandoned, ""
	default:
		return refuse()
	}
	return e, nil
}
