package security_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"ringdesk/test/proc"
)

// sipSite has two agents with SIP phones (extensions 1001 and 1002), a number routed to a
// queue, a registered caller ID for calls out, and one carrier trunk at 127.0.0.1:carrier
// that only 127.0.0.1 may call in from: every other loopback address is the internet.
func sipSite(carrier int) string {
	return fmt.Sprintf(`services:
  - id: support
    name: 고객지원
    cti: true
    numbers:
      - { number: "0212345678", queue: "100", greeting: none }
    caller_ids:
      - { number: "0212345678", status: registered }
    groups:
      - { id: tier1, name: 1차 상담 }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee] }
agents:
  - { login: kim, name: 김상담, password: kim-pw, services: [support], groups: [tier1], extension: "1001", sip_password: kim-sip-secret }
  - { login: lee, name: 이상담, password: lee-pw, services: [support], groups: [tier1], extension: "1002", sip_password: lee-sip-secret }
trunks:
  - { id: carrier, host: 127.0.0.1, port: %d, allow: ["127.0.0.1/32"], prefix: "9" }
`, carrier)
}

var sipPasswords = map[string]string{"1001": "kim-sip-secret", "1002": "lee-sip-secret"}

// startSIP runs the binary with sipSite and a carrier that answers every call busy.
func startSIP(t *testing.T, args ...string) (*proc.Server, *peer) {
	t.Helper()
	carrier := newPeer(t, "127.0.0.1", "")
	carrier.busy.Store(true)
	s := proc.Start(t, binary, proc.Options{Site: sipSite(carrier.port()), AdminPassword: adminPassword, Args: args})
	carrier.setServer(s.SIP)
	return s, carrier
}

// ctiReady logs an agent in to the console and makes them ready: a phone-dialled call is
// placed only for an agent who is.
func ctiReady(t *testing.T, s *proc.Server, user, password string) string {
	t.Helper()
	c := apiClient(s)
	token := login(t, c, s.Base, user, password)
	if r := call(t, c, "POST", s.Base+"/api/v1/cti/login", map[string]string{"service": "support"}, bearer(token)); r.Status != 200 {
		t.Fatalf("cti login: %s", r)
	}
	ready(t, s, token)
	return token
}

// ready puts a logged-in agent back to ready (after a call they are shown its end).
func ready(t *testing.T, s *proc.Server, token string) {
	t.Helper()
	c := apiClient(s)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, c, "PUT", s.Base+"/api/v1/cti/state", map[string]string{"state": "ready"}, bearer(token))
		if r.Status == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent cannot be made ready: %s", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// apiClient is how the SIP tests reach the console's API: what they attack is SIP, so over
// HTTPS the server's certificate is not what is being checked here (tls_test.go checks it).
func apiClient(s *proc.Server) *http.Client {
	if strings.HasPrefix(s.Base, "https://") {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	return from("127.0.0.1")
}

// metric reads one counter or gauge from /metrics.
func metric(t *testing.T, s *proc.Server, name string) float64 {
	t.Helper()
	r, err := try(&http.Client{Timeout: 5 * time.Second}, "GET", s.Base+"/metrics", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(r.Body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	t.Fatalf("no %s in /metrics:\n%s", name, r.Body)
	return 0
}

// peer is a SIP user agent on UDP driven by hand, from a chosen loopback address: a phone, an
// attacker, a victim, a carrier. It answers BYE and OPTIONS with 200 by itself (and INVITE
// with 486 when busy), and keeps every message it receives.
type peer struct {
	t      *testing.T
	conn   *net.UDPConn
	server atomic.Pointer[net.UDPAddr]
	busy   atomic.Bool
	silent atomic.Bool // answers nothing by itself

	mu       sync.Mutex
	got      []received
	changed  chan struct{}
	packets  atomic.Int64 // datagrams received, SIP or not
	invitesU []string     // Request-URI users of the INVITEs received
}

type received struct {
	msg  sip.Message
	from string
}

func newPeer(t *testing.T, source, server string) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(source)})
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, conn: c, changed: make(chan struct{})}
	p.setServer(server)
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go func() { defer close(done); p.read() }()
	return p
}

