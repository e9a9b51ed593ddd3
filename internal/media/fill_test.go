package media

import (
	"testing"
	"time"
)

// Issue 15, item 1: when one side of a bridge falls silent (the customer holds with
// a=inactive, or stops sending), the other side's phone keeps getting a frame every 20 ms,
// in one stream with continuous sequence numbers and timestamps, and hears the customer
// again, seamlessly, when the audio comes back. Fails before the fix: nothing at all reached
// the agent's phone while the customer was quiet, and phones with a no-RTP timeout hung up.
func TestABridgedLegIsKeptFed(t *testing.T) {
	m := testManager(t, 46400, 46500)
	a, b := newPeer(t, PCMU), newPeer(t, PCMU)
	sa, sb := connect(t, m, a, -1), connect(t, m, b, -1)
	m.Bridge(sa, sb)
	a.sendTone(sa.LocalAddr(), 440, 300*time.Millisecond)
	quiet := time.Now()
	time.Sleep(1300 * time.Millisecond)
	back := time.Now()
	a.sendTone(sa.LocalAddr(), 880, 400*time.Millisecond)
	eventually(t, "a's audio after it came back", func() bool { return len(b.audible()) == 35 })

	got := b.packets()
	var inQuiet []received
	markers := 0
	for i, r := range got {
		if r.hdr.Marker {
			markers++
		}
		if r.at.After(quiet.Add(100*time.Millisecond)) && r.at.Before(back) {
			inQuiet = append(inQuiet, r)
		}
		if i == 0 {
			continue
		}
		prev := got[i-1].hdr
		if d := r.hdr.Timestamp - prev.Timestamp; r.hdr.SequenceNumber != prev.SequenceNumber+1 || d == 0 || d%frameSamples != 0 || d > 8000 {
			t.Fatalf("packet %d: seq %d ts %d after seq %d ts %d", i, r.hdr.SequenceNumber, r.hdr.Timestamp, prev.SequenceNumber, prev.Timestamp)
		}
	}
	// 1.2 s of a's silence is 60 frames; a loaded machine may be late with a few
	if len(inQuiet) < 45 || len(inQuiet) > 62 {
		t.Fatalf("%d frames while a was quiet for 1.2 s, want one every 20 ms", len(inQuiet))
	}
	var gaps []time.Duration
	for i, r := range inQuiet {
		if len(r.pay) != frameSamples || r.pay[0] != silenceByte(PCMU) || r.pay[frameSamples-1] != silenceByte(PCMU) {
			t.Fatalf("frame %d while a was quiet is not silence", i)
		}
		if i > 0 {
			gaps = append(gaps, r.at.Sub(inQuiet[i-1].at))
		}
	}
	if md := median(gaps); md < 17*time.Millisecond || md > 23*time.Millisecond {
		t.Fatalf("silence frames %v apart (median)", md)
	}
	if markers > 1 {
		t.Fatalf("%d markers: the stream should run on through the silence", markers)
	}
	// a's audio came back straight after the silence: the next frame of the stream
	var resumed []int16
	for i, r := range got {
		if r.at.Before(back) || len(r.pay) == 0 || r.pay[0] == silenceByte(PCMU) {
			continue
		}
		if resumed == nil && got[i-1].hdr.Timestamp+frameSamples != r.hdr.Timestamp {
			t.Fatalf("a's first frame back: ts %d after %d", r.hdr.Timestamp, got[i-1].hdr.Timestamp)
		}
		resumed = append(resumed, Decode(PCMU, nil, r.pay)...)
	}
	if !dominates(resumed, 880, 440) {
		t.Fatalf("after the silence b heard %.0f Hz, want a's 880", zeroCrossingHz(resumed))
	}
}

// A leg whose own far end holds us gets nothing, fed or not, and the silence resumes with it.
func TestAHeldLegIsNotFed(t *testing.T) {
	m := testManager(t, 46500, 46600)
	a, b := newPeer(t, PCMU), newPeer(t, PCMU)
	sa, sb := connect(t, m, a, -1), connect(t, m, b, -1)
	if _, hold, err := sb.Reoffer(phoneSDP(b, []Codec{PCMU}, -1, inactive)); err != nil || !hold {
		t.Fatalf("hold: %v %v", hold, err)
	}
	m.Bridge(sa, sb)
	time.Sleep(300 * time.Millisecond)
	if n := len(b.packets()); n != 0 {
		t.Fatalf("%d frames to a phone that holds us", n)
	}
	if n := len(a.packets()); n < 5 {
		t.Fatalf("a, whose partner is on hold, got %d frames", n)
	}
	if _, hold, err := sb.Reoffer(phoneSDP(b, []Codec{PCMU}, -1, sendrecv)); err != nil || hold {
		t.Fatalf("resume: %v %v", hold, err)
	}
	eventually(t, "silence after the resume", func() bool { return len(b.packets()) >= 5 })
	m.Detach(sb)
	m.Detach(sa)
	time.Sleep(50 * time.Millisecond)
	n := len(a.packets()) + len(b.packets())
	time.Sleep(100 * time.Millisecond)
	if m := len(a.packets()) + len(b.packets()); m != n {
		t.Fatalf("%d frames after both legs were detached", m-n)
	}
}

// Silent tells the SIP layer that the far end has stopped sending.
func TestSilent(t *testing.T) {
	m := testManager(t, 46600, 46700)
	p := newPeer(t, PCMU)
	s := connect(t, m, p, -1)
	eventually(t, "silent since it opened", func() bool { return s.Silent(100 * time.Millisecond) })
	p.send(s.LocalAddr(), 0, true, 0, make([]byte, 160))
	eventually(t, "a packet", func() bool { return s.Stats().PacketsIn == 1 })
	if s.Silent(time.Second) {
		t.Fatal("silent right after a packet")
	}
	eventually(t, "silent again", func() bool { return s.Silent(100 * time.Millisecond) })
}
