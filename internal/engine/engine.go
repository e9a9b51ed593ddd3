package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ringdesk/internal/clock"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
)

// Config is what the engine is built from.
type Config struct {
	Clock  clock.Clock
	Store  store.Store
	Bus    *events.Bus
	Phone  telephony.Telephony
	Logger *slog.Logger
	// DialTimeout bounds how long a dialled customer, extension or consult target may ring.
	// Zero means 60 s.
	DialTimeout time.Duration
}

// Engine owns every service's loop and routes commands and telephony events to them.
type Engine struct {
	clock clock.Clock
	store store.Store
	bus   *events.Bus
	phone telephony.Telephony
	log   *slog.Logger
	dialT time.Duration

	mu       sync.RWMutex
	dir      *directory
	loops    map[string]*loop  // by service id
	sessions map[string]string // agent login → service the agent is CTI-logged in to
	closed   bool

	legs   sync.Map // telephony.LegID → *loop
	nextID atomic.Uint64
	idBase string
}

// directory is an index of the site configuration, rebuilt on every Reload.
type directory struct {
	site     *site.Site
	services map[string]*site.Service
	agents   map[string]*site.Agent
	byExt    map[string]string // extension → login
	dids     map[string]string // number → service
	queues   map[string]string // queue number → service
	trunks   []site.Trunk
}

func newDirectory(s *site.Site) *directory {
	d := &directory{site: s, services: map[string]*site.Service{}, agents: map[string]*site.Agent{},
		byExt: map[string]string{}, dids: map[string]string{}, queues: map[string]string{}, trunks: s.Trunks}
	for i := range s.Services {
		svc := &s.Services[i]
		d.services[svc.ID] = svc
		for _, n := range svc.Numbers {
			d.dids[n.Number] = svc.ID
		}
		for _, q := range svc.Queues {
			d.queues[q.Number] = svc.ID
		}
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		d.agents[a.Login] = a
		if a.Extension != "" {
			d.byExt[a.Extension] = a.Login
		}
	}
	return d
}

// trunkFor finds the trunk whose prefix starts number, longest prefix first, and returns the
// number without it. A trunk with an empty prefix matches anything.
func (d *directory) trunkFor(number string) (site.Trunk, string, bool) {
	best := -1
	for i, t := range d.trunks {
		if strings.HasPrefix(number, t.Prefix) && len(number) > len(t.Prefix) {
			if best < 0 || len(t.Prefix) > len(d.trunks[best].Prefix) {
				best = i
			}
		}
	}
	if best < 0 {
		return site.Trunk{}, "", false
	}
	t := d.trunks[best]
	return t, number[len(t.Prefix):], true
}

// New builds an engine over the stored site configuration. Call Start before use.
func New(cfg Config) (*Engine, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Bus == nil {
		cfg.Bus = events.NewBus()
	}
	if cfg.Store == nil || cfg.Phone == nil {
		return nil, errors.New("engine: a store and a telephony port are required")
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 60 * time.Second
	}
	e := &Engine{clock: cfg.Clock, store: cfg.Store, bus: cfg.Bus, phone: cfg.Phone, log: cfg.Logger,
		dialT: cfg.DialTimeout, loops: map[string]*loop{}, sessions: map[string]string{},
		idBase: strconv.FormatInt(cfg.Clock.Now().Unix(), 36)}
	return e, nil
}

// Bus returns the event bus the engine publishes on.
func (e *Engine) Bus() *events.Bus { return e.bus }

// Start loads the site, closes call records a previous run left open and starts a loop per
// service.
func (e *Engine) Start(ctx context.Context) error {
	s, err := e.store.Site().Load(ctx)
	if err != nil {
		return fmt.Errorf("engine: loading the site: %w", err)
	}
	if n, err := e.store.Calls().CloseOpen(ctx, e.clock.Now(), "restart"); err != nil {
		return fmt.Errorf("engine: closing calls left open: %w", err)
	} else if n > 0 {
		e.log.Info("closed calls left open by the previous run", "calls", n)
	}
	e.Reload(s)
	return nil
}

// Reload applies a new site configuration to the running engine. Live calls go on; agents whose
// service or permission disappeared are logged out when idle.
func (e *Engine) Reload(s *site.Site) {
	d := newDirectory(s)
	e.mu.Lock()
	e.dir = d
	for id := range d.services {
		if _, ok := e.loops[id]; !ok {
			e.loops[id] = newLoop(e, id)
		}
	}
	loops := make([]*loop, 0, len(e.loops))
	for _, l := range e.loops {
		loops = append(loops, l)
	}
	e.mu.Unlock()
	for _, l := range loops {
		l := l
		_ = l.do(func() error { l.reconfigure(d); return nil })
	}
}

// Close ends every call and logs every agent out, then stops the loops.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	loops := make([]*loop, 0, len(e.loops))
	for _, l := range e.loops {
		loops = append(loops, l)
	}
	e.mu.Unlock()
	for _, l := range loops {
		l.stop()
	}
}

func (e *Engine) newID(prefix string) string {
	return prefix + e.idBase + "-" + strconv.FormatUint(e.nextID.Add(1), 36)
}

func (e *Engine) newLeg() telephony.LegID { return telephony.LegID(e.newID("L")) }

func (e *Engine) directory() *directory {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dir
}

func (e *Engine) loopFor(service string) (*loop, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	l, ok := e.loops[service]
	return l, ok && !e.closed
}

// agentLoop returns the loop of the service the agent is CTI-logged in to.
func (e *Engine) agentLoop(login string) (*loop, error) {
	e.mu.RLock()
	svc, ok := e.sessions[login]
	l := e.loops[svc]
	e.mu.RUnlock()
	if !ok || l == nil {
		return nil, invalidState("CTI 로그인이 필요합니다 (not logged in to CTI)")
	}
	return l, nil
}

func (e *Engine) publish(ev events.Event) {
	if ev.At.IsZero() {
		ev.At = e.clock.Now()
	}
	e.bus.Publish(ev)
}

// Flush waits until every loop has handled everything posted to it before the call: telephony
// reports and timer fires. Tests use it to observe a settled engine; shutdown uses it to drain.
func (e *Engine) Flush() {
	e.mu.RLock()
	loops := make([]*loop, 0, len(e.loops))
	for _, l := range e.loops {
		loops = append(loops, l)
	}
	e.mu.RUnlock()
	for _, l := range loops {
		_ = l.do(func() error { return nil })
	}
}
