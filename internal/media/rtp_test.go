package media

import (
	"bytes"
	"math"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"ringdesk/internal/telephony"
)

// Phones behind NAT send from another address than their SDP says: we send to the SDP's
// address until packets arrive, then to where they come from (when the signalling layer
// vouched for that address), and ignore anyone else.
func TestSymmetricRTPLatching(t *testing.T) {
	m := testManager(t, 30400, 30500)
	inSDP := newPeer(t, PCMU)
	real := newPeerAt(t, PCMU, "127.0.0.2") // the phone's NAT, where its SIP came from
	intruder := newPeerAt(t, PCMU, "127.0.0.3")
	s := connect(t, m, inSDP, -1)
	s.ExpectSource(real.addr().Addr())

	// before any packet: to the address in the SDP
	if err := s.Send(make([]byte, 160), true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a frame at the SDP address", func() bool { return len(inSDP.packets()) == 1 })

	var heard atomic.Int32
	s.OnAudio(func([]byte) { heard.Add(1) })
	real.send(s.LocalAddr(), 0, true, 0, make([]byte, 160))
	eventually(t, "latching", func() bool { return s.Remote() == real.addr() })
	s.Send(make([]byte, 160), false)
	eventually(t, "a frame at the packets' source", func() bool { return len(real.packets()) == 1 })

	// someone else's packets are counted and dropped, and do not move us
	intruder.send(s.LocalAddr(), 0, false, 160, make([]byte, 160))
	eventually(t, "the intruder counted", func() bool { return s.Stats().Foreign == 1 })
	if s.Remote() != real.addr() || heard.Load() != 1 {
		t.Fatalf("remote %v, %d frames heard", s.Remote(), heard.Load())
	}

	// the address the SDP names may always take over from a learned one
	inSDP.send(s.LocalAddr(), 0, false, 480, make([]byte, 160))
	eventually(t, "the SDP's address taking over", func() bool { return s.Remote() == inSDP.addr() })
	real.send(s.LocalAddr(), 0, false, 640, make([]byte, 160))
	eventually(t, "the old source counted", func() bool { return s.Stats().Foreign == 2 })
	if s.Remote() != inSDP.addr() {
		t.Fatalf("a learned source took the stream back from the SDP's address")
	}

	// a new address in the SDP (the far end moved) means learning again, still only from
	// the SDP's address or the vouched one
	moved := newPeer(t, PCMU)
	if _, _, err := s.Reoffer(phoneSDP(moved, []Codec{PCMU}, -1, sendrecv)); err != nil {
		t.Fatal(err)
	}
	if s.Remote() != moved.addr() {
		t.Fatalf("after the re-offer we send to %v, want %v", s.Remote(), moved.addr())
	}
	intruder.send(s.LocalAddr(), 0, false, 320, make([]byte, 160))
	eventually(t, "the intruder counted again", func() bool { return s.Stats().Foreign == 3 })
	natAgain := newPeerAt(t, PCMU, "127.0.0.2") // the NAT gave the phone another port
	natAgain.send(s.LocalAddr(), 0, false, 320, make([]byte, 160))
	eventually(t, "latching to the new source", func() bool { return s.Remote() == natAgain.addr() })
	// the same SDP again does not unlatch
	if _, _, err := s.Reoffer(phoneSDP(moved, []Codec{PCMU}, -1, sendrecv)); err != nil || s.Remote() != natAgain.addr() {
		t.Fatalf("an unchanged re-offer moved us to %v (%v)", s.Remote(), err)
	}
}

// Issue 9, item 7: a stranger who sends to a new leg's port before the real phone does
// neither hears the leg's audio nor is heard, and the phone's packets still latch it. Fails
// before the fix (the first packet from anywhere latched the session): the attacker got
// every frame meant for the phone.
func TestAStrangerCannotCaptureAFreshSession(t *testing.T) {
	m := testManager(t, 34700, 34800)
	phone := newPeer(t, PCMU)
	attacker := newPeerAt(t, PCMU, "127.0.0.3")
	s := connect(t, m, phone, -1)
	var heard atomic.Int32
	s.OnAudio(func([]byte) { heard.Add(1) })
	for i := range 5 {
		attacker.send(s.LocalAddr(), 0, i == 0, uint32(i*160), make([]byte, 160))
	}
	eventually(t, "the attacker's packets counted", func() bool { return s.Stats().Foreign == 5 })
	for range 3 {
		if err := s.Send(bytes.Repeat([]byte{0x55}, 160), false); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the frames at the phone", func() bool { return len(phone.packets()) == 3 })
	phone.send(s.LocalAddr(), 0, true, 0, make([]byte, 160))
	eventually(t, "the phone heard", func() bool { return heard.Load() == 1 })
	s.Send(bytes.Repeat([]byte{0x55}, 160), false)
	eventually(t, "the fourth frame at the phone", func() bool { return len(phone.packets()) == 4 })
	time.Sleep(50 * time.Millisecond) // let anything misdirected arrive before looking
	if n := len(attacker.packets()); n != 0 || s.Remote() != phone.addr() || s.Stats().PacketsIn != 1 {
		t.Fatalf("the attacker got %d frames; we send to %v; %d packets taken in", n, s.Remote(), s.Stats().PacketsIn)
	}
}

// A phone behind NAT names an address in its SDP that cannot be reached; its packets come
// from its NAT, which the SIP layer vouches for. Without the vouching they are foreign;
// with it they latch the session, from whatever port the NAT chose.
func TestAVouchedNATPeerLatches(t *testing.T) {
	m := testManager(t, 34800, 34900)
	nat := newPeerAt(t, PCMU, "127.0.0.2")
	s := newSession(t, m)
	private := ourSDP{id: 42, version: 1, addr: netip.MustParseAddrPort("127.0.0.9:4000"), codecs: []Codec{PCMU}, dtmf: -1, direction: sendrecv}
	if _, err := s.Answer(private.marshal()); err != nil {
		t.Fatal(err)
	}
	nat.send(s.LocalAddr(), 0, true, 0, make([]byte, 160))
	eventually(t, "the unvouched packet counted", func() bool { return s.Stats().Foreign == 1 })
	s.ExpectSource(netip.MustParseAddr("127.0.0.2"))
	nat.send(s.LocalAddr(), 0, false, 160, make([]byte, 160))
	eventually(t, "latching to the NAT", func() bool { return s.Remote() == nat.addr() })
	if err := s.Send(make([]byte, 160), false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "our frame at the NAT", func() bool { return len(nat.packets()) == 1 })
}

// Junk on the RTP port is counted and goes nowhere; it does not latch the session either.
func TestJunkIsCountedAndIgnored(t *testing.T) {
	m := testManager(t, 30500, 30600)
	p := newPeer(t, PCMU)
	s := connect(t, m, p, 101)
	var heard atomic.Int32
	s.OnAudio(func([]byte) { heard.Add(1) })
	rtcpRR := []byte{0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, junk := range [][]byte{
		{1, 2, 3},                                             // too short
		bytes.Repeat([]byte{0x40}, 20),                        // version 1
		{0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},               // 15 CSRCs promised, none there
		{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200}, // padding longer than the packet
		rtcpRR,
	} {
		p.conn.WriteToUDPAddrPort(junk, s.LocalAddr())
	}
	p.send(s.LocalAddr(), 18, false, 0, make([]byte, 20)) // G.729: not negotiated
	p.send(s.LocalAddr(), 101, false, 0, []byte{1, 2})    // an event too short to be one
	eventually(t, "the counters", func() bool {
		st := s.Stats()
		return st.Malformed == 5 && st.RTCP == 1 && st.UnknownPT == 1
	})
	st := s.Stats()
	if heard.Load() != 0 || st.PacketsIn != 0 || s.peer.Load().latched.IsValid() {
		t.Fatalf("heard %d, stats %+v", heard.Load(), st)
	}
}

// Loss and jitter follow RFC 3550, fed with exact arrival times.
func TestReceiveStatistics(t *testing.T) {
	m := testManager(t, 30600, 30700)
	p := newPeer(t, PCMU)
	s := connect(t, m, p, -1)
	src := p.addr()
	start := s.t0
	feed := func(ssrc uint32, seq uint16, ts uint32, at time.Duration) {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc},
			Payload: make([]byte, 160)}).Marshal()
		s.receive(b, src, start.Add(at))
	}
	// 65530…65535, 0…9 across the wrap, with 65534 and 3 missing; arrivals alternately 10 ms
	// early and late, so each transit changes by 20 ms = 160 samples
	seq, n := uint16(65530), 0
	for i := 0; i < 16; i++ {
		if seq != 65534 && seq != 3 {
			shift := 10 * time.Millisecond
			if n%2 == 1 {
				shift = 30 * time.Millisecond
			}
			feed(7, seq, uint32(i*160), time.Duration(i)*framePeriod+shift)
			n++
		}
		seq++
	}
	if st := s.Stats(); st.Lost != 2 || st.PacketsIn != 14 {
		t.Fatalf("lost %d of %d, want 2 of 14", st.Lost, st.PacketsIn)
	}
	feed(7, 3, 9*160, 500*time.Millisecond) // late, not lost after all
	if st := s.Stats(); st.Lost != 1 {
		t.Fatalf("after a late packet: lost %d, want 1", st.Lost)
	}
	// the jitter estimate converges towards |D| = 160 samples = 20 ms
	for i := 16; i < 200; i++ {
		shift := 10 * time.Millisecond
		if i%2 == 1 {
			shift = 30 * time.Millisecond
		}
		feed(7, seq, uint32(i*160), time.Duration(i)*framePeriod+shift)
		seq++
	}
	if j := s.Stats().Jitter; math.Abs(j-20) > 1 {
		t.Fatalf("jitter %.2f ms, want ~20", j)
	}
	// a new source (SSRC) numbering from elsewhere is not loss
	feed(8, 1000, 5, 10*time.Second)
	feed(8, 1001, 165, 10*time.Second+framePeriod)
	if st := s.Stats(); st.Lost != 1 || !st.LastIn.Equal(start.Add(10*time.Second+framePeriod)) {
		t.Fatalf("after a new SSRC: lost %d, last %v", st.Lost, st.LastIn)
	}
}

