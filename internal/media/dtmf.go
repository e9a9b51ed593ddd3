package media

import (
	"errors"
	"math"
	"strings"
	"time"
)

const dtmfDigits = "0123456789*#ABCD"

func dtmfDigit(event byte) string {
	if int(event) < len(dtmfDigits) {
		return dtmfDigits[event : event+1]
	}
	return ""
}

// ErrNoDTMF is returned when the far end did not negotiate telephone-event.
var ErrNoDTMF = errors.New("media: the far end does not take RFC 4733 events")

// SendDTMF sends one digit as an RFC 4733 event: 100 ms of tone, then three end packets.
func (s *Session) SendDTMF(digit string) error {
	idx := strings.Index(dtmfDigits, strings.ToUpper(digit))
	if len(digit) != 1 || idx < 0 {
		return errors.New("media: a DTMF digit is one of 0-9 * # A-D")
	}
	s.mu.Lock()
	pt := s.dtmf
	s.mu.Unlock()
	if pt < 0 {
		return ErrNoDTMF
	}
	payload := []byte{byte(idx), 10, 0, 0} // volume -10 dBm0
	var evTS uint32
	for i := 1; i <= 8; i++ {
		dur := uint16(160 * i)
		end := i >= 6
		payload[1] = 10
		if end {
			payload[1] |= 0x80
			dur = 160 * 5
		}
		payload[2], payload[3] = byte(dur>>8), byte(dur)
		if err := s.sendEvent(payload, i == 1, &evTS, i == 1); err != nil {
			return err
		}
		if i < 6 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// sendEvent sends one telephone-event packet in our stream. A new event takes the stream's
// current timestamp; its later packets keep it.
func (s *Session) sendEvent(payload []byte, marker bool, evTS *uint32, first bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.dtmf < 0 {
		return nil
	}
	dest := s.latched
	if !dest.IsValid() {
		dest = s.remote
	}
	if !dest.IsValid() {
		return nil
	}
	if first {
		*evTS = s.ts + s.lastLen
	}
	s.seq++
	n := s.header(uint8(s.dtmf), marker, *evTS)
	n += copy(s.buf[n:], payload)
	_, err := s.conn.WriteToUDPAddrPort(s.buf[:n], dest)
	s.pout.Add(1)
	return err
}

// forwardEvent relays an event packet received on another leg (a bridge).
func (s *Session) forwardEvent(payload []byte, srcTS uint32, marker bool) {
	s.mu.Lock()
	first := !s.fwdActive || srcTS != s.fwdSrcTS
	if first {
		s.fwdActive, s.fwdSrcTS = true, srcTS
	}
	s.mu.Unlock()
	_ = s.sendEvent(payload, marker || first, &s.fwdTS, first)
}

func float64bits(f float64) uint64     { return math.Float64bits(f) }
func float64frombits(b uint64) float64 { return math.Float64frombits(b) }
