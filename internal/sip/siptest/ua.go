// Package siptest has SIP user agents for tests: a desk phone that registers with digest
// authentication and a carrier trunk, each sending its own tone over RTP and measuring what it
// hears, so that a test can tell who hears whom. Everything runs on 127.0.0.1. It must only
// be imported by tests.
package siptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"ringdesk/internal/media"
)

// UA is a phone or a trunk.
type UA struct {
	t        testing.TB
	Name     string
	User     string // extension for a phone
	Password string
	Server   string // the Ringdesk server, host:port
	Codec    media.Codec
	Tone     float64
	// AutoAnswer answers incoming calls at once.
	AutoAnswer bool
	// Transport is "UDP" (default) or "TCP".
	Transport string

	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	cli  *sipgo.Client
	dua  *sipgo.DialogUA
	port int
	conn net.PacketConn
	ln   net.Listener

	mu       sync.Mutex
	incoming chan *Call
	calls    map[string]*Call // by dialog id
	// Invites are the INVITE requests received (a trunk's view of outbound calls).
	Invites []*sip.Request
	reject  int // answer incoming calls with this code instead

	authUser, authPass string // a carrier that challenges INVITEs
	challenged         int
}

// RequireAuth makes the UA challenge incoming INVITEs (digest, MD5) like a carrier would.
func (u *UA) RequireAuth(user, password string) {
	u.mu.Lock()
	u.authUser, u.authPass = user, password
	u.mu.Unlock()
}

// Challenged reports how many INVITEs were challenged.
func (u *UA) Challenged() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.challenged
}

