// Package siptest has SIP user agents for tests: a desk phone that registers with digest
// authentication and a carrier trunk that calls numbers and takes calls. Each sends its own
// tone over RTP (PCMU or PCMA, as chosen) and measures what it hears, so a test can tell who
// hears whom. They are built on sipgo's own dialog layer, apart from the server's, so each
// checks the other. Everything runs on 127.0.0.1 with ephemeral ports. Tests only.
package siptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"ringdesk/internal/media"
)

// Options tune a UA.
type Options struct {
	Codec media.Codec // PCMU when not set
	Tone  float64     // Hz sent to every call; 440 when not set
	// AutoAnswer answers incoming calls at once (after a 180).
	AutoAnswer bool
	// Transport is "UDP" (the default) or "TCP".
	Transport string
	// ContactHost is put in Contact instead of 127.0.0.1: a phone behind NAT announces its
	// private address.
	ContactHost string
	// SDPHost is put in the SDP's c= line instead of 127.0.0.1: a phone behind NAT names its
	// private address there too, and sends from another.
	SDPHost string
	// Listen is the address to listen on; 127.0.0.1 on an ephemeral port when empty.
	Listen string
}

// UA is a phone or a trunk.
type UA struct {
	t        testing.TB
	Name     string
	User     string // extension for a phone
	Password string
	// Server is the Ringdesk server, host:port. A trunk made before the server may set it
	// afterwards, before its first call.
	Server     string
	Codec      media.Codec
	Tone       float64
	AutoAnswer bool
	Transport  string // UDP or TCP
	sdpHost    string

	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	cli  *sipgo.Client
	dua  *sipgo.DialogUA
	port int
	conn net.PacketConn
	ln   net.Listener
	done chan struct{}

	mu       sync.Mutex
	incoming chan *Call
	calls    map[string]*Call // by dialog id
	invites  []*sip.Request
	within   []*sip.Request // re-INVITEs and UPDATEs received inside calls
	reject   int
	authUser string
	authPass string
	chall    int
	cseq     uint32 // REGISTER's, so that the registrar sees them in order
	callID   string // REGISTER's
	closed   bool
	handlers sync.WaitGroup // requests being handled
}

// NewPhone makes an agent's phone for an extension; call Register.
func NewPhone(t testing.TB, server, ext, password string, o ...Options) *UA {
	return newUA(t, "phone "+ext, server, ext, password, first(o))
}

// NewTrunk makes a carrier: it calls the server's numbers (DialFrom) and takes the server's
// outbound calls (WaitRinging, Invites). server may be "" and set later in Server.
func NewTrunk(t testing.TB, server string, o ...Options) *UA {
	return newUA(t, "trunk", server, "carrier", "", first(o))
}

func first(o []Options) Options {
	if len(o) > 0 {
		return o[0]
	}
	return Options{}
}

