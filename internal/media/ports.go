package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
)

// ErrNoPorts is returned when every RTP port of the range is in use. The SIP layer answers
// the call with 503.
var ErrNoPorts = errors.New("media: no free RTP port")

// recentPorts is how many of the ports freed last are kept out of use while others are free,
// so that late packets of an ended call do not reach the next one.
const recentPorts = 64

// portPool hands out pairs of ports: an even one for RTP and the odd one above it for RTCP
// (RFC 3550 §11). The pair is drawn at random from the range, so that nobody can predict
// which port the next call's audio will arrive on and send to it first; ports just freed are
// taken last.
type portPool struct {
	mu       sync.Mutex
	ip       netip.Addr
	min, max int // first and last even port
	used     map[int]bool
	recent   [recentPorts]int // a ring of the ports freed last; 0 is an empty slot
	nrecent  int
	isRecent map[int]bool
}

func newPortPool(ip netip.Addr, lo, hi int) (*portPool, error) {
	first := lo + lo%2
	last := hi - 1 // its RTCP port is hi
	last -= last % 2
	if lo < 1024 || hi > 65535 || last < first {
		return nil, fmt.Errorf("media: RTP port range %d-%d: want ports within 1024-65535 with room for an even RTP port and its RTCP port", lo, hi)
	}
	return &portPool{ip: ip, min: first, max: last, used: map[int]bool{}, isRecent: map[int]bool{}}, nil
}

// open binds the RTP and RTCP sockets of a free pair drawn at random; pairs of which another
// program holds either port are skipped. Ports freed lately are used only when no other is
// free, the longest rested first.
func (p *portPool) open() (rtpConn *rtpSocket, rtcpConn *net.UDPConn, port int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	size := (p.max-p.min)/2 + 1
	start := rand.IntN(size)
	for i := range size {
		port := p.min + 2*((start+i)%size)
		if p.used[port] || p.isRecent[port] {
			continue
		}
		if rtpConn, rtcpConn, ok := p.bind(port); ok {
			return rtpConn, rtcpConn, port, nil
		}
	}
	for k := max(p.nrecent-recentPorts, 0); k < p.nrecent; k++ {
		port := p.recent[k%recentPorts]
		if port == 0 || p.used[port] {
			continue
		}
		if rtpConn, rtcpConn, ok := p.bind(port); ok {
			return rtpConn, rtcpConn, port, nil
		}
	}
	return nil, nil, 0, fmt.Errorf("%w in %d-%d: %d sessions open", ErrNoPorts, p.min, p.max+1, len(p.used))
}

// bind opens both sockets of a pair and takes it; p.mu is held.
func (p *portPool) bind(port int) (rtpConn *rtpSocket, rtcpConn *net.UDPConn, ok bool) {
	rtpConn, err := listenRTP(netip.AddrPortFrom(p.ip, uint16(port)))
	if err != nil {
		return nil, nil, false // someone else's
	}
	rtcpConn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port+1))))
	if err != nil {
		rtpConn.close()
		return nil, nil, false
	}
	p.used[port] = true
	if p.isRecent[port] {
		delete(p.isRecent, port)
		for i, r := range p.recent {
			if r == port {
				p.recent[i] = 0
			}
		}
	}
	return rtpConn, rtcpConn, true
}

func (p *portPool) release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, port)
	slot := &p.recent[p.nrecent%recentPorts]
	if *slot != 0 {
		delete(p.isRecent, *slot)
	}
	*slot = port
	p.isRecent[port] = true
	p.nrecent++
}

func (p *portPool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.used)
}
