package api

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddressAndTLSBehindProxies(t *testing.T) {
	s := &Server{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::/64")}}
	for _, c := range []struct {
		remote, xff, proto string
		tls                bool
		client             string
		secure             bool
	}{
		// a stranger's headers are ignored
		{"203.0.113.5:4000", "1.2.3.4", "https", false, "203.0.113.5", false},
		{"203.0.113.5:4000", "", "", true, "203.0.113.5", true},
		// the proxy's own view of its client
		{"10.0.0.2:4000", "198.51.100.7", "https", false, "198.51.100.7", true},
		{"10.0.0.2:4000", "198.51.100.7", "http", false, "198.51.100.7", false},
		// what the client wrote to the left of the proxy's entry is not believed
		{"10.0.0.2:4000", "1.2.3.4, 198.51.100.7", "", false, "198.51.100.7", false},
		// a chain of our proxies is walked past
		{"10.0.0.2:4000", "1.2.3.4, 198.51.100.7, 10.0.0.9", "https", false, "198.51.100.7", true},
		// entries with ports, IPv6, v4-mapped
		{"10.0.0.2:4000", "198.51.100.7:5555", "", false, "198.51.100.7", false},
		{"[fd00::1]:4000", "[2001:db8::7]:5555", "", false, "2001:db8::7", false},
		{"[::ffff:10.0.0.2]:4000", "::ffff:198.51.100.8", "", false, "198.51.100.8", false},
		// nothing forwarded, or garbage: the proxy itself, never the garbage
		{"10.0.0.2:4000", "", "", false, "10.0.0.2", false},
		{"10.0.0.2:4000", "198.51.100.7, bogus", "", false, "10.0.0.2", false},
		// only our proxies: the leftmost
		{"10.0.0.2:4000", "10.0.0.7, 10.0.0.8", "", false, "10.0.0.7", false},
		// several X-Forwarded-Proto: the last is our proxy's
		{"10.0.0.2:4000", "198.51.100.7", "https, http", false, "198.51.100.7", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := s.clientIP(r); got != c.client {
			t.Errorf("%s XFF %q: client %s, want %s", c.remote, c.xff, got, c.client)
		}
		if got := s.overTLS(r); got != c.secure {
			t.Errorf("%s proto %q: TLS %v, want %v", c.remote, c.proto, got, c.secure)
		}
	}
	// without trusted proxies nothing forwarded is believed
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:4000"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.Header.Set("X-Forwarded-Proto", "https")
	if none := (&Server{}); none.clientIP(r) != "10.0.0.2" || none.overTLS(r) {
		t.Fatal("forwarded headers believed with no trusted proxy")
	}
}
