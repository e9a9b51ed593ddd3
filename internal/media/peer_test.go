package media

import (
	"bytes"
	"math"
	"net"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// rtpPeer is a phone's media in a test: a UDP socket on loopback that sends a tone and
// records every packet it gets.
type rtpPeer struct {
	conn  *net.UDPConn
	codec Codec
	ssrc  uint32
	seq   uint16
	ts    uint32
	mu    sync.Mutex
	got   []received
	stop  chan struct{}
	wg    sync.WaitGroup
}

type received struct {
	at  time.Time
	hdr rtp.Header
	pay []byte
}

func newPeer(t testing.TB, codec Codec) *rtpPeer {
	t.Helper()
	return newPeerAt(t, codec, "127.0.0.1")
}

// newPeerAt is a peer on another loopback address, for tests that need a stranger or a
// phone behind NAT to come from an address of its own.
func newPeerAt(t testing.TB, codec Codec, ip string) *rtpPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 0)))
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPeer{conn: c, codec: codec, ssrc: 0x1234, stop: make(chan struct{})}
	p.wg.Add(1)
	go p.read()
	t.Cleanup(p.close)
	return p
}

func (p *rtpPeer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *rtpPeer) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	p.conn.Close()
	p.wg.Wait()
}

func (p *rtpPeer) read() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(append([]byte(nil), buf[:n]...)) != nil {
			continue
		}
		p.mu.Lock()
		p.got = append(p.got, received{at: time.Now(), hdr: pkt.Header, pay: pkt.Payload})
		p.mu.Unlock()
	}
}

// packets returns what arrived so far.
func (p *rtpPeer) packets() []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]received(nil), p.got...)
}

// except returns what arrived so far but packets of payload type pt: the events, when pt
// is the audio's (a bridged leg also gets silence whenever its partner is quiet).
func (p *rtpPeer) except(pt uint8) []received {
	var out []received
	for _, r := range p.packets() {
		if r.hdr.PayloadType != pt {
			out = append(out, r)
		}
	}
	return out
}

// audible returns what arrived so far but frames of silence.
func (p *rtpPeer) audible() []received {
	var out []received
	for _, r := range p.packets() {
		if !bytes.Equal(r.pay, silenceFrame(p.codec)) {
			out = append(out, r)
		}
	}
	return out
}

// reset forgets what arrived so far.
func (p *rtpPeer) reset() {
	p.mu.Lock()
	p.got = nil
	p.mu.Unlock()
}

// samples decodes the audio that arrived in the peer's codec.
func (p *rtpPeer) samples() []int16 {
	var out []int16
	for _, r := range p.packets() {
		if r.hdr.PayloadType == p.codec.PayloadType {
			out = append(out, Decode(p.codec, nil, r.pay)...)
		}
	}
	return out
}

// send sends one RTP packet as the peer's stream.
func (p *rtpPeer) send(dst netip.AddrPort, pt uint8, marker bool, ts uint32, payload []byte) {
	p.seq++
	h := rtp.Header{Version: 2, PayloadType: pt, Marker: marker, SequenceNumber: p.seq, Timestamp: ts, SSRC: p.ssrc}
	b, _ := (&rtp.Packet{Header: h, Payload: payload}).Marshal()
	p.conn.WriteToUDPAddrPort(b, dst)
}

// sendTone sends a tone of hz to dst, a 20 ms frame every 20 ms of wall clock, for d.
func (p *rtpPeer) sendTone(dst netip.AddrPort, hz float64, d time.Duration) {
	pcm := make([]int16, frameSamples)
	next := time.Now()
	for i := 0; i < int(d/framePeriod); i++ {
		for j := range pcm {
			pcm[j] = int16(8000 * math.Sin(2*math.Pi*hz*float64(p.ts+uint32(j))/8000))
		}
		p.send(dst, p.codec.PayloadType, i == 0, p.ts, Encode(p.codec, nil, pcm))
		p.ts += frameSamples
		next = next.Add(framePeriod)
		time.Sleep(time.Until(next))
	}
}

// goertzel is the power of x at frequency hz (8 kHz sampling), normalised by length.
func goertzel(x []int16, hz float64) float64 {
	w := 2 * math.Pi * hz / 8000
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return p / float64(len(x)*len(x))
}

// dominates reports whether x carries hz at least ten times as strongly as each of others.
func dominates(x []int16, hz float64, others ...float64) bool {
	if len(x) < 800 {
		return false
	}
	p := goertzel(x, hz)
	for _, o := range others {
		if p < 10*goertzel(x, o) {
			return false
		}
	}
	return p > 0
}

// zeroCrossingHz estimates the dominant frequency of x.
func zeroCrossingHz(x []int16) float64 {
	if len(x) < 800 {
		return 0
	}
	z := 0
	for i := 1; i < len(x); i++ {
		if (x[i-1] < 0) != (x[i] < 0) {
			z++
		}
	}
	return float64(z) / 2 / (float64(len(x)) / 8000)
}

func median(d []time.Duration) time.Duration {
	d = append([]time.Duration(nil), d...)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// eventually polls cond for up to two seconds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// testManager is a Manager on loopback with its own port range and stable SDP session ids.
func testManager(t testing.TB, min, max int) *Manager {
	t.Helper()
	m, err := NewManager(Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: min, PortMax: max,
		SessionID: func() uint64 { return 1234 }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newSession(t testing.TB, m *Manager) *Session {
	t.Helper()
	s, err := m.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// phoneSDP is what a phone at p would offer: codecs in its order, telephone-event as dtmf
// (-1 for none), a direction.
func phoneSDP(p *rtpPeer, codecs []Codec, dtmf int, dir string) []byte {
	return ourSDP{id: 42, version: 1, addr: p.addr(), codecs: codecs, dtmf: dtmf, direction: dir}.marshal()
}

// connect answers a phone's offer on a new session: the usual inbound leg.
func connect(t testing.TB, m *Manager, p *rtpPeer, dtmf int) *Session {
	t.Helper()
	s := newSession(t, m)
	if _, err := s.Answer(phoneSDP(p, []Codec{p.codec}, dtmf, sendrecv)); err != nil {
		t.Fatal(err)
	}
	return s
}
