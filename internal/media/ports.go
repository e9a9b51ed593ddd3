package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// ErrNoPorts is returned when every RTP port of the range is in use.
var ErrNoPorts = errors.New("media: no free RTP port in the configured range")

// portPool hands out even RTP ports round-robin (a just-freed port is reused last, so late
// packets of an old call do not reach a new one).
type portPool struct {
	mu       sync.Mutex
	ip       netip.Addr
	min, max int
	next     int
	used     map[int]bool
}

func newPortPool(ip netip.Addr, min, max int) (*portPool, error) {
	if min%2 == 1 {
		min++
	}
	if min < 1024 || max > 65535 || max-min < 2 {
		return nil, fmt.Errorf("media: bad RTP port range %d-%d", min, max)
	}
	return &portPool{ip: ip, min: min, max: max, next: min, used: map[int]bool{}}, nil
}

// open binds a UDP socket on the next free even port.
func (p *portPool) open() (*net.UDPConn, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	span := (p.max - p.min) / 2
	for tries := 0; tries <= span; tries++ {
		port := p.next
		p.next += 2
		if p.next > p.max-1 {
			p.next = p.min
		}
		if p.used[port] {
			continue
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err != nil {
			continue // taken by someone else
		}
		p.used[port] = true
		return c, port, nil
	}
	return nil, 0, ErrNoPorts
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