// Whatever feeds a session — a player, a bridge, a digit, another player — the far end sees
// one stream: one SSRC, sequence numbers without a gap, timestamps that only go forward, and
// the marker on each change of source.
func TestOneContinuousStream(t *testing.T) {
	m := testManager(t, 30700, 30800)
	phone, other := newPeer(t, PCMU), newPeer(t, PCMA)
	s := connect(t, m, phone, 101)
	o := connect(t, m, other, -1)

	m.Play(s, telephony.AudioRingback, true, nil)
	time.Sleep(200 * time.Millisecond)
	m.Bridge(s, o)
	other.sendTone(o.LocalAddr(), 880, 200*time.Millisecond)
	if err := s.SendDTMF("7"); err != nil {
		t.Fatal(err)
	}
	m.Play(s, telephony.AudioHold, true, nil)
	time.Sleep(200 * time.Millisecond)
	m.Detach(s)
	time.Sleep(50 * time.Millisecond)

	got := phone.packets()
	if len(got) < 30 {
		t.Fatalf("only %d packets", len(got))
	}
	markers := 0
	var lastAudioTS uint32
	for i, r := range got {
		if r.hdr.SSRC != got[0].hdr.SSRC {
			t.Fatalf("packet %d: SSRC %x, then %x", i, got[0].hdr.SSRC, r.hdr.SSRC)
		}
		if i > 0 && r.hdr.SequenceNumber != got[i-1].hdr.SequenceNumber+1 {
			t.Fatalf("packet %d: sequence %d after %d", i, r.hdr.SequenceNumber, got[i-1].hdr.SequenceNumber)
		}
		if r.hdr.PayloadType == 0 {
			if i > 0 && int32(r.hdr.Timestamp-lastAudioTS) <= 0 {
				t.Fatalf("packet %d: timestamp %d after %d", i, r.hdr.Timestamp, lastAudioTS)
			}
			lastAudioTS = r.hdr.Timestamp
		}
		if r.hdr.Marker {
			markers++
		}
	}
	// ringback, the bridged tone, the digit, hold music
	if markers < 4 || markers > 6 {
		t.Fatalf("%d markers, want one per change of source", markers)
	}
}

