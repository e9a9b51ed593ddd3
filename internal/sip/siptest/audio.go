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

// dtmfPT is the telephone-event payload type the test agents offer and answer with.
const dtmfPT = 101

// audio is a test party's media: one RTP socket that sends a tone, 20 ms a packet, and
// records what arrives (audio decoded to samples, RFC 4733 digits).
type audio struct {
	conn  *net.UDPConn
	codec media.Codec
	tone  float64
	host  string // named in our SDP

	mu      sync.Mutex
	remote  netip.AddrPort
	heard   []int16
	times   []time.Time
	digits  []byte
	lastTS  uint32 // timestamp of the last telephone-event seen, to count each event once
	seenEv  bool
	sending bool
	muted   bool   // the stream stops: no packets, as from a far end that died
	ts      uint32 // our stream's timestamp, shared by audio and events
	seq     uint16
	ssrc    uint32
	version int

	stop chan struct{}
	done sync.WaitGroup
}

func newAudio(codec media.Codec, tone float64, host string) (*audio, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	if host == "" {
		host = "127.0.0.1"
	}
	a := &audio{conn: c, codec: codec, tone: tone, host: host, stop: make(chan struct{}), ssrc: uint32(time.Now().UnixNano())}
	a.done.Add(1)
	go a.read()
	return a, nil
}

func (a *audio) port() int { return a.conn.LocalAddr().(*net.UDPAddr).Port }

// sdp describes our media with a direction: our codec and telephone-event.
func (a *audio) sdp(direction string) []byte {
	pt := a.codec.PayloadType
	a.mu.Lock()
	a.version++ // a new description, as RFC 3264 §8 wants of a re-offer
	v := a.version
	a.mu.Unlock()
	return []byte(fmt.Sprintf("v=0\r\no=siptest %d %d IN IP4 %s\r\ns=siptest\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d %d\r\na=rtpmap:%d %s/8000\r\na=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n"+
		"a=ptime:20\r\na=%s\r\n",
		a.port(), v, a.host, a.host, a.port(), pt, dtmfPT, pt, a.codec.Name, dtmfPT, dtmfPT, direction))
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
		return fmt.Errorf("siptest: no audio port in SDP:\n%s", sdp)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return fmt.Errorf("siptest: no address in SDP:\n%s", sdp)
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

// packet stamps and sends one RTP packet of our stream.
func (a *audio) packet(pt uint8, marker bool, ts uint32, payload []byte) {
	a.mu.Lock()
	a.seq++
	dst := a.remote
	hdr := [12]byte{0x80, pt}
	if marker {
		hdr[1] |= 0x80
	}
	binary.BigEndian.PutUint16(hdr[2:], a.seq)
	binary.BigEndian.PutUint32(hdr[4:], ts)
	binary.BigEndian.PutUint32(hdr[8:], a.ssrc)
	a.mu.Unlock()
	a.conn.WriteToUDPAddrPort(append(hdr[:], payload...), dst)
}

func (a *audio) send() {
	defer a.done.Done()
	pcm := make([]int16, 160)
	var frame []byte
	k := 0
	next := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
		for j := range pcm {
			pcm[j] = int16(9000 * math.Sin(2*math.Pi*a.tone*float64(k)/8000))
			k++
		}
		frame = media.Encode(a.codec, frame[:0], pcm)
		a.mu.Lock()
		ts, muted := a.ts, a.muted
		a.ts += 160
		a.mu.Unlock()
		if !muted {
			a.packet(a.codec.PayloadType, false, ts, frame)
		}
		next = next.Add(20 * time.Millisecond)
		t.Reset(time.Until(next))
	}
}

// sendDTMF sends one digit as an RFC 4733 event: 100 ms of updates, then three end packets.
func (a *audio) sendDTMF(digit byte) error {
	code := strings.IndexByte("0123456789*#ABCD", digit)
	if code < 0 {
		return fmt.Errorf("siptest: %q is not a DTMF digit", digit)
	}
	a.mu.Lock()
	if !a.sending {
		a.mu.Unlock()
		return fmt.Errorf("siptest: no media yet")
	}
	ts := a.ts
	a.mu.Unlock()
	for i := 0; i < 8; i++ {
		dur := uint16(160 * min(i+1, 5))
		flags := byte(10)
		if i >= 5 {
			flags |= 0x80
		}
		a.packet(dtmfPT, i == 0, ts, []byte{byte(code), flags, byte(dur >> 8), byte(dur)})
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func (a *audio) read() {
	defer a.done.Done()
	buf := make([]byte, 1500)
	var pcm []int16
	for {
		n, _, err := a.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n < 12 || buf[0]>>6 != 2 {
			continue
		}
		pt := buf[1] & 0x7f
		ts := binary.BigEndian.Uint32(buf[4:])
		payload := buf[12:n]
		now := time.Now()
		a.mu.Lock()
		switch {
		case pt == dtmfPT && len(payload) >= 4:
			// an event is its timestamp: count it on its first packet, whatever repeats
			if !a.seenEv || ts != a.lastTS {
				a.seenEv, a.lastTS = true, ts
				if int(payload[0]) < 16 {
					a.digits = append(a.digits, "0123456789*#ABCD"[payload[0]])
				}
			}
		case pt == a.codec.PayloadType || pt == 0 || pt == 8:
			c := a.codec
			if pt != c.PayloadType {
				c = media.PCMU
				if pt == 8 {
					c = media.PCMA
				}
			}
			pcm = media.Decode(c, pcm[:0], payload)
			a.heard = append(a.heard, pcm...)
			for range pcm {
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

// heardSince measures the audio received since t.
func (a *audio) heardSince(t time.Time) Heard {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := 0
	for i < len(a.times) && a.times[i].Before(t) {
		i++
	}
	return measure(a.heard[i:])
}

func (a *audio) received() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return string(a.digits)
}
