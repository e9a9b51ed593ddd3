package media

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// RTCP is terminated per leg, as an anchoring B2BUA does: each leg's outgoing stream is ours
// (our SSRC, our numbering), so each leg gets our own reports about what we receive on it and
// what we send on it, and the far end's reports tell us what it saw of ours.

const (
	// rtcpInterval is RFC 3550's minimum report interval (§6.2), which a two-party audio
	// session never exceeds: its RTCP bandwidth share allows more often than that.
	rtcpInterval = 5 * time.Second
	// ntpEpochOffset is 1900-01-01 to 1970-01-01 in seconds.
	ntpEpochOffset = 2208988800
	// ourSRs is how many of our sender reports are remembered, to find the one a far end's
	// report block names (LSR) and measure the round trip from when it left.
	ourSRs = 4
)

var errNotRTCP = errors.New("media: not an RTCP compound packet")

// control is a session's RTCP: our reports' bookkeeping and what the far end's tell us.
type control struct {
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	cname   string

	// RFC 3550 A.3: what the last report covered, for the fraction lost since then
	priorSSRC                    uint32
	expectedPrior, receivedPrior uint64
	sentPrior                    uint64 // our packets sent as of the last report

	srs [ourSRs]sentSR // our last sender reports, a ring
	nsr int

	// the far end's last sender report: its NTP time's middle 32 bits, when it arrived
	lsr     uint32
	lsrAt   time.Time
	lsrSSRC uint32
	haveLSR bool

	far farView
}

type sentSR struct {
	ntp uint32 // middle 32 bits of its NTP timestamp
	at  time.Time
}

// farView is what the far end's reports say about our stream.
type farView struct {
	have     bool
	fraction uint8 // lost in its last interval, in 256ths
	lost     int64 // cumulative
	expected int64 // how many of ours it expected, from its extended highest sequence; ≤ 0 unknown
	haveRTT  bool
	rtt      time.Duration
}

// lossPct is the share of our packets the far end reports lost over the call.
func (f farView) lossPct() float64 {
	if !f.have {
		return -1
	}
	if f.expected > 0 {
		return min(max(100*float64(f.lost)/float64(f.expected), 0), 100)
	}
	return 100 * float64(f.fraction) / 256
}

func newCNAME() string {
	var b [12]byte // RFC 7022: a random CNAME of at least 96 bits
	rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}

// reportDelay is how long until the next report: the interval randomised over 0.5–1.5 of
// itself (RFC 3550 §6.2), so that reports of calls set up together spread out; the first
// comes after half of it (§6.2, "the initial delay").
func (m *Manager) reportDelay(first bool) time.Duration {
	d := m.rtcpInterval
	if first {
		d /= 2
	}
	return time.Duration(float64(d) * (0.5 + mrand.Float64()))
}

// startControl starts the session's RTCP: its reader and its report timer.
func (s *Session) startControl() {
	s.rc.mu.Lock() // the first report may come before AfterFunc has returned
	s.rc.cname = newCNAME()
	s.rc.timer = time.AfterFunc(s.m.reportDelay(true), s.report)
	s.rc.mu.Unlock()
	go s.readControl()
}

// stopControl stops the report timer; the socket's closing ends the reader.
func (s *Session) stopControl() {
	s.rc.mu.Lock()
	s.rc.stopped = true
	s.rc.timer.Stop()
	s.rc.mu.Unlock()
}

func (s *Session) readControl() {
	defer close(s.ctlDone)
	buf := make([]byte, readBuf)
	for {
		n, src, err := s.ctl.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.receiveControl(buf[:n], src, time.Now(), true)
	}
}

// report sends our compound report to the far end and sets the timer for the next.
func (s *Session) report() {
	rc := &s.rc
	rc.mu.Lock()
	if rc.stopped {
		rc.mu.Unlock()
		return
	}
	rc.timer.Reset(s.m.reportDelay(false))
	rc.mu.Unlock()
	p := s.peer.Load()
	dest := p.ctlDest()
	if p.closed || p.nullHold || !dest.IsValid() {
		return
	}
	b, err := s.buildReport(time.Now())
	if err != nil {
		return
	}
	if _, err := s.ctl.WriteToUDPAddrPort(b, dest); err == nil {
		s.counted.rtcpSent.Add(1)
	}
}

