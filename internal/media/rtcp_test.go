package media

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"ringdesk/internal/telephony"
)

// rtcpPeer is a phone that speaks RTCP from a socket of its own, named in its SDP (a=rtcp).
// It records every compound packet it gets, and can report on our stream as if it had lost
// every packet whose sequence number is a multiple of dropEvery.
type rtcpPeer struct {
	*rtpPeer
	ctl       *net.UDPConn
	dropEvery uint16

	mu      sync.Mutex
	reports []gotReport
	lsr     uint32 // middle of the NTP time of our last SR, and when it came
	lsrAt   time.Time
	sentSR  []uint64 // NTP times of the SRs it sent
	// what its last report said of our stream
	lastLost, lastExpected int64
}

type gotReport struct {
	at   time.Time
	pkts []rtcp.Packet
}

func newRTCPPeer(t testing.TB, codec Codec) *rtcpPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rtcpPeer{rtpPeer: newPeer(t, codec), ctl: c}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			pkts, err := rtcp.Unmarshal(append([]byte(nil), buf[:n]...))
			if err != nil {
				continue
			}
			now := time.Now()
			p.mu.Lock()
			p.reports = append(p.reports, gotReport{at: now, pkts: pkts})
			if sr, ok := pkts[0].(*rtcp.SenderReport); ok {
				p.lsr, p.lsrAt = uint32(sr.NTPTime>>16), now
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return p
}

func (p *rtcpPeer) ctlAddr() netip.AddrPort { return p.ctl.LocalAddr().(*net.UDPAddr).AddrPort() }

// sdp is its offer, with its RTCP port.
func (p *rtcpPeer) sdp() []byte {
	return append(phoneSDP(p.rtpPeer, []Codec{p.codec}, -1, sendrecv), fmt.Sprintf("a=rtcp:%d\r\n", p.ctlAddr().Port())...)
}

func (p *rtcpPeer) got() []gotReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gotReport(nil), p.reports...)
}

// report sends an SR (its own stream's figures are made up: we only read its NTP time) with
// a block about the stream it has received from us, to dst.
func (p *rtcpPeer) report(dst netip.AddrPort) {
	got := p.packets()
	p.mu.Lock()
	var blocks []rtcp.ReceptionReport
	if len(got) > 0 {
		base, ext := uint32(got[0].hdr.SequenceNumber), uint32(got[0].hdr.SequenceNumber)
		var received int64
		for _, r := range got {
			seq := r.hdr.SequenceNumber
			if d := seq - uint16(ext); d > 0 && d < 0x8000 {
				ext += uint32(d)
			}
			if p.dropEvery == 0 || seq%p.dropEvery != 0 {
				received++
			}
		}
		expected := int64(ext-base) + 1
		p.lastLost, p.lastExpected = expected-received, expected
		b := rtcp.ReceptionReport{SSRC: got[0].hdr.SSRC, TotalLost: uint32(expected - received), LastSequenceNumber: ext}
		if !p.lsrAt.IsZero() {
			b.LastSenderReport, b.Delay = p.lsr, compactDuration(time.Since(p.lsrAt))
		}
		blocks = append(blocks, b)
	}
	ntp := ntpTime(time.Now())
	p.sentSR = append(p.sentSR, ntp)
	p.mu.Unlock()
	b, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: p.ssrc, NTPTime: ntp, Reports: blocks},
		rtcp.NewCNAMESourceDescription(p.ssrc, "peer")})
	p.ctl.WriteToUDPAddrPort(b, dst)
}

// ctlPort is where a session receives RTCP.
func ctlPort(s *Session) netip.AddrPort {
	return netip.AddrPortFrom(s.LocalAddr().Addr(), s.LocalAddr().Port()+1)
}