// checkAuth answers a challenge or 403 and returns false when the INVITE may not pass.
func (u *UA) checkAuth(req *sip.Request, tx sip.ServerTransaction) bool {
	u.mu.Lock()
	user, pass := u.authUser, u.authPass
	u.mu.Unlock()
	if user == "" {
		return true
	}
	chal := &digest.Challenge{Realm: "carrier", Nonce: "n" + sip.GenerateTagN(12), Algorithm: "MD5", QOP: []string{"auth"}}
	h := req.GetHeader("Authorization")
	if h == nil {
		u.mu.Lock()
		u.challenged++
		u.mu.Unlock()
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
		tx.Respond(res)
		return false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err == nil {
		chal.Nonce = cred.Nonce
		want, err2 := digest.Digest(chal, digest.Options{Method: "INVITE", URI: cred.URI, Username: user, Password: pass,
			Cnonce: cred.Cnonce, Count: cred.Nc})
		if err2 == nil && cred.Username == user && want.Response == cred.Response {
			return true
		}
	}
	tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
	return false
}

// Options sends OPTIONS to the server and returns the status and Allow header.
func (u *UA) Options() (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := u.request(sip.OPTIONS, serverURI(u.Server, ""))
	req.AppendHeader(&sip.ToHeader{Address: serverURI(u.Server, "")})
	res, err := u.cli.Do(ctx, req)
	if err != nil {
		return 0, "", err
	}
	allow := ""
	if h := res.GetHeader("Allow"); h != nil {
		allow = h.Value()
	}
	return res.StatusCode, allow, nil
}

// Options tune a UA.
type Options struct {
	Codec      media.Codec // PCMU by default
	Tone       float64     // Hz, 440 by default
	AutoAnswer bool
	Transport  string
	// ContactHost is put in Contact instead of 127.0.0.1: a phone behind NAT announces its
	// private address.
	ContactHost string
}

// NewPhone makes a phone for an extension; call Register.
func NewPhone(t testing.TB, server, ext, password string, o Options) *UA {
	return newUA(t, "phone "+ext, server, ext, password, o)
}

// NewTrunk makes a carrier: it calls DIDs and receives outbound calls.
func NewTrunk(t testing.TB, server string, o Options) *UA {
	return newUA(t, "trunk", server, "carrier", "", o)
}

func newUA(t testing.TB, name, server, user, password string, o Options) *UA {
	if o.Codec.Name == "" {
		o.Codec = media.Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	}
	if o.Tone == 0 {
		o.Tone = 440
	}
	if o.Transport == "" {
		o.Transport = "UDP"
	}
	u := &UA{t: t, Name: name, User: user, Password: password, Server: server, Codec: o.Codec, Tone: o.Tone,
		AutoAnswer: o.AutoAnswer, Transport: o.Transport, incoming: make(chan *Call, 16), calls: map[string]*Call{}}
	var err error
	u.ua, err = sipgo.NewUA(sipgo.WithUserAgent("siptest "+name), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	u.srv, _ = sipgo.NewServer(u.ua)
	u.srv.OnInvite(u.onInvite)
	u.srv.OnAck(u.onAck)
	u.srv.OnBye(u.onBye)
	u.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	if u.Transport == "TCP" {
		u.ln, err = net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u.port = u.ln.Addr().(*net.TCPAddr).Port
		u.cli, _ = sipgo.NewClient(u.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(u.port))
	} else {
		u.conn, err = net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u.port = u.conn.LocalAddr().(*net.UDPAddr).Port
		u.cli, _ = sipgo.NewClient(u.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(u.port),
			sipgo.WithClientConnectionAddr(u.conn.LocalAddr().String()))
	}
	chost := "127.0.0.1"
	if o.ContactHost != "" {
		chost = o.ContactHost
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: chost, Port: u.port}}
	if u.Transport == "TCP" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	u.dua = &sipgo.DialogUA{Client: u.cli, ContactHDR: contact}
	// everything is set before serving: handlers run on sipgo's goroutines
	if u.ln != nil {
		go u.srv.ServeTCP(u.ln)
	} else {
		go u.srv.ServeUDP(u.conn)
		for i := 0; i < 1000; i++ { // serving before sending, or the client binds the port again
			if c, err := u.ua.TransportLayer().GetConnection("udp", u.conn.LocalAddr().String()); err == nil && c != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	t.Cleanup(u.Close)
	return u
}

// Addr is where the UA listens.
func (u *UA) Addr() string { return "127.0.0.1:" + strconv.Itoa(u.port) }

// Close hangs up and stops the UA.
func (u *UA) Close() {
	u.mu.Lock()
	calls := make([]*Call, 0, len(u.calls))
	for _, c := range u.calls {
		calls = append(calls, c)
	}
	u.mu.Unlock()
	for _, c := range calls {
		c.audio.close()
	}
	if u.conn != nil {
		u.conn.Close()
	}
	if u.ln != nil {
		u.ln.Close()
	}
	u.ua.Close()
}

func (u *UA) request(method sip.RequestMethod, to sip.Uri) *sip.Request {
	req := sip.NewRequest(method, to)
	req.SetTransport(u.Transport)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: u.User, Host: hostOf(u.Server)}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	return req
}

func hostOf(hostport string) string {
	h, _, _ := net.SplitHostPort(hostport)
	return h
}

func serverURI(server, user string) sip.Uri {
	h, p, _ := net.SplitHostPort(server)
	port, _ := strconv.Atoi(p)
	return sip.Uri{Scheme: "sip", User: user, Host: h, Port: port}
}

// Register registers the phone; it returns the final status code.
func (u *UA) Register(expires int) (int, error) {
	return u.RegisterAs(u.User, u.Password, expires)
}

// RegisterAs registers with any credentials (to test refusals).
func (u *UA) RegisterAs(user, password string, expires int) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	to := serverURI(u.Server, "")
	req := sip.NewRequest(sip.REGISTER, to)
	req.SetTransport(u.Transport)
	aor := sip.Uri{Scheme: "sip", User: user, Host: hostOf(u.Server)}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	c := u.dua.ContactHDR
	req.AppendHeader(&c)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	res, err := u.cli.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 401 && password != "" {
		res, err = u.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
		if err != nil {
			return 0, err
		}
	}
	return res.StatusCode, nil
}

// Dial calls a number through the server (a phone authenticates; a trunk is known by its
// address). It returns once the call is answered or refused.
func (u *UA) Dial(number string) (*Call, error) {
	return u.DialFrom(number, u.User)
}

// DialFrom dials with a given From user (the caller's number, for a trunk).
func (u *UA) DialFrom(number, fromUser string) (*Call, error) {
	a, err := newAudio(u.Codec, u.Tone)
	if err != nil {
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, serverURI(u.Server, number))
	req.SetTransport(u.Transport)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(a.sdp("sendrecv"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := u.dua.WriteInvite(ctx, req)
	if err != nil {
		a.close()
		return nil, err
	}
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: u.User, Password: u.Password})
	if err != nil {
		a.close()
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			return nil, &Refused{Code: de.Res.StatusCode}
		}
		return nil, err
	}
	if err := d.Ack(ctx); err != nil {
		a.close()
		return nil, err
	}
	c := &Call{ua: u, cli: d, audio: a, ended: make(chan struct{}), ID: d.ID, Request: d.InviteRequest}
	if err := a.setRemote(d.InviteResponse.Body()); err != nil {
		return nil, err
	}
	u.mu.Lock()
	u.calls[d.ID] = c
	u.mu.Unlock()
	return c, nil
}

