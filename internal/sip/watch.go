package sip

import (
	"time"

	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// timing is what of the site's SIP settings the watch needs.
type timing struct {
	mediaTimeout   time.Duration
	sessionExpires int // seconds
}

func timingOf(st *site.Site) *timing {
	var set site.SIPSettings
	if st != nil {
		set = st.SIP
	}
	return &timing{mediaTimeout: time.Duration(set.MediaTimeout()) * time.Second, sessionExpires: set.SessionExpires()}
}

// startWatch begins looking over the live legs every WatchEvery: one timer for the whole
// server, however many calls there are.
func (s *Server) startWatch() {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.watchT = s.clock.AfterFunc(s.cfg.WatchEvery, s.watchTick)
}

func (s *Server) stopWatch() {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watchT != nil {
		s.watchT.Stop()
		s.watchT = nil
	}
}

func (s *Server) watchTick() {
	s.watchLegs(s.clock.Now())
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watchT != nil { // not stopped meanwhile
		s.watchT = s.clock.AfterFunc(s.cfg.WatchEvery, s.watchTick)
	}
}

// watchLegs ends the answered SIP legs whose far end has gone: quiet for the media timeout,
// or overdue with its session refresh (RFC 4028); and sends our refreshes when due. A leg's
// silence is measured from its answer or from the last packet the watch saw arrive,
// whichever is later, held or not: a far end that holds keeps sending (RFC 3264 §8.4), and
// one that stopped has gone.
func (s *Server) watchLegs(now time.Time) {
	if s.ctx.Err() != nil {
		return
	}
	tm := s.timers.Load()
	s.mu.Lock()
	legs := make([]*leg, 0, len(s.legs))
	for _, l := range s.legs {
		if l.dir != browser {
			legs = append(legs, l)
		}
	}
	s.mu.Unlock()
	for _, l := range legs {
		quiet := l.silentFor(now)
		switch {
		case quiet >= tm.mediaTimeout:
			s.log.Info("no RTP from the far end; ending the leg", "leg", l.id, "timeout", tm.mediaTimeout)
			l.timedOut(telephony.CauseMediaTimeout)
		case l.checkTimer(now):
			s.log.Info("the session's refresh never came (RFC 4028); ending the leg", "leg", l.id)
			l.timedOut(telephony.CauseSessionTimer)
		default:
			l.silenceHeld(quiet >= silentHoldAfter)
		}
	}
}

// silentFor says how long an answered leg's far end has sent nothing, as the watch sees it;
// 0 for a leg not answered or without media.
func (l *leg) silentFor(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != Answered || l.sess == nil {
		return 0
	}
	// an arrival the watch has not seen yet is activity now: the media's own clock is not the
	// watch's, so only the change is taken from it
	if in := l.sess.Stats().LastIn; !in.Equal(l.lastIn) {
		l.lastIn, l.activeAt = in, now
	}
	return now.Sub(l.activeAt)
}

// timedOut ends a leg the watch found dead: BYE to the far end, HungUp to the engine.
func (l *leg) timedOut(cause telephony.Cause) {
	if act, ok := l.fire(inTimeout, telephony.Event{Cause: cause}); ok {
		l.act(act)
	}
}
