package media

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"ringdesk/internal/telephony"
)

// sink is a far end that reads and drops whatever it is sent, so benchmarks measure us.
func sink(b *testing.B) netip.AddrPort {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	b.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

func benchSession(b *testing.B, m *Manager, far netip.AddrPort, c Codec) *Session {
	s, err := m.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Answer(ourSDP{id: 1, version: 1, addr: far, codecs: []Codec{c}, dtmf: 101, direction: sendrecv}.marshal()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkBridgeForward is the cost of one packet crossing a bridge, from the moment the
// datagram is read: parse, source check, statistics, transcode PCMU→PCMA, restamp and the UDP
// write to the far end. The read itself (one syscall) comes on top.
func BenchmarkBridgeForward(b *testing.B) {
	for _, tc := range []struct {
		name string
		to   Codec
	}{{"same-law", PCMU}, {"transcode", PCMA}} {
		b.Run(tc.name, func(b *testing.B) {
			m := testManager(b, 35000, 35100)
			sa := benchSession(b, m, netip.MustParseAddrPort("127.0.0.1:9"), PCMU)
			sb := benchSession(b, m, sink(b), tc.to)
			m.Bridge(sa, sb)
			src := netip.MustParseAddrPort("127.0.0.1:9")
			pkt := make([]byte, rtpHeaderLen+160)
			h := rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.SequenceNumber, h.Timestamp = uint16(i), uint32(i*160)
				h.MarshalTo(pkt)
				sa.receive(pkt, src, now)
			}
		})
	}
}

// BenchmarkReceivePath is BenchmarkBridgeForward without the UDP write: what our own code
// costs a packet (parse, source check, statistics, transcode, hand-off).
func BenchmarkReceivePath(b *testing.B) {
	m := testManager(b, 35200, 35300)
	sa := benchSession(b, m, netip.MustParseAddrPort("127.0.0.1:9"), PCMU)
	m.Bridge(sa, discard{PCMA})
	src := netip.MustParseAddrPort("127.0.0.1:9")
	pkt := make([]byte, rtpHeaderLen+160)
	h := rtp.Header{Version: 2, PayloadType: 0, SSRC: 7}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.SequenceNumber, h.Timestamp = uint16(i), uint32(i*160)
		h.MarshalTo(pkt)
		sa.receive(pkt, src, now)
	}
}

// discard is an endpoint that takes frames and does nothing with them.
type discard struct{ codec Codec }

func (d discard) Codec() Codec              { return d.codec }
func (discard) Send(p []byte, m bool) error { return nil }
func (discard) OnAudio(func([]byte))        {}

// BenchmarkPlayerFrame is the cost of one player frame: take it from the clip, encode it for
// the endpoint and send it (a UDP write). A core sends 1 s / (50 × ns/op) players.
func BenchmarkPlayerFrame(b *testing.B) {
	m := testManager(b, 35100, 35200)
	s := benchSession(b, m, sink(b), PCMA)
	p := newPlayer(m, s, true, nil)
	p.clip = builtinClip(telephony.AudioHold)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.tick()
	}
	b.ReportMetric(float64(time.Second)/float64(50*b.Elapsed().Nanoseconds()/int64(b.N)), "players/core")
}

// BenchmarkPlayersPerCore runs 2,000 real players (hold music into RTP sessions) for a
// second of wall clock, and reports the CPU they took and how many players a core carries.
func BenchmarkPlayersPerCore(b *testing.B) {
	const players = 2000
	m := testManager(b, 36000, 44100)
	far := sink(b)
	ss := make([]*Session, players)
	for i := range ss {
		ss[i] = benchSession(b, m, far, PCMU)
	}
	b.ResetTimer()
	for range b.N {
		before := cpuTime()
		for _, s := range ss {
			m.Play(s, telephony.AudioHold, true, nil)
		}
		time.Sleep(time.Second)
		for _, s := range ss {
			m.Detach(s)
		}
		used := cpuTime() - before
		b.ReportMetric(float64(used)/float64(time.Second)*100, "%cpu")
		b.ReportMetric(players/(float64(used)/float64(time.Second)), "players/core")
	}
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
