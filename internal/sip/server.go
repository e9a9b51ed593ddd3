package sip

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/auth"
	"ringdesk/internal/clock"
	"ringdesk/internal/directory"
	"ringdesk/internal/fault"
	"ringdesk/internal/media"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// Config says where SIP listens and what it tells the world.
type Config struct {
	// Listen is host:port for both UDP and TCP, e.g. 0.0.0.0:5060; port 0 picks a port free
	// for both (tests).
	Listen string
	// Advertise is the address put in Via, Contact and SDP. When it is not set, the listen
	// address is advertised; when that is 0.0.0.0, 127.0.0.1 is, which only suits a machine
	// talking to itself: production sets Advertise (cmd/ringdesk does), and New logs a
	// warning otherwise.
	Advertise netip.Addr
	// UserAgent is put in User-Agent and Server headers; "Ringdesk" when empty.
	UserAgent string
	Logger    *slog.Logger
	// DigestSHA256 offers SHA-256 digest challenges ahead of MD5 to every phone. Off by
	// default: some phones refuse a challenge list that holds an algorithm they do not know
	// (baresip 1.0 fails to register at all).
	DigestSHA256 bool
	// DigestSHA256Agents offers SHA-256 ahead of MD5 only to phones whose User-Agent begins
	// with one of these (case-insensitively; "*" is every phone): the models a site has seen
	// cope. The others are challenged with MD5 alone.
	DigestSHA256Agents []string
	// NonceLifetime is how long a digest nonce is good for; 5 minutes when 0. A phone that
	// answers with an older one is challenged again with stale=true.
	NonceLifetime time.Duration
	// NonceKey signs digest nonces; random when empty. The nodes of a cluster share one, so
	// that any node takes a nonce another gave.
	NonceKey []byte
	// MinExpires, MaxExpires and DefaultExpires bound registrations, in seconds: 60, 3600
	// and 600 when 0. Shorter requests are refused with 423, longer ones cut down.
	MinExpires, MaxExpires, DefaultExpires int
	// Bindings keeps registrations across restarts; nil keeps them in memory only.
	Bindings BindingStore
	// SharedBindings: other servers write to Bindings too (a cluster, where a phone registers
	// with whichever node the proxy chose). An extension not registered here is then looked
	// up there before a call to it fails.
	SharedBindings bool
	// Clock drives the watch over live legs (media timeouts, session timers); the wall
	// clock when nil. WatchEvery is how often it looks: every second when 0.
	Clock      clock.Clock
	WatchEvery time.Duration
	// TrunkProbe is how often each trunk is sent OPTIONS to tell whether it is up: every 30 s
	// when 0, never when negative. A probe not answered within TrunkProbeTimeout (5 s, or
	// TrunkProbe when shorter, when 0) is a miss.
	TrunkProbe, TrunkProbeTimeout time.Duration
	// TLSListen is host:port for SIP over TLS (empty: none), served with TLS, which must then
	// hold the certificate (GetCertificate, so that a renewed one is picked up).
	TLSListen string
	TLS       *tls.Config
	// TCPIdle is how long a TCP or TLS connection that has carried no authenticated request
	// may stay silent: 20 s when 0. One that has (a phone registered or called over it, a
	// trunk spoke on it) may stay silent for MaxExpires and a minute, so that a phone's
	// connection lasts from one registration to the next. TCPPerSource bounds the connections
	// one address holds (128 when 0), TCPTotal all of them (4096 when 0).
	TCPIdle                time.Duration
	TCPPerSource, TCPTotal int
}

// BrowserLegs is the browser softphone (internal/webrtc), reached through the same port:
// Place rings an agent's console, Hangup drops a leg in whatever state, Endpoint is its
// media once it has some. Its events come back through Server.BrowserReport.
type BrowserLegs interface {
	Place(leg telephony.LegID, login, from, display string)
	Hangup(leg telephony.LegID)
	Endpoint(leg telephony.LegID) (media.Endpoint, bool)
}