// A far end that holds us (sendonly, inactive, c=0.0.0.0) gets nothing; on resume the
// stream picks up with the marker set and the timestamp moved on by the time that passed.
func TestNothingIsSentWhileTheFarEndHolds(t *testing.T) {
	m := testManager(t, 30800, 30900)
	p := newPeer(t, PCMU)
	s := connect(t, m, p, -1)
	m.Play(s, telephony.AudioHold, true, nil)
	time.Sleep(100 * time.Millisecond)
	if _, hold, err := s.Reoffer(phoneSDP(p, []Codec{PCMU}, -1, sendonly)); err != nil || !hold {
		t.Fatalf("hold: %v %v", hold, err)
	}
	time.Sleep(30 * time.Millisecond)
	before := len(p.packets())
	time.Sleep(300 * time.Millisecond)
	if n := len(p.packets()); n != before {
		t.Fatalf("%d frames sent to a far end that holds us", n-before)
	}
	if _, hold, _ := s.Reoffer(phoneSDP(p, []Codec{PCMU}, -1, sendrecv)); hold {
		t.Fatal("resume reported as hold")
	}
	eventually(t, "frames after the resume", func() bool { return len(p.packets()) > before })
	got := p.packets()
	last, next := got[before-1].hdr, got[before].hdr
	if !next.Marker || next.SequenceNumber != last.SequenceNumber+1 || next.Timestamp-last.Timestamp < 8*300 {
		t.Fatalf("resume: %+v after %+v", next, last)
	}
}
