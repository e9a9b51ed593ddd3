package media

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// dtmfDigits are the RFC 4733 DTMF events 0-15 in order.
const dtmfDigits = "0123456789*#ABCD"

func dtmfDigit(event byte) string {
	if int(event) < len(dtmfDigits) {
		return dtmfDigits[event : event+1]
	}
	return "" // flash and the other non-DTMF events are not digits
}

// ErrNoDTMF is returned when the far end did not negotiate telephone-event.
var ErrNoDTMF = errors.New("media: the far end does not take RFC 4733 telephone events")

const (
	dtmfVolume = 10 // -10 dBm0, what phones send
	dtmfEnd    = 0x80
	// a digit we send lasts 100 ms: five updates 20 ms apart, then the end packet three times
	// (RFC 4733 §2.5.1.4) so that one lost packet does not lose the end
	dtmfUpdates = 5
	dtmfEnds    = 3
)

// SendDTMF sends one digit (0-9, *, #, A-D) to the far end as an RFC 4733 event in our
// stream. It returns when the event has been sent, about 140 ms later.
func (s *Session) SendDTMF(digit string) error {
	code := strings.Index(dtmfDigits, strings.ToUpper(digit))
	if len(digit) != 1 || code < 0 {
		return fmt.Errorf("media: %q is not a DTMF digit (0-9, *, #, A-D)", digit)
	}
	if s.peer.Load().dtmf < 0 {
		return ErrNoDTMF
	}
	var start uint32
	for i := 0; i < dtmfUpdates+dtmfEnds; i++ {
		if i > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		dur := uint16(frameSamples * min(i+1, dtmfUpdates))
		flags := byte(dtmfVolume)
		if i >= dtmfUpdates {
			flags |= dtmfEnd
		}
		payload := [4]byte{byte(code), flags, byte(dur >> 8), byte(dur)}
		if err := s.sendEvent(payload[:], i == 0, &start); err != nil {
			return err
		}
	}
	return nil
}

// sendEvent sends one of our own event packets. The first takes the stream's current
// timestamp into *start; the rest of the event keeps it, as RFC 4733 requires.
func (s *Session) sendEvent(payload []byte, first bool, start *uint32) error {
	t := &s.tx
	t.mu.Lock()
	defer t.mu.Unlock()
	p := s.peer.Load()
	switch {
	case p.closed:
		return net.ErrClosed
	case p.dtmf < 0:
		return ErrNoDTMF
	}
	dest := p.dest()
	if !dest.IsValid() || p.hold {
		return nil
	}
	now := time.Since(s.t0)
	if first {
		*start, _ = t.position(now)
	}
	s.eventStamp(*start, payload, now)
	return s.write(uint8(p.dtmf), first, payload, dest)
}

// RelayEvent implements EventSink: it sends an event packet that arrived on the other leg of
// a bridge, under our payload type and in our stream's timeline; its packets are mapped by
// their timestamp there. It runs on the other leg's reader goroutine.
func (s *Session) RelayEvent(payload []byte, srcTS uint32, marker bool) {
	t := &s.tx
	t.mu.Lock()
	defer t.mu.Unlock()
	p := s.peer.Load()
	if p.closed || p.dtmf < 0 || len(payload) < 4 || len(payload) > maxPayload {
		return
	}
	dest := p.dest()
	if !dest.IsValid() || p.hold {
		return
	}
	now := time.Since(s.t0)
	first := !t.fwdActive || srcTS != t.fwdSrcTS
	if first {
		t.fwdActive, t.fwdSrcTS = true, srcTS
		t.fwdTS, _ = t.position(now)
	}
	s.eventStamp(t.fwdTS, payload, now)
	_ = s.write(uint8(p.dtmf), first || marker, payload, dest)
}

// eventStamp advances the stream for an event packet starting at ts: audio sent after it
// continues from the end of the event's duration so far. s.tx.mu is held.
func (s *Session) eventStamp(ts uint32, payload []byte, now time.Duration) {
	t := &s.tx
	t.seq++
	t.ts, t.lastLen, t.lastSend, t.started = ts, uint32(payload[2])<<8|uint32(payload[3]), now, true
	t.lastReal.Store(int64(now) + s.schedOff)
}