// Server is the registrar and the back-to-back user agent. It implements
// telephony.Telephony for the engine and calls the engine back through telephony.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	media   *media.Manager
	h       atomic.Pointer[telephony.Handler]
	browser atomic.Pointer[BrowserLegs]
	dir     atomic.Pointer[directory.Index]
	// sharedAt is when shared bindings were last reloaded for a miss (unix ns)
	sharedAt atomic.Int64
	timers   atomic.Pointer[timing] // the site's SIP settings, swapped with the directory
	health   trunkHealth
	clock    clock.Clock
	watchT   clock.Timer // the next look at the live legs; nil once stopped
	watchMu  sync.Mutex
	reg      *registrar
	nonces   *nonces
	guard    *auth.Limiter // failed digests, per (extension, source) and per source
	tagKey   [32]byte      // our dialog tags are MACed with it (localTag)
	host     string        // advertised address
	port     int
	tlsPort  int

	counters  counters
	logBudget *logBudget // lockouts, replays, forged answers: a line per source now and then
	wireLog   *wireLog   // sipgo's transport and transaction logs, budgeted
	conns     *connGuard // TCP and TLS connections we accept

	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	udpCli *sipgo.Client // requests over UDP leave from the listening socket
	tcpCli *sipgo.Client
	tlsCli *sipgo.Client
	udp    net.PacketConn
	tcp    net.Listener
	tls    net.Listener

	mu      sync.Mutex
	legs    map[telephony.LegID]*leg
	dialogs map[string]*leg // by dialogKey, for requests inside a dialog
	nextID  atomic.Uint64
	strays  sync.Map // dialogKey → time: 2xx we ended without having their INVITE

	ctx    context.Context // cancelled by Close: wire work gives up
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine we start
	// handlers counts requests being handled on sipgo's goroutines: Close waits for them before
	// the transport goes, or a late response would make sipgo open a socket nothing closes.
	handlers  sync.WaitGroup
	handlerMu sync.Mutex
	wire      atomic.Int64 // of which wire work still going on
	closing   atomic.Bool
	closed    chan struct{} // closed once Shutdown has finished
	draining  atomic.Bool   // new calls are refused with 503
	recs      recordings    // calls being recorded (record.go)
}

var _ telephony.Telephony = (*Server)(nil)