// buildReport makes our compound report as of now: a sender report when we sent RTP since
// the last report, else a receiver report; a reception report block about the far end's
// stream once it has sent any; and our CNAME.
func (s *Session) buildReport(now time.Time) ([]byte, error) {
	t := &s.tx
	t.mu.Lock()
	ssrc := t.ssrc
	sent := s.counted.packetsOut.Load()
	octets := s.counted.bytesOut.Load() - rtpHeaderLen*sent // our headers are always 12 bytes
	rtpTS := t.ts
	if t.started { // where the stream's clock is now, for the far end to line up with NTP
		rtpTS += uint32(int64(now.Sub(s.t0)-t.lastSend) * 8000 / int64(time.Second))
	}
	t.mu.Unlock()

	r := &s.rx
	r.mu.Lock()
	heard := r.started
	src, ext := r.ssrc, uint32(r.cycles)+uint32(r.maxSeq)
	expected := r.cycles + uint64(r.maxSeq) - uint64(r.baseSeq) + 1
	received, jitter := r.received, r.jitter
	r.mu.Unlock()

	rc := &s.rc
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var blocks []rtcp.ReceptionReport
	if heard {
		if src != rc.priorSSRC || expected < rc.expectedPrior || received < rc.receivedPrior {
			rc.priorSSRC, rc.expectedPrior, rc.receivedPrior = src, 0, 0 // a new source
		}
		expInterval := expected - rc.expectedPrior
		lostInterval := int64(expInterval) - int64(received-rc.receivedPrior)
		rc.expectedPrior, rc.receivedPrior = expected, received
		b := rtcp.ReceptionReport{SSRC: src, LastSequenceNumber: ext, Jitter: jitter >> 4,
			TotalLost: lost24(int64(expected) - int64(received))}
		if expInterval > 0 && lostInterval > 0 {
			b.FractionLost = uint8(min(lostInterval<<8/int64(expInterval), 255))
		}
		if rc.haveLSR && rc.lsrSSRC == src {
			b.LastSenderReport, b.Delay = rc.lsr, compactDuration(now.Sub(rc.lsrAt))
		}
		blocks = []rtcp.ReceptionReport{b}
	}
	var first rtcp.Packet = &rtcp.ReceiverReport{SSRC: ssrc, Reports: blocks}
	if sent > rc.sentPrior {
		ntp := ntpTime(now)
		first = &rtcp.SenderReport{SSRC: ssrc, NTPTime: ntp, RTPTime: rtpTS, PacketCount: uint32(sent),
			OctetCount: uint32(octets), Reports: blocks}
		rc.srs[rc.nsr%ourSRs] = sentSR{ntp: uint32(ntp >> 16), at: now}
		rc.nsr++
	}
	rc.sentPrior = sent
	return rtcp.Marshal([]rtcp.Packet{first, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: rc.cname}}}}}})
}

