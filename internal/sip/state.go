package sip

import "ringdesk/internal/telephony"

// State is where a leg is in its life. Inbound legs go proceeding → answered → ended; placed
// legs calling → ringing → answered → ended, or through cancelling when the engine hangs up
// before an answer.
type State string

const (
	Proceeding State = "proceeding" // inbound: the INVITE was taken; the engine answers or refuses it
	Calling    State = "calling"    // placed: our INVITE is out, nothing but 100 heard
	Ringing    State = "ringing"    // placed: 180/183 heard
	Cancelling State = "cancelling" // placed: the engine hung up before an answer; CANCEL is on its way
	Answered   State = "answered"   // both: the call is up
	Ended      State = "ended"      // final: nothing more is done, nor reported but the quality report
)

// States lists every state, for the exhaustive transition test.
var States = []State{Proceeding, Calling, Ringing, Cancelling, Answered, Ended}

// direction is the kind of leg: who started it and over what.
type direction string

const (
	inbound  direction = "inbound"  // an INVITE we received
	outbound direction = "outbound" // an INVITE we sent (Place)
	browser  direction = "browser"  // a browser softphone leg (Place through BrowserLegs)
)

// input is something that happens to a leg: an engine command or a network event.
type input string

const (
	// from the engine
	inAnswer input = "answer" // Telephony.Answer
	inHangup input = "hangup" // Telephony.Hangup, a refusal from Inbound/Dialled, Close

	// from the network
	inRinging  input = "ringing"   // 180/183 to our INVITE
	inAnswered input = "answered"  // 2xx to our INVITE, already ACKed
	inFailed   input = "failed"    // a final error to our INVITE, or it timed out or could not be sent
	inCancel   input = "cancel"    // the caller cancelled its INVITE
	inBye      input = "bye"       // the far end hung up
	inLost     input = "lost"      // our 2xx was never ACKed, or crossed the caller's CANCEL
	inHold     input = "hold"      // a re-offer put us on hold
	inResume   input = "resume"    // a re-offer took us off hold
	inDTMF     input = "dtmf"      // a digit
	inPlayDone input = "play_done" // a non-looping play ended
	inTimeout  input = "timeout"   // the far end sent no RTP for too long, or its session expired
)

// inputs lists every input, for the exhaustive transition test.
var inputs = []input{inAnswer, inHangup, inRinging, inAnswered, inFailed, inCancel, inBye, inLost, inHold, inResume,
	inDTMF, inPlayDone, inTimeout}

// fromEngine reports whether the input is the engine's own command: those are never reported
// back to it.
func (in input) fromEngine() bool { return in == inAnswer || in == inHangup }

// action is what the wire must see after a transition.
type action string

const (
	actNone   action = ""
	actAnswer action = "answer" // send 200 with our SDP
	actRefuse action = "refuse" // send a final error to the INVITE
	actCancel action = "cancel" // CANCEL our INVITE (the placer does it, and BYEs a crossing 2xx)
	actBye    action = "bye"    // send BYE
	actDrop   action = "drop"   // tell the browser phone to drop the leg
)

// step is one transition's outcome.
type step struct {
	next   State
	report telephony.EventKind // reported to the engine; "" reports nothing
	act    action
}

// transition is the leg state machine. ok is false when the input means nothing in that state
// (a duplicate, a late response, a command for a leg already over): nothing changes then.
// Every report happens on exactly one transition, and none after the leg has ended — with one
// documented exception that is not a transition: a SIP leg that leaves Answered is followed by
// one QualityReport (leg.fire), the last word on it, whoever ended it.
func transition(d direction, s State, in input) (step, bool) {
	placed := d == outbound || d == browser
	switch {
	case s == Proceeding && d == inbound:
		switch in {
		case inAnswer:
			return step{next: Answered, act: actAnswer}, true
		case inHangup:
			return step{next: Ended, act: actRefuse}, true
		case inCancel, inBye:
			// CANCEL, or a BYE in the early dialog (RFC 3261 §15): the caller gave up
			return step{next: Ended, report: telephony.HungUp}, true
		case inPlayDone:
			return step{next: Proceeding, report: telephony.PlayDone}, true
		}
	case (s == Calling || s == Ringing) && placed:
		switch in {
		case inRinging:
			if s == Calling {
				return step{next: Ringing, report: telephony.Ringing}, true
			}
		case inAnswered:
			return step{next: Answered, report: telephony.Answered}, true
		case inFailed:
			return step{next: Ended, report: telephony.Failed}, true
		case inHangup:
			if d == browser {
				return step{next: Ended, act: actDrop}, true
			}
			return step{next: Cancelling, act: actCancel}, true
		case inBye:
			// a browser leg, or a far end that gave up in an early dialog
			return step{next: Ended, report: telephony.Failed}, true
		case inPlayDone:
			return step{next: s, report: telephony.PlayDone}, true
		}
	case s == Cancelling && placed:
		switch in {
		case inAnswered:
			// the answer crossed our CANCEL: the placer has ACKed it, now it must go
			return step{next: Ended, act: actBye}, true
		case inFailed, inBye:
			return step{next: Ended}, true
		}
	case s == Answered:
		switch in {
		case inHangup:
			if d == browser {
				return step{next: Ended, act: actDrop}, true
			}
			return step{next: Ended, act: actBye}, true
		case inBye:
			return step{next: Ended, report: telephony.HungUp}, true
		case inLost:
			return step{next: Ended, report: telephony.HungUp, act: actBye}, true
		case inTimeout:
			// the watch over SIP legs found it dead: we end it, and say so as a hang-up
			if d != browser {
				return step{next: Ended, report: telephony.HungUp, act: actBye}, true
			}
		case inHold:
			return step{next: Answered, report: telephony.Held}, true
		case inResume:
			return step{next: Answered, report: telephony.Resumed}, true
		case inDTMF:
			return step{next: Answered, report: telephony.DTMF}, true
		case inPlayDone:
			return step{next: Answered, report: telephony.PlayDone}, true
		}
	}
	return step{}, false
}

// startState is where a new leg begins.
func startState(d direction) State {
	if d == inbound {
		return Proceeding
	}
	return Calling
}
