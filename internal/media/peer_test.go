package media

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"
)

// rtpPeer is a phone's media in a test: it sends a tone and records what it hears.
type rtpPeer struct {
	t     *testing.T
	conn  *net.UDPConn
	codec Codec
	mu    sync.Mutex
	heard []int16
	times []time.Time
	pts   []uint8
	raw   [][]byte
	seq   uint16
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newPeer(t *testing.T, codec Codec) *rtpPeer {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPeer{t: t, conn: c, codec: codec, stop: make(chan struct{})}
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
		if n < 12 {
			continue
		}
		p.mu.Lock()
		p.times = append(p.times, time.Now())
		p.pts = append(p.pts, buf[1]&0x7f)
		p.raw = append(p.raw, append([]byte(nil), buf[:n]...))
		if buf[1]&0x7f == p.codec.PayloadType {
			for _, b := range buf[12:n] {
				if p.codec.Name == "PCMA" {
					p.heard = append(p.heard, alawDecode[b])
				} else {
					p.heard = append(p.heard, ulawDecode[b])
				}
			}
		}
		p.mu.Unlock()
	}
}

// sendTone sends frames of a tone to dst every 20 ms for d.
func (p *rtpPeer) sendTone(dst netip.AddrPort, hz float64, d time.Duration) {
	n := int(d / (20 * time.Millisecond))
	pcm := make([]int16, frameSamples)
	frame := make([]byte, 0, frameSamples)
	buf := make([]byte, 12+frameSamples)
	k := 0
	next := time.Now()
	for i := 0; i < n; i++ {
		for j := range pcm {
			pcm[j] = int16(8000 * math.Sin(2*math.Pi*hz*float64(k)/8000))
			k++
		}
		frame = Encode(p.codec, frame, pcm)
		p.seq++
		buf[0], buf[1] = 0x80, p.codec.PayloadType
		binary.BigEndian.PutUint16(buf[2:], p.seq)
		binary.BigEndian.PutUint32(buf[4:], uint32(i*frameSamples))
		binary.BigEndian.PutUint32(buf[8:], 0x1234)
		copy(buf[12:], frame)
		p.conn.WriteToUDPAddrPort(buf, dst)
		next = next.Add(20 * time.Millisecond)
		time.Sleep(time.Until(next))
	}
}

func (p *rtpPeer) samples() []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int16(nil), p.heard...)
}

// freq estimates the dominant frequency of x by zero crossings.
func freq(x []int16) float64 {
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

// sdpFor is a phone's SDP offer/answer for a peer.
func sdpFor(p *rtpPeer, codecs []Codec, dir string) []byte {
	return buildSDP(42, 1, p.addr(), codecs, dtmfPT, dir)
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