func newUA(t testing.TB, name, server, user, password string, o Options) *UA {
	t.Helper()
	if o.Codec.Name == "" {
		o.Codec = media.PCMU
	}
	if o.Tone == 0 {
		o.Tone = 440
	}
	if o.Transport == "" {
		o.Transport = "UDP"
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	u := &UA{t: t, Name: name, User: user, Password: password, Server: server, Codec: o.Codec, Tone: o.Tone,
		AutoAnswer: o.AutoAnswer, Transport: o.Transport, incoming: make(chan *Call, 16), calls: map[string]*Call{},
		done: make(chan struct{}), callID: sip.GenerateTagN(20), sdpHost: o.SDPHost}
	var err error
	u.ua, err = sipgo.NewUA(sipgo.WithUserAgent("siptest "+name), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	u.srv, _ = sipgo.NewServer(u.ua)
	u.srv.OnInvite(u.handle(u.onInvite))
	u.srv.OnAck(u.handle(u.onAck))
	u.srv.OnBye(u.handle(u.onBye))
	u.srv.OnUpdate(u.handle(u.onUpdate))
	u.srv.OnOptions(u.handle(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	}))
	if u.Transport == "TCP" {
		if u.ln, err = net.Listen("tcp4", o.Listen); err != nil {
			t.Fatal(err)
		}
		u.port = u.ln.Addr().(*net.TCPAddr).Port
		u.cli, _ = sipgo.NewClient(u.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(u.port))
	} else {
		if u.conn, err = net.ListenPacket("udp4", o.Listen); err != nil {
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

// Addr is where the UA listens, host:port.
func (u *UA) Addr() string { return "127.0.0.1:" + strconv.Itoa(u.port) }

// Port is the port the UA listens on.
func (u *UA) Port() int { return u.port }

// handle wraps a request handler so that Close can wait for it: sipgo, asked to respond after
// its transport closed, opens a new socket that nothing ever closes. A request that arrives
// while closing is dropped unanswered.
func (u *UA) handle(f sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		u.mu.Lock()
		if u.closed {
			u.mu.Unlock()
			return
		}
		u.handlers.Add(1)
		u.mu.Unlock()
		defer u.handlers.Done()
		f(req, tx)
	}
}

// Close drops every call without a word and stops the UA.
func (u *UA) Close() {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return
	}
	u.closed = true
	calls := make([]*Call, 0, len(u.calls))
	for _, c := range u.calls {
		calls = append(calls, c)
	}
	u.mu.Unlock()
	close(u.done)
	for _, c := range calls {
		c.end()
	}
	u.handlers.Wait()
	u.ua.Close()
	if u.conn != nil {
		u.conn.Close()
	}
	if u.ln != nil {
		u.ln.Close()
	}
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

// ---- registration ----

// Register registers the phone for expires seconds (0 unregisters it) and returns the final
// status.
func (u *UA) Register(expires int) (int, error) {
	return u.RegisterAs(u.User, u.Password, expires)
}

// MustRegister registers the phone for 10 minutes and fails the test unless it is accepted.
func (u *UA) MustRegister() {
	u.t.Helper()
	if code, err := u.Register(600); err != nil || code != 200 {
		u.t.Fatalf("%s: REGISTER answered %d, %v", u.Name, code, err)
	}
}

// Unregister removes the phone's binding (Expires: 0).
func (u *UA) Unregister() (int, error) { return u.Register(0) }

// RegisterAs registers with any credentials (to test refusals); an empty password sends no
// credentials at all.
func (u *UA) RegisterAs(user, password string, expires int) (int, error) {
	res, err := u.RegisterRequest(user, password, func(req *sip.Request) {
		c := u.dua.ContactHDR
		req.AppendHeader(&c)
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	})
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// RegisterRequest sends a REGISTER for user that edit completes (Contact, Expires…),
// answering a 401 with password when one is given, and returns the final response.
func (u *UA) RegisterRequest(user, password string, edit func(*sip.Request)) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.REGISTER, serverURI(u.Server, ""))
	req.SetTransport(u.Transport)
	aor := sip.Uri{Scheme: "sip", User: user, Host: hostOf(u.Server)}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	u.mu.Lock()
	u.cseq++
	callID := sip.CallIDHeader(u.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: u.cseq, MethodName: sip.REGISTER})
	u.mu.Unlock()
	edit(req)
	res, err := u.cli.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == 401 && password != "" {
		u.mu.Lock()
		u.cseq++ // DoDigestAuth adds one to the request's CSeq
		u.mu.Unlock()
		res, err = u.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
	}
	return res, err
}

// Options sends OPTIONS to the server and returns the status and the Allow header.
func (u *UA) Options() (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, serverURI(u.Server, ""))
	req.SetTransport(u.Transport)
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

// Request sends any request to the server outside a dialog and returns the final response.
func (u *UA) Request(method sip.RequestMethod, user string, edit func(*sip.Request)) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := sip.NewRequest(method, serverURI(u.Server, user))
	req.SetTransport(u.Transport)
	if edit != nil {
		edit(req)
	}
	return u.cli.Do(ctx, req)
}

// ---- placing calls ----

// Dial calls a number through the server: a phone authenticates with its password, a trunk
// is known by its address. It returns once the call is answered, or a *Refused error.
func (u *UA) Dial(number string) (*Call, error) {
	return u.DialWith(context.Background(), number, Dial{})
}

// DialFrom dials with a given From user: the caller's number, for a trunk.
func (u *UA) DialFrom(number, fromUser string) (*Call, error) {
	return u.DialWith(context.Background(), number, Dial{From: fromUser})
}

// Dial says how to place a call.
type Dial struct {
	From string // From user; the UA's user when empty
	// PAI is put in P-Asserted-Identity as sip:PAI@127.0.0.1 when set.
	PAI string
	// LateOffer sends the INVITE without SDP: the server offers in its 200 and the ACK
	// answers.
	LateOffer bool
	// SDP replaces the offer (a malformed or codec-less one).
	SDP []byte
	// Header adds headers to the INVITE.
	Header []sip.Header
	// Ringing, when set, is called for each provisional response above 100.
	Ringing func(code int)
	// Muted sends no RTP at all (Call.Mute restarts it).
	Muted bool
}

