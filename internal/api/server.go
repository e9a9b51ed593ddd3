package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/clock"
	"ringdesk/internal/engine"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

// Config is what the API is built from.
type Config struct {
	Engine *engine.Engine
	Store  store.Store
	Bus    *events.Bus
	Clock  clock.Clock
	Logger *slog.Logger
	// SiteChanged is called after every saved configuration change, so that the engine and the
	// SIP layer pick it up.
	SiteChanged func(*site.Site)
	// Console serves the web console at / (optional).
	Console http.Handler
	// Phones reports whether an agent's phone is reachable (SIP registered, browser connected).
	Phones PhoneDirectory
	// Signals carries browser-softphone signalling arriving on the event WebSocket (optional).
	Signals SignalHandler
	// SessionTTL is how long a login lasts; zero means 12 hours.
	SessionTTL time.Duration
	// Metrics writes the Prometheus text exposition for GET /metrics (optional).
	Metrics func(w io.Writer)
	// Trunks tells what probing knows of each trunk, for GET /api/v1/trunks (optional).
	Trunks TrunkMonitor
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
	eng     *engine.Engine
	st      store.Store
	bus     *events.Bus
	clock   clock.Clock
	log     *slog.Logger
	changed func(*site.Site)
	console http.Handler
	phones  PhoneDirectory
	signals SignalHandler
	ttl     time.Duration
	metrics func(w io.Writer)
	trunks  TrunkMonitor
	limiter *auth.Limiter
	mux     *http.ServeMux

	site    atomic.Pointer[siteIndex]
	writeMu sync.Mutex // serialises configuration edits: load, change, validate, save
}

// siteIndex is the configuration as the API reads it on every request.
type siteIndex struct {
	site   *site.Site
	agents map[string]*site.Agent
}

func indexSite(s *site.Site) *siteIndex {
	x := &siteIndex{site: s, agents: map[string]*site.Agent{}}
	for i := range s.Agents {
		x.agents[s.Agents[i].Login] = &s.Agents[i]
	}
	return x
}

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
	s := &Server{eng: cfg.Engine, st: cfg.Store, bus: cfg.Bus, clock: cfg.Clock, log: cfg.Logger,
		changed: cfg.SiteChanged, console: cfg.Console, phones: cfg.Phones, signals: cfg.Signals,
		ttl: cfg.SessionTTL, metrics: cfg.Metrics, trunks: cfg.Trunks, limiter: auth.NewLimiter(cfg.Clock), mux: http.NewServeMux()}
	st, err := cfg.Store.Site().Load(ctx)
	if err != nil {
		return nil, err
	}
	s.site.Store(indexSite(st))
	s.routes()
	return s, nil
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

// SiteUpdated takes a configuration changed elsewhere (ringdesk apply on a running server is
// not one: it writes the store; this is for the process's own changes).
func (s *Server) SiteUpdated(st *site.Site) { s.site.Store(indexSite(st)) }

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
		if err := h(w, r, p); err != nil {
			s.writeError(w, r, err)
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

func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	token, fromCookie := "", false
	if hv := r.Header.Get("Authorization"); hv != "" {
		t, ok := strings.CutPrefix(hv, "Bearer ")
		if !ok || t == "" {
			return nil, errorf(401, "unauthorized", "Authorization must be \"Bearer <token>\"")
		}
		token = t
	} else if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
		token, fromCookie = c.Value, true
	}
	if token == "" {
		return nil, errorf(401, "unauthorized", "log in first: POST /api/v1/session")
	}
	sess, err := s.st.Sessions().Get(r.Context(), auth.HashToken(token))
	if err != nil || !s.clock.Now().Before(sess.ExpiresAt) {
		return nil, errorf(401, "unauthorized", "the session has expired or does not exist; log in again")
	}
	if fromCookie && r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		return nil, errorf(403, "forbidden", "cross-site request refused")
	}
	a, ok := s.site.Load().agents[sess.Login]
	if !ok {
		return nil, errorf(401, "unauthorized", "the account no longer exists")
	}
	p := auth.PrincipalOf(a)
	return &p, nil
}

// sameOrigin accepts a cookie-authenticated write only from the console's own origin.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		// not sent by a browser's cross-site fetch; a same-site form post without Origin is
		// still refused unless it carries our header
		return r.Header.Get("X-Ringdesk") != ""
	}
	o = strings.TrimPrefix(strings.TrimPrefix(o, "http://"), "https://")
	return o == r.Host
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
