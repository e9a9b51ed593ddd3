package sip

import (
	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// Hangup implements telephony.Telephony: a final response for an inbound leg not yet
// answered, CANCEL while a placed leg rings (BYE if its answer crosses the CANCEL), BYE once
// a leg is up. It reports nothing further.
func (s *Server) Hangup(id telephony.LegID, cause telephony.Cause) {
	l := s.leg(id)
	if l == nil {
		return
	}
	if l.dir == inbound {
		l.mu.Lock()
		if l.code == 0 {
			l.code = refusal(cause)
		}
		l.mu.Unlock()
	}
	if act, ok := l.fire(inHangup, telephony.Event{Cause: cause}); ok {
		l.act(act)
	}
}

// endpoint is a leg's media as the bridge and players see it: its RTP session, or its
// browser softphone's; nil when it has none (yet, or any more).
func (s *Server) endpoint(l *leg) media.Endpoint {
	if l.dir == browser {
		if b := s.browserLegs(); b != nil {
			if ep, ok := b.Endpoint(l.id); ok && ep != nil {
				return ep
			}
		}
		return nil
	}
	if _, _, sess := l.snapshot(); sess != nil {
		return sess
	}
	return nil
}

// Play implements telephony.Telephony. A play that does not loop reports PlayDone when it has
// been heard to its end.
func (s *Server) Play(id telephony.LegID, a telephony.Audio, loop bool) {
	l := s.leg(id)
	if l == nil {
		return
	}
	ep := s.endpoint(l)
	if ep == nil {
		s.log.Debug("Play on a leg without media", "leg", id)
		return
	}
	var done func()
	if !loop {
		done = func() { l.fire(inPlayDone, telephony.Event{}) }
	}
	s.media.Play(ep, a, loop, done)
}

// Bridge implements telephony.Telephony.
func (s *Server) Bridge(a, b telephony.LegID) {
	la, lb := s.leg(a), s.leg(b)
	if la == nil || lb == nil {
		return
	}
	ea, eb := s.endpoint(la), s.endpoint(lb)
	if ea == nil || eb == nil {
		s.log.Debug("Bridge of a leg without media", "a", a, "b", b)
		return
	}
	s.media.Bridge(ea, eb)
}
