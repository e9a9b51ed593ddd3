package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/auth"
	"ringdesk/internal/media"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// T1 is shortened for the whole package: every SIP timer scales with it, so an ACK timeout
// (64*T1) takes 3.2 s instead of 32 s. Loopback round trips are far below it.
const testT1 = 50 * time.Millisecond

func TestMain(m *testing.M) {
	sip.SetTimers(testT1, 8*testT1, 10*testT1)
	code := m.Run()
	if code == 0 {
		if leaks := waitNoGoroutines(10 * time.Second); leaks != "" {
			fmt.Fprintf(os.Stderr, "goroutines left behind after every test:\n%s\n", leaks)
			code = 1
		}
	}
	os.Exit(code)
}

// ours are the packages whose goroutines must all end when servers, agents and media close.
var ours = []string{"ringdesk/internal/sip", "ringdesk/internal/media", "emiago/sipgo"}

// strayGoroutines returns the stacks of goroutines of ours still running, but the caller's.
func strayGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 { // the caller
			continue
		}
		if strings.Contains(g, "sip.(*TransportUDP).createConnection.func1") {
			// sipgo, asked by a transaction timer to send after its transport layer closed,
			// opens a new UDP socket for it that nothing closes; the servers and agents wait for
			// their own handlers before closing, but not for sipgo's timers
			continue
		}
		for _, p := range ours {
			if strings.Contains(g, p) && !strings.Contains(g, "testing.tRunner") && !strings.Contains(g, "testing.(*T).Run") {
				out = append(out, g)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}

// waitNoGoroutines waits until no goroutine of ours is left, and returns what is left after d.
func waitNoGoroutines(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		left := strayGoroutines()
		if left == "" || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// script is the engine's part, scripted by each test: it records what the network asks and
// reports, and answers Inbound and Dialled as the test says (accept, by default).
type script struct {
	mu        sync.Mutex
	inbound   []telephony.InboundCall
	dialled   []telephony.PhoneCall
	events    []telephony.Event
	changed   chan struct{} // closed on every record, then replaced
	onInbound func(telephony.InboundCall) error
	onDialled func(telephony.PhoneCall) error
	onEvent   func(telephony.Event)
}

func newScript() *script { return &script{changed: make(chan struct{})} }

func (h *script) record(f func()) {
	h.mu.Lock()
	f()
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

func (h *script) Inbound(c telephony.InboundCall) error {
	h.record(func() { h.inbound = append(h.inbound, c) })
	h.mu.Lock()
	f := h.onInbound
	h.mu.Unlock()
	if f != nil {
		return f(c)
	}
	return nil
}

func (h *script) Dialled(c telephony.PhoneCall) error {
	h.record(func() { h.dialled = append(h.dialled, c) })
	h.mu.Lock()
	f := h.onDialled
	h.mu.Unlock()
	if f != nil {
		return f(c)
	}
	return nil
}

func (h *script) Report(e telephony.Event) {
	h.record(func() { h.events = append(h.events, e) })
	h.mu.Lock()
	f := h.onEvent
	h.mu.Unlock()
	if f != nil {
		f(e)
	}
}

func (h *script) setInbound(f func(telephony.InboundCall) error) {
	h.mu.Lock()
	h.onInbound = f
	h.mu.Unlock()
}

func (h *script) setDialled(f func(telephony.PhoneCall) error) {
	h.mu.Lock()
	h.onDialled = f
	h.mu.Unlock()
}

// until waits for cond (checked under the lock) to hold, failing the test after 10 s.
func (h *script) until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		h.mu.Lock()
		ok, ch := cond(), h.changed
		h.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited 10 s for %s; events: %v", what, h.all())
		}
	}
}

