package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Who a request comes from, and whether it came over TLS. Behind a reverse proxy every request
// comes from the proxy's address, so the proxy's X-Forwarded-For says who the client is and
// X-Forwarded-Proto how it connected. Those headers are believed only from the proxies the
// operator named (--trusted-proxy): from anyone else they are whatever an attacker wrote.

// remote is the address of the connection's peer.
func remote(r *http.Request) (netip.Addr, string) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, host
	}
	return a.Unmap(), host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address throttles and logs count a request as: the peer, or behind trusted
// proxies the nearest address in X-Forwarded-For that is not one of them. Each proxy appends
// the address it was reached from, so walking from the right past our own proxies finds the
// first address no proxy of ours vouches for; anything further left the client wrote itself.
func (s *Server) clientIP(r *http.Request) string {
	peer, raw := remote(r)
	if !peer.IsValid() {
		return raw
	}
	if !s.trusted(peer) {
		return peer.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := hopAddr(hops[i])
		if !ok {
			return peer.String() // a hop no proxy of ours would write: the last one vouched for
		}
		if !s.trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

// hopAddr reads one X-Forwarded-For entry: an address, or one with a port as some proxies write.
func hopAddr(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// overTLS reports whether the browser's connection was encrypted: served by us over TLS, or
// reached a trusted proxy over HTTPS (its X-Forwarded-Proto, the last value being the one our
// proxy set).
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, _ := remote(r)
	if !peer.IsValid() || !s.trusted(peer) {
		return false
	}
	vals := r.Header.Values("X-Forwarded-Proto")
	if len(vals) == 0 {
		return false
	}
	parts := strings.Split(vals[len(vals)-1], ",")
	return strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "https")
}
