package server

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// perSourceConns bounds the HTTP connections one address (an IPv6 /64) may hold open. A
// browser uses a handful, and a whole office behind one NAT address a few hundred; a client
// that opens a thousand and sends nothing was holding the server's memory hostage.
const perSourceConns = 256

// capListener closes, as soon as they are accepted, connections from a source that already
// holds its share. Trusted proxies are exempt: every client behind one shares its address, and
// bounding them is the proxy's job.
type capListener struct {
	net.Listener
	max     int
	exempt  []netip.Prefix
	log     *slog.Logger
	mu      sync.Mutex
	open    map[netip.Addr]int
	refused atomic.Uint64
	logged  atomic.Int64 // unix seconds of the last refusal logged
}

func newCapListener(ln net.Listener, max int, exempt []netip.Prefix, log *slog.Logger) *capListener {
	return &capListener{Listener: ln, max: max, exempt: exempt, log: log, open: map[netip.Addr]int{}}
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src, ok := sourceOf(c.RemoteAddr())
		if !ok || l.isExempt(src) {
			return c, nil
		}
		l.mu.Lock()
		if l.open[src] >= l.max {
			l.mu.Unlock()
			c.Close()
			l.refused.Add(1)
			// at most a line every ten seconds, however hard the flood
			now, last := time.Now().Unix(), l.logged.Load()
			if now-last >= 10 && l.logged.CompareAndSwap(last, now) {
				l.log.Warn("refusing HTTP connections: too many open from one address", "source", src.String(),
					"limit", l.max, "refused_total", l.refused.Load())
			}
			continue
		}
		l.open[src]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: sync.OnceFunc(func() { l.release(src) })}, nil
	}
}

func (l *capListener) release(src netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[src] <= 1 {
		delete(l.open, src)
	} else {
		l.open[src]--
	}
}

func (l *capListener) isExempt(a netip.Addr) bool {
	for _, p := range l.exempt {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// sourceOf is what a connection counts against: its IP address, or an IPv6 address's /64.
func sourceOf(a net.Addr) (netip.Addr, bool) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return netip.Addr{}, false
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr(), true
	}
	return ip, true
}

// countedConn gives its source's place back when it closes, however it is closed: by the HTTP
// server, a timeout, or a hijacked WebSocket.
type countedConn struct {
	net.Conn
	release func()
}

func (c *countedConn) Close() error {
	c.release()
	return c.Conn.Close()
}
