package cluster

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"ringdesk/internal/clock"
	"ringdesk/internal/store"
)

// Default timings: a lease lives five seconds and is renewed every second, so a node that
// dies loses its services within five to six seconds and another takes them on its next beat.
const (
	DefaultEvery = time.Second
	DefaultTTL   = 5 * time.Second
)

// Config is what a node runs with.
type Config struct {
	Store store.ClusterStore
	Clock clock.Clock
	// Name is the node's name, unique in the cluster; SIP and HTTP are where the other nodes
	// send what belongs to its services.
	Name, SIP, HTTP string
	// Every is how often the node beats and renews; TTL how long a lease lives.
	Every, TTL time.Duration
	// Grace is how long a starting node waits, beating, before it takes its first lease: long
	// enough to see the nodes starting with it, so that it takes only its share. TTL when 0.
	Grace time.Duration
	// Services returns the configured services.
	Services func() []string
	// Adopt is called when the node has taken a service's lease: the engine starts serving
	// it. Drop when it has lost one (another node holds it now, or the database was out of
	// reach for a lease's life): the engine must stop serving it. Both run one at a time, in
	// order, on a goroutine of their own: a takeover that reads many agents back must not
	// hold up the beats that renew the node's other leases.
	Adopt func(service string)
	Drop  func(service string)
	Log   *slog.Logger
}

// Node is one running cluster node.
type Node struct {
	cfg     Config
	started time.Time

	mu     sync.Mutex
	held   map[string]time.Time // service → when its lease was last renewed (or taken)
	seen   State                // the last beat's reading, for Owner
	timer  clock.Timer
	closed bool
	ticks  sync.WaitGroup

	calls      chan func()    // Adopt and Drop, in order
	pending    sync.WaitGroup // callbacks queued and not yet run
	callsEnded sync.Once
}

// New makes a node; Start runs it.
func New(cfg Config) *Node {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Every == 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Grace == 0 {
		cfg.Grace = cfg.TTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	n := &Node{cfg: cfg, started: cfg.Clock.Now(), held: map[string]time.Time{}, calls: make(chan func(), 1024)}
	go func() {
		for f := range n.calls {
			f()
			n.pending.Done()
		}
	}()
	return n
}

// callback queues an Adopt or Drop for the callbacks' goroutine.
func (n *Node) callback(f func()) {
	n.pending.Add(1)
	n.calls <- f
}

// settle waits until every queued Adopt and Drop has run.
func (n *Node) settle() { n.pending.Wait() }

// SetAddrs sets where the other nodes reach this one, once its ports are bound; before Start.
func (n *Node) SetAddrs(sip, http string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cfg.SIP, n.cfg.HTTP = sip, http
}

// Name is the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Start beats once now (so the other nodes see this one at once) and then every Every.
func (n *Node) Start(ctx context.Context) error {
	if err := n.cfg.Store.Beat(ctx, n.self(n.started)); err != nil {
		return err
	}
	// nodes gone for a day are forgotten: the table lists the cluster, not its history
	if _, err := n.cfg.Store.Forget(ctx, n.started.Add(-24*time.Hour)); err != nil {
		return err
	}
	n.schedule(0)
	return nil
}

func (n *Node) self(now time.Time) store.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	return store.Node{Name: n.cfg.Name, SIP: n.cfg.SIP, HTTP: n.cfg.HTTP, Started: n.started, Seen: now}
}

func (n *Node) schedule(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.ticks.Add(1)
	n.timer = n.cfg.Clock.AfterFunc(d, func() {
		defer n.ticks.Done()
		n.Tick(context.Background())
		n.schedule(n.cfg.Every)
	})
}

// Tick is one beat: say we are alive, renew what we hold (dropping what we lost), read who
// holds what, and take our share of what is free.
func (n *Node) Tick(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Every*2)
	defer cancel()
	now := n.cfg.Clock.Now()
	log := n.cfg.Log
	if err := n.cfg.Store.Beat(ctx, n.self(now)); err != nil {
		log.Warn("cluster: heartbeat failed", "err", err)
	}
	n.renew(ctx, now)
	nodes, err1 := n.cfg.Store.Nodes(ctx)
	leases, err2 := n.cfg.Store.Leases(ctx)
	if err1 != nil || err2 != nil {
		log.Warn("cluster: reading nodes and leases failed", "err", firstErr(err1, err2))
		return
	}
	st := State{Now: now, Me: n.cfg.Name, TTL: n.cfg.TTL, Services: n.services(), Nodes: nodes, Leases: leases}
	n.mu.Lock()
	n.seen = st
	n.mu.Unlock()
	n.release(ctx, st)
	// leases still ours from before a restart (same name, not yet expired): nobody else may
	// take them until they expire, so serve them again at once
	take := n.reclaimable(st)
	if now.Sub(n.started) >= n.cfg.Grace {
		take = append(take, st.Take()...)
	}
	for _, svc := range take {
		ok, err := n.cfg.Store.Take(ctx, svc, n.cfg.Name, now, now.Add(n.cfg.TTL))
		if err != nil {
			log.Warn("cluster: taking a lease failed", "service", svc, "err", err)
			continue
		}
		if !ok { // another node was quicker
			continue
		}
		n.mu.Lock()
		n.held[svc] = now
		n.seen.Leases = setLease(n.seen.Leases, store.Lease{Service: svc, Node: n.cfg.Name, Expires: now.Add(n.cfg.TTL)})
		n.mu.Unlock()
		log.Info("cluster: serving a service", "service", svc, "node", n.cfg.Name)
		n.callback(func() { n.cfg.Adopt(svc) })
	}
}