func (p *peer) setServer(server string) {
	if server == "" {
		return
	}
	a, err := net.ResolveUDPAddr("udp4", server)
	if err != nil {
		p.t.Fatal(err)
	}
	p.server.Store(a)
}

func (p *peer) port() int    { return p.conn.LocalAddr().(*net.UDPAddr).Port }
func (p *peer) addr() string { return p.conn.LocalAddr().String() }
func (p *peer) host() string { return p.conn.LocalAddr().(*net.UDPAddr).IP.String() }

func (p *peer) read() {
	buf := make([]byte, 65535)
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		p.packets.Add(1)
		msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		if req, ok := msg.(*sip.Request); ok && !p.silent.Load() {
			switch req.Method {
			case sip.BYE, sip.OPTIONS, sip.CANCEL:
				p.respondTo(req, from, 200)
			case sip.INVITE:
				p.mu.Lock()
				p.invitesU = append(p.invitesU, req.Recipient.User)
				p.mu.Unlock()
				if p.busy.Load() {
					p.respondTo(req, from, 486)
				}
			}
		}
		p.mu.Lock()
		p.got = append(p.got, received{msg, from.String()})
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
}

func (p *peer) respondTo(req *sip.Request, to *net.UDPAddr, code int) {
	res := sip.NewResponse(code, map[int]string{200: "OK", 486: "Busy Here"}[code])
	for _, v := range req.GetHeaders("Via") {
		res.AppendHeader(sip.HeaderClone(v))
	}
	res.AppendHeader(sip.HeaderClone(req.From()))
	toh := sip.HeaderClone(req.To()).(*sip.ToHeader)
	if !toh.Params.Has("tag") {
		toh.Params.Add("tag", "peer"+strconv.Itoa(p.port()))
	}
	res.AppendHeader(toh)
	res.AppendHeader(sip.HeaderClone(req.CallID()))
	res.AppendHeader(sip.HeaderClone(req.CSeq()))
	res.SetBody(nil)
	p.conn.WriteToUDP([]byte(res.String()), to)
}

// invites are the numbers the INVITEs received were for.
func (p *peer) invites() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.invitesU...)
}

// send writes a message to the server: lines joined with CRLF, then the body.
func (p *peer) send(m message) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDP([]byte(m.String()), p.server.Load()); err != nil {
		p.t.Fatal(err)
	}
}

// wait returns the first message at or after index from that matches, waiting up to d.
func (p *peer) wait(from int, d time.Duration, match func(sip.Message) bool) (sip.Message, int) {
	deadline := time.After(d)
	for {
		p.mu.Lock()
		for i := from; i < len(p.got); i++ {
			if match(p.got[i].msg) {
				m := p.got[i].msg
				p.mu.Unlock()
				return m, i + 1
			}
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return nil, from
		}
	}
}

// seen is how many messages have arrived so far.
func (p *peer) seen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

// final waits for the final response to a request (by Call-ID and CSeq), nil after d.
func (p *peer) final(req message, d time.Duration) *sip.Response {
	m, _ := p.wait(0, d, func(m sip.Message) bool {
		res, ok := m.(*sip.Response)
		return ok && res.StatusCode >= 200 && res.CallID() != nil && res.CallID().Value() == req.get("Call-ID") &&
			res.CSeq() != nil && res.CSeq().Value() == req.get("CSeq")
	})
	res, _ := m.(*sip.Response)
	return res
}

// message is a SIP request as text, header by header, so that an attacker can replay one
// with a line changed.
type message struct {
	start string
	lines []string // "Name: value"
	body  string
}

