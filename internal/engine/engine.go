package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"ringdesk/internal/clock"
	"ringdesk/internal/directory"
	"ringdesk/internal/events"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
)

// Config is what the engine is built from.
type Config struct {
	Clock clock.Clock
	Store store.Store
	// Directory is the running configuration; the engine follows its reloads.
	Directory *directory.Live
	Bus       *events.Bus
	Phone     telephony.Telephony
	Logger    *slog.Logger
	// DialTimeout bounds how long a dialled customer, extension or consult target may ring.
	// Zero means 60 s.
	DialTimeout time.Duration
	// Node names this process in a cluster; with Cluster set the engine serves only the
	// services it is told to Adopt. Empty with a nil Cluster: a single node serving every
	// service.
	Node    string
	Cluster Cluster
}

// Cluster is what the engine asks of the cluster it runs in.
type Cluster interface {
	// Owner returns the other node serving service; false when none does (it is being taken
	// over) or this one does.
	Owner(service string) (store.Node, bool)
}

// Engine owns every service's loop and routes commands and telephony events to them.
type Engine struct {
	clock clock.Clock
	store store.Store
	live  *directory.Live
	bus   *events.Bus
	phone telephony.Telephony
	log   *slog.Logger
	dialT time.Duration
	pipe  *pipeline

	mu       sync.RWMutex
	loops    map[string]*loop  // by service id
	sessions map[string]string // agent login → service the agent is CTI-logged in to
	closed   bool

	legs   sync.Map // telephony.LegID → *loop
	recs   sync.Map // telephony.RecordingID → *loop, while the recording runs
	nextID atomic.Uint64
	idBase string

	node    string
	cluster Cluster
	adopted map[string]bool // in a cluster, the services this node serves (under e.mu)
}

// New builds an engine over the running configuration. Call Start before use.
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
	if cfg.Store == nil || cfg.Phone == nil || cfg.Directory == nil {
		return nil, errors.New("engine: a store, a directory and a telephony port are required")
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 60 * time.Second
	}
	e := &Engine{clock: cfg.Clock, store: cfg.Store, live: cfg.Directory, bus: cfg.Bus, phone: cfg.Phone, log: cfg.Logger,
		dialT: cfg.DialTimeout, loops: map[string]*loop{}, sessions: map[string]string{},
		idBase: strconv.FormatInt(cfg.Clock.Now().Unix(), 36), node: cfg.Node, cluster: cfg.Cluster, adopted: map[string]bool{}}
	if cfg.Node != "" {
		// two nodes started in the same second must not name calls alike
		e.idBase = cfg.Node + "-" + e.idBase
	}
	e.pipe = newPipeline(cfg.Store, cfg.Logger)
	return e, nil
}

// Bus returns the event bus the engine publishes on.
func (e *Engine) Bus() *events.Bus { return e.bus }

// Start closes the call records a previous run left open, starts a loop per service, follows
// the directory's reloads from now on and logs back in the agents who were logged in to CTI
// when the previous run stopped.
func (e *Engine) Start(ctx context.Context) error {
	closeOpen := func() (int, error) {
		return e.store.Calls().CloseOpen(ctx, e.clock.Now(), string(telephony.CauseRestart))
	}
	if e.cluster != nil {
		// only our own calls: the other nodes' are live
		closeOpen = func() (int, error) {
			return e.store.Calls().CloseOpenOf(ctx, store.OpenCalls{Node: e.node}, e.clock.Now(), string(telephony.CauseRestart))
		}
	}
	if n, err := closeOpen(); err != nil {
		return fmt.Errorf("engine: closing calls left open: %w", err)
	} else if n > 0 {
		e.log.Info("closed calls left open by the previous run", "calls", n)
	}
	e.Reload(e.live.Index())
	e.live.Subscribe(e.Reload)
	if e.cluster != nil {
		return nil // agents come back with their services, as the node adopts them
	}
	return e.restore(ctx, "")
}

// Reload applies a new configuration to the running engine. Live calls go on; agents whose
// service or permission disappeared are logged out when idle.
func (e *Engine) Reload(x *directory.Index) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	for id := range x.Services {
		if e.cluster != nil && !e.adopted[id] {
			continue
		}
		if _, ok := e.loops[id]; !ok {
			e.loops[id] = newLoop(e, id)
		}
	}
	loops := e.loopList()
	e.mu.Unlock()
	for _, l := range loops {
		_ = l.do(func() error { l.reconfigure(x); return nil })
	}
}

// loopList returns the loops; e.mu is held.
func (e *Engine) loopList() []*loop {
	loops := make([]*loop, 0, len(e.loops))
	for _, l := range e.loops {
		loops = append(loops, l)
	}
	return loops
}

// Close ends every call and logs every agent out, stops the loops and waits until what they
// did is stored and carried out.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	loops := e.loopList()
	e.mu.Unlock()
	for _, l := range loops {
		if e.cluster != nil {
			// agents stay logged in: the node taking the service over brings them back as
			// they are
			l.handOver(telephony.CauseShutdown)
		} else {
			l.stop()
		}
	}
	e.pipe.stop()
}

func (e *Engine) newID(prefix string) string {
	return prefix + e.idBase + "-" + strconv.FormatUint(e.nextID.Add(1), 36)
}

func (e *Engine) newLeg() telephony.LegID { return telephony.LegID(e.newID("L")) }

// directory is the configuration for reads outside the loops.
func (e *Engine) directory() *directory.Index { return e.live.Index() }

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
		if err := e.Where(login); err != nil {
			return nil, err
		}
		return nil, notLoggedIn()
	}
	return l, nil
}

// Flush waits until every loop has handled everything posted to it before the call, and what
// that did is stored and carried out: telephony reports and timer fires. Tests use it to
// observe a settled engine.
func (e *Engine) Flush() {
	e.mu.RLock()
	loops := e.loopList()
	e.mu.RUnlock()
	for _, l := range loops {
		_ = l.do(func() error { return nil })
	}
	e.pipe.drained()
}

// CommitStats reports the group commit: transactions, turns they carried, turns whose writes
// failed.
func (e *Engine) CommitStats() (commits, turns, failures uint64) { return e.pipe.Stats() }