// Issue 10, media health: a phone that sends RTP and RTCP to a leg gets our compound reports
// (an SR, since we send to it, with a block about its stream naming its last SR, and our
// CNAME) at the RTCP port its SDP names; it reports losing 5 % of our packets, and Quality
// says so, with the round trip measured from its LSR/DLSR. Fails before the fix: the RTCP
// port was not read and nothing was ever sent on it.
func TestRTCPOnTheWire(t *testing.T) {
	m := testManager(t, 46000, 46100)
	m.rtcpInterval = 200 * time.Millisecond
	p := newRTCPPeer(t, PCMU)
	p.dropEvery = 20
	s := newSession(t, m)
	if _, err := s.Answer(p.sdp()); err != nil {
		t.Fatal(err)
	}
	m.Play(s, telephony.AudioHold, true, nil)
	go p.sendTone(s.LocalAddr(), 440, 3*time.Second)
	stop := time.Now().Add(3 * time.Second)
	for time.Now().Before(stop) {
		time.Sleep(100 * time.Millisecond)
		p.report(ctlPort(s))
	}
	time.Sleep(100 * time.Millisecond)

	st := s.Stats()
	if st.RTCP < 20 || st.RTCPBad != 0 || st.RTCPSent < 5 {
		t.Fatalf("RTCP in %d, bad %d, sent %d", st.RTCP, st.RTCPBad, st.RTCPSent)
	}
	got := p.got()
	ourSSRC := p.packets()[0].hdr.SSRC
	p.mu.Lock()
	peerSRs := append([]uint64(nil), p.sentSR...)
	lost, expected := p.lastLost, p.lastExpected
	p.mu.Unlock()
	named := 0
	for _, r := range got {
		sr, ok := r.pkts[0].(*rtcp.SenderReport)
		if !ok {
			t.Fatalf("a report from a leg that sends RTP is %T, want an SR", r.pkts[0])
		}
		if sr.SSRC != ourSSRC || len(r.pkts) < 2 {
			t.Fatalf("SR from SSRC %x in %d packets; our RTP is %x", sr.SSRC, len(r.pkts), ourSSRC)
		}
		sdes, ok := r.pkts[1].(*rtcp.SourceDescription)
		if !ok || len(sdes.Chunks) != 1 || sdes.Chunks[0].Source != ourSSRC || sdes.Chunks[0].Items[0].Type != rtcp.SDESCNAME || sdes.Chunks[0].Items[0].Text == "" {
			t.Fatalf("no CNAME after the SR: %v", r.pkts[1])
		}
		if len(sr.Reports) != 1 {
			continue // before its first packet reached us
		}
		b := sr.Reports[0]
		if b.SSRC != p.ssrc || b.TotalLost != 0 || b.FractionLost != 0 {
			t.Fatalf("block %+v about a stream that lost nothing", b)
		}
		if b.LastSenderReport != 0 {
			found := false
			for _, ntp := range peerSRs {
				found = found || uint32(ntp>>16) == b.LastSenderReport
			}
			if !found || time.Duration(b.Delay)*time.Second/65536 > time.Second {
				t.Fatalf("LSR %x names none of the peer's SRs, or DLSR %d is far longer than its reports' spacing", b.LastSenderReport, b.Delay)
			}
			named++
		}
	}
	if named < 5 {
		t.Fatalf("only %d of %d reports named the peer's last SR", named, len(got))
	}

	q := s.Quality()
	t.Logf("%d reports; quality %+v; the peer reported %d of %d lost", len(got), q, lost, expected)
	if want := 100 * float64(lost) / float64(expected); math.Abs(q.FarLossPct-want) > 0.01 || q.FarLossPct < 4 || q.FarLossPct > 6 {
		t.Errorf("far loss %.2f %%, the peer reported %.2f %%", q.FarLossPct, want)
	}
	if q.RTTMs < 0 || q.RTTMs > 100 {
		t.Errorf("round trip on loopback %.3f ms", q.RTTMs)
	}
	if q.LossPct != 0 || q.MOS < 4 {
		t.Errorf("loss %.2f %%, MOS %.2f", q.LossPct, q.MOS)
	}
}