// receiveControl handles an RTCP packet from the far end, on the RTCP port or (RFC 5761
// multiplexing) on the RTP port. Reports from elsewhere, and anything that is not a valid
// compound packet, are counted and change nothing.
func (s *Session) receiveControl(b []byte, src netip.AddrPort, now time.Time, ctlPort bool) {
	c := &s.counted
	p := s.peer.Load()
	if p.closed {
		return
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if !p.mayReport(src) {
		c.rtcpBad.Add(1)
		return
	}
	srs, rrs, err := parseReports(b)
	if err != nil {
		c.rtcpBad.Add(1)
		return
	}
	c.rtcp.Add(1)
	rc := &s.rc
	rc.mu.Lock()
	for i := range srs {
		rc.lsr, rc.lsrAt, rc.lsrSSRC, rc.haveLSR = uint32(srs[i].NTPTime>>16), now, srs[i].SSRC, true
		s.farReportsLocked(srs[i].Reports, now)
	}
	for i := range rrs {
		s.farReportsLocked(rrs[i].Reports, now)
	}
	rc.mu.Unlock()
	if ctlPort && src != p.ctlLatched {
		s.latchControl(src, p.ctlLatched)
	}
}

// farReportsLocked takes what report blocks about our stream say; s.rc.mu is held.
func (s *Session) farReportsLocked(blocks []rtcp.ReceptionReport, now time.Time) {
	rc := &s.rc
	for _, b := range blocks {
		if b.SSRC != s.tx.ssrc {
			continue // about someone else: not ours to know
		}
		f := &rc.far
		f.have, f.fraction = true, b.FractionLost
		f.lost = int64(int32(b.TotalLost<<8) >> 8) // 24-bit signed
		// its extended highest sequence counts cycles from our first packet
		f.expected = int64(b.LastSequenceNumber) - int64(s.tx.firstSeq) + 1
		if b.LastSenderReport == 0 {
			continue
		}
		// RFC 3550 §6.4.1: the round trip is now − LSR − DLSR. Measured from when our report
		// left on the monotonic clock, so that a step of the wall clock does not skew it.
		for _, sr := range rc.srs {
			if sr.ntp != b.LastSenderReport || sr.at.IsZero() {
				continue
			}
			rtt := now.Sub(sr.at) - time.Duration(b.Delay)*time.Second/65536
			if rtt > -time.Millisecond && rtt < time.Minute { // DLSR is rounded; a lie is dropped
				f.haveRTT, f.rtt = true, max(rtt, 0)
			}
			break
		}
	}
}

// parseReports checks that b is a sequence of well-formed RTCP packets and returns its
// sender and receiver reports; the rest (SDES, BYE, APP, feedback) is skipped unparsed.
func parseReports(b []byte) (srs []rtcp.SenderReport, rrs []rtcp.ReceiverReport, err error) {
	if len(b) == 0 {
		return nil, nil, errNotRTCP
	}
	for len(b) > 0 {
		if len(b) < 4 || b[0]>>6 != 2 || b[1] < 192 || b[1] > 223 {
			return nil, nil, errNotRTCP
		}
		n := (int(binary.BigEndian.Uint16(b[2:])) + 1) * 4
		if n > len(b) {
			return nil, nil, errNotRTCP
		}
		pkt := b[:n]
		b = b[n:]
		switch pkt[1] {
		case 200:
			var sr rtcp.SenderReport
			if err := sr.Unmarshal(pkt); err != nil {
				return nil, nil, err
			}
			srs = append(srs, sr)
		case 201:
			var rr rtcp.ReceiverReport
			if err := rr.Unmarshal(pkt); err != nil {
				return nil, nil, err
			}
			rrs = append(rrs, rr)
		}
	}
	return srs, rrs, nil
}

// latchControl records src as where the far end's RTCP comes from, and so where ours goes.
func (s *Session) latchControl(src, was netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peer.Load()
	if p.closed || p.ctlLatched != was {
		return
	}
	n := *p
	n.ctlLatched = src
	s.peer.Store(&n)
}

// mayReport reports whether RTCP from src may be the far end's: from an address its SDP
// names, where its RTP comes from, or the address the signalling layer vouched for. The port
// is not checked: a NAT maps the far end's RTCP port wherever it likes.
func (p *peerState) mayReport(src netip.AddrPort) bool {
	ip := src.Addr()
	if !ip.IsValid() {
		return false
	}
	for _, a := range [...]netip.AddrPort{p.ctlLatched, p.ctlRemote, p.latched, p.remote} {
		if a.IsValid() && a.Addr() == ip {
			return true
		}
	}
	return p.vouched.IsValid() && p.vouched == ip
}

// ctlDest is where our RTCP goes: where the far end's comes from; else, when its RTP comes
// from elsewhere than its SDP says (NAT), the port above that; else what its SDP says.
func (p *peerState) ctlDest() netip.AddrPort {
	switch {
	case p.ctlLatched.IsValid():
		return p.ctlLatched
	case p.latched.IsValid() && p.latched != p.remote && p.latched.Port() < 65535:
		return netip.AddrPortFrom(p.latched.Addr(), p.latched.Port()+1)
	}
	return p.ctlRemote
}

// ntpTime is t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	sec := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// compactDuration is d in 1/65536 s, as DLSR carries it.
func compactDuration(d time.Duration) uint32 {
	if d < 0 {
		return 0
	}
	return uint32(d/time.Second)<<16 | uint32((d%time.Second)<<16/time.Second)
}

// lost24 is a cumulative loss as the 24-bit signed field carries it, clamped to its range.
func lost24(n int64) uint32 {
	n = min(max(n, -1<<23), 1<<23-1)
	return uint32(n) & 0xffffff
}
