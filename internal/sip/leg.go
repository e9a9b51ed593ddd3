package sip

import (
	"context"
	"strconv"
	"sync"
	"time"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// leg is one call leg: an INVITE we took or sent with its dialog and RTP session, or a browser
// softphone leg. Its state changes only through fire, under mu; what the wire must see
// afterwards is done by the caller of fire, outside every lock.
type leg struct {
	s   *Server
	id  telephony.LegID
	dir direction

	// reporting serialises the reports of network events, so that an event can never overtake
	// the leg's final one; engine commands do not take it, so the engine may call back into
	// the port from its Report.
	reporting sync.Mutex

	mu    sync.Mutex
	state State
	held  bool
	sess  *media.Session
	dlg   *dialog
	// browser: its softphone's media, kept from the answer on so that the leg can be taken out
	// of bridges and players when it ends (the softphone forgets it first)
	ep media.Endpoint
	// inbound: decided is closed when the engine answered or refused (state tells which),
	// with code the final response of a refusal
	decided chan struct{}
	code    int
	// redirect is where a refused inbound call is sent on (302): another cluster node
	redirect string
	// outbound: hangup is closed when the engine withdrew the leg before an answer
	hangup chan struct{}
	// the watch's view of its media, in the watch clock's time: when the far end was last
	// heard (or the call answered), and its session's last arrival when the watch looked
	activeAt time.Time
	lastIn   time.Time
	timer    sessionTimer // RFC 4028, once answered
	hold     holdState    // why the far end is held, if it is (customerhold.go)
}

func (s *Server) newLeg(id telephony.LegID, d direction) *leg {
	l := &leg{s: s, id: id, dir: d, state: startState(d)}
	switch d {
	case inbound:
		l.decided = make(chan struct{})
	case outbound:
		l.hangup = make(chan struct{})
	}
	return l
}

// newLegID names a leg we create (inbound ones; the engine names the legs it places).
func (s *Server) newLegID() telephony.LegID {
	return telephony.LegID("sip-" + strconv.FormatUint(s.nextID.Add(1), 36))
}

// addLeg puts a leg in the table. A placed leg's id may already be in use (the engine never
// reuses one, but a buggy caller might): the newer leg is refused.
func (s *Server) addLeg(l *leg) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.legs[l.id]; dup {
		return false
	}
	s.legs[l.id] = l
	return true
}

func (s *Server) leg(id telephony.LegID) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.legs[id]
}

// bindDialog makes in-dialog requests find the leg.
func (l *leg) bindDialog(d *dialog) {
	l.mu.Lock()
	l.dlg = d
	l.mu.Unlock()
	l.s.mu.Lock()
	l.s.dialogs[d.key()] = l
	l.s.mu.Unlock()
}

func (s *Server) legOfDialog(key string) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dialogs[key]
}

// Legs reports how many legs are live (SIP and browser), for metrics and tests.
func (s *Server) Legs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.legs)
}

// snapshot returns what the wire needs of the leg.
func (l *leg) snapshot() (State, *dialog, *media.Session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state, l.dlg, l.sess
}