// The blocks of our report follow RFC 3550 A.3 and §6.4.1 exactly, fed with exact times:
// fraction lost over the interval, cumulative loss, the extended highest sequence across a
// wrap, the far end's last SR and the delay since it came.
func TestReportBlocks(t *testing.T) {
	m := testManager(t, 46100, 46200)
	p := newPeer(t, PCMU)
	s := connect(t, m, p, -1)
	src := p.addr()
	start := s.t0
	next, i := uint16(65500), 0
	feed := func(n int, skip ...uint16) {
		for range n {
			seq := next
			next++
			i++
			skipped := false
			for _, k := range skip {
				skipped = skipped || seq == k
			}
			if skipped {
				continue
			}
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(i) * 160, SSRC: 77},
				Payload: make([]byte, 160)}).Marshal()
			s.receive(b, src, start.Add(time.Duration(i)*framePeriod))
		}
	}
	feed(100, 65510, 65520, 65530, 0, 10) // 5 of 100 lost, across the wrap
	for range 3 {
		s.Send(make([]byte, 160), false)
	}
	srAt := start.Add(time.Hour)
	sr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: 77, NTPTime: 0x0123456789abcdef}})
	s.receiveControl(sr, netip.AddrPortFrom(src.Addr(), src.Port()+1), srAt, true)

	parse := func(b []byte, err error) (rtcp.Packet, rtcp.ReceptionReport) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		pkts, err := rtcp.Unmarshal(b)
		if err != nil || len(pkts) != 2 {
			t.Fatalf("%d packets, %v", len(pkts), err)
		}
		var blocks []rtcp.ReceptionReport
		switch r := pkts[0].(type) {
		case *rtcp.SenderReport:
			blocks = r.Reports
		case *rtcp.ReceiverReport:
			blocks = r.Reports
		}
		if len(blocks) != 1 {
			t.Fatalf("%d blocks", len(blocks))
		}
		return pkts[0], blocks[0]
	}
	first, b := parse(s.buildReport(srAt.Add(1500 * time.Millisecond)))
	want := rtcp.ReceptionReport{SSRC: 77, FractionLost: 5 * 256 / 100, TotalLost: 5, LastSequenceNumber: 1<<16 | 63,
		LastSenderReport: 0x456789ab, Delay: 98304} // 1.5 s in 1/65536 s
	if b != want {
		t.Fatalf("block\n %+v, want\n %+v", b, want)
	}
	if sr, ok := first.(*rtcp.SenderReport); !ok || sr.PacketCount != 3 || sr.OctetCount != 480 || sr.SSRC != s.tx.ssrc {
		t.Fatalf("first report %v, want an SR of 3 packets and 480 octets", first)
	}

	// nothing sent or received since: a receiver report, nothing lost in the interval
	first, b = parse(s.buildReport(srAt.Add(2 * time.Second)))
	if _, ok := first.(*rtcp.ReceiverReport); !ok || b.FractionLost != 0 || b.TotalLost != 5 {
		t.Fatalf("second report %v, block %+v", first, b)
	}
	// 2 of the next 10 lost
	feed(10, 66, 70)
	_, b = parse(s.buildReport(srAt.Add(3 * time.Second)))
	if b.FractionLost != 2*256/10 || b.TotalLost != 7 || b.LastSequenceNumber != 1<<16|73 {
		t.Fatalf("third block %+v", b)
	}
}

// The far end's reports are believed only from its addresses, and only when they parse;
// the rest is counted and changes nothing. A block whose LSR is none of ours gives no round
// trip.
func TestHostileRTCPIsDroppedAndCounted(t *testing.T) {
	m := testManager(t, 46200, 46300)
	p := newPeer(t, PCMU)
	s := connect(t, m, p, -1)
	s.Send(make([]byte, 160), false)
	s.buildReport(time.Now()) // one SR of ours on record
	stranger := netip.MustParseAddrPort("127.0.0.3:5000")
	from := netip.AddrPortFrom(p.addr().Addr(), p.addr().Port()+1)
	lie, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{
		{SSRC: s.tx.ssrc, FractionLost: 255, TotalLost: 1000, LastSequenceNumber: uint32(s.tx.firstSeq) + 9, LastSenderReport: 0xdeadbeef, Delay: 1}}}})
	now := time.Now()
	s.receiveControl(lie, stranger, now, true)
	for _, junk := range [][]byte{
		nil, {0x80}, {0x80, 201, 0, 1}, // too short for its length
		{0x80, 201, 0, 0, 0x80, 201, 0, 0xff},       // a second packet running off the end
		{0x80, 99, 0, 0},                            // not RTCP
		{0x40, 201, 0, 0},                           // version 1
		{0x81, 200, 0, 1, 0, 0, 0, 1},               // an SR without its sender info
		append([]byte{0x9f, 201, 0, 1}, lie[4:]...), // 31 blocks promised
	} {
		s.receiveControl(junk, from, now, true)
	}
	st := s.Stats()
	if st.RTCPBad != 9 || st.RTCP != 0 || s.Quality().FarLossPct != -1 || s.peer.Load().ctlLatched.IsValid() {
		t.Fatalf("stats %+v, quality %+v", st, s.Quality())
	}
	s.receiveControl(lie, from, now, true)
	q := s.Quality()
	if s.Stats().RTCP != 1 || q.FarLossPct != 100 || q.RTTMs != -1 {
		t.Fatalf("from the far end: %+v", q)
	}
	if s.peer.Load().ctlDest() != from {
		t.Fatalf("our reports go to %v, want where its came from", s.peer.Load().ctlDest())
	}
}

// RFC 3550 §6.2: reports 0.5–1.5 of the interval apart, the first after half of it.
func TestReportInterval(t *testing.T) {
	m := testManager(t, 46300, 46400)
	var sum time.Duration
	const n = 1000
	for range n {
		d := m.reportDelay(false)
		if d < rtcpInterval/2 || d > rtcpInterval*3/2 {
			t.Fatalf("interval %v", d)
		}
		sum += d
		if f := m.reportDelay(true); f < rtcpInterval/4 || f > rtcpInterval*3/4 {
			t.Fatalf("first interval %v", f)
		}
	}
	if mean := sum / n; mean < rtcpInterval*9/10 || mean > rtcpInterval*11/10 {
		t.Fatalf("mean interval %v", mean) // 11 standard deviations from 5 s
	}
}
