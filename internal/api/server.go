package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/clock"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/events"
	"ringdesk/internal/figures"
	"ringdesk/internal/store"
)

// Config is what the API is built from.
type Config struct {
	Engine *engine.Engine
	Store  store.Store
	// Directory is the running configuration: read on every request, reloaded after every
	// saved change (which moves the engine and the SIP layer too).
	Directory *directory.Live
	Bus       *events.Bus
	Clock     clock.Clock
	Logger    *slog.Logger
	// Console serves the web console at / (optional).
	Console http.Handler
	// Phones reports whether an agent's phone is reachable (SIP registered, browser connected).
	Phones PhoneDirectory
	// Signals carries browser-softphone signalling arriving on the event WebSocket (optional).
	Signals SignalHandler
	// BuiltinAudio gives the built-in audio a reference names (builtin:hold…) as a WAV file,
	// for the admin screens' preview (optional).
	BuiltinAudio func(ref string) ([]byte, bool)
	// SessionTTL is how long a login lasts; zero means 12 hours.
	SessionTTL time.Duration
	// Metrics writes the Prometheus text exposition for GET /metrics (optional).
	Metrics func(w io.Writer)
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
	// believed (for throttling, logs and the Secure cookie); from anyone else they are ignored.
	TrustedProxies []netip.Prefix
	// Trunks tells what probing knows of each trunk, for GET /api/v1/trunks (optional).
	Trunks TrunkMonitor
	// Recordings reads recordings' audio back (optional: without it they cannot be played).
	Recordings RecordingFiles
}

// RecordingFiles opens a recording's audio, seekable for HTTP Range requests.
type RecordingFiles interface {
	Open(ctx context.Context, r store.Recording) (io.ReadSeekCloser, time.Time, error)
}

// TrunkHealth is what the phone network knows of a trunk's reachability from its probes.
type TrunkHealth struct {
	Up         bool
	LastAnswer time.Time // zero: it never answered
	RTT        time.Duration
}

// TrunkMonitor tells each trunk's health, by trunk id.
type TrunkMonitor interface {
	TrunkHealth() map[string]TrunkHealth
}

// PhoneDirectory tells whether an agent's phone can be rung.
type PhoneDirectory interface {
	Registered(extension string) bool
}

// SignalHandler takes signalling messages from an agent's console (WebRTC offers, answers,
// candidates) and can send messages back on that console's connection.
type SignalHandler interface {
	// Connected is called when an agent's console connects; send delivers a message to it.
	// The returned function is called when the connection ends.
	Connected(login string, send func(msg []byte) error) (disconnected func())
	// Message handles one message from the console.
	Message(login string, msg []byte) error
}

// Server is the HTTP API.
type Server struct {
	eng      *engine.Engine
	st       store.Store
	bus      *events.Bus
	clock    clock.Clock
	log      *slog.Logger
	dir      *directory.Live
	console  http.Handler
	phones   PhoneDirectory
	signals  SignalHandler
	builtin  func(ref string) ([]byte, bool)
	ttl      time.Duration
	metrics  func(w io.Writer)
	limiter  *auth.Limiter
	verifier *auth.Verifier
	proxies  []netip.Prefix
	sockets  *socketSet
	trunks   TrunkMonitor
	recs     RecordingFiles
	mux      *http.ServeMux
	// fig computes the figures (reports, real time); pub keeps wallboards current with
	// stats.queue events until Close.
	fig     *figures.Source
	pub     *figures.Publisher
	stopPub context.CancelFunc
	pubDone chan struct{}

	writeMu sync.Mutex // serialises configuration edits: load, change, validate, save
}

// site is the configuration as it is now.
func (s *Server) site() *directory.Index { return s.dir.Index() }

// New builds the API over a running engine.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Directory == nil {
		return nil, errors.New("api: a directory is required")
	}
	s := &Server{eng: cfg.Engine, st: cfg.Store, bus: cfg.Bus, clock: cfg.Clock, log: cfg.Logger,
		dir: cfg.Directory, console: cfg.Console, phones: cfg.Phones, signals: cfg.Signals, builtin: cfg.BuiltinAudio,
		ttl: cfg.SessionTTL, metrics: cfg.Metrics, trunks: cfg.Trunks, recs: cfg.Recordings, limiter: auth.NewLimiter(cfg.Clock), proxies: slices.Clone(cfg.TrustedProxies),
		sockets: newSocketSet(), mux: http.NewServeMux()}
	var err error
	if s.verifier, err = auth.NewVerifier(cfg.Clock, 0); err != nil {
		return nil, err
	}
	// open event sockets follow the accounts' new permissions whenever the configuration moves
	cfg.Directory.Subscribe(func(*directory.Index) { s.sockets.recheck() })
	s.fig = &figures.Source{Store: cfg.Store, Engine: cfg.Engine, Dir: cfg.Directory, Clock: cfg.Clock}
	s.routes()
	if cfg.Engine != nil && cfg.Bus != nil {
		s.pub = figures.NewPublisher(s.fig, cfg.Bus, cfg.Logger, s.sockets.watching)
		pctx, stop := context.WithCancel(context.Background())
		s.stopPub, s.pubDone = stop, make(chan struct{})
		go func() { defer close(s.pubDone); s.pub.Run(pctx) }()
	}
	return s, nil
}

