package media

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringdesk/internal/telephony"
)

func newManager(t *testing.T, min, max int) *Manager {
	m, err := NewManager(Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: min, PortMax: max}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestG711(t *testing.T) {
	for i := -32768; i < 32768; i += 7 {
		s := int16(i)
		for _, c := range []Codec{PCMU, PCMA} {
			got := Decode(c, nil, Encode(c, nil, []int16{s}))[0]
			diff := int(got) - int(s)
			if diff < 0 {
				diff = -diff
			}
			limit := 1 + abs(int(s))/16 // G.711 keeps about 4 significant bits of a segment
			if diff > limit+8 {
				t.Fatalf("%s: %d → %d (off by %d)", c.Name, s, got, diff)
			}
		}
	}
	for b := 0; b < 256; b++ {
		p := []byte{byte(b)}
		transcode(PCMU, PCMA, p)
		if p[0] != alawEncode[uint16(ulawDecode[b])] {
			t.Fatal("PCMU→PCMA table")
		}
	}
	if linearToUlaw(0) != 0xFF || linearToAlaw(0) != 0xD5 {
		t.Fatalf("silence: %x %x", linearToUlaw(0), linearToAlaw(0))
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestOfferGolden(t *testing.T) {
	got := buildSDP(1234, 5, netip.MustParseAddrPort("127.0.0.1:20000"), []Codec{PCMU, PCMA}, dtmfPT, "sendrecv")
	want, err := os.ReadFile("testdata/offer.sdp")
	if err != nil || !bytes.Equal(got, want) {
		os.MkdirAll("testdata", 0o755)
		if os.Getenv("UPDATE_GOLDEN") != "" {
			os.WriteFile("testdata/offer.sdp", got, 0o644)
			return
		}
		t.Fatalf("offer:\n%s\nwant (UPDATE_GOLDEN=1 refreshes):\n%s", got, want)
	}
}

func TestNegotiation(t *testing.T) {
	m := newManager(t, 31000, 31100)
	s, err := m.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	offer := []byte("v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/AVP 18 8 0 96\r\na=rtpmap:18 G729/8000\r\na=rtpmap:96 telephone-event/8000\r\na=sendrecv\r\n")
	ans, err := s.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if s.Codec().Name != "PCMA" || s.dtmf != 96 || s.Remote() != netip.MustParseAddrPort("10.0.0.5:40000") {
		t.Fatalf("negotiated %+v dtmf %d remote %v", s.Codec(), s.dtmf, s.Remote())
	}
	if !strings.Contains(string(ans), "m=audio 31") || !strings.Contains(string(ans), "RTP/AVP 8 96") || !strings.Contains(string(ans), "a=sendrecv") {
		t.Fatalf("answer:\n%s", ans)
	}
	// hold and resume by re-INVITE
	hold := bytes.Replace(offer, []byte("a=sendrecv"), []byte("a=sendonly"), 1)
	ans, held, err := s.Reoffer(hold)
	if err != nil || !held || !strings.Contains(string(ans), "a=recvonly") {
		t.Fatalf("hold: %v %v\n%s", held, err, ans)
	}
	_, held, _ = s.Reoffer(offer)
	if held {
		t.Fatal("resume still held")
	}
	zero := bytes.ReplaceAll(offer, []byte("10.0.0.5"), []byte("0.0.0.0"))
	if _, held, _ = s.Reoffer(zero); !held {
		t.Fatal("c=0.0.0.0 is a hold")
	}
	for name, bad := range map[string]string{
		"garbage":   "hello",
		"no audio":  "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n",
		"no g711":   "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\n",
		"srtp only": "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n",
		"hostname":  "v=0\r\no=- 1 1 IN IP4 a.b\r\ns=-\r\nc=IN IP4 pbx.example\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
	} {
		before := s.Codec()
		if _, err := s.Answer([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(err, ErrBadSDP) && !errors.Is(err, ErrNoCodec) {
			t.Errorf("%s: %v", name, err)
		}
		if s.Codec() != before {
			t.Errorf("%s: a refused offer changed the session", name)
		}
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Add([]byte("v=0\r\nm=audio 0 RTP/AVP\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseSDP(b) // must not panic
	})
}

// bridged sets up two sessions, each talking to a phone-like peer, and bridges them.
func TestBridgeBothWaysWithTranscoding(t *testing.T) {
	m := newManager(t, 31200, 31300)
	a, b := newPeer(t, PCMU), newPeer(t, PCMA)
	sa, _ := m.NewSession()
	sb, _ := m.NewSession()
	defer sa.Close()
	defer sb.Close()
	if _, err := sa.Answer(sdpFor(a, []Codec{PCMU}, "sendrecv")); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Answer(sdpFor(b, []Codec{PCMA}, "sendrecv")); err != nil {
		t.Fatal(err)
	}
	m.Bridge(sa, sb)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.sendTone(sa.LocalAddr(), 440, 2*time.Second) }()
	go func() { defer wg.Done(); b.sendTone(sb.LocalAddr(), 880, 2*time.Second) }()
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	fa, fb := freq(a.samples()), freq(b.samples())
	if fa < 800 || fa > 960 {
		t.Errorf("PCMU phone heard %.0f Hz, want ~880 from the PCMA phone", fa)
	}
	if fb < 400 || fb > 480 {
		t.Errorf("PCMA phone heard %.0f Hz, want ~440", fb)
	}
	if st := sa.Stats(); st.PacketsIn < 95 || st.Lost != 0 || st.PacketsOut < 95 {
		t.Errorf("stats %+v", st)
	}
}

func TestPlayerPacingAndHoldMusic(t *testing.T) {
	m := newManager(t, 31400, 31500)
	p := newPeer(t, PCMU)
	s, _ := m.NewSession()
	defer s.Close()
	s.Answer(sdpFor(p, []Codec{PCMU}, "sendrecv"))
	done := make(chan struct{})
	m.Play(s, telephony.AudioHold, true, func() { close(done) })
	time.Sleep(3 * time.Second)
	m.Detach(s)
	p.mu.Lock()
	times := append([]time.Time(nil), p.times...)
	p.mu.Unlock()
	if len(times) < 140 || len(times) > 155 {
		t.Fatalf("%d frames in 3 s, want ~150", len(times))
	}
	var gaps []time.Duration
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, times[i].Sub(times[i-1]))
	}
	if md := median(gaps); md < 18*time.Millisecond || md > 22*time.Millisecond {
		t.Errorf("median gap %v, want 20 ms", md)
	}
	if drift := times[len(times)-1].Sub(times[0]) - time.Duration(len(times)-1)*20*time.Millisecond; drift > 40*time.Millisecond || drift < -40*time.Millisecond {
		t.Errorf("drift %v over %d frames", drift, len(times))
	}
	if f := freq(p.samples()); f < 594 || f > 726 {
		t.Errorf("hold music pitch %.0f Hz, want ~660", f)
	}
	select {
	case <-done:
		t.Fatal("a looping play reported its end")
	default:
	}
	// a non-looping play ends and says so
	ended := make(chan struct{})
	m.Play(s, telephony.AudioHangup, false, func() { close(ended) })
	select {
	case <-ended:
	case <-time.After(6 * time.Second):
		t.Fatal("the announcement never ended")
	}
}

func TestSymmetricRTP(t *testing.T) {
	m := newManager(t, 31600, 31700)
	sdpPeer, realPeer := newPeer(t, PCMU), newPeer(t, PCMU)
	s, _ := m.NewSession()
	defer s.Close()
	s.Answer(sdpFor(sdpPeer, []Codec{PCMU}, "sendrecv"))           // the SDP names one address…
	go realPeer.sendTone(s.LocalAddr(), 440, 200*time.Millisecond) // …packets come from another (NAT)
	time.Sleep(300 * time.Millisecond)
	if s.Remote() != realPeer.addr() {
		t.Fatalf("remote %v, want the packets' source %v", s.Remote(), realPeer.addr())
	}
	m.Play(s, telephony.AudioRingback, true, nil)
	time.Sleep(200 * time.Millisecond)
	if len(realPeer.samples()) == 0 || len(sdpPeer.samples()) != 0 {
		t.Fatal("audio did not follow the packets' source")
	}
	// a third party cannot hijack the stream
	intruder := newPeer(t, PCMU)
	intruder.sendTone(s.LocalAddr(), 440, 60*time.Millisecond)
	if s.Remote() != realPeer.addr() {
		t.Fatal("latched to an intruder")
	}
}

func TestDTMF(t *testing.T) {
	m := newManager(t, 31800, 31900)
	a, b := newPeer(t, PCMU), newPeer(t, PCMU)
	sa, _ := m.NewSession()
	sb, _ := m.NewSession()
	defer sa.Close()
	defer sb.Close()
	sa.Answer(sdpFor(a, []Codec{PCMU}, "sendrecv"))
	sb.Answer(sdpFor(b, []Codec{PCMU}, "sendrecv"))
	var digits []string
	var mu sync.Mutex
	sa.OnDTMF(func(d string) { mu.Lock(); digits = append(digits, d); mu.Unlock() })
	m.Bridge(sa, sb)
	// peer a presses 5: start, updates and three end packets with one timestamp
	for i, end := range []bool{false, false, false, true, true, true} {
		pkt := []byte{0x80, dtmfPT, 0, byte(i), 0, 0, 0x10, 0, 0, 0, 0, 9, 5, 10, 0, byte(160 * (i + 1))}
		if i == 0 {
			pkt[1] |= 0x80
		}
		if end {
			pkt[13] |= 0x80
		}
		a.conn.WriteToUDPAddrPort(pkt, sa.LocalAddr())
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	if len(digits) != 1 || digits[0] != "5" {
		t.Fatalf("digits %v, want one 5", digits)
	}
	mu.Unlock()
	b.mu.Lock()
	events := 0
	for _, pt := range b.pts {
		if pt == dtmfPT {
			events++
		}
	}
	b.mu.Unlock()
	if events != 6 {
		t.Fatalf("bridge forwarded %d event packets, want 6", events)
	}
	// and we can send digits
	if err := sb.SendDTMF("#"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	b.mu.Lock()
	last := b.raw[len(b.raw)-1]
	b.mu.Unlock()
	if last[1]&0x7f != dtmfPT || last[12] != 11 || last[13]&0x80 == 0 {
		t.Fatalf("sent event %x", last[:16])
	}
	if err := sb.SendDTMF("x"); err == nil {
		t.Fatal("bad digit accepted")
	}
}

func TestPortsAreReturnedAndExhaustionIsClear(t *testing.T) {
	m := newManager(t, 32000, 32010) // room for 5 sessions
	var ss []*Session
	for i := 0; i < 5; i++ {
		s, err := m.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if s.LocalAddr().Port()%2 != 0 {
			t.Fatal("odd RTP port")
		}
		ss = append(ss, s)
	}
	if _, err := m.NewSession(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("got %v, want ErrNoPorts", err)
	}
	for _, s := range ss {
		s.Close()
	}
	if m.PortsInUse() != 0 {
		t.Fatalf("%d ports still in use", m.PortsInUse())
	}
	if _, err := m.NewSession(); err != nil {
		t.Fatal(err)
	}
}

func TestMalformedPacketsAreCounted(t *testing.T) {
	m := newManager(t, 32100, 32200)
	p := newPeer(t, PCMU)
	s, _ := m.NewSession()
	defer s.Close()
	s.Answer(sdpFor(p, []Codec{PCMU}, "sendrecv"))
	var got atomic.Int32
	s.OnAudio(func([]byte) { got.Add(1) })
	for _, junk := range [][]byte{{1, 2, 3}, bytes.Repeat([]byte{0x40}, 20), {0x9f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, {0x80, 0xc8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}} {
		p.conn.WriteToUDPAddrPort(junk, s.LocalAddr())
	}
	time.Sleep(50 * time.Millisecond)
	if got.Load() != 0 || s.Stats().Malformed < 3 {
		t.Fatalf("audio %d malformed %d", got.Load(), s.Stats().Malformed)
	}
}

func TestManyBridgedCallsLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const calls = 250
	m := newManager(t, 33000, 35000)
	type call struct {
		a, b   *rtpPeer
		sa, sb *Session
	}
	var cs []call
	for i := 0; i < calls; i++ {
		c := call{a: newPeer(t, PCMU), b: newPeer(t, PCMA)}
		var err error
		if c.sa, err = m.NewSession(); err != nil {
			t.Fatal(err)
		}
		c.sb, _ = m.NewSession()
		c.sa.Answer(sdpFor(c.a, []Codec{PCMU}, "sendrecv"))
		c.sb.Answer(sdpFor(c.b, []Codec{PCMA}, "sendrecv"))
		m.Bridge(c.sa, c.sb)
		cs = append(cs, c)
	}
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(2)
		go func(c call) { defer wg.Done(); c.a.sendTone(c.sa.LocalAddr(), 440, time.Second) }(c)
		go func(c call) { defer wg.Done(); c.b.sendTone(c.sb.LocalAddr(), 880, time.Second) }(c)
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond)
	var lost, in uint64
	for _, c := range cs {
		lost += c.sa.Stats().Lost + c.sb.Stats().Lost
		in += c.sa.Stats().PacketsIn + c.sb.Stats().PacketsIn
		c.sa.Close()
		c.sb.Close()
	}
	if in < calls*2*48 || float64(lost) > float64(in)*0.001 {
		t.Fatalf("%d packets in, %d lost", in, lost)
	}
}