// New builds the server; Start binds it. handler may be nil and set later with SetHandler
// (the engine is often built after the server it uses). logger, when given, is used instead
// of cfg.Logger.
func New(cfg Config, handler telephony.Handler, m *media.Manager, logger ...*slog.Logger) (*Server, error) {
	if len(logger) > 0 && logger[0] != nil {
		cfg.Logger = logger[0]
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if m == nil {
		return nil, errors.New("sip: a media manager is required")
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Ringdesk"
	}
	if cfg.NonceLifetime <= 0 {
		cfg.NonceLifetime = 5 * time.Minute
	}
	if cfg.MinExpires <= 0 {
		cfg.MinExpires = 60
	}
	if cfg.MaxExpires <= 0 {
		cfg.MaxExpires = 3600
	}
	if cfg.DefaultExpires <= 0 {
		cfg.DefaultExpires = 600
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.WatchEvery <= 0 {
		cfg.WatchEvery = time.Second
	}
	if cfg.TrunkProbe == 0 {
		cfg.TrunkProbe = 30 * time.Second
	}
	if cfg.TrunkProbeTimeout <= 0 {
		cfg.TrunkProbeTimeout = min(5*time.Second, max(cfg.TrunkProbe, time.Second))
	}
	if cfg.TCPIdle <= 0 {
		cfg.TCPIdle = 20 * time.Second
	}
	if cfg.TCPPerSource <= 0 {
		cfg.TCPPerSource = 128
	}
	if cfg.TCPTotal <= 0 {
		cfg.TCPTotal = 4096
	}
	if cfg.TLSListen != "" && (cfg.TLS == nil || (cfg.TLS.GetCertificate == nil && len(cfg.TLS.Certificates) == 0)) {
		return nil, errors.New("sip: SIP over TLS needs a certificate")
	}
	cfg.DefaultExpires = max(min(cfg.DefaultExpires, cfg.MaxExpires), cfg.MinExpires)
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("sip: listen address %q must be host:port: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("sip: listen port %q is not a port number", portStr)
	}
	if !cfg.Advertise.IsValid() {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("sip: listen host %q must be an IP address", host)
		}
		if ip.IsUnspecified() {
			ip = netip.MustParseAddr("127.0.0.1")
			cfg.Logger.Warn("sip: listening on all addresses without an address to advertise; advertising 127.0.0.1, "+
				"which only phones on this machine can reach", "listen", cfg.Listen)
		}
		cfg.Advertise = ip
	}
	cfg.Advertise = cfg.Advertise.Unmap()
	s := &Server{cfg: cfg, log: cfg.Logger, media: m, reg: newRegistrar(), nonces: newNonces(cfg.NonceLifetime, cfg.NonceKey),
		guard: auth.NewLimiter(cfg.Clock), logBudget: newLogBudget(1, 10*time.Second),
		host: cfg.Advertise.String(), port: port, legs: map[telephony.LegID]*leg{}, dialogs: map[string]*leg{},
		closed: make(chan struct{}), clock: cfg.Clock}
	rand.Read(s.tagKey[:])
	s.wireLog = newWireLog(cfg.Logger, &s.counters)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.dir.Store(directory.New(nil, 0))
	s.timers.Store(timingOf(nil))
	if handler != nil {
		s.h.Store(&handler)
	}
	return s, nil
}

// SetHandler connects the engine.
func (s *Server) SetHandler(h telephony.Handler) { s.h.Store(&h) }

// SetBrowserLegs plugs in the browser softphone.
func (s *Server) SetBrowserLegs(b BrowserLegs) { s.browser.Store(&b) }

// SetDirectory takes a configuration — extensions with their digest secrets, trunks with their
// allow-lists, credentials and addresses — swapped whole, so a request sees the old or the new
// configuration, never half of each. The server subscribes it to its directory.
func (s *Server) SetDirectory(x *directory.Index) {
	s.dir.Store(x)
	s.timers.Store(timingOf(x.Site))
}

// SetSite indexes a copy of a configuration and takes it (tests and tools that have no
// directory): the caller may go on changing its own.
func (s *Server) SetSite(st *site.Site) {
	var copied site.Site
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err == nil && gob.NewDecoder(&buf).Decode(&copied) == nil {
		st = &copied
	}
	s.SetDirectory(directory.New(st, 0))
}

// secrets are the digest secrets of an extension's phone.
func (s *Server) secrets(ext string) (secrets, bool) {
	a, ok := s.dir.Load().Extension(ext)
	if !ok {
		return secrets{}, false
	}
	return secrets{md5: a.SIPHA1, sha256: a.SIPHA1SHA256}, true
}

func (s *Server) handler() telephony.Handler {
	if h := s.h.Load(); h != nil && *h != nil {
		return *h
	}
	return discard{}
}

func (s *Server) browserLegs() BrowserLegs {
	if b := s.browser.Load(); b != nil {
		return *b
	}
	return nil
}

// discard stands in for the engine until one is connected: calls are refused, reports
// dropped.
type discard struct{}

var errNotReady = fault.New(fault.Unavailable, "unavailable", "아직 시작하는 중입니다")

func (discard) Inbound(telephony.InboundCall) error { return errNotReady }
func (discard) Dialled(telephony.PhoneCall) error   { return errNotReady }
func (discard) Report(telephony.Event)              {}

// Start binds UDP and TCP on the listen address (and TLS on TLSListen) and serves until Close
// or until ctx ends.
func (s *Server) Start(ctx context.Context) error {
	if err := s.loadBindings(ctx, false); err != nil {
		return err
	}
	udp, tcp, err := listenBoth(s.cfg.Listen)
	if err != nil {
		return err
	}
	s.udp = udp
	s.port = udp.LocalAddr().(*net.UDPAddr).Port
	if got := sizeUDPBuffers(udp); got > 0 && got < 2*udpBuffer {
		s.log.Warn("the SIP UDP socket got a smaller receive buffer than it asked for; bursts of requests may be dropped and retransmitted 500 ms later: raise net.core.rmem_max to 4194304 (or run with CAP_NET_ADMIN)",
			"granted_bytes", got, "asked_bytes", 2*udpBuffer)
	}
	// a registered phone's connection lasts from one registration to the next
	s.conns = newConnGuard(s.cfg.TCPPerSource, s.cfg.TCPTotal, s.cfg.TCPIdle,
		time.Duration(s.cfg.MaxExpires)*time.Second+time.Minute, s.log, &s.counters)
	s.tcp = s.conns.listen(tcp)
	if s.cfg.TLSListen != "" {
		ln, err := net.Listen("tcp", s.cfg.TLSListen)
		if err != nil {
			udp.Close()
			tcp.Close()
			return listenError("TLS", s.cfg.TLSListen, err)
		}
		s.tlsPort = ln.Addr().(*net.TCPAddr).Port
		s.tls = tls.NewListener(s.conns.listen(ln), s.cfg.TLS)
	}
	closeAll := func() {
		udp.Close()
		tcp.Close()
		if s.tls != nil {
			s.tls.Close()
		}
	}
	wire := s.wireLog.logger()
	s.ua, err = sipgo.NewUA(sipgo.WithUserAgent(s.cfg.UserAgent), sipgo.WithUserAgentHostname(s.host),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(wire),
			sip.WithTransportLayerReadFilter(s.wireLog.filter)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(wire),
			sip.WithTransactionLayerUnhandledResponseHandler(s.onStrayResponse)))
	if err != nil {
		closeAll()
		return err
	}
	if s.srv, err = sipgo.NewServer(s.ua, sipgo.WithServerLogger(wire)); err != nil {
		return err
	}
	if s.udpCli, err = sipgo.NewClient(s.ua, sipgo.WithClientHostname(s.host), sipgo.WithClientPort(s.port),
		sipgo.WithClientConnectionAddr(udp.LocalAddr().String()), sipgo.WithClientNAT(), sipgo.WithClientLogger(wire)); err != nil {
		return err
	}
	if s.tcpCli, err = sipgo.NewClient(s.ua, sipgo.WithClientHostname(s.host), sipgo.WithClientPort(s.port),
		sipgo.WithClientNAT(), sipgo.WithClientLogger(wire)); err != nil {
		return err
	}
	if s.tls != nil {
		if s.tlsCli, err = sipgo.NewClient(s.ua, sipgo.WithClientHostname(s.host), sipgo.WithClientPort(s.tlsPort),
			sipgo.WithClientNAT(), sipgo.WithClientLogger(wire)); err != nil {
			return err
		}
	}
	s.srv.OnRegister(s.handle(s.onRegister))
	s.srv.OnInvite(s.handle(s.onInvite))
	s.srv.OnAck(s.handle(s.onAck))
	s.srv.OnBye(s.handle(s.onBye))
	s.srv.OnCancel(s.handle(s.onCancel))
	s.srv.OnOptions(s.handle(s.onOptions))
	s.srv.OnInfo(s.handle(s.onInfo))
	s.srv.OnUpdate(s.handle(s.onUpdate))
	s.srv.OnPrack(s.handle(s.onPrack))
	s.srv.OnNoRoute(s.handle(s.onNoRoute))

	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.srv.ServeUDP(udp) }()
	go func() { defer s.wg.Done(); s.srv.ServeTCP(s.tcp) }()
	if s.tls != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.srv.ServeTLS(s.tls) }()
	}
	// Not counted in wg: it may itself be the one closing, and Close waits for wg.
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.ctx.Done():
		}
	}()
	s.startWatch()
	waitServing(s.ua, udp.LocalAddr().String())
	s.startProbes()
	if s.tls != nil {
		s.log.Info("sip serving", "listen", s.Addr(), "tls", s.TLSAddr(), "advertise", s.host)
	} else {
		s.log.Info("sip serving", "listen", s.Addr(), "advertise", s.host)
	}
	return nil
}

