package sip

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/directory"
)

// Trunk health: every trunk is sent OPTIONS every TrunkProbe. Any answer at all counts as
// alive (a carrier that challenges or refuses OPTIONS still answers), as Kamailio's
// dispatcher takes it; two probes in a row with no answer, or that could not be sent, mark
// the trunk down, and the first answer after that marks it up again. Placing a call skips
// trunks known to be down.

// downAfter is how many probes in a row must go unanswered before a trunk is down.
const downAfter = 2

// TrunkStatus is what probing knows of one trunk.
type TrunkStatus struct {
	Trunk string
	// Up is false once downAfter probes in a row went unanswered; a trunk not probed yet is
	// taken as up.
	Up bool
	// LastAnswer is when the trunk last answered a probe (zero if never); RTT is how long that
	// answer took.
	LastAnswer time.Time
	RTT        time.Duration
}

// trunkHealth is the probes' findings, by trunk id.
type trunkHealth struct {
	mu     sync.Mutex
	byID   map[string]*trunkState
	ticker *time.Ticker
	stop   chan struct{}
}

type trunkState struct {
	addr     string // host:port probed; a new address starts afresh
	fails    int    // probes in a row without an answer
	up       bool
	answered time.Time
	rtt      time.Duration
	inFlight bool
}

// trunkAddr is where a trunk's requests go, host:port.
func trunkAddr(t *directory.Trunk) (host string, port int) {
	host, port = t.Host, t.Port
	if h, p, err := net.SplitHostPort(t.Host); err == nil {
		host = h
		port, _ = strconv.Atoi(p)
	}
	if port == 0 {
		port = 5060
	}
	return host, port
}

// startProbes probes every trunk now and then every TrunkProbe, until the server stops.
func (s *Server) startProbes() {
	if s.cfg.TrunkProbe < 0 {
		return
	}
	h := &s.health
	h.mu.Lock()
	h.ticker = time.NewTicker(s.cfg.TrunkProbe)
	h.stop = make(chan struct{})
	tick, stop := h.ticker.C, h.stop
	h.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			s.probeTrunks()
			select {
			case <-tick:
			case <-stop:
				return
			case <-s.ctx.Done():
				return
			}
		}
	}()
}

func (s *Server) stopProbes() {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stop != nil {
		h.ticker.Stop()
		close(h.stop)
		h.stop = nil
	}
}

// probeTrunks sends one OPTIONS to each configured trunk that has none pending, and forgets
// trunks no longer configured.
func (s *Server) probeTrunks() {
	d := s.dir.Load()
	h := &s.health
	h.mu.Lock()
	if h.byID == nil {
		h.byID = map[string]*trunkState{}
	}
	for id := range h.byID {
		if _, ok := d.Trunk(id); !ok {
			delete(h.byID, id)
		}
	}
	var due []*directory.Trunk
	for i := range d.Trunks {
		t := &d.Trunks[i]
		host, port := trunkAddr(t)
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		st := h.byID[t.ID]
		if st == nil || st.addr != addr {
			st = &trunkState{addr: addr, up: true}
			h.byID[t.ID] = st
		}
		if !st.inFlight {
			st.inFlight = true
			due = append(due, t)
		}
	}
	h.mu.Unlock()
	for _, t := range due {
		t := t
		// counted in wg but not as wire work: a drain does not wait for probes
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.probe(t) }()
	}
}

