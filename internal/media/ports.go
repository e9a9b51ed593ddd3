package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// ErrNoPorts is returned when every RTP port of the range is in use. The SIP layer answers
// the call with 503.
var ErrNoPorts = errors.New("media: no free RTP port")

// portPool hands out even RTP ports (RFC 3550 §11; the odd port above stays free for RTCP)
// round-robin: a port just freed is reused last, so that late packets of an ended call do not
// reach the next one.
type portPool struct {
	mu       sync.Mutex
	ip       netip.Addr
	min, max int // first and last even port
	next     int
	used     map[int]bool
}

func newPortPool(ip netip.Addr, lo, hi int) (*portPool, error) {
	first := lo + lo%2
	last := hi - 1 // its RTCP port is hi
	last -= last % 2
	if lo < 1024 || hi > 65535 || last < first {
		return nil, fmt.Errorf("media: RTP port range %d-%d: want ports within 1024-65535 with room for an even RTP port and its RTCP port", lo, hi)
	}
	return &portPool{ip: ip, min: first, max: last, next: first, used: map[int]bool{}}, nil
}

// open binds a UDP socket on the next free even port; ports other programs hold are skipped.
func (p *portPool) open() (*net.UDPConn, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	size := (p.max-p.min)/2 + 1
	for range size {
		port := p.next
		if p.next += 2; p.next > p.max {
			p.next = p.min
		}
		if p.used[port] {
			continue
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err != nil {
			continue // someone else's
		}
		p.used[port] = true
		return c, port, nil
	}
	return nil, 0, fmt.Errorf("%w in %d-%d: %d sessions open", ErrNoPorts, p.min, p.max+1, len(p.used))
}

func (p *portPool) release(port int) {
	p.mu.Lock()
	delete(p.used, port)
	p.mu.Unlock()
}

func (p *portPool) inUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.used)
}
