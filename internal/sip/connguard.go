package sip

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// connGuard keeps the TCP and TLS connections we accept from holding the server hostage: a
// connection is closed once it has been silent for idle, or — once an authenticated request
// came over it — for trustedIdle; an address may hold perSource connections and everyone
// together total, and more are closed as they are accepted. sipgo reads each connection on a
// goroutine of its own with a 32 KB buffer, so a thousand silent connections from one
// scanner were 32 MB and a thousand goroutines, held for ever.
type connGuard struct {
	perSource, total  int
	idle, trustedIdle time.Duration
	log               *slog.Logger
	counters          *counters

	mu       sync.Mutex
	bySource map[netip.Addr]int
	byRemote map[string]*guardedConn // by remote host:port, as sipgo names a request's source
	open     int
	logged   atomic.Int64 // unix seconds of the last refusal logged
}

func newConnGuard(perSource, total int, idle, trustedIdle time.Duration, log *slog.Logger, c *counters) *connGuard {
	return &connGuard{perSource: perSource, total: total, idle: idle, trustedIdle: trustedIdle, log: log, counters: c,
		bySource: map[netip.Addr]int{}, byRemote: map[string]*guardedConn{}}
}

// listen wraps a listener: its connections are counted, bounded and timed out.
func (g *connGuard) listen(ln net.Listener) net.Listener { return &guardedListener{Listener: ln, g: g} }

type guardedListener struct {
	net.Listener
	g *connGuard
}

func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if gc := l.g.admit(c); gc != nil {
			return gc, nil
		}
	}
}

// admit counts a new connection, or closes it when its source or everyone has too many.
func (g *connGuard) admit(c net.Conn) *guardedConn {
	src := connSource(c.RemoteAddr())
	g.mu.Lock()
	if g.bySource[src] >= g.perSource || g.open >= g.total {
		g.mu.Unlock()
		c.Close()
		g.counters.tcpRefused.Add(1)
		// at most a line every ten seconds, however hard the flood
		now, last := time.Now().Unix(), g.logged.Load()
		if now-last >= 10 && g.logged.CompareAndSwap(last, now) {
			g.log.Warn("sip: refusing TCP connections: too many open", "source", src.String(), "per_source", g.perSource,
				"total", g.total, "refused_total", g.counters.tcpRefused.Load())
		}
		return nil
	}
	gc := &guardedConn{Conn: c, g: g, src: src, remote: c.RemoteAddr().String()}
	gc.idle.Store(int64(g.idle))
	g.bySource[src]++
	g.open++
	g.byRemote[gc.remote] = gc
	g.mu.Unlock()
	return gc
}

func (g *connGuard) release(gc *guardedConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bySource[gc.src] <= 1 {
		delete(g.bySource, gc.src)
	} else {
		g.bySource[gc.src]--
	}
	g.open--
	if g.byRemote[gc.remote] == gc {
		delete(g.byRemote, gc.remote)
	}
}

// trust lets the connection from remote (host:port) stay silent for trustedIdle: a phone
// registered or called over it, or a trunk spoke on it. The read already waiting is given as
// long (a deadline may be moved while a read waits on it).
func (g *connGuard) trust(remote string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	gc := g.byRemote[remote]
	g.mu.Unlock()
	if gc != nil && gc.idle.Swap(int64(g.trustedIdle)) != int64(g.trustedIdle) {
		gc.Conn.SetReadDeadline(time.Now().Add(g.trustedIdle))
	}
}

// count is how many accepted connections are open (tests).
func (g *connGuard) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// connSource is what a connection counts against: its IP address, or an IPv6 address's /64.
func connSource(a net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.Addr()
	}
	return ip
}

// guardedConn gives its place back when it closes, however it is closed, and gives up a read
// that waits longer than its idle time (sipgo then closes it).
type guardedConn struct {
	net.Conn
	g      *connGuard
	src    netip.Addr
	remote string
	idle   atomic.Int64 // time.Duration
	once   sync.Once
}

func (c *guardedConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(time.Duration(c.idle.Load()))); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *guardedConn) Close() error {
	c.once.Do(func() { c.g.release(c) })
	return c.Conn.Close()
}
