package media

import (
	"bytes"
	"time"
)

// A leg whose feed falls silent must not go quiet on the wire: when the customer holds with
// a=sendonly or a=inactive, or simply stops sending, nothing would reach the agent's phone,
// and phones and SBCs with a no-RTP timeout (linphone's 30 s, many desk phones) hang up.
// So every session that is fed (bridged, or played to) has a filler: an entry in the pacing
// heap that wakes when no frame has been handed to the session for fillAfter and then sends
// G.711 silence every 20 ms, in the session's one stream, until real frames come again.
// While frames flow it costs a heap update every fillAfter or so, in wake-ups shared with the
// other legs' fillers, and nothing on the packet path but one atomic store.

// fillAfter is how long a session may go without a frame before its filler speaks: a few
// frames, so that a late packet of a bridged stream is not doubled by silence.
const fillAfter = 60 * time.Millisecond

var silenceFrames = [2][]byte{
	bytes.Repeat([]byte{silenceByte(PCMU)}, frameSamples),
	bytes.Repeat([]byte{silenceByte(PCMA)}, frameSamples),
}

func silenceFrame(c Codec) []byte {
	if c.Name == "PCMA" {
		return silenceFrames[1]
	}
	return silenceFrames[0]
}

// fillDue is when, on the scheduler's clock, the filler should look again: when the session
// goes silent unless another frame is handed to it, rounded up to the 20 ms grid of the
// scheduler's clock. The rounding lets the fillers of every leg with audio flowing share a
// shard's wake-ups (a few a frame) instead of each waking it at a moment of its own, which
// cost more than all their checks.
func (s *Session) fillDue() int64 {
	due := s.tx.lastReal.Load() + int64(fillAfter)
	return (due + int64(framePeriod) - 1) / int64(framePeriod) * int64(framePeriod)
}

// fill sends one frame of silence unless the session may not send (its far end holds us or
// is not known yet) or a real frame came meanwhile. It reports false once the session has
// closed, so that its filler stops.
func (s *Session) fill() bool {
	t := &s.tx
	t.mu.Lock()
	defer t.mu.Unlock()
	p := s.peer.Load()
	if p.closed {
		return false
	}
	dest := p.dest()
	if p.hold || !dest.IsValid() {
		return true
	}
	now := time.Since(s.t0)
	if t.lastReal.Load()+int64(fillAfter) > int64(now)+s.schedOff+int64(frameEarly) {
		return true // a frame came meanwhile
	}
	// Stamped on the 20 ms grid: the first frame of silence after real audio moves the
	// timestamp on by the frames that were not sent (seq stays continuous, as after silence
	// suppression), so the stream keeps to the wall clock; the ones after follow on.
	ts, marker := t.ts, true
	if t.started {
		gap := now - t.lastSend
		marker = gap > maxGap
		frames := max((gap+framePeriod/2)/framePeriod, 1)
		ts = t.ts + t.lastLen + uint32(frames-1)*frameSamples
	}
	t.ts, t.lastLen, t.lastSend, t.started = ts, frameSamples, now, true
	t.seq++
	_ = s.write(p.codec.PayloadType, marker, silenceFrame(p.codec), dest)
	return true
}

// keepFedLocked gives e, when it is a session, a filler unless it has one; m.mu is held.
func (m *Manager) keepFedLocked(e Endpoint) {
	s, ok := e.(*Session)
	if !ok || s.keep != nil || s.peer.Load().closed {
		return
	}
	s.keep = &player{m: m, e: s, keep: s}
	m.sched.add(s.keep, m.sched.now()+int64(fillAfter))
}

// stopFillLocked stops e's filler; m.mu is held.
func (m *Manager) stopFillLocked(e Endpoint) {
	if s, ok := e.(*Session); ok && s.keep != nil {
		s.keep.stop()
		s.keep = nil
	}
}

// Silent reports whether the far end has sent no RTP for longer than d (counted from when
// the session was opened if it never has): a customer who holds without saying so in SDP, or
// whose line died. Held tells whether its SDP put us on hold. The SIP layer may poll it to
// tell the agent that the customer has put the call on hold.
func (s *Session) Silent(d time.Duration) bool {
	since := s.t0
	if v := s.counted.lastIn.Load(); v != 0 {
		since = time.Unix(0, v)
	}
	return time.Since(since) > d
}