// Refused is a call the server answered with a final error.
type Refused struct{ Code int }

func (r *Refused) Error() string { return "refused with " + strconv.Itoa(r.Code) }

// CodeOf returns the status of a Refused error, or 0.
func CodeOf(err error) int {
	var r *Refused
	if errors.As(err, &r) {
		return r.Code
	}
	return 0
}

// Call is one call of a UA.
type Call struct {
	ua      *UA
	ID      string
	Request *sip.Request // the INVITE (sent or received)
	srv     *sipgo.DialogServerSession
	cli     *sipgo.DialogClientSession
	tx      sip.ServerTransaction
	audio   *audio
	answer  chan int
	ended   chan struct{}
	endOnce sync.Once
}

func (u *UA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To().Params.Has("tag") { // re-INVITE from the server
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		return
	}
	if !u.checkAuth(req, tx) {
		return
	}
	u.mu.Lock()
	u.Invites = append(u.Invites, req)
	reject := u.reject
	u.mu.Unlock()
	if reject != 0 {
		tx.Respond(sip.NewResponseFromRequest(req, reject, "Refused", nil))
		return
	}
	d, err := u.dua.ReadInvite(req, tx)
	if err != nil {
		return
	}
	a, err := newAudio(u.Codec, u.Tone)
	if err != nil {
		return
	}
	c := &Call{ua: u, ID: d.ID, Request: req, srv: d, tx: tx, audio: a, answer: make(chan int, 1), ended: make(chan struct{})}
	d.Respond(180, "Ringing", nil)
	u.mu.Lock()
	u.calls[d.ID] = c
	u.mu.Unlock()
	if !u.AutoAnswer {
		select {
		case u.incoming <- c:
		default:
		}
	}
	code := 200
	if !u.AutoAnswer {
		select {
		case code = <-c.answer:
		case <-d.Context().Done():
			c.end()
			return
		}
	}
	if code != 200 {
		d.Respond(code, "Refused", nil)
		c.end()
		return
	}
	if err := a.setRemote(req.Body()); err != nil {
		d.Respond(488, "Not Acceptable Here", nil)
		c.end()
		return
	}
	res := sip.NewSDPResponseFromRequest(d.InviteRequest, a.sdp("sendrecv"))
	if err := d.WriteResponse(res); err != nil {
		c.end()
	}
}

func (u *UA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	id, _ := sip.DialogIDFromRequestUAS(req)
	u.mu.Lock()
	c := u.calls[id]
	u.mu.Unlock()
	if c != nil && c.srv != nil {
		c.srv.ReadAck(req, tx)
	}
}

