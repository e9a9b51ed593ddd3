// Package server assembles a Ringdesk server from its parts — store, engine, SIP, media,
// browser phones, API and console — and runs it. cmd/ringdesk only turns flags into a Config;
// integration tests run the very same assembly.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ringdesk/internal/api"
	"ringdesk/internal/auth"
	"ringdesk/internal/clock"
	"ringdesk/internal/cluster"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/events"
	"ringdesk/internal/figures"
	"ringdesk/internal/media"
	"ringdesk/internal/provision"
	"ringdesk/internal/recording"
	"ringdesk/internal/sip"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/database"
	"ringdesk/internal/telephony"
	"ringdesk/internal/web"
	"ringdesk/internal/webrtc"
)

// Config is everything a server is started with.
type Config struct {
	DataDir  string // embedded database's directory
	DBURL    string // postgres://… instead of the embedded database
	HTTP     string // console and API, host:port
	SIP      string // SIP over UDP and TCP, host:port
	RTPPorts string // LOW-HIGH
	// Advertise is the address phones and carriers reach us at (Contact, SDP); detected when
	// SIP listens on all addresses.
	Advertise string
	// Apply is a site file applied before starting.
	Apply string
	// AdminPassword is the first administrator's password; random when empty.
	AdminPassword string
	Logger        *slog.Logger
	Clock         clock.Clock
	// Out receives what an operator must see once (the generated admin password, the apply
	// report).
	Out io.Writer
	// TLSCert and TLSKey are PEM files: with them HTTP is served over TLS, and SIP over TLS on
	// SIPS.
	TLSCert, TLSKey string
	// SIPS is host:port for SIP over TLS: with certificates, the --sip host on port 5061 when
	// empty; "off" serves none.
	SIPS string
	// SIPDigestSHA256 are the User-Agent prefixes of phones offered SHA-256 digest ahead of
	// MD5 ("*": every phone); the others get MD5 alone.
	SIPDigestSHA256 []string
	// TrustedProxies are reverse proxies whose X-Forwarded-For/-Proto are believed.
	TrustedProxies []netip.Prefix
	// TrunkProbe is how often each trunk is sent OPTIONS (30 s when 0; never when negative).
	TrunkProbe time.Duration
	// Recordings is the folder call recordings are written to; recordings/ in DataDir when
	// empty. RecordingsBucket, when set, is the S3-compatible bucket complete ones move to.
	Recordings       string
	RecordingsBucket string
	// Node names this server in a cluster of servers sharing one PostgreSQL (docs/cluster.md):
	// it then serves only the services whose lease it holds. Empty: a single server.
	Node string
}

