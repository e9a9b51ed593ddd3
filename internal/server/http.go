package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// How long a client may take. Headers arrive in one packet from any real browser; a JSON body
// (at most 1 MiB, usually a few hundred bytes) with them or just after. Audio uploads extend
// their own deadline once authorised (api.putAudio). Responses are bounded by progress, not
// in total (writeProgress); event sockets by their pings.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// serveHTTP serves handler on ln: each source's connections bounded, every request and idle
// connection timed, over TLS when a certificate is given.
func serveHTTP(ln net.Listener, handler http.Handler, cert *certificate, proxies []netip.Prefix, log *slog.Logger) *http.Server {
	srv := &http.Server{Handler: writeProgress(handler, writeStall), ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	capped := newCapListener(ln, perSourceConns, proxies, log)
	if cert == nil {
		go srv.Serve(capped)
		return srv
	}
	srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cert.get}
	go srv.ServeTLS(capped, "", "") // certificates come from GetCertificate; HTTP/2 is offered
	return srv
}

// ParseProxies reads --trusted-proxy values: CIDRs or single addresses, each flag possibly a
// comma-separated list.
func ParseProxies(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if p, err := netip.ParsePrefix(f); err == nil {
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxy: %q is neither an address nor a CIDR (e.g. 10.0.0.5 or 10.0.0.0/24)", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out, nil
}
