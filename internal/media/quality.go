package media

import (
	"math"
	"time"

	"ringdesk/internal/telephony"
)

// Quality sums up what the session measured of the far end's stream, with a MOS estimated
// from it and the round trip. FarLossPct (the share of our packets the far end reports
// lost) and RTTMs (RFC 3550 §6.4.1) come from the far end's RTCP reports; they are -1 until
// one has told us.
func (s *Session) Quality() telephony.Quality {
	st := s.Stats()
	s.rc.mu.Lock()
	far := s.rc.far
	s.rc.mu.Unlock()
	q := telephony.Quality{PacketsIn: st.PacketsIn, PacketsLost: st.Lost, JitterMs: st.Jitter, FarLossPct: far.lossPct(), RTTMs: -1}
	if expected := st.PacketsIn + st.Lost; expected > 0 {
		q.LossPct = 100 * float64(st.Lost) / float64(expected)
	}
	if far.haveRTT {
		q.RTTMs = float64(far.rtt) / float64(time.Millisecond)
	}
	q.MOS = estimateMOS(q.LossPct, q.JitterMs, q.RTTMs)
	return q
}

// estimateMOS is the E-model (ITU-T G.107) cut down to what a G.711 call at 20 ms frames
// varies in: packet loss (random, with packet loss concealment: Bpl 25.1, G.113 Appendix I)
// and one-way delay, taken as half the round trip when known (else 40 ms for a LAN) plus a
// jitter buffer of twice the jitter and one frame.
func estimateMOS(lossPct, jitterMs, rttMs float64) float64 {
	const r0, bpl = 93.2, 25.1
	oneWay := 40.0
	if rttMs >= 0 {
		oneWay = rttMs / 2
	}
	d := oneWay + 2*jitterMs + float64(frameSamples/8)
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ppl := max(lossPct, 0)
	ie := 95 * ppl / (ppl + bpl) // Ie of G.711 is 0
	r := max(min(r0-id-ie, 100), 0)
	mos := 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
	return math.Round(max(min(mos, 4.5), 1)*100) / 100
}