// Server is a running Ringdesk.
type Server struct {
	cfg       Config
	Store     store.Store
	Directory *directory.Live
	Bus       *events.Bus
	Engine    *engine.Engine
	SIP       *sip.Server
	Media     *media.Manager
	Phones    *webrtc.Phones
	Files     *recording.Files // call recordings
	API       *api.Server
	// Counters are the per-queue totals /metrics shows, summed from the event log.
	Counters *figures.Counters
	// Cluster is this server's node when it runs in a cluster (Config.Node), else nil.
	Cluster *cluster.Node
	fanout  *cluster.Fanout
	http    *http.Server
	httpLn  net.Listener
	tls     bool

	stopWatch context.CancelFunc
	watched   chan struct{}
	swept     chan struct{} // closed when the retention job has stopped
	draining  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// watchEvery is how soon configuration written by another process (ringdesk apply on a
// running server, a second node on the same PostgreSQL) is picked up.
const watchEvery = 2 * time.Second

// ParsePorts reads LOW-HIGH.
func ParsePorts(s string) (int, int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a < 1024 || b > 65535 || b-a < 20 {
		return 0, 0, fmt.Errorf("--rtp-ports must be LOW-HIGH within 1024-65535, at least 20 apart (got %q)", s)
	}
	return a, b, nil
}

// Start opens the store, applies the site file if any, makes sure an administrator exists,
// binds SIP, RTP and HTTP, and serves until Close. Any failure is returned with what to do.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	lo, hi, err := ParsePorts(cfg.RTPPorts)
	if err != nil {
		return nil, err
	}
	adv, err := advertise(cfg.SIP, cfg.Advertise)
	if err != nil {
		return nil, err
	}
	var cert *certificate
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together: give both files or neither")
	}
	if cfg.TLSCert != "" {
		if cert, err = loadCertificate(cfg.TLSCert, cfg.TLSKey, cfg.Logger); err != nil {
			return nil, err
		}
	}
	sips, err := sipsAddr(cfg.SIP, cfg.SIPS, cert != nil)
	if err != nil {
		return nil, err
	}
	var sipTLS *tls.Config
	if sips != "" {
		sipTLS = &tls.Config{GetCertificate: cert.get, MinVersion: tls.VersionTLS12}
	}
	s := &Server{cfg: cfg, tls: cert != nil}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	if err := checkNode(cfg.Node, cfg.DBURL); err != nil {
		return nil, err
	}
	if s.Store, err = database.Open(ctx, cfg.DataDir, cfg.DBURL); err != nil {
		return nil, err
	}
	if cfg.Apply != "" {
		rep, err := provision.Apply(ctx, s.Store, cfg.Apply)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Out, "applied %s\n%s\n", cfg.Apply, rep)
	}
	if s.Directory, err = directory.Open(ctx, s.Store.Site(), cfg.Logger); err != nil {
		return nil, err
	}
	s.Bus = events.NewBus()
	// the top tenth of the RTP range is for browser phones, the rest for SIP legs
	split := hi - (hi-lo)/10
	if s.Media, err = media.NewManager(media.Config{IP: adv, PortMin: lo, PortMax: split - 1, Logger: cfg.Logger}, prompts{s.Store}); err != nil {
		return nil, err
	}
	if n, err := s.Store.Registrations().DeleteExpired(ctx, time.Now()); err != nil {
		return nil, err
	} else if n > 0 {
		cfg.Logger.Debug("expired phone registrations removed", "count", n)
	}
	var nonceKey []byte
	if cfg.Node != "" {
		// a phone's retry with credentials may reach another node than the one that
		// challenged it: every node signs nonces with the same key
		if nonceKey, err = s.Store.Cluster().Key(ctx, "sip-nonce"); err != nil {
			return nil, err
		}
	}
	if s.SIP, err = sip.New(sip.Config{NonceKey: nonceKey, Listen: cfg.SIP, Advertise: adv, Logger: cfg.Logger, Bindings: bindings{s.Store.Registrations()}, SharedBindings: cfg.Node != "",
		TrunkProbe: cfg.TrunkProbe, TLSListen: sips, TLS: sipTLS, DigestSHA256Agents: cfg.SIPDigestSHA256}, nil, s.Media); err != nil {
		return nil, err
	}
	if s.Phones, err = webrtc.New(webrtc.Config{IP: adv, PortMin: uint16(split), PortMax: uint16(hi), Logger: cfg.Logger}, s.SIP.BrowserReport); err != nil {
		return nil, err
	}
	s.SIP.SetBrowserLegs(s.Phones)
	if s.Files, err = openRecordings(ctx, cfg, s.Store); err != nil {
		return nil, err
	}
	s.SIP.SetRecordingFiles(recordingFiles{s.Files})
	var owners engine.Cluster
	if cfg.Node != "" {
		s.Cluster = cluster.New(cluster.Config{Store: s.Store.Cluster(), Clock: cfg.Clock, Name: cfg.Node, Log: cfg.Logger,
			Services: s.serviceIDs, Adopt: s.adopt, Drop: func(svc string) { s.Engine.Drop(svc) }})
		owners = s.Cluster
		if s.fanout, err = cluster.StartFanout(ctx, cfg.DBURL, cfg.Node, s.Bus, cfg.Logger); err != nil {
			return nil, err
		}
	}
	if s.Engine, err = engine.New(engine.Config{Clock: cfg.Clock, Store: s.Store, Directory: s.Directory, Bus: s.Bus,
		Phone: s.SIP, Logger: cfg.Logger, Node: cfg.Node, Cluster: owners}); err != nil {
		return nil, err
	}
	s.SIP.SetHandler(s.Engine)
	// every reader follows the one directory: SIP first, so that a new extension can register
	// before the engine offers it calls
	s.SIP.SetDirectory(s.Directory.Index())
	s.Directory.Subscribe(s.SIP.SetDirectory)
	if err := s.Engine.Start(ctx); err != nil {
		return nil, err
	}
	if err := s.SIP.Start(ctx); err != nil {
		return nil, fmt.Errorf("%w (is another server using the SIP port? choose another with --sip, or --sips for TLS)", err)
	}
	if s.httpLn, err = net.Listen("tcp", cfg.HTTP); err != nil {
		return nil, fmt.Errorf("cannot listen for HTTP on %s: %w (choose another with --http)", cfg.HTTP, err)
	}
	// only now that every port is ours: a failed start must not have used up the one showing
	// of a generated password
	if err := ensureAdmin(ctx, s.Store, cfg.AdminPassword, cfg.Out); err != nil {
		return nil, err
	}
	if _, err := s.Directory.Reload(ctx); err != nil { // the administrator may be new
		return nil, err
	}
	s.Counters = figures.NewCounters(&figures.Source{Store: s.Store, Engine: s.Engine, Dir: s.Directory, Clock: cfg.Clock})
	s.API, err = api.New(ctx, api.Config{Engine: s.Engine, Store: s.Store, Directory: s.Directory, Bus: s.Bus,
		Clock: cfg.Clock, Logger: cfg.Logger, Console: web.Handler(), Phones: s.SIP, Signals: s.Phones,
		BuiltinAudio: func(ref string) ([]byte, bool) { return media.BuiltinWAV(telephony.Audio(ref)) },
		Metrics:      s.writeMetrics, TrustedProxies: cfg.TrustedProxies, Trunks: trunkHealth{s.SIP}, Recordings: s.Files})
	if err != nil {
		return nil, err
	}
	s.http = serveHTTP(s.httpLn, s.drainGate(s.API), cert, cfg.TrustedProxies, cfg.Logger)
	wctx, stop := context.WithCancel(context.Background())
	s.stopWatch, s.watched = stop, make(chan struct{})
	go func() { defer close(s.watched); s.Directory.Watch(wctx, watchEvery) }()
	s.swept = make(chan struct{})
	go func() { defer close(s.swept); s.Files.RunDaily(wctx, cfg.Clock, s.retention) }()
	if s.Cluster != nil {
		s.Cluster.SetAddrs(reachable(s.SIP.Addr(), adv), reachable(s.httpLn.Addr().String(), adv))
		if err := s.Cluster.Start(ctx); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		go s.followRegistrations(wctx)
		cfg.Logger.Info("cluster node started", "node", cfg.Node)
	}
	cfg.Logger.Info("ringdesk is serving", "http", s.httpLn.Addr().String(), "tls", s.tls, "sip", s.SIP.Addr(), "sips", s.SIP.TLSAddr(),
		"advertise", adv.String(), "rtp", cfg.RTPPorts)
	ok = true
	return s, nil
}