// DialWith places a call. Cancelling ctx before the answer sends CANCEL; the error is then
// ctx's.
func (u *UA) DialWith(ctx context.Context, number string, o Dial) (*Call, error) {
	a, err := newAudio(u.Codec, u.Tone, u.sdpHost)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Call, error) { a.close(); return nil, err }
	a.muted = o.Muted
	req := sip.NewRequest(sip.INVITE, serverURI(u.Server, number))
	req.SetTransport(u.Transport)
	fromUser := o.From
	if fromUser == "" {
		fromUser = u.User
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(12))
	req.AppendHeader(from)
	if o.PAI != "" {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+o.PAI+"@127.0.0.1>"))
	}
	for _, h := range o.Header {
		req.AppendHeader(h)
	}
	switch {
	case o.SDP != nil:
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(o.SDP)
	case !o.LateOffer:
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(a.sdp("sendrecv"))
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	d, err := u.dua.WriteInvite(wctx, req)
	if err != nil {
		return fail(err)
	}
	err = d.WaitAnswer(wctx, sipgo.AnswerOptions{Username: u.User, Password: u.Password, OnResponse: func(r *sip.Response) error {
		if o.Ringing != nil && r.StatusCode > 100 && r.StatusCode < 200 {
			o.Ringing(r.StatusCode)
		}
		return nil
	}})
	if err != nil {
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			return fail(&Refused{Code: de.Res.StatusCode, Response: de.Res})
		}
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		return fail(err)
	}
	c := &Call{ua: u, cli: d, audio: a, ended: make(chan struct{}), ID: d.ID, Request: d.InviteRequest,
		Response: d.InviteResponse}
	if o.LateOffer {
		if err := a.setRemote(d.InviteResponse.Body()); err != nil {
			return fail(err)
		}
		ack := sip.NewRequest(sip.ACK, d.InviteResponse.Contact().Address)
		ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		ack.SetBody(a.sdp("sendrecv"))
		if err := d.WriteAck(wctx, ack); err != nil {
			return fail(err)
		}
	} else {
		if err := d.Ack(wctx); err != nil {
			return fail(err)
		}
		if err := a.setRemote(d.InviteResponse.Body()); err != nil {
			return fail(err)
		}
	}
	u.mu.Lock()
	u.calls[d.ID] = c
	u.mu.Unlock()
	return c, nil
}

// Refused is a call the server answered with a final error.
type Refused struct {
	Code     int
	Response *sip.Response
}

func (r *Refused) Error() string { return "refused with " + strconv.Itoa(r.Code) }

// CodeOf returns the status of a Refused error, or 0.
func CodeOf(err error) int {
	var r *Refused
	if errors.As(err, &r) {
		return r.Code
	}
	return 0
}

// ---- taking calls ----

// RequireAuth makes the UA challenge incoming INVITEs with digest (MD5) like a carrier:
// 401 when proxy is false, 407 when true.
func (u *UA) RequireAuth(user, password string, proxy ...bool) {
	u.mu.Lock()
	u.authUser, u.authPass = user, password
	u.mu.Unlock()
	if len(proxy) > 0 && proxy[0] {
		u.mu.Lock()
		u.authUser = "proxy:" + user
		u.mu.Unlock()
	}
}

// Challenged reports how many INVITEs were challenged.
func (u *UA) Challenged() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.chall
}