// wait returns the first event of a kind for a leg, waiting for it.
func (h *script) wait(t testing.TB, leg telephony.LegID, kind telephony.EventKind) telephony.Event {
	t.Helper()
	var ev telephony.Event
	h.until(t, fmt.Sprintf("%s on %s", kind, leg), func() bool {
		for _, e := range h.events {
			if e.Leg == leg && e.Kind == kind {
				ev = e
				return true
			}
		}
		return false
	})
	return ev
}

// call waits for the n-th inbound call (from 1).
func (h *script) call(t testing.TB, n int) telephony.InboundCall {
	t.Helper()
	h.until(t, fmt.Sprintf("inbound call #%d", n), func() bool { return len(h.inbound) >= n })
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inbound[n-1]
}

// phoneCall waits for the n-th call dialled on a phone (from 1).
func (h *script) phoneCall(t testing.TB, n int) telephony.PhoneCall {
	t.Helper()
	h.until(t, fmt.Sprintf("phone call #%d", n), func() bool { return len(h.dialled) >= n })
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dialled[n-1]
}

// of returns a leg's events, in order.
func (h *script) of(leg telephony.LegID) []telephony.EventKind {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []telephony.EventKind
	for _, e := range h.events {
		if e.Leg == leg {
			out = append(out, e.Kind)
		}
	}
	return out
}

func (h *script) all() []telephony.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]telephony.Event(nil), h.events...)
}

// quiet checks that a leg gets no event for d.
func (h *script) quiet(t testing.TB, leg telephony.LegID, d time.Duration) {
	t.Helper()
	n := len(h.of(leg))
	time.Sleep(d)
	if got := h.of(leg); len(got) != n {
		t.Fatalf("%s: reported %v after it should have been quiet", leg, got[n:])
	}
}

// checkReports checks the port's promise on every leg seen: Ringing and Answered at most
// once, at most one final event (Failed or HungUp), nothing after it but the leg's one
// QualityReport, and that last of all.
func (h *script) checkReports(t testing.TB) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[telephony.LegID][]telephony.EventKind{}
	for _, e := range h.events {
		seen[e.Leg] = append(seen[e.Leg], e.Kind)
	}
	for leg, kinds := range seen {
		count := map[telephony.EventKind]int{}
		rest := kinds
		if n := len(kinds); n > 0 && kinds[n-1] == telephony.QualityReport {
			rest = kinds[:n-1]
		}
		for i, k := range rest {
			count[k]++
			if (k == telephony.Failed || k == telephony.HungUp) && i != len(rest)-1 || k == telephony.QualityReport {
				t.Errorf("%s: events after its final one: %v", leg, kinds)
			}
		}
		if count[telephony.Ringing] > 1 || count[telephony.Answered] > 1 || count[telephony.Failed]+count[telephony.HungUp] > 1 {
			t.Errorf("%s: repeated events: %v", leg, kinds)
		}
	}
}

// answering makes the script answer every inbound and dialled call, as the engine does from
// its own goroutine.
func (h *script) answering(s *Server) {
	h.setInbound(func(c telephony.InboundCall) error { go s.Answer(c.Leg); return nil })
	h.setDialled(func(c telephony.PhoneCall) error { go s.Answer(c.Leg); return nil })
}

// env is one server on loopback with its media and a scripted engine.
type env struct {
	t    *testing.T
	s    *Server
	h    *script
	m    *media.Manager
	addr string
	site *site.Site
}

var (
	portMu   sync.Mutex
	portNext = 31000
)

// rtpRange gives each server its own RTP ports, so that its counts are its own.
func rtpRange() (int, int) {
	portMu.Lock()
	defer portMu.Unlock()
	lo := portNext
	if portNext += 200; portNext > 38800 {
		portNext = 31000
	}
	return lo, lo + 199
}

var passwords = map[string]string{"1001": "s1p", "1002": "s2p", "1003": "s3p"}

