package media

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// pressKey sends one RFC 4733 event as phones do: a marked start, updates, and the end
// packet three times, all with the timestamp where the event began.
func pressKey(p *rtpPeer, dst *Session, pt uint8, event byte, ts uint32) {
	for i := 0; i < 7; i++ {
		dur := uint16(160 * min(i+1, 4))
		flags := byte(10)
		if i >= 4 {
			flags |= 0x80
		}
		p.send(dst.LocalAddr(), pt, i == 0, ts, []byte{event, flags, byte(dur >> 8), byte(dur)})
		time.Sleep(2 * time.Millisecond)
	}
}

func TestDTMFIsReportedOncePerEvent(t *testing.T) {
	m := testManager(t, 34000, 34100)
	p := newPeer(t, PCMU)
	s := connect(t, m, p, 101)
	var mu sync.Mutex
	var digits []string
	s.OnDTMF(func(d string) { mu.Lock(); digits = append(digits, d); mu.Unlock() })
	pressKey(p, s, 101, 5, 1000)
	pressKey(p, s, 101, 5, 3000) // the same key again: a new event, a new timestamp
	pressKey(p, s, 101, 11, 5000)
	pressKey(p, s, 101, 16, 7000) // flash: an event, not a digit
	eventually(t, "three digits", func() bool { mu.Lock(); defer mu.Unlock(); return len(digits) >= 3 })
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(digits) != 3 || digits[0] != "5" || digits[1] != "5" || digits[2] != "#" {
		t.Fatalf("digits %q, want 5 5 #", digits)
	}
}

// A digit pressed on one leg reaches the other under that leg's payload type, in its stream,
// packet for packet; a leg that did not negotiate telephone-event gets none.
func TestDTMFCrossesTheBridge(t *testing.T) {
	m := testManager(t, 34100, 34200)
	a, b, c := newPeer(t, PCMU), newPeer(t, PCMA), newPeer(t, PCMU)
	sa, sb, sc := connect(t, m, a, 101), connect(t, m, b, 96), connect(t, m, c, -1)
	var mu sync.Mutex
	var digits []string
	sa.OnDTMF(func(d string) { mu.Lock(); digits = append(digits, d); mu.Unlock() })
	m.Bridge(sa, sb)
	pressKey(a, sa, 101, 9, 4242)
	eventually(t, "the relayed event", func() bool { return len(b.except(8)) == 7 })
	got := b.except(8)
	for i, r := range got {
		dur := uint16(160 * min(i+1, 4))
		switch {
		case r.hdr.PayloadType != 96:
			t.Fatalf("packet %d: payload type %d, want 96", i, r.hdr.PayloadType)
		case r.hdr.Timestamp != got[0].hdr.Timestamp:
			t.Fatalf("packet %d: timestamp moved within one event", i)
		case r.hdr.Marker != (i == 0):
			t.Fatalf("packet %d: marker %v", i, r.hdr.Marker)
		case r.pay[0] != 9 || (r.pay[1]&0x80 != 0) != (i >= 4) || uint16(r.pay[2])<<8|uint16(r.pay[3]) != dur:
			t.Fatalf("packet %d: payload %x", i, r.pay)
		}
	}
	mu.Lock()
	if len(digits) != 1 || digits[0] != "9" {
		t.Errorf("reported %q, want one 9", digits)
	}
	mu.Unlock()

	m.Bridge(sa, sc)
	pressKey(a, sa, 101, 1, 9000)
	time.Sleep(50 * time.Millisecond)
	if n := len(c.except(0)); n != 0 {
		t.Fatalf("%d event packets to a leg without telephone-event", n)
	}
}

func TestSendDTMF(t *testing.T) {
	m := testManager(t, 34200, 34300)
	p, plain := newPeer(t, PCMA), newPeer(t, PCMU)
	s, s2 := connect(t, m, p, 96), connect(t, m, plain, -1)
	s.Send(make([]byte, 160), false) // some audio first: the event continues the stream
	if err := s.SendDTMF("#"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the event", func() bool { return len(p.packets()) == 9 })
	got := p.packets()
	audio, ev := got[0].hdr, got[1:]
	for i, r := range ev {
		end := i >= dtmfUpdates
		dur := uint16(160 * min(i+1, dtmfUpdates))
		switch {
		case r.hdr.PayloadType != 96 || r.hdr.SSRC != audio.SSRC:
			t.Fatalf("packet %d: payload type %d ssrc %x", i, r.hdr.PayloadType, r.hdr.SSRC)
		case r.hdr.SequenceNumber != audio.SequenceNumber+uint16(i)+1:
			t.Fatalf("packet %d: sequence %d after %d", i, r.hdr.SequenceNumber, audio.SequenceNumber)
		case r.hdr.Timestamp != audio.Timestamp+160:
			t.Fatalf("packet %d: timestamp %d, want the frame after the audio's", i, r.hdr.Timestamp)
		case r.hdr.Marker != (i == 0):
			t.Fatalf("packet %d: marker %v", i, r.hdr.Marker)
		case r.pay[0] != 11 || r.pay[1]&0x3f != dtmfVolume || (r.pay[1]&0x80 != 0) != end || uint16(r.pay[2])<<8|uint16(r.pay[3]) != dur:
			t.Fatalf("packet %d: payload %x", i, r.pay)
		}
	}
	if gap := ev[len(ev)-1].at.Sub(ev[0].at); gap < 120*time.Millisecond {
		t.Errorf("the event took %v, want its packets 20 ms apart", gap)
	}
	if err := s2.SendDTMF("1"); !errors.Is(err, ErrNoDTMF) {
		t.Errorf("to a leg without telephone-event: %v", err)
	}
	for _, bad := range []string{"x", "12", "", "E"} {
		if err := s.SendDTMF(bad); err == nil {
			t.Errorf("%q accepted as a digit", bad)
		}
	}
}