func (u *UA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	u.mu.Lock()
	var c *Call
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		c = u.calls[id]
	}
	if c == nil {
		if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
			c = u.calls[id]
		}
	}
	u.mu.Unlock()
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No Such Call", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	c.end()
}

// RejectWith makes the UA refuse new calls with code (0: take them again).
func (u *UA) RejectWith(code int) {
	u.mu.Lock()
	u.reject = code
	u.mu.Unlock()
}

// Incoming waits for a call to ring.
func (u *UA) Incoming(timeout time.Duration) *Call {
	u.t.Helper()
	select {
	case c := <-u.incoming:
		return c
	case <-time.After(timeout):
		u.t.Fatalf("%s: no incoming call within %v", u.Name, timeout)
		return nil
	}
}

// LastInvite returns the newest INVITE received.
func (u *UA) LastInvite() *sip.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.Invites) == 0 {
		return nil
	}
	return u.Invites[len(u.Invites)-1]
}

// Answer answers a ringing call.
func (c *Call) Answer() { c.answer <- 200 }

// Decline refuses a ringing call with a code.
func (c *Call) Decline(code int) { c.answer <- code }

func (c *Call) end() {
	c.endOnce.Do(func() {
		close(c.ended)
		c.audio.close()
		c.ua.mu.Lock()
		delete(c.ua.calls, c.ID)
		c.ua.mu.Unlock()
	})
}

// Hangup sends BYE.
func (c *Call) Hangup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defer c.end()
	if c.cli != nil {
		return c.cli.Bye(ctx)
	}
	return c.srv.Bye(ctx)
}

// WaitEnded waits for the far end to hang up.
func (c *Call) WaitEnded(timeout time.Duration) bool {
	select {
	case <-c.ended:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Ended reports whether the call is over.
func (c *Call) Ended() bool {
	select {
	case <-c.ended:
		return true
	default:
		return false
	}
}

// Hold sends a re-INVITE with a=sendonly (or sendrecv to resume).
func (c *Call) Hold(on bool) (int, error) {
	dir := "sendrecv"
	if on {
		dir = "sendonly"
	}
	req := sip.NewRequest(sip.INVITE, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.audio.sdp(dir))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var res *sip.Response
	var err error
	if c.cli != nil {
		res, err = c.cli.Do(ctx, req)
	} else {
		res, err = c.srv.Do(ctx, req)
	}
	if err != nil {
		return 0, err
	}
	if res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, c.remoteTarget())
		if c.cli != nil {
			c.cli.WriteRequest(ack)
		} else {
			c.srv.WriteRequest(ack)
		}
	}
	return res.StatusCode, nil
}

func (c *Call) remoteTarget() sip.Uri {
	if c.cli != nil {
		if ct := c.cli.InviteResponse.Contact(); ct != nil {
			return ct.Address
		}
	}
	if ct := c.Request.Contact(); ct != nil {
		return ct.Address
	}
	return c.Request.Recipient
}

// HeardSince measures what the party heard since t.
func (c *Call) HeardSince(t time.Time) Heard { return c.audio.heardSince(t) }

// Listen waits d and returns what was heard meanwhile.
func (c *Call) Listen(d time.Duration) Heard {
	t := time.Now()
	time.Sleep(d)
	return c.audio.heardSince(t.Add(d / 5)) // skip the first fifth: the switch-over
}

// Header returns a header of the call's INVITE.
func (c *Call) Header(name string) string {
	if h := c.Request.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// Near reports whether f is within 10 % of want.
func Near(f, want float64) bool { return f > want*0.9 && f < want*1.1 }

// String describes what was heard.
func (h Heard) String() string {
	return fmt.Sprintf("%.0f Hz at level %.3f over %d samples", h.Frequency, h.Level, h.Samples)
}

var _ = strings.TrimSpace