func testSite(trunkPort int, allow ...string) *site.Site {
	if len(allow) == 0 {
		allow = []string{"127.0.0.1/32"}
	}
	st := &site.Site{Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: trunkPort, Allow: allow, Prefix: "9"}}}
	for _, ext := range []string{"1001", "1002", "1003"} {
		st.Agents = append(st.Agents, site.Agent{Login: "agent" + ext, Extension: ext,
			SIPHA1: auth.SIPHA1(ext, passwords[ext]), SIPHA1SHA256: auth.SIPHA1SHA256(ext, passwords[ext])})
	}
	return st
}

func testLogger() *slog.Logger {
	if testing.Verbose() && os.Getenv("SIP_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(discardWriter{}, nil))
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// newEnv starts a server on 127.0.0.1 with extensions 1001-1003 and a trunk allowed from
// loopback; cfg may change its configuration before it starts.
func newEnv(t *testing.T, cfg ...func(*Config)) *env {
	t.Helper()
	lo, hi := rtpRange()
	m, err := media.NewManager(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: lo, PortMax: hi, Logger: testLogger()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newScript()
	// no probes unless a test asks: its trunk is often at no address at all
	c := Config{Listen: "127.0.0.1:0", TrunkProbe: -1}
	for _, f := range cfg {
		f(&c)
	}
	s, err := New(c, h, m, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, h: h, m: m, site: testSite(0)}
	s.SetSite(e.site)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.addr = s.Addr()
	t.Cleanup(func() {
		s.Close()
		m.Close()
		h.checkReports(t)
	})
	return e
}

// trunkAt points the trunk at a UA (outbound calls reach it) and allows the given sources.
func (e *env) trunkAt(ua *siptest.UA, change ...func(*site.Trunk)) {
	st := testSite(ua.Port())
	for _, f := range change {
		f(&st.Trunks[0])
	}
	e.site = st
	e.s.SetSite(st)
}

// phone makes a registered phone for an extension.
func (e *env) phone(ext string, o ...siptest.Options) *siptest.UA {
	e.t.Helper()
	p := siptest.NewPhone(e.t, e.addr, ext, passwords[ext], o...)
	p.MustRegister()
	return p
}

// clean checks that no leg, session or port is left.
func (e *env) clean() {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, open := e.m.Totals()
		if e.s.Legs() == 0 && e.m.PortsInUse() == 0 && open == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("left behind: %d legs, %d RTP ports, %d media sessions", e.s.Legs(), e.m.PortsInUse(), open)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// raw is a hand-driven SIP peer on UDP, for what a well-behaved agent would never do:
// garbage, missing ACKs, crossing answers, Record-Route.
type raw struct {
	t    *testing.T
	conn *net.UDPConn
	srv  *net.UDPAddr
	seq  int
}

func newRaw(t *testing.T, server string) *raw {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := net.ResolveUDPAddr("udp4", server)
	t.Cleanup(func() { c.Close() })
	return &raw{t: t, conn: c, srv: dst}
}

func (r *raw) port() int    { return r.conn.LocalAddr().(*net.UDPAddr).Port }
func (r *raw) addr() string { return r.conn.LocalAddr().String() }

func (r *raw) sendBytes(b []byte) {
	if _, err := r.conn.WriteToUDP(b, r.srv); err != nil {
		r.t.Fatal(err)
	}
}

func (r *raw) send(m interface{ String() string }) { r.sendBytes([]byte(m.String())) }

// next reads the next SIP message, or nil after d.
func (r *raw) next(d time.Duration) sip.Message {
	buf := make([]byte, 65535)
	for {
		r.conn.SetReadDeadline(time.Now().Add(d))
		n, _, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return nil
		}
		msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err == nil {
			return msg
		}
	}
}

// request waits for a request of a method, skipping everything else.
func (r *raw) request(method sip.RequestMethod) *sip.Request {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if req, ok := r.next(time.Until(deadline)).(*sip.Request); ok && req.Method == method {
			return req
		}
	}
	r.t.Fatalf("no %s arrived", method)
	return nil
}

// response waits for a response with a status ≥ min to a method, skipping everything else.
func (r *raw) response(method sip.RequestMethod, min int) *sip.Response {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, ok := r.next(time.Until(deadline)).(*sip.Response); ok && res.CSeq() != nil &&
			res.CSeq().MethodName == method && res.StatusCode >= min {
			return res
		}
	}
	r.t.Fatalf("no response ≥ %d to %s arrived", min, method)
	return nil
}

// invite builds an INVITE from this peer to user at the server.
func (r *raw) invite(user, from string, body []byte, extra ...string) *sip.Request {
	r.seq++
	host, port, _ := net.SplitHostPort(r.srv.String())
	lines := []string{
		fmt.Sprintf("INVITE sip:%s@%s:%s SIP/2.0", user, host, port),
		fmt.Sprintf("Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-raw%d-%d", r.addr(), r.port(), r.seq),
		fmt.Sprintf("From: <sip:%s@127.0.0.1>;tag=raw%d", from, r.seq),
		fmt.Sprintf("To: <sip:%s@%s>", user, host),
		fmt.Sprintf("Call-ID: raw-%d-%d@127.0.0.1", r.port(), r.seq),
		"CSeq: 1 INVITE",
		fmt.Sprintf("Contact: <sip:%s@%s>", from, r.addr()),
		"Max-Forwards: 70",
	}
	lines = append(lines, extra...)
	if body != nil {
		lines = append(lines, "Content-Type: application/sdp")
	}
	lines = append(lines, "Content-Length: "+strconv.Itoa(len(body)), "", string(body))
	msg, err := sip.ParseMessage([]byte(strings.Join(lines, "\r\n")))
	if err != nil {
		r.t.Fatal(err)
	}
	return msg.(*sip.Request)
}

// ack builds the ACK for a final response to an INVITE of this peer.
func (r *raw) ack(inv *sip.Request, res *sip.Response) *sip.Request {
	uri := inv.Recipient
	if res.IsSuccess() && res.Contact() != nil {
		uri = res.Contact().Address
	}
	ack := sip.NewRequest(sip.ACK, uri)
	via := inv.Via().Clone()
	if res.IsSuccess() {
		via.Params.Remove("branch")
		via.Params.Add("branch", "z9hG4bK-rawack"+sip.GenerateTagN(8))
	}
	ack.AppendHeader(via)
	ack.AppendHeader(sip.HeaderClone(inv.From()))
	ack.AppendHeader(sip.HeaderClone(res.To()))
	ack.AppendHeader(sip.HeaderClone(inv.CallID()))
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.ACK})
	maxFwd := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&maxFwd)
	ack.SetBody(nil)
	return ack
}

// reply builds a response to a request the server sent this peer; tag is our To-tag.
func reply(req *sip.Request, code int, tag string, body []byte, extra ...sip.Header) *sip.Response {
	res := sip.NewResponse(code, reasonPhrase(code))
	for _, v := range req.GetHeaders("Via") {
		res.AppendHeader(sip.HeaderClone(v))
	}
	res.AppendHeader(sip.HeaderClone(req.From()))
	to := sip.HeaderClone(req.To()).(*sip.ToHeader)
	if tag != "" && !to.Params.Has("tag") {
		to.Params.Add("tag", tag)
	}
	res.AppendHeader(to)
	res.AppendHeader(sip.HeaderClone(req.CallID()))
	res.AppendHeader(sip.HeaderClone(req.CSeq()))
	for _, h := range extra {
		res.AppendHeader(h)
	}
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.SetBody(body)
	return res
}

// sdpOffer is an offer for a peer's RTP port with the given payload types.
func sdpOffer(port int, formats ...string) []byte {
	if len(formats) == 0 {
		formats = []string{"0"}
	}
	return []byte(fmt.Sprintf("v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n",
		port, strings.Join(formats, " ")))
}