// checkAuth answers a challenge or 403 and returns false when the INVITE may not pass.
func (u *UA) checkAuth(req *sip.Request, tx sip.ServerTransaction) bool {
	u.mu.Lock()
	user, pass := u.authUser, u.authPass
	u.mu.Unlock()
	if user == "" {
		return true
	}
	code, chalHdr, authHdr := 401, "WWW-Authenticate", "Authorization"
	if u, ok := cutPrefix(user, "proxy:"); ok {
		user, code, chalHdr, authHdr = u, 407, "Proxy-Authenticate", "Proxy-Authorization"
	}
	chal := &digest.Challenge{Realm: "carrier", Nonce: "n" + sip.GenerateTagN(12), Algorithm: "MD5", QOP: []string{"auth"}}
	h := req.GetHeader(authHdr)
	if h == nil {
		u.mu.Lock()
		u.chall++
		u.mu.Unlock()
		res := sip.NewResponseFromRequest(req, code, "Authentication Required", nil)
		res.AppendHeader(sip.NewHeader(chalHdr, chal.String()))
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

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// RejectWith makes the UA refuse new calls with code (0: take them again).
func (u *UA) RejectWith(code int) {
	u.mu.Lock()
	u.reject = code
	u.mu.Unlock()
}

func (u *UA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To().Params.Has("tag") {
		u.onReinvite(req, tx)
		return
	}
	if !u.checkAuth(req, tx) {
		return
	}
	u.mu.Lock()
	u.invites = append(u.invites, req)
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
	a, err := newAudio(u.Codec, u.Tone, u.sdpHost)
	if err != nil {
		return
	}
	c := &Call{ua: u, ID: d.ID, Request: req, srv: d, audio: a, decide: make(chan int, 1), ended: make(chan struct{}),
		answered: make(chan error, 1)}
	d.Respond(180, "Ringing", nil)
	u.mu.Lock()
	u.calls[d.ID] = c
	u.mu.Unlock()
	code := 200
	if !u.AutoAnswer {
		select {
		case u.incoming <- c:
		default:
		}
		select {
		case code = <-c.decide:
		case <-d.Context().Done(): // CANCEL: sipgo answered 487
			c.end()
			return
		case <-u.done:
			return
		}
	}
	if code != 200 {
		c.answered <- d.Respond(code, "Refused", nil)
		c.end()
		return
	}
	if err := a.setRemote(req.Body()); err != nil {
		d.Respond(488, "Not Acceptable Here", nil)
		c.answered <- err
		c.end()
		return
	}
	res := sip.NewSDPResponseFromRequest(d.InviteRequest, a.sdp("sendrecv"))
	err = d.WriteResponse(res) // returns once the ACK came
	c.answered <- err
	if err != nil {
		c.end()
	}
}

// onReinvite answers the server's re-INVITEs (session refreshes) with our media. Like a UA
// that supports session timers, it accepts the interval asked (RFC 4028 §9).
func (u *UA) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := u.callOf(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No Such Call", nil))
		return
	}
	u.mu.Lock()
	u.within = append(u.within, req)
	u.mu.Unlock()
	if len(req.Body()) > 0 {
		c.audio.setRemote(req.Body())
	}
	res := sip.NewSDPResponseFromRequest(req, c.audio.sdp("sendrecv"))
	res.AppendHeader(&u.dua.ContactHDR)
	copyTimer(req, res)
	tx.Respond(res)
}

// onUpdate answers an UPDATE without an offer (a session refresh) with 200.
func (u *UA) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	if u.callOf(req) == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No Such Call", nil))
		return
	}
	u.mu.Lock()
	u.within = append(u.within, req)
	u.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	copyTimer(req, res)
	tx.Respond(res)
}

func copyTimer(req *sip.Request, res *sip.Response) {
	if h := req.GetHeader("Session-Expires"); h != nil {
		res.AppendHeader(sip.NewHeader("Session-Expires", h.Value()))
	}
}

// Within returns the re-INVITEs and UPDATEs the UA received inside its calls, oldest first.
func (u *UA) Within() []*sip.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*sip.Request(nil), u.within...)
}

func (u *UA) callOf(req *sip.Request) *Call {
	u.mu.Lock()
	defer u.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if c := u.calls[id]; c != nil {
			return c
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		return u.calls[id]
	}
	return nil
}

func (u *UA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := u.callOf(req); c != nil && c.srv != nil {
		c.srv.ReadAck(req, tx)
	}
}

func (u *UA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := u.callOf(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "No Such Call", nil))
		return
	}
	c.mu.Lock()
	c.byeReceived = true
	c.mu.Unlock()
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	c.end()
}

// WaitRinging waits for a call to ring the UA and returns it, failing the test after
// timeout.
func (u *UA) WaitRinging(timeout time.Duration) *Call {
	u.t.Helper()
	select {
	case c := <-u.incoming:
		return c
	case <-time.After(timeout):
		u.t.Fatalf("%s: no incoming call within %v", u.Name, timeout)
		return nil
	}
}

// Incoming is WaitRinging.
func (u *UA) Incoming(timeout time.Duration) *Call {
	u.t.Helper()
	return u.WaitRinging(timeout)
}

// Invites returns the new INVITEs received, oldest first.
func (u *UA) Invites() []*sip.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*sip.Request(nil), u.invites...)
}

// LastInvite returns the newest INVITE received, or nil.
func (u *UA) LastInvite() *sip.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.invites) == 0 {
		return nil
	}
	return u.invites[len(u.invites)-1]
}

// Calls reports how many calls the UA has up or ringing.
func (u *UA) Calls() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.calls)
}

func (u *UA) String() string { return fmt.Sprintf("%s at %s", u.Name, u.Addr()) }