func (m message) String() string {
	var b strings.Builder
	b.WriteString(m.start + "\r\n")
	for _, l := range m.lines {
		b.WriteString(l + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(m.body), m.body)
	return b.String()
}

// get is a header's value ("" when absent).
func (m message) get(name string) string {
	for _, l := range m.lines {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// with returns a copy with a header set (replaced in place, or added at the end).
func (m message) with(name, value string) message {
	out := m
	out.lines = append([]string(nil), m.lines...)
	for i, l := range out.lines {
		if k, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			out.lines[i] = name + ": " + value
			return out
		}
	}
	out.lines = append(out.lines, name+": "+value)
	return out
}

var nextTag atomic.Int64

func tag() string {
	return strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + strconv.FormatInt(nextTag.Add(1), 36)
}

// register is a REGISTER of ext from this peer with a contact, on callID with cseq.
func (p *peer) register(ext, contact, callID string, cseq int) message {
	srv := p.server.Load()
	return message{start: fmt.Sprintf("REGISTER sip:%s SIP/2.0", srv), lines: []string{
		fmt.Sprintf("Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", p.addr(), tag()),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@%s>;tag=%s", ext, srv.IP, tag()),
		fmt.Sprintf("To: <sip:%s@%s>", ext, srv.IP),
		"Call-ID: " + callID,
		fmt.Sprintf("CSeq: %d REGISTER", cseq),
		"Contact: " + contact,
		"Expires: 600",
		"User-Agent: security-test",
	}}
}

// invite is an INVITE from ext to a number, offering PCMU at an RTP port of this peer's.
func (p *peer) invite(ext, number string) message {
	srv := p.server.Load()
	sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		p.host(), p.host(), p.port()+1)
	return message{start: fmt.Sprintf("INVITE sip:%s@%s SIP/2.0", number, srv), lines: []string{
		fmt.Sprintf("Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", p.addr(), tag()),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:%s@%s>;tag=%s", ext, srv.IP, tag()),
		fmt.Sprintf("To: <sip:%s@%s>", number, srv.IP),
		"Call-ID: " + tag() + "@" + p.host(),
		"CSeq: 1 INVITE",
		fmt.Sprintf("Contact: <sip:%s@%s>", ext, p.addr()),
		"User-Agent: security-test",
		"Content-Type: application/sdp",
	}, body: sdp}
}

// authorize answers a 401/407 with a password for a request: the header to add, and its name.
func authorize(t *testing.T, res *sip.Response, req message, user, password string, nc int) (string, string) {
	t.Helper()
	chalHdr, authHdr := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		chalHdr, authHdr = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(chalHdr)
	if h == nil {
		t.Fatalf("%d without %s", res.StatusCode, chalHdr)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	method, uri, _ := strings.Cut(req.start, " ")
	uri, _, _ = strings.Cut(uri, " ")
	cred, err := digest.Digest(chal, digest.Options{Method: method, URI: uri, Username: user, Password: password, Count: nc,
		Cnonce: tag()})
	if err != nil {
		t.Fatal(err)
	}
	return authHdr, cred.String()
}

// authenticated sends a request, answers its challenge with the password and returns the
// request as finally sent and its final response (nil if none came within 5 s).
func (p *peer) authenticated(req message, user, password string) (message, *sip.Response) {
	p.t.Helper()
	p.send(req)
	res := p.final(req, 5*time.Second)
	if res == nil || (res.StatusCode != 401 && res.StatusCode != 407) {
		return req, res
	}
	if res.StatusCode == 407 {
		p.send(ack(req, res))
	}
	name, value := authorize(p.t, res, req, user, password, 1)
	n, _ := strconv.Atoi(strings.Fields(req.get("CSeq"))[0])
	req = req.with(name, value).with("CSeq", fmt.Sprintf("%d %s", n+1, strings.Fields(req.get("CSeq"))[1])).
		with("Via", strings.Replace(req.get("Via"), "branch=z9hG4bK-", "branch=z9hG4bK-"+tag()+"-", 1))
	p.send(req)
	return req, p.final(req, 5*time.Second)
}

// ack is the ACK of a final response to an INVITE of ours.
func ack(inv message, res *sip.Response) message {
	uri := strings.Fields(inv.start)[1]
	via := inv.get("Via")
	if res.IsSuccess() {
		if c := res.Contact(); c != nil {
			uri = c.Address.String()
		}
		via = strings.Replace(via, "branch=z9hG4bK-", "branch=z9hG4bK-ack"+tag()+"-", 1)
	}
	n := strings.Fields(inv.get("CSeq"))[0]
	return message{start: "ACK " + uri + " SIP/2.0", lines: []string{
		"Via: " + via, "Max-Forwards: 70", "From: " + inv.get("From"), "To: " + res.To().Value(),
		"Call-ID: " + inv.get("Call-ID"), "CSeq: " + n + " ACK",
	}}
}
