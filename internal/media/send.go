package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

const (
	rtpHeaderLen = 12
	// maxPayload bounds one frame: G.711 at up to 120 ms, far more than any phone sends.
	maxPayload = 1024
	// maxGap is the longest pause between two frames that still counts as one continuous
	// feed. A longer one (a hold, a player starting after a bridge) moves the timestamp on by
	// the time that passed and sets the marker, as RFC 3550 does for a new talkspurt.
	maxGap = 100 * time.Millisecond
)

// ErrFrameTooBig is returned by Send for a payload longer than any G.711 frame we carry.
var ErrFrameTooBig = errors.New("media: frame too big")

// sender is a session's outgoing stream. Everything that feeds the session (a player, a
// bridge, an event) goes through it, so the far end sees one stream.
type sender struct {
	mu       sync.Mutex
	ssrc     uint32
	firstSeq uint16 // of our first packet, from which the far end counts what it expected
	seq      uint16
	ts       uint32        // timestamp of the last packet sent
	lastLen  uint32        // its length in samples (for an event: its duration so far)
	lastSend time.Duration // when it was sent, on the session clock
	// lastReal is when the last frame that was not the filler's was handed over, on the
	// scheduler's clock: the filler reads it without the lock
	lastReal atomic.Int64
	started  bool
	buf      [rtpHeaderLen + maxPayload]byte
	// relaying another leg's RFC 4733 event: its timestamp there and ours here
	fwdSrcTS, fwdTS uint32
	fwdActive       bool
}

// position is the timestamp a packet sent at now takes: right after the previous one while
// the feed is continuous, or as far on as the time that passed after a pause.
func (t *sender) position(now time.Duration) (ts uint32, pause bool) {
	if !t.started {
		return t.ts, true
	}
	if gap := now - t.lastSend; gap > maxGap {
		return t.ts + uint32(gap*8000/time.Second), true
	}
	return t.ts + t.lastLen, false
}

// Send implements Endpoint. The frame goes to where the far end's packets come from (or, until
// one has, to the address in its SDP). Nothing is sent while the far end holds us: our
// sequence numbers then stay continuous and the timestamp catches up on resume.
func (s *Session) Send(payload []byte, marker bool) error {
	if len(payload) > maxPayload {
		return ErrFrameTooBig
	}
	t := &s.tx
	t.mu.Lock()
	defer t.mu.Unlock()
	p := s.peer.Load()
	if p.closed {
		return net.ErrClosed
	}
	now := time.Since(s.t0)
	t.lastReal.Store(int64(now) + s.schedOff)
	dest := p.dest()
	if !dest.IsValid() || p.hold {
		return nil
	}
	ts, pause := t.position(now)
	t.ts, t.lastLen, t.lastSend, t.started = ts, uint32(len(payload)), now, true
	t.seq++
	return s.write(p.codec.PayloadType, marker || pause, payload, dest)
}

// write stamps and sends one packet; s.tx.mu is held.
func (s *Session) write(pt uint8, marker bool, payload []byte, dest netip.AddrPort) error {
	t := &s.tx
	h := rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: t.seq, Timestamp: t.ts, SSRC: t.ssrc}
	n, err := h.MarshalTo(t.buf[:])
	if err != nil {
		return err
	}
	n += copy(t.buf[n:], payload)
	if err := s.sock.writeTo(t.buf[:n], dest); err != nil {
		return err
	}
	s.counted.packetsOut.Add(1)
	s.counted.bytesOut.Add(uint64(n))
	return nil
}
