package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/media"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// Config says where SIP listens and what it tells the world.
type Config struct {
	// Listen is host:port for both UDP and TCP, e.g. 0.0.0.0:5060.
	Listen string
	// Advertise is the address put in Via, Contact and SDP; required when Listen is 0.0.0.0.
	Advertise netip.Addr
	UserAgent string
	Logger    *slog.Logger
}

// BrowserLegs is the browser softphone (internal/webrtc), reached through the same port.
type BrowserLegs interface {
	Place(leg telephony.LegID, login, from, display string)
	Hangup(leg telephony.LegID)
	Endpoint(leg telephony.LegID) (media.Endpoint, bool)
}

// Server is the registrar and B2BUA. It implements telephony.Telephony.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler telephony.Handler
	media   *media.Manager
	browser BrowserLegs

	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	udpCli *sipgo.Client
	tcpCli *sipgo.Client
	dlgUDP *sipgo.DialogUA
	dlgTCP *sipgo.DialogUA
	host   string
	port   int

	dir    atomic.Pointer[directory]
	reg    *registrar
	nonces *nonces

	mu      sync.Mutex
	legs    map[telephony.LegID]*leg
	dialogs map[string]*leg // by dialog id, for requests inside a dialog
	nextID  atomic.Uint64

	udp    net.PacketConn
	tcp    net.Listener
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the server; Start binds it.
func New(cfg Config, handler telephony.Handler, m *media.Manager) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Ringdesk"
	}
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("sip: listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("sip: listen port %q", portStr)
	}
	if !cfg.Advertise.IsValid() {
		ip, err := netip.ParseAddr(host)
		if err != nil || ip.IsUnspecified() {
			return nil, fmt.Errorf("sip: listening on %s needs an address to advertise", cfg.Listen)
		}
		cfg.Advertise = ip
	}
	s := &Server{cfg: cfg, log: cfg.Logger, handler: handler, media: m, reg: newRegistrar(), nonces: newNonces(),
		legs: map[telephony.LegID]*leg{}, dialogs: map[string]*leg{}, host: cfg.Advertise.String(), port: port}
	s.dir.Store(newDirectory(nil))
	return s, nil
}

// SetHandler connects the engine (when it is built after the server).
func (s *Server) SetHandler(h telephony.Handler) { s.handler = h }

// SetBrowserLegs plugs in the browser softphone.
func (s *Server) SetBrowserLegs(b BrowserLegs) { s.browser = b }

// SetSite takes the configuration: extensions and their secrets, trunks.
func (s *Server) SetSite(st *site.Site) { s.dir.Store(newDirectory(st)) }

// Start binds UDP and TCP on the listen address and serves until Close.
func (s *Server) Start(ctx context.Context) error {
	udp, tcp, err := listenBoth(s.cfg.Listen)
	if err != nil {
		return err
	}
	s.udp, s.tcp = udp, tcp
	s.port = udp.LocalAddr().(*net.UDPAddr).Port
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(s.cfg.UserAgent), sipgo.WithUserAgentHostname(s.host))
	if err != nil {
		return err
	}
	s.ua = ua
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(s.log)); err != nil {
		return err
	}
	// requests we send over UDP leave from the listening socket, so that replies and NATs
	// see the address phones and trunks know
	if s.udpCli, err = sipgo.NewClient(ua, sipgo.WithClientHostname(s.host), sipgo.WithClientPort(s.port),
		sipgo.WithClientConnectionAddr(udp.LocalAddr().String()), sipgo.WithClientLogger(s.log)); err != nil {
		return err
	}
	if s.tcpCli, err = sipgo.NewClient(ua, sipgo.WithClientHostname(s.host), sipgo.WithClientPort(s.port), sipgo.WithClientLogger(s.log)); err != nil {
		return err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "ringdesk", Host: s.host, Port: s.port}}
	s.dlgUDP = &sipgo.DialogUA{Client: s.udpCli, ContactHDR: contact, RewriteContact: true}
	tcpContact := contact
	tcpContact.Address.UriParams = sip.NewParams()
	tcpContact.Address.UriParams.Add("transport", "tcp")
	s.dlgTCP = &sipgo.DialogUA{Client: s.tcpCli, ContactHDR: tcpContact, RewriteContact: true}

	s.srv.OnRegister(s.onRegister)
	s.srv.OnInvite(s.onInvite)
	s.srv.OnAck(s.onAck)
	s.srv.OnBye(s.onBye)
	s.srv.OnOptions(s.onOptions)
	s.srv.OnInfo(s.onInDialog)
	s.srv.OnUpdate(s.onInDialog)
	s.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		s.respond(tx, req, 481, reason(481)) // a CANCEL matching no INVITE
	})

	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.srv.ServeUDP(udp) }()
	go func() { defer s.wg.Done(); s.srv.ServeTCP(tcp) }()
	go func() { <-ctx.Done(); udp.Close(); tcp.Close() }()
	waitServing(ua, udp.LocalAddr().String())
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

// Addr is where the server listens.
func (s *Server) Addr() string {
	if s.udp != nil {
		return s.udp.LocalAddr().String()
	}
	return s.cfg.Listen
}

// Close ends every leg and stops serving.
func (s *Server) Close() error {
	s.mu.Lock()
	legs := make([]*leg, 0, len(s.legs))
	for _, l := range s.legs {
		legs = append(legs, l)
	}
	s.mu.Unlock()
	for _, l := range legs {
		s.Hangup(l.id, telephony.CauseShutdown)
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.ua != nil {
		return s.ua.Close()
	}
	return nil
}

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE"))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	tx.Respond(res)
}

func (s *Server) newLegID() telephony.LegID {
	return telephony.LegID("S" + strconv.FormatUint(s.nextID.Add(1), 36))
}

// dialogUA returns the dialog agent for a transport.
func (s *Server) dialogUA(transport string) *sipgo.DialogUA {
	if transport == "TCP" || transport == "tcp" {
		return s.dlgTCP
	}
	return s.dlgUDP
}

var errGone = errors.New("leg ended")

// listenBoth binds UDP and TCP on one port; port 0 picks a port free for both (tests).
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, _ := net.SplitHostPort(addr)
	for tries := 0; ; tries++ {
		udp, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("sip: cannot listen on udp %s: %w", addr, err)
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp4", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != "0" || tries > 20 {
			return nil, nil, fmt.Errorf("sip: cannot listen on tcp %s: %w", addr, err)
		}
	}
}