// waitServing waits until the transport serves the UDP socket, so that our first request
// leaves from it rather than racing to bind it again.
func waitServing(ua *sipgo.UserAgent, addr string) {
	for i := 0; i < 1000; i++ {
		if c, err := ua.TransportLayer().GetConnection("udp", addr); err == nil && c != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// Addr is where the server listens, host:port.
func (s *Server) Addr() string {
	if s.udp != nil {
		return s.udp.LocalAddr().String()
	}
	return s.cfg.Listen
}

// TLSAddr is where the server listens for SIP over TLS, host:port ("" for nowhere).
func (s *Server) TLSAddr() string {
	if s.tls != nil {
		return s.tls.Addr().String()
	}
	return s.cfg.TLSListen
}

// Drain stops taking new calls: from now on an INVITE outside a dialog is answered 503
// without the engine hearing of it. Calls already up go on, and phones still register.
func (s *Server) Drain() { s.draining.Store(true) }

// Close ends every leg — BYE, CANCEL or 503 as each stands, sent before the sockets close
// — and stops serving, giving the goodbyes two seconds. The engine hears nothing more but
// the quality of the legs that were up.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown is Close with the time for goodbyes bounded by ctx: legs still waiting for an
// answer to their BYE or CANCEL when it ends are given up. Any number of callers may close
// at once; each returns when the server has stopped.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		<-s.closed
		return nil
	}
	defer close(s.closed)
	s.draining.Store(true)
	s.stopWatch()
	s.stopProbes()
	s.mu.Lock()
	legs := make([]*leg, 0, len(s.legs))
	for _, l := range s.legs {
		legs = append(legs, l)
	}
	s.mu.Unlock()
	for _, l := range legs {
		s.Hangup(l.id, telephony.CauseShutdown)
	}
	// give the goodbyes their time on the wire before the sockets go
	for (s.Legs() > 0 || s.wire.Load() > 0) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
	if n := s.wire.Load(); n > 0 {
		s.log.Warn("sip: stopping with goodbyes unanswered", "pending", n)
	}
	s.handlerMu.Lock()
	s.cancel()
	s.handlerMu.Unlock()
	// what handlers still run give up at once now that s.ctx is done
	waitGroup(&s.handlers, 2*time.Second)
	var err error
	if s.ua != nil {
		err = s.ua.Close()
	}
	if s.udp != nil {
		s.udp.Close()
		s.tcp.Close()
	}
	if s.tls != nil {
		s.tls.Close()
	}
	s.wg.Wait()
	return err
}

