package media

import (
	"sync/atomic"
	"time"
)

// Stats counts one session's traffic, or (Manager.Totals) all sessions'.
type Stats struct {
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64 // RTP header included, UDP/IP not
	// Lost counts packets the far end sent that never arrived, from gaps in its sequence
	// numbers (RFC 3550 A.3; late packets are taken off again).
	Lost uint64
	// Jitter is the RFC 3550 interarrival jitter of the far end's audio, in milliseconds.
	Jitter float64
	// Malformed counts datagrams that are not RTP we can parse; UnknownPT counts RTP in a format that was not negotiated; Foreign counts
	// RTP from an address that is neither the far end's (where its packets come from, once
	// known) nor one its SDP or the signalling layer named. None of these is
	// in PacketsIn.
	Malformed, UnknownPT, Foreign uint64
	// RTCP counts the far end's RTCP compound packets taken in (on the RTCP port, or on the
	// RTP port when it multiplexes); RTCPBad those dropped, malformed or from an address
	// that is not the far end's; RTCPSent our own reports.
	RTCP, RTCPBad, RTCPSent uint64
	// LastIn is when the far end's last packet arrived (zero if none has).
	LastIn time.Time
}

// counters are a session's Stats as atomics: the reader and senders update them without
// locks and anyone may read them at any time.
type counters struct {
	packetsIn, packetsOut, bytesIn, bytesOut atomic.Uint64
	lost                                     atomic.Uint64
	malformed, rtcp, unknownPT, foreign      atomic.Uint64
	rtcpBad, rtcpSent                        atomic.Uint64
	jitter                                   atomic.Uint32 // RFC 3550 units ×16
	lastIn                                   atomic.Int64  // Unix nanoseconds
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	c := &s.counted
	st := Stats{
		PacketsIn: c.packetsIn.Load(), PacketsOut: c.packetsOut.Load(),
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		Lost:      c.lost.Load(),
		Jitter:    float64(c.jitter.Load()) / 16 / 8, // timestamp units at 8 kHz → ms
		Malformed: c.malformed.Load(), RTCP: c.rtcp.Load(), UnknownPT: c.unknownPT.Load(), Foreign: c.foreign.Load(),
		RTCPBad: c.rtcpBad.Load(), RTCPSent: c.rtcpSent.Load(),
	}
	if v := c.lastIn.Load(); v != 0 {
		st.LastIn = time.Unix(0, v)
	}
	return st
}

// add sums b's counters into a; jitter and the last packet take the larger.
func (a *Stats) add(b Stats) {
	a.PacketsIn += b.PacketsIn
	a.PacketsOut += b.PacketsOut
	a.BytesIn += b.BytesIn
	a.BytesOut += b.BytesOut
	a.Lost += b.Lost
	a.Malformed += b.Malformed
	a.RTCP += b.RTCP
	a.UnknownPT += b.UnknownPT
	a.Foreign += b.Foreign
	a.RTCPBad += b.RTCPBad
	a.RTCPSent += b.RTCPSent
	a.Jitter = max(a.Jitter, b.Jitter)
	if b.LastIn.After(a.LastIn) {
		a.LastIn = b.LastIn
	}
}
