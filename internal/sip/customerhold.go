package sip

import (
	"sync"
	"time"

	"ringdesk/internal/telephony"
)

// A customer's hold, and what the agent's phone hears meanwhile.
//
// A far end holds us in its SDP (a re-INVITE or UPDATE with a=sendonly or a=inactive), or
// without a word: it simply stops sending. Both are reported to the engine as Held (and
// Resumed when they end), which tells the agent that the customer put the call on hold.
//
// Silence is taken for a hold only on a carrier's leg (a customer's), and only when no RTP at
// all has come for silentHoldAfter. Pauses in speech do not look like that: a G.711 stream
// goes on carrying packets of silence, and we never negotiate comfort noise (RFC 3389), so a
// far end that follows its SDP has no business stopping for seconds. A phone's leg (an
// agent's) is never held for its silence: a muted desk phone is not a hold, and Held on the
// agent's leg would put the whole call on hold.
//
// The hold is not passed on to the agent's phone with a re-INVITE. The media are anchored
// here, and every bridged leg is kept fed with silence while its partner sends nothing
// (internal/media fill.go), so a phone's no-RTP timeout (linphone's 30 s, many desk phones',
// SBCs') never fires; the agent is told in the console instead. A re-INVITE would have the
// agent's phone show a hold the agent did not make, mute it on some models, and cross the
// phone's own hold or resume (491) just when the agent acts.
//
// The media timeout (watch.go) still ends a leg whose far end has sent nothing for that long,
// held or not: RFC 3264 §8.4 has a holder keep sending, and a dead line must be found.

// silentHoldAfter is how long a customer's leg may send no RTP at all before it is taken as
// held: well past any network hiccup, well short of the media timeout.
const silentHoldAfter = 5 * time.Second

// holdState is why a leg's far end holds us, if it does.
type holdState struct {
	trunkSide bool // the far end is a carrier: a customer's leg (set before the leg is shared)

	mu     sync.Mutex // serialises the hold reports of a leg, each computed and fired under it
	sdp    bool       // its SDP holds us (sendonly, inactive)
	silent bool       // it has sent nothing for silentHoldAfter (trunkSide legs only)
}

// holdChanged takes the hold state of the far end's latest SDP.
func (l *leg) holdChanged(hold bool) {
	l.hold.mu.Lock()
	defer l.hold.mu.Unlock()
	l.hold.sdp = hold
	l.reportHold()
}

// silenceHeld takes what the watch found of a leg's silence: a customer's leg that has sent
// nothing for silentHoldAfter is held; its first packet after that resumes it.
func (l *leg) silenceHeld(silent bool) {
	if !l.hold.trunkSide {
		return
	}
	l.hold.mu.Lock()
	defer l.hold.mu.Unlock()
	if l.hold.silent == silent {
		return
	}
	l.hold.silent = silent
	if silent {
		l.s.log.Info("no RTP from the customer's side for a while: taken as a hold", "leg", l.id, "after", silentHoldAfter)
	}
	l.reportHold()
}

// reportHold reports Held or Resumed when the far end's hold, for either reason, changed;
// hold.mu is held.
func (l *leg) reportHold() {
	if l.hold.sdp || l.hold.silent {
		l.fire(inHold, telephony.Event{})
	} else {
		l.fire(inResume, telephony.Event{})
	}
}