// Close stops what the API runs besides requests: the stats.queue publisher.
func (s *Server) Close() {
	if s.stopPub != nil {
		s.stopPub()
		<-s.pubDone
	}
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP adds the headers every response carries and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

// handler is an authenticated endpoint.
type handler func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error

// api wraps an endpoint: authentication (bearer token or session cookie), a CSRF check for
// cookie-authenticated writes, and error mapping.
func (s *Server) api(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		body := keepBody(r)
		if err := h(w, r, p); err != nil {
			if !s.forward(w, r, p.Login, body, err) {
				s.writeError(w, r, err)
			}
		}
	}
}

// public wraps an endpoint that needs no login.
func (s *Server) public(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

const cookieName = "ringdesk_session"

// requestToken is the session token a request carries: a bearer token, or else the session
// cookie. A malformed Authorization header is an error rather than a fall back to the cookie.
func requestToken(r *http.Request) (token string, fromCookie bool, err error) {
	if hv := r.Header.Get("Authorization"); hv != "" {
		t, ok := strings.CutPrefix(hv, "Bearer ")
		if !ok || t == "" {
			return "", false, errorf(401, "unauthorized", "Authorization must be \"Bearer <token>\"")
		}
		return t, false, nil
	}
	if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
		return c.Value, true, nil
	}
	return "", false, errorf(401, "unauthorized", "log in first: POST /api/v1/session")
}

func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	token, fromCookie, err := requestToken(r)
	if err != nil {
		return nil, err
	}
	sess, err := s.st.Sessions().Get(r.Context(), auth.HashToken(token))
	if err != nil || !s.clock.Now().Before(sess.ExpiresAt) {
		return nil, errorf(401, "unauthorized", "the session has expired or does not exist; log in again")
	}
	if fromCookie && r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		return nil, errorf(403, "forbidden", "cross-site request refused")
	}
	a, ok := s.site().Agents[sess.Login]
	if !ok {
		return nil, errorf(401, "unauthorized", "the account no longer exists")
	}
	p := auth.PrincipalOf(a)
	return &p, nil
}

// provenance is where a browser says a request comes from.
type provenance int

const (
	unknownSite provenance = iota // no browser said: a script, or a very old browser
	sameSite                      // our own pages
	otherSite                     // another site's page
)

// requestSite reads where a request comes from as a browser states it: Sec-Fetch-Site, which
// every current browser sends and a page cannot forge, or else the Origin, whose host must be
// the one the request was sent to. (Behind a proxy that rewrites Host, Sec-Fetch-Site still
// answers.) An opaque Origin ("null": a sandboxed frame, a data: URL) is another site.
func requestSite(r *http.Request) provenance {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return sameSite
	case "":
	default: // same-site (a sibling subdomain) or cross-site
		return otherSite
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return unknownSite
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return otherSite
	}
	return sameSite
}

// sameOrigin accepts a cookie-authenticated write only from the console's own origin. Without
// word from the browser, the console's own header must be there: a cross-site form cannot set
// it.
func sameOrigin(r *http.Request) bool {
	switch requestSite(r) {
	case sameSite:
		return true
	case unknownSite:
		return r.Header.Get("X-Ringdesk") != ""
	}
	return false
}

func requireAdmin(p *auth.Principal) error {
	if !p.IsAdmin() {
		return errorf(403, "forbidden", "administrators only")
	}
	return nil
}

func requireService(p *auth.Principal, service string) error {
	if !p.CanSeeService(service) {
		return errorf(403, "forbidden", "no access to service %q", service)
	}
	return nil
}

func requireManager(p *auth.Principal, service string) error {
	if !p.CanManageService(service) {
		return errorf(403, "forbidden", "managers of %q only", service)
	}
	return nil
}
