package media

import (
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// readBuf holds one datagram; anything longer than an MTU is not a G.711 frame.
const readBuf = 1500

// receiver is the state of the incoming stream. Only the session's reader goroutine touches
// it; what others may read is published through the counters.
type receiver struct {
	pkt rtp.Packet // reused: unmarshalling into it does not allocate

	// mu guards what follows, which our RTCP reports read; only the reader changes it
	mu sync.Mutex

	// RFC 3550 A.1 sequence accounting for the current source
	started    bool
	ssrc       uint32
	baseSeq    uint16
	maxSeq     uint16
	cycles     uint64
	received   uint64
	lostBefore uint64 // what earlier sources (SSRCs) lost

	// RFC 3550 A.8 interarrival jitter, in timestamp units scaled by 16
	haveTransit bool
	transit     int32
	jitter      uint32

	// the last RFC 4733 event reported, by its timestamp
	haveEvent bool
	eventTS   uint32
}

const (
	maxDropout  = 3000 // RFC 3550 A.1: a forward jump up to this is loss
	maxMisorder = 100  // and a backward one up to this is a late packet
)

// receive handles one datagram: it must be RTP from the far end in a negotiated format.
func (s *Session) receive(b []byte, src netip.AddrPort, now time.Time) {
	c := &s.counted
	if len(b) < rtpHeaderLen || b[0]>>6 != 2 {
		c.malformed.Add(1)
		return
	}
	if b[1] >= 192 && b[1] <= 223 { // RFC 5761 §4: RTCP (SR, RR, SDES, BYE, APP…) on the RTP port
		s.receiveControl(b, src, now, false)
		return
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	p := s.peer.Load()
	if p.closed {
		return
	}
	if src != p.latched && !p.mayLatch(src) {
		c.foreign.Add(1)
		return
	}
	r := &s.rx
	if err := r.pkt.Unmarshal(b); err != nil {
		c.malformed.Add(1)
		return
	}
	h := &r.pkt.Header
	event := p.dtmf >= 0 && int(h.PayloadType) == p.dtmf
	law := p.codec
	if !event && h.PayloadType != p.codec.PayloadType {
		i := 0
		for i < p.nalt && p.alt[i].PayloadType != h.PayloadType {
			i++
		}
		if i == p.nalt {
			c.unknownPT.Add(1)
			return
		}
		law = p.alt[i]
	}
	if event && len(r.pkt.Payload) < 4 {
		c.malformed.Add(1) // RFC 4733 §2.3: an event is at least four bytes
		return
	}
	if src != p.latched {
		s.latch(src, p.latched)
	}
	c.packetsIn.Add(1)
	c.bytesIn.Add(uint64(len(b)))
	c.lastIn.Store(now.UnixNano())
	r.mu.Lock()
	r.sequence(h.SSRC, h.SequenceNumber)
	if !event {
		r.interarrival(h.Timestamp, now.Sub(s.t0))
	}
	lost, jitter := r.lost(), r.jitter
	r.mu.Unlock()
	c.lost.Store(lost)

	k := s.sinks.Load()
	payload := r.pkt.Payload
	if event {
		if k.event != nil {
			k.event(payload, h.Timestamp, h.Marker)
		}
		// Every packet of an event repeats its timestamp (the end packet three times), so the
		// timestamp tells a new key press from a repeat.
		if !r.haveEvent || h.Timestamp != r.eventTS {
			r.haveEvent, r.eventTS = true, h.Timestamp
			if d := dtmfDigit(payload[0]); d != "" && k.dtmf != nil {
				k.dtmf(d)
			}
		}
		return
	}
	c.jitter.Store(jitter)
	if len(payload) == 0 {
		return
	}
	if law.Name != p.codec.Name { // the far end listed both laws and sent the other one
		transcode(law, p.codec, payload, payload)
	}
	if k.audio != nil {
		k.audio(payload)
	}
}

// mayLatch reports whether packets from src may (re)latch the session. Symmetric RTP: a
// phone behind NAT sends from another address than its SDP names, and we answer where its
// packets come from. But only the address its SDP names, or (until one has latched) an
// address the signalling layer vouched for, may do so: anyone else sending to the port first
// would otherwise take the leg's audio. After latching, only the SDP's address may take over
// (a stray packet from where the far end was before a re-INVITE must not keep the stream).
func (p *peerState) mayLatch(src netip.AddrPort) bool {
	if src == p.remote {
		return true
	}
	return !p.latched.IsValid() && p.vouched.IsValid() && src.Addr() == p.vouched
}

// latch records src as the far end's source in place of was, unless another was learned
// meanwhile or the SDP changed.
func (s *Session) latch(src, was netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peer.Load()
	if p.closed || p.latched != was {
		return
	}
	n := *p
	n.latched = src
	s.peer.Store(&n)
}

// sequence counts a packet of source ssrc (RFC 3550 A.1, without the probation).
func (r *receiver) sequence(ssrc uint32, seq uint16) {
	if !r.started || ssrc != r.ssrc {
		r.restart(ssrc, seq)
		return
	}
	switch d := seq - r.maxSeq; {
	case d == 0: // a duplicate
	case d < maxDropout:
		if seq < r.maxSeq {
			r.cycles += 1 << 16
		}
		r.maxSeq = seq
		r.received++
	case d > 1<<16-maxMisorder: // late, perhaps already counted as lost
		r.received++
	default: // a jump: the source renumbered (a restart, a new device behind the same SSRC)
		r.restart(ssrc, seq)
	}
}

func (r *receiver) restart(ssrc uint32, seq uint16) {
	if r.started {
		r.lostBefore += r.lostNow()
	}
	r.started, r.ssrc, r.baseSeq, r.maxSeq, r.cycles, r.received = true, ssrc, seq, seq, 0, 1
	r.haveTransit, r.haveEvent = false, false
}

// lostNow is what the current source lost: packets expected and never received.
func (r *receiver) lostNow() uint64 {
	expected := r.cycles + uint64(r.maxSeq) - uint64(r.baseSeq) + 1
	if expected < r.received {
		return 0
	}
	return expected - r.received
}

func (r *receiver) lost() uint64 { return r.lostBefore + r.lostNow() }

// interarrival updates the jitter estimate with an audio packet of timestamp ts that arrived
// at now (RFC 3550 A.8, in integer timestamp units scaled by 16).
func (r *receiver) interarrival(ts uint32, now time.Duration) {
	arrival := uint32(now / (time.Second / 8000)) // in samples
	transit := int32(arrival - ts)
	if !r.haveTransit {
		r.haveTransit, r.transit = true, transit
		return
	}
	d := transit - r.transit
	r.transit = transit
	if d < 0 {
		d = -d
	}
	if d > 8000 { // a second or more: the far end's timestamps jumped (a new source), not jitter
		return
	}
	r.jitter += uint32(d) - ((r.jitter + 8) >> 4)
}