// reclaimable are the configured services whose unexpired lease names this node but which it
// does not serve: a previous run's.
func (n *Node) reclaimable(st State) []string {
	configured := map[string]bool{}
	for _, s := range st.Services {
		configured[s] = true
	}
	var out []string
	for _, svc := range st.Held() {
		if configured[svc] && !n.Owns(svc) {
			out = append(out, svc)
		}
	}
	return out
}

// renew extends the leases we hold. One another node took is dropped at once; one we could
// not renew is dropped once it may have expired, so that two nodes never serve a service at
// the same time for longer than a beat.
func (n *Node) renew(ctx context.Context, now time.Time) {
	mine := n.Held()
	if len(mine) == 0 {
		return
	}
	got, err := n.cfg.Store.Renew(ctx, n.cfg.Name, mine, now.Add(n.cfg.TTL))
	kept := map[string]bool{}
	for _, s := range got {
		kept[s] = true
	}
	for _, svc := range mine {
		n.mu.Lock()
		last := n.held[svc]
		lost := false
		switch {
		case err == nil && kept[svc]:
			n.held[svc] = now
		case err == nil:
			lost = true
		case now.Sub(last) >= n.cfg.TTL-n.cfg.Every:
			lost = true
		}
		if lost {
			delete(n.held, svc)
		}
		n.mu.Unlock()
		if lost {
			n.cfg.Log.Warn("cluster: lost a service's lease; no longer serving it", "service", svc, "node", n.cfg.Name, "err", err)
			n.callback(func() { n.cfg.Drop(svc) })
		}
	}
	if err != nil {
		n.cfg.Log.Warn("cluster: renewing leases failed", "err", err)
	}
}

// release gives up the leases of services no longer configured.
func (n *Node) release(ctx context.Context, st State) {
	want := map[string]bool{}
	for _, s := range st.Services {
		want[s] = true
	}
	for _, svc := range n.Held() {
		if want[svc] {
			continue
		}
		n.mu.Lock()
		delete(n.held, svc)
		n.mu.Unlock()
		_ = n.cfg.Store.Release(ctx, svc, n.cfg.Name)
		n.callback(func() { n.cfg.Drop(svc) })
	}
}

func (n *Node) services() []string {
	if n.cfg.Services == nil {
		return nil
	}
	return n.cfg.Services()
}

// Held returns the services this node serves, sorted.
func (n *Node) Held() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.held))
	for s := range n.held {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Owns reports whether this node serves service.
func (n *Node) Owns(service string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.held[service]
	return ok
}

// Owner returns the other node serving service as of the last beat; false when this node
// serves it or nobody does (its owner died or stopped beating, and no node has taken it yet).
func (n *Node) Owner(service string) (store.Node, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, mine := n.held[service]; mine {
		return store.Node{}, false
	}
	st := n.seen
	for _, l := range st.Leases {
		if l.Service != service || l.Node == n.cfg.Name || !l.Expires.After(st.Now) {
			continue
		}
		for _, x := range st.Nodes {
			// an owner silent for three beats is most likely dead: sending calls there would
			// only make them wait for it; "nobody" makes them retry until its lease expires
			if x.Name == l.Node && st.Now.Sub(x.Seen) < 3*n.cfg.Every {
				return x, true
			}
		}
	}
	return store.Node{}, false
}

// Close stops beating, says the node has left, and gives up every lease at once, so that the other nodes take the
// services on their next beat rather than after the leases expire.
func (n *Node) Close(ctx context.Context) {
	n.mu.Lock()
	n.closed = true
	if n.timer != nil && n.timer.Stop() {
		n.ticks.Done()
	}
	n.mu.Unlock()
	n.ticks.Wait()
	n.settle() // the engine has heard of everything before the leases go
	n.callsEnded.Do(func() { close(n.calls) })
	for _, svc := range n.Held() {
		_ = n.cfg.Store.Release(ctx, svc, n.cfg.Name)
	}
	// seen long ago: the others stop counting this node at once when they share services out
	_ = n.cfg.Store.Beat(ctx, n.self(time.Unix(0, 0)))
	n.mu.Lock()
	clear(n.held)
	n.mu.Unlock()
}

func setLease(ls []store.Lease, l store.Lease) []store.Lease {
	out := make([]store.Lease, 0, len(ls)+1)
	for _, x := range ls {
		if x.Service != l.Service {
			out = append(out, x)
		}
	}
	return append(out, l)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