// probe sends one OPTIONS to a trunk and records what came of it.
func (s *Server) probe(t *directory.Trunk) {
	host, port := trunkAddr(t)
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: host, Port: port})
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "ringdesk", Host: s.host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	callID := sip.CallIDHeader(sip.GenerateTagN(24) + "@" + s.host)
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", Host: host, Port: port}, Params: sip.NewParams()})
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	req.AppendHeader(&maxFwd)
	transport := trunkTransport(t)
	req.AppendHeader(s.contact(transport))
	req.AppendHeader(sip.NewHeader("Allow", allow))
	req.AppendHeader(sip.NewHeader("Supported", supported))
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.AppendHeader(sip.NewHeader("User-Agent", s.cfg.UserAgent))
	req.SetTransport(transport)
	if proxy, ok := outboundProxy(t, transport); ok {
		setRoutes(req, []sip.Uri{proxy})
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.TrunkProbeTimeout)
	defer cancel()
	began := time.Now()
	var res *sip.Response
	var err error
	if s.canSend(transport) {
		res, err = s.client(transport).Do(ctx, req)
	} else {
		err = errors.New("SIP over TLS is not enabled (--sips)")
	}
	rtt := time.Since(began)
	if s.ctx.Err() != nil {
		return
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.byID[t.ID]
	if st == nil || st.addr != addr {
		return // the trunk was removed or moved meanwhile
	}
	st.inFlight = false
	if err == nil && res != nil {
		if !st.up {
			s.log.Info("trunk answers again: up", "trunk", t.ID, "status", res.StatusCode, "rtt", rtt)
		}
		st.up, st.fails, st.answered, st.rtt = true, 0, time.Now(), rtt
		return
	}
	st.fails++
	if st.up && st.fails >= downAfter {
		st.up = false
		s.log.Warn("trunk does not answer OPTIONS: down", "trunk", t.ID, "addr", addr, "probes", st.fails, "err", err)
	}
}

// TrunkStatus reports what probing knows of each configured trunk, in the site's order.
func (s *Server) TrunkStatus() []TrunkStatus {
	d := s.dir.Load()
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]TrunkStatus, 0, len(d.Trunks))
	for _, t := range d.Trunks {
		ts := TrunkStatus{Trunk: t.ID, Up: true}
		if st := h.byID[t.ID]; st != nil {
			ts.Up, ts.LastAnswer, ts.RTT = st.up, st.answered, st.rtt
		}
		out = append(out, ts)
	}
	return out
}

// trunkUp reports whether a trunk is not known to be down.
func (s *Server) trunkUp(id string) bool {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.byID[id]
	return st == nil || st.up
}

// trunkOrder is the trunks a call to a target tries, in order: the target's trunk and its
// fallbacks, each once, without those known to be down — unless all are, and then all of
// them: a probe can be lost, and a call tried is better than one refused outright.
func (s *Server) trunkOrder(first string, fallback []string) []string {
	var all, up []string
	for _, id := range append([]string{first}, fallback...) {
		if id == "" || has(all, id) {
			continue
		}
		all = append(all, id)
		if s.trunkUp(id) {
			up = append(up, id)
		}
	}
	if len(up) == 0 {
		return all
	}
	return up
}

// trunkTransport is the transport of a trunk's requests: UDP, TCP or TLS.
func trunkTransport(t *directory.Trunk) string {
	if t.Transport == "" {
		return "UDP"
	}
	return strings.ToUpper(t.Transport)
}

// outboundProxy is a trunk's outbound proxy as a loose route (host[:port] or a sip: URI, as
// provisioning takes it), with the trunk's transport when it is not UDP.
func outboundProxy(t *directory.Trunk, transport string) (sip.Uri, bool) {
	v := strings.TrimSpace(t.OutboundProxy)
	if v == "" {
		return sip.Uri{}, false
	}
	lower := strings.ToLower(v)
	if !strings.HasPrefix(lower, "sip:") && !strings.HasPrefix(lower, "sips:") {
		v = "sip:" + v
	}
	var u sip.Uri
	if err := sip.ParseUri(v, &u); err != nil || u.Host == "" {
		return sip.Uri{}, false // provisioning refuses these
	}
	if u.UriParams == nil {
		u.UriParams = sip.NewParams()
	}
	if !u.UriParams.Has("lr") {
		u.UriParams.Add("lr", "")
	}
	if transport != "UDP" && !u.UriParams.Has("transport") {
		u.UriParams.Add("transport", strings.ToLower(transport))
	}
	return u, true
}

// canSend reports whether requests can leave over a transport: TLS needs SIP over TLS on.
func (s *Server) canSend(transport string) bool {
	return !strings.EqualFold(transport, "TLS") || s.tlsCli != nil
}