// HTTPAddr is where the console and API are served.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// ConsoleURL is the console's address, https:// when serving TLS.
func (s *Server) ConsoleURL() string {
	if s.tls {
		return "https://" + s.HTTPAddr() + "/"
	}
	return "http://" + s.HTTPAddr() + "/"
}

// Close ends every call, logs agents out and stops, giving it all five seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown stops the server cleanly within ctx: no new calls (SIP 503) or logins (HTTP 503)
// from the first instant; every call is ended — BYE to each leg that is up, CANCEL or 503 to
// the others — and the goodbyes are given until a second before ctx ends; then HTTP, media
// and the store close. Calling it again waits for the first and returns its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown(ctx) })
	return s.closeErr
}

// Drain stops taking new calls and logins; what is under way goes on. Shutdown drains first.
func (s *Server) Drain() {
	s.draining.Store(true)
	if s.SIP != nil {
		s.SIP.Drain()
	}
}

func (s *Server) shutdown(ctx context.Context) error {
	var errs []error
	s.Drain()
	if s.stopWatch != nil {
		s.stopWatch()
		<-s.watched
		<-s.swept
	}
	if s.API != nil {
		s.API.Close() // the stats.queue publisher
	}
	if s.Engine != nil {
		s.Engine.Close() // every call is aborted: its legs are hung up, its recording stopped
	}
	if s.Cluster != nil {
		// after the engine: our calls are closed before another node takes our services
		s.Cluster.Close(ctx)
	}
	if s.fanout != nil {
		s.fanout.Close()
	}
	if s.SIP != nil {
		// recordings' files are completed before the process goes (the header's sizes, the
		// move to a bucket); what does not finish in time is repaired at the next start
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if !s.SIP.RecordingsClosed(rctx) {
			s.cfg.Logger.Warn("recordings still being written at the stop; the next start repairs them")
		}
		cancel()
	}
	if s.SIP != nil {
		// the last second is for HTTP and the store
		sipCtx, cancel := ctx, context.CancelFunc(func() {})
		if d, ok := ctx.Deadline(); ok && time.Until(d) > 2*time.Second {
			sipCtx, cancel = context.WithDeadline(ctx, d.Add(-time.Second))
		}
		errs = append(errs, s.SIP.Shutdown(sipCtx))
		cancel()
	}
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			s.http.Close() // connections still busy when the time is up
		}
	} else if s.httpLn != nil {
		s.httpLn.Close()
	}
	if s.Media != nil {
		s.Media.Close()
	}
	if s.Store != nil {
		errs = append(errs, s.Store.Close())
	}
	return errors.Join(errs...)
}

