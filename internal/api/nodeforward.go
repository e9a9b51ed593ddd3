package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"

	"ringdesk/internal/fault"
)

// In a cluster a service is served by one node at a time (docs/cluster.md); a request about a
// service or an agent whose loop runs on another node comes back from the engine as a
// fault.Moved naming that node. The request is then sent on to it, once, and its answer
// relayed: the console and scripts can talk to any node. A request that was already sent on
// is not sent on again (the owner changed meanwhile): the client gets 421 with the owner in
// params and may try there.

// An agent's event WebSocket is forwarded too, when the agent's CTI session is served by
// another node: the browser softphone's signalling rides on it, and only the node serving the
// service can ring the browser. When that node dies the socket drops, the console connects
// again, and the connection goes to the new owner: the softphone re-arms there.

// An agent's socket opened before its CTI login lands on whichever node served it; a CTI
// login forwarded to another node closes it (the console reconnects at once), so that it is
// forwarded from then on.

// forwardedHeader marks a request one node sent to another; its value is the sender's address.
const forwardedHeader = "X-Ringdesk-Forwarded"

// forwardable are the paths whose handlers ask the engine about one service or agent: their
// bodies (small JSON) are kept so the request can be sent on.
func forwardable(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/v1/cti") || strings.HasPrefix(p, "/api/v1/agents/") ||
		strings.HasPrefix(p, "/api/v1/calls/") || p == "/api/v1/live" || p == "/api/v1/stats/realtime" ||
		p == "/api/v1/events"
}

// keepBody reads a forwardable request's body into memory (it is at most maxJSON: a larger
// one is refused by decode anyway) so that it can be sent again; nil when there is none.
func keepBody(r *http.Request) []byte {
	if r.Body == nil || r.Body == http.NoBody || !forwardable(r) {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxJSON+1))
	r.Body.Close()
	if err != nil {
		b = nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// forward sends r, made by login, on to the node err names, when err is a fault.Moved and r
// was not already forwarded; it reports whether it did (and so answered the client).
func (s *Server) forward(w http.ResponseWriter, r *http.Request, login string, body []byte, err error) bool {
	fe, ok := fault.As(err)
	if !ok || fe.Kind != fault.Moved || fe.Params["http"] == "" || r.Header.Get(forwardedHeader) != "" || !forwardable(r) {
		return false
	}
	target := fe.Params["http"]
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = scheme, target
			// the Host the client used: the owner checks a cookie's Origin against it as we did
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(forwardedHeader, r.Host)
			pr.Out.Body, pr.Out.ContentLength = nil, 0
			if len(body) > 0 {
				pr.Out.Body = io.NopCloser(bytes.NewReader(body))
				pr.Out.ContentLength = int64(len(body))
			}
			pr.SetXForwarded()
		},
		ModifyResponse: func(res *http.Response) error {
			// logged in to CTI on another node: this node's event sockets of the agent are
			// closed so the console reconnects, and lands on the owner (see events)
			if res.StatusCode == http.StatusOK && r.Method == http.MethodPost && r.URL.Path == "/api/v1/cti/login" {
				s.sockets.endLogin(login, errOtherNode)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, perr error) {
			s.log.Warn("cluster: forwarding a request to the node serving it failed", "node", fe.Params["node"],
				"path", r.URL.Path, "err", perr)
			writeJSON(w, 503, map[string]any{"error": errorf(503, "unavailable",
				"서비스를 맡은 서버에 연결할 수 없습니다. 잠시 후 다시 시도하세요")})
		},
	}
	proxy.ServeHTTP(w, r)
	return true
}