// fire feeds an input to the leg's state machine and delivers the report of the transition,
// if any. It returns the transition's action and whether there was one. Network events are
// delivered one at a time per leg; a final one releases the leg's media and forgets it before
// the engine hears of it, so that nothing of it outlives the engine's knowledge. A SIP leg
// that was answered is followed, once it ends, by one QualityReport: after its final report,
// or on its own when the engine ended it.
func (l *leg) fire(in input, ev telephony.Event) (action, bool) {
	if !in.fromEngine() {
		l.reporting.Lock()
		defer l.reporting.Unlock()
	}
	l.mu.Lock()
	st, ok := transition(l.dir, l.state, in)
	// hold and resume are reported on a change only: a phone may re-offer sendonly twice
	if !ok || (in == inHold && l.held) || (in == inResume && !l.held) {
		l.mu.Unlock()
		return actNone, false
	}
	from, sess := l.state, l.sess
	l.state = st.next
	if st.next == Answered && from != Answered {
		l.activeAt = l.s.clock.Now() // silence counts from the answer
	}
	switch in {
	case inHold:
		l.held = true
	case inResume:
		l.held = false
	}
	l.mu.Unlock()
	l.s.log.Debug("leg", "leg", l.id, "dir", l.dir, "from", from, "input", in, "to", st.next, "report", st.report,
		"action", st.act)
	switch {
	case l.dir == inbound && from == Proceeding:
		close(l.decided)
	case l.dir == outbound && st.next == Cancelling:
		close(l.hangup)
	}
	// A SIP leg that was up ends with what its media measured, whoever ended it.
	var quality *telephony.Quality
	if st.next == Ended && from == Answered && l.dir != browser && sess != nil {
		q := sess.Quality()
		quality = &q
	}
	if st.next == Ended {
		l.release()
	}
	if st.report != "" {
		ev.Leg, ev.Kind = l.id, st.report
		l.s.handler().Report(ev)
	}
	if quality != nil {
		qe := telephony.Event{Leg: l.id, Kind: telephony.QualityReport, Quality: quality}
		if in.fromEngine() {
			// the engine may be calling from its own loop: it hears of this later, not inside
			// its own call
			l.s.wg.Add(1)
			go func() { defer l.s.wg.Done(); l.s.handler().Report(qe) }()
		} else {
			l.s.handler().Report(qe) // after the final report, under the same lock
		}
	}
	return st.act, true
}

// release forgets an ended leg and closes its media (which also takes it out of any bridge
// or player).
func (l *leg) release() {
	l.mu.Lock()
	sess, dlg, ep := l.sess, l.dlg, l.ep
	l.mu.Unlock()
	s := l.s
	s.mu.Lock()
	if s.legs[l.id] == l {
		delete(s.legs, l.id)
	}
	// An inbound leg ended between our 2xx and its ACK stays findable until the ACK comes
	// (or its time runs out): the BYE waits for that ACK (RFC 3261 §15), and an ACK nobody
	// takes would hold it back 64*T1.
	if dlg != nil && s.dialogs[dlg.key()] == l && dlg.isSettled() {
		delete(s.dialogs, dlg.key())
	}
	s.mu.Unlock()
	if sess != nil {
		sess.Close()
	}
	if ep != nil {
		s.media.Detach(ep)
	}
}

// settled says the dialog-making 2xx exchange is over, and forgets the dialog if the leg
// ended meanwhile (release kept it for the ACK).
func (l *leg) settled(dlg *dialog) {
	dlg.settle()
	l.mu.Lock()
	ended := l.state == Ended
	l.mu.Unlock()
	if !ended {
		return
	}
	l.s.mu.Lock()
	if l.s.dialogs[dlg.key()] == l {
		delete(l.s.dialogs, dlg.key())
	}
	l.s.mu.Unlock()
}

// setSession gives the leg its media, unless it has ended meanwhile: then the session is
// closed and false returned.
func (l *leg) setSession(sess *media.Session) bool {
	l.mu.Lock()
	if l.state == Ended {
		l.mu.Unlock()
		sess.Close()
		return false
	}
	l.sess = sess
	l.mu.Unlock()
	sess.OnDTMF(func(digit string) { l.fire(inDTMF, telephony.Event{Digit: digit}) })
	return true
}

// act does on the wire what a transition of an engine command asks.
func (l *leg) act(a action) {
	_, dlg, _ := l.snapshot()
	switch a {
	case actBye:
		if dlg != nil {
			l.s.goWire(func(context.Context) { dlg.bye() })
		}
	case actDrop:
		if b := l.s.browserLegs(); b != nil {
			b.Hangup(l.id)
		}
	}
	// actAnswer and actRefuse are carried out by the goroutine holding the INVITE, woken by
	// decided; actCancel by the placer, woken by hangup.
}