// drainGate refuses new logins while the server stops: the console and the CTI get a 503
// they can show, rather than a session on a server about to go away. Everything else is
// served to the end, so that agents on a call see it end.
func (s *Server) drainGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() && r.Method == http.MethodPost {
			switch path.Clean(r.URL.Path) {
			case "/api/v1/session", "/api/v1/cti/login":
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"error":{"code":"shutting_down","message":"서버가 종료 중이어서 로그인할 수 없습니다. 잠시 후 다시 시도해 주세요."}}`+"\n")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bindings keeps the registrar's bindings in the store.
type bindings struct{ rs store.RegistrationStore }

func (b bindings) SaveBindings(ctx context.Context, ext string, list []sip.Binding) error {
	regs := make([]store.Registration, len(list))
	for i, x := range list {
		regs[i] = store.Registration{Extension: ext, Contact: x.Contact, Source: x.Source, Transport: x.Transport,
			Expires: x.Expires, CallID: x.CallID, CSeq: x.CSeq, Path: x.Path}
	}
	return b.rs.Replace(ctx, ext, regs)
}

func (b bindings) LiveBindings(ctx context.Context, now time.Time) ([]sip.Binding, error) {
	regs, err := b.rs.Live(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]sip.Binding, len(regs))
	for i, r := range regs {
		out[i] = sip.Binding{Extension: r.Extension, Contact: r.Contact, Source: r.Source, Transport: r.Transport,
			Expires: r.Expires, CallID: r.CallID, CSeq: r.CSeq, Path: r.Path}
	}
	return out, nil
}

// trunkHealth shows the SIP layer's trunk probes to the API.
type trunkHealth struct{ sip *sip.Server }

func (t trunkHealth) TrunkHealth() map[string]api.TrunkHealth {
	out := map[string]api.TrunkHealth{}
	for _, ts := range t.sip.TrunkStatus() {
		out[ts.Trunk] = api.TrunkHealth{Up: ts.Up, LastAnswer: ts.LastAnswer, RTT: ts.RTT}
	}
	return out
}

// prompts serves stored audio to the media layer.
type prompts struct{ st store.Store }

func (p prompts) Prompt(ctx context.Context, id string) ([]byte, error) {
	a, err := p.st.Audio().Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return a.Data, nil
}

// sipsAddr is where SIP over TLS listens: none without certificates or with "off"; the --sip
// host on port 5061 when not given.
func sipsAddr(sipAddr, sips string, certs bool) (string, error) {
	switch {
	case sips == "off":
		return "", nil
	case !certs && sips != "":
		return "", errors.New("--sips needs --tls-cert and --tls-key: SIP over TLS uses the same certificate as HTTPS")
	case !certs:
		return "", nil
	case sips != "":
		if _, _, err := net.SplitHostPort(sips); err != nil {
			return "", fmt.Errorf("--sips must be host:port or off (got %q)", sips)
		}
		return sips, nil
	}
	host, _, err := net.SplitHostPort(sipAddr)
	if err != nil {
		return "", fmt.Errorf("--sip must be host:port (got %q)", sipAddr)
	}
	return net.JoinHostPort(host, "5061"), nil
}

// advertise chooses the address put in SIP and SDP.
func advertise(sipAddr, configured string) (netip.Addr, error) {
	if configured != "" {
		ip, err := netip.ParseAddr(configured)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("--advertise must be an IP address (got %q)", configured)
		}
		return ip, nil
	}
	host, _, err := net.SplitHostPort(sipAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--sip must be host:port (got %q)", sipAddr)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
		return ip, nil
	}
	// the address of the interface that routes outward; no packet is sent
	if c, err := net.Dial("udp4", "192.0.2.1:9"); err == nil {
		defer c.Close()
		if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				return ip.Unmap(), nil
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1"), nil
}

// ensureAdmin creates the first administrator when the site has none, and says its password
// once.
func ensureAdmin(ctx context.Context, st store.Store, password string, out io.Writer) error {
	s, err := st.Site().Load(ctx)
	if err != nil {
		return err
	}
	for _, a := range s.Agents {
		if a.Role == site.RoleAdmin {
			return nil
		}
	}
	login := "admin"
	for _, a := range s.Agents {
		if a.Login == login {
			return fmt.Errorf("the site has no administrator and %q is an agent: give one account role admin with ringdesk apply", login)
		}
	}
	generated := password == ""
	if generated {
		if password, err = auth.RandomPassword(); err != nil {
			return err
		}
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		return fmt.Errorf("RINGDESK_ADMIN_PASSWORD: %w", err)
	}
	s.Agents = append(s.Agents, site.Agent{Login: login, Name: "Administrator", Role: site.RoleAdmin, PasswordHash: h,
		Services: []string{}, Groups: []string{}})
	if err := st.Site().Save(ctx, s); err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(out, "created the first administrator: login %q, password %q (shown once; change it in the console)\n", login, password)
	} else {
		fmt.Fprintf(out, "created the first administrator %q with the password from RINGDESK_ADMIN_PASSWORD\n", login)
	}
	return nil
}