// handle wraps a request handler so that Close can wait for it; a request arriving while the
// server closes is dropped unanswered.
func (s *Server) handle(f sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		s.handlerMu.Lock()
		if s.ctx.Err() != nil {
			s.handlerMu.Unlock()
			return
		}
		s.handlers.Add(1)
		s.handlerMu.Unlock()
		defer s.handlers.Done()
		if stream(req.Transport()) {
			if src, err := netip.ParseAddrPort(req.Source()); err == nil {
				if _, ok := s.dir.Load().TrunkFrom(src.Addr().Unmap()); ok {
					s.conns.trust(req.Source()) // a carrier's connection lasts
				}
			}
		}
		if s.requireCheck(req, tx) {
			return
		}
		f(req, tx)
	}
}

// stream reports whether a transport is a connection (TCP or TLS) rather than datagrams.
func stream(transport string) bool {
	return strings.EqualFold(transport, "TCP") || strings.EqualFold(transport, "TLS")
}

// trustConnection lets the connection an authenticated request came over stay open between
// a phone's registrations.
func (s *Server) trustConnection(req *sip.Request) {
	if stream(req.Transport()) && s.conns != nil {
		s.conns.trust(req.Source())
	}
}

// waitGroup waits for wg, at most d.
func waitGroup(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// goWire runs wire work (a BYE, a placed INVITE) on its own goroutine, counted so that Close
// can wait for it.
func (s *Server) goWire(f func(ctx context.Context)) {
	s.wg.Add(1)
	s.wire.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.wire.Add(-1)
		f(s.ctx)
	}()
}

// client is the sipgo client for a transport.
func (s *Server) client(transport string) *sipgo.Client {
	switch {
	case strings.EqualFold(transport, "TCP"):
		return s.tcpCli
	case strings.EqualFold(transport, "TLS") && s.tlsCli != nil:
		return s.tlsCli
	}
	return s.udpCli
}

// contact is our Contact for a transport: a TLS phone is given our TLS port, so that what it
// sends inside the dialog stays encrypted.
func (s *Server) contact(transport string) *sip.ContactHeader {
	c := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: s.host, Port: s.port}}
	switch {
	case strings.EqualFold(transport, "TCP"):
		c.Address.UriParams = sip.NewParams()
		c.Address.UriParams.Add("transport", "tcp")
	case strings.EqualFold(transport, "TLS") && s.tlsPort != 0:
		c.Address.Port = s.tlsPort
		c.Address.UriParams = sip.NewParams()
		c.Address.UriParams.Add("transport", "tls")
	}
	return c
}

// hasConnection reports whether a connection to addr is open (a phone's TCP connection,
// which is the only way to reach it behind NAT).
func (s *Server) hasConnection(network, addr string) bool {
	if addr == "" {
		return false
	}
	c, err := s.ua.TransportLayer().GetConnection(network, addr)
	if err != nil || c == nil {
		return false
	}
	c.TryClose() // GetConnection took a reference
	return true
}

// allow is what we take, for Allow headers.
const allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK"

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allow))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	res.AppendHeader(sip.NewHeader("Accept-Language", "en"))
	res.AppendHeader(sip.NewHeader("Supported", supported))
	res.AppendHeader(s.contact(req.Transport()))
	s.send(tx, res)
}

