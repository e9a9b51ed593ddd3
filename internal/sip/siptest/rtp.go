package siptest

import (
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"ringdesk/internal/media"
)

// audio is a test party's media: it sends a tone and records what it hears.
type audio struct {
	conn  *net.UDPConn
	codec media.Codec
	tone  float64

	mu      sync.Mutex
	remote  netip.AddrPort
	heard   []int16
	times   []time.Time
	dtmf    []byte
	tmp     []int16
	sending bool
	stop    chan struct{}
	done    sync.WaitGroup
}

func newAudio(codec media.Codec, tone float64) (*audio, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	a := &audio{conn: c, codec: codec, tone: tone, stop: make(chan struct{})}
	a.done.Add(1)
	go a.read()
	return a, nil
}

func (a *audio) port() int { return a.conn.LocalAddr().(*net.UDPAddr).Port }

// sdp describes our media, offering our codec and telephone-event.
func (a *audio) sdp(direction string) []byte {
	return []byte(fmt.Sprintf("v=0\r\no=test 1 %d IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d 101\r\na=rtpmap:%d %s/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=%s\r\n",
		time.Now().UnixNano()%1000000, a.port(), a.codec.PayloadType, a.codec.PayloadType, a.codec.Name, direction))
}

// setRemote reads the far end's address from its SDP and starts sending the tone there.
func (a *audio) setRemote(sdp []byte) error {
	var ip, port string
	for _, line := range strings.Split(string(sdp), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "c=IN IP4 "); ok {
			ip = v
		}
		if v, ok := strings.CutPrefix(line, "m=audio "); ok {
			port = strings.Fields(v)[0]
		}
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("no audio port in SDP:\n%s", sdp)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return fmt.Errorf("no address in SDP:\n%s", sdp)
	}
	a.mu.Lock()
	a.remote = netip.AddrPortFrom(addr, uint16(p))
	start := !a.sending
	a.sending = true
	a.mu.Unlock()
	if start {
		a.done.Add(1)
		go a.send()
	}
	return nil
}

func (a *audio) send() {
	defer a.done.Done()
	pcm := make([]int16, 160)
	frame := make([]byte, 0, 160)
	buf := make([]byte, 172)
	ssrc := uint32(time.Now().UnixNano())
	var seq uint16
	k := 0
	next := time.Now()
	for i := 0; ; i++ {
		for j := range pcm {
			pcm[j] = int16(9000 * math.Sin(2*math.Pi*a.tone*float64(k)/8000))
			k++
		}
		frame = media.Encode(a.codec, frame, pcm)
		seq++
		buf[0], buf[1] = 0x80, a.codec.PayloadType
		binary.BigEndian.PutUint16(buf[2:], seq)
		binary.BigEndian.PutUint32(buf[4:], uint32(i*160))
		binary.BigEndian.PutUint32(buf[8:], ssrc)
		copy(buf[12:], frame)
		a.mu.Lock()
		dst := a.remote
		a.mu.Unlock()
		a.conn.WriteToUDPAddrPort(buf, dst)
		next = next.Add(20 * time.Millisecond)
		select {
		case <-a.stop:
			return
		case <-time.After(time.Until(next)):
		}
	}
}

func (a *audio) read() {
	defer a.done.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := a.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n < 12 {
			continue
		}
		pt := buf[1] & 0x7f
		a.mu.Lock()
		switch {
		case pt == 101 && n >= 16:
			if len(a.dtmf) == 0 || buf[12] != a.dtmf[len(a.dtmf)-1] || buf[1]&0x80 != 0 {
				if buf[1]&0x80 != 0 {
					a.dtmf = append(a.dtmf, buf[12])
				}
			}
		case pt == a.codec.PayloadType:
			now := time.Now()
			a.tmp = media.Decode(a.codec, a.tmp, buf[12:n])
			a.heard = append(a.heard, a.tmp...)
			for range a.tmp {
				a.times = append(a.times, now)
			}
		}
		a.mu.Unlock()
	}
}

func (a *audio) close() {
	select {
	case <-a.stop:
		return
	default:
	}
	close(a.stop)
	a.conn.Close()
	a.done.Wait()
}

// Heard is what a party heard during a window.
type Heard struct {
	Samples   int
	Frequency float64 // dominant, by zero crossings
	Level     float64 // RMS, 0..1
}

// heardSince measures the audio received since t (the last d of it when d > 0).
func (a *audio) heardSince(t time.Time) Heard {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := 0
	for i < len(a.times) && a.times[i].Before(t) {
		i++
	}
	return measure(a.heard[i:])
}

func measure(x []int16) Heard {
	h := Heard{Samples: len(x)}
	if len(x) < 400 {
		return h
	}
	z := 0
	var sum float64
	for i := range x {
		v := float64(x[i]) / 32768
		sum += v * v
		if i > 0 && (x[i-1] < 0) != (x[i] < 0) {
			z++
		}
	}
	h.Level = math.Sqrt(sum / float64(len(x)))
	h.Frequency = float64(z) / 2 / (float64(len(x)) / 8000)
	return h
}
