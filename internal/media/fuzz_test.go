package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// The fuzz targets run for a bounded time in the test command:
//
//	go test -run=NONE -fuzz=FuzzReceive -fuzztime=20s ./internal/media
//	go test -run=NONE -fuzz=FuzzRTCP -fuzztime=20s ./internal/media
//	go test -run=NONE -fuzz=FuzzSDP -fuzztime=20s ./internal/media
//
// and their seeds (here and in testdata/fuzz) with every go test.

// deafSink is a far end that never reads: what is sent to it fills its buffer and is then
// dropped, with no reader running in the background (whose loop the fuzzer would count as
// coverage of its input) and no ICMP error coming back.
func deafSink(t testing.TB) netip.AddrPort {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// fuzzSource picks where a fuzzed datagram comes from: the far end's own address (port 0),
// or a port on the far end's address, the vouched one or a stranger's.
func fuzzSource(far netip.AddrPort, host byte, port uint16) netip.AddrPort {
	if port == 0 {
		return far
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1 + host%3}), port)
}

// quiet stops the sessions' report timers and fillers: coverage is counted process-wide, and
// what they run in the background would look to the fuzzer like coverage of its input, which
// it then spends its time failing to reproduce.
func quiet(m *Manager, ss ...*Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range ss {
		s.stopControl()
		m.stopFillLocked(s)
	}
}

// countedIn is every counter a datagram reaching a session can end up in.
func countedIn(st Stats) uint64 {
	return st.PacketsIn + st.Malformed + st.UnknownPT + st.Foreign + st.RTCP + st.RTCPBad
}

// FuzzReceive feeds any bytes from any source to a session's receive path, with the session
// bridged (so forwarding and transcoding run too): nothing may panic, every datagram is
// counted exactly once, and only the far end's addresses get packets in. Each input starts
// from the same state at the same moment, so that what it covers depends on it alone (the
// fuzzer minimises an input by running it again).
func FuzzReceive(f *testing.F) {
	m := testManager(f, 46700, 46800)
	far := deafSink(f)
	s := newSession(f, m)
	if _, err := s.Answer(ourSDP{id: 1, version: 1, addr: far, codecs: []Codec{PCMU, PCMA}, dtmf: 101, direction: sendrecv}.marshal()); err != nil {
		f.Fatal(err)
	}
	s.ExpectSource(netip.MustParseAddr("127.0.0.2"))
	m.Bridge(s, discard{PCMA})
	s.OnDTMF(func(string) {})
	quiet(m, s)
	audio, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: 1, Timestamp: 160, SSRC: 5}, Payload: make([]byte, 160)}).Marshal()
	event, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: true, SequenceNumber: 2, Timestamp: 320, SSRC: 5}, Payload: []byte{5, 10, 0, 160}}).Marshal()
	rr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 5, Reports: []rtcp.ReceptionReport{{SSRC: s.tx.ssrc, TotalLost: 3}}}})
	f.Add(audio[:12], uint16(160), byte(0), uint16(0))
	f.Add(audio[:12], uint16(160), byte(1), uint16(4000)) // from the vouched address
	f.Add(audio[:12], uint16(160), byte(2), uint16(4000)) // from a stranger
	f.Add(event, uint16(0), byte(0), uint16(0))
	f.Add(rr, uint16(0), byte(0), uint16(0))
	fresh, now := *s.peer.Load(), time.Now()
	buf := make([]byte, readBuf)
	// pad is a run of zero bytes after the input, so that long datagrams are reached without
	// long inputs, which the fuzzer is slow to minimise (in quadratic time).
	f.Fuzz(func(t *testing.T, in []byte, pad uint16, host byte, port uint16) {
		n := copy(buf, in)
		n += copy(buf[n:], make([]byte, int(pad)%(readBuf+1)))
		b := buf[:n]
		s.peer.Store(&fresh)
		s.rx = receiver{}
		src := fuzzSource(far, host, port)
		before, taken := countedIn(s.Stats()), s.Stats().PacketsIn
		s.receive(b, src, now)
		st := s.Stats()
		if n := countedIn(st); n != before+1 {
			t.Fatalf("one datagram counted %d times: %+v", n-before, st)
		}
		if st.PacketsIn != taken && src != far && src.Addr() != netip.MustParseAddr("127.0.0.2") {
			t.Fatalf("a packet from %v was taken in", src)
		}
	})
}

// FuzzRTCP feeds any bytes from any source to a session's RTCP path: nothing may panic,
// every packet is counted once (taken in or bad), the figures stay in range, and our next
// report can still be made and read back. As above, each input starts from the same state.
func FuzzRTCP(f *testing.F) {
	m := testManager(f, 46800, 46900)
	far := deafSink(f)
	s := newSession(f, m)
	if _, err := s.Answer(ourSDP{id: 1, version: 1, addr: far, codecs: []Codec{PCMU}, dtmf: -1, direction: sendrecv}.marshal()); err != nil {
		f.Fatal(err)
	}
	s.Send(make([]byte, 160), false)
	now := time.Now()
	ours, err := s.buildReport(now) // an SR of ours on record
	if err != nil {
		f.Fatal(err)
	}
	pkts, _ := rtcp.Unmarshal(ours)
	lsr := uint32(pkts[0].(*rtcp.SenderReport).NTPTime >> 16)
	answer, _ := rtcp.Marshal([]rtcp.Packet{
		&rtcp.SenderReport{SSRC: 9, NTPTime: 0x1234_5678_9abc_def0, Reports: []rtcp.ReceptionReport{
			{SSRC: s.tx.ssrc, FractionLost: 12, TotalLost: 1, LastSequenceNumber: uint32(s.tx.firstSeq) + 20, LastSenderReport: lsr, Delay: 100}}},
		rtcp.NewCNAMESourceDescription(9, "far"), &rtcp.Goodbye{Sources: []uint32{9}}})
	f.Add(answer, byte(0), uint16(0), true)
	f.Add(answer, byte(2), uint16(5001), true)
	f.Add(ours, byte(0), uint16(0), false)
	f.Add([]byte{0x80, 201, 0, 1, 0, 0, 0, 9}, byte(0), uint16(0), true)
	quiet(m, s)
	fresh, rc := *s.peer.Load(), s.rc.far
	f.Fuzz(func(t *testing.T, b []byte, host byte, port uint16, ctlPort bool) {
		s.peer.Store(&fresh)
		s.rc.mu.Lock()
		s.rc.far, s.rc.haveLSR = rc, false
		s.rc.mu.Unlock()
		src := fuzzSource(far, host, port)
		before := s.Stats()
		s.receiveControl(b, src, now.Add(time.Second), ctlPort)
		st := s.Stats()
		if st.RTCP+st.RTCPBad != before.RTCP+before.RTCPBad+1 {
			t.Fatalf("one packet counted %d times", st.RTCP+st.RTCPBad-before.RTCP-before.RTCPBad)
		}
		q := s.Quality()
		if (q.FarLossPct != -1 && (q.FarLossPct < 0 || q.FarLossPct > 100)) || (q.RTTMs != -1 && (q.RTTMs < 0 || q.RTTMs > 60000)) || q.MOS < 1 || q.MOS > 4.5 {
			t.Fatalf("quality out of range: %+v", q)
		}
		rep, err := s.buildReport(now.Add(time.Second))
		if err != nil {
			t.Fatalf("our report cannot be made: %v", err)
		}
		if _, _, err := parseReports(rep); err != nil {
			t.Fatalf("our report cannot be read: %v", err)
		}
	})
}