// onNoRoute answers methods we do not handle: 405 with Allow for the ones SIP defines, 501
// for the ones we never heard of (RFC 3261 §8.2.1).
func (s *Server) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	switch req.Method {
	case sip.SUBSCRIBE, sip.NOTIFY, sip.REFER, sip.MESSAGE, sip.PUBLISH:
		res := sip.NewResponseFromRequest(req, 405, reasonPhrase(405), nil)
		res.AppendHeader(sip.NewHeader("Allow", allow))
		s.send(tx, res)
	default:
		res := sip.NewResponseFromRequest(req, 501, reasonPhrase(501), nil)
		res.AppendHeader(sip.NewHeader("Allow", allow))
		s.send(tx, res)
	}
}

// respond answers a request with a status and an optional phrase (the standard one when
// empty).
func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, phrase string) {
	if phrase == "" {
		phrase = reasonPhrase(code)
	}
	s.send(tx, sip.NewResponseFromRequest(req, code, phrase, nil))
}

// refuse answers a request that has proved nothing (no credentials, a wrong password, an
// address no trunk allows, a dialog we do not have) with one packet: see sendOnce.
func (s *Server) refuse(tx sip.ServerTransaction, req *sip.Request, code int, phrase string) {
	if phrase == "" {
		phrase = reasonPhrase(code)
	}
	s.sendOnce(tx, req, sip.NewResponseFromRequest(req, code, phrase, nil))
}

// sendOnce answers a request that has proved nothing with a single packet. The transaction
// of an INVITE over UDP would resend a final error until an ACK came, and a spoofed source
// sends none: ten packets to whoever the source names, for each one forged. So the answer is
// written once, statelessly (as Kamailio's sl_send_reply does), and the transaction ended; a
// real phone that lost it sends its INVITE again and is answered again.
func (s *Server) sendOnce(tx sip.ServerTransaction, req *sip.Request, res *sip.Response) {
	type stateless interface {
		Connection() sip.Connection
		Terminate()
	}
	c, ok := tx.(stateless)
	if req.Method != sip.INVITE || !ok || c.Connection() == nil {
		s.send(tx, res)
		return
	}
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	}
	if err := c.Connection().WriteMsg(res); err != nil {
		s.log.Debug("response not sent", "status", res.StatusCode, "err", err)
	}
	c.Terminate()
}

func (s *Server) send(tx sip.ServerTransaction, res *sip.Response) {
	if res.IsSuccess() && res.GetHeader("Supported") == nil {
		res.AppendHeader(sip.NewHeader("Supported", supported))
	}
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("response not sent", "status", res.StatusCode, "err", err)
	}
}

// listenBoth binds UDP and TCP on one port; port 0 picks a port free for both.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	for tries := 0; ; tries++ {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, listenError("UDP", addr, err)
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != "0" || tries > 20 {
			return nil, nil, listenError("TCP", addr, err)
		}
	}
}

// counters are what the server refused or dropped, for /metrics.
type counters struct {
	authFailures, throttled, replays, strays, malformed, tcpRefused atomic.Uint64
}

// Counters are what the server refused or dropped since it started.
type Counters struct {
	AuthFailures uint64 // digests that did not prove the password (403)
	Throttled    uint64 // requests ignored from a source locked out after failures
	Replays      uint64 // right answers used again, or for another Request-URI (challenged again)
	StrayAnswers uint64 // 2xx to INVITEs we never sent, dropped unanswered
	Malformed    uint64 // messages that could not be parsed
	TCPRefused   uint64 // TCP and TLS connections closed as they were accepted: too many
}

// Counters reports what the server refused or dropped.
func (s *Server) Counters() Counters {
	c := &s.counters
	return Counters{AuthFailures: c.authFailures.Load(), Throttled: c.throttled.Load(), Replays: c.replays.Load(),
		StrayAnswers: c.strays.Load(), Malformed: c.malformed.Load(), TCPRefused: c.tcpRefused.Load()}
}

func listenError(network, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("sip: %s port %s is already in use (is another SIP server running?): %w", network, addr, err)
	}
	return fmt.Errorf("sip: cannot listen for SIP over %s on %s: %w", network, addr, err)
}

// hostOnly strips a port from host:port.
func hostOnly(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
