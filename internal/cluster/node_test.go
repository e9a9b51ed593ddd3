package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
)

// The nodes share one database (the embedded one holds the same tables); each runs on its own
// fake clock, advanced in step, so that stopping one clock is a node frozen or killed -9.
type rig struct {
	t      *testing.T
	st     store.Store
	svcs   []string
	clocks map[string]*clocktest.Fake
	nodes  map[string]*Node
	mu     sync.Mutex
	log    []string // "adopt a s1", "drop a s1"
}

func newRig(t *testing.T, svcs ...string) *rig {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &rig{t: t, st: st, svcs: svcs, clocks: map[string]*clocktest.Fake{}, nodes: map[string]*Node{}}
}

// start runs a node named name whose clock reads now.
func (r *rig) start(name string, cs store.ClusterStore, now time.Time) *Node {
	c := clocktest.New()
	c.Advance(now.Sub(c.Now()))
	n := New(Config{Store: cs, Clock: c, Name: name, SIP: name + ":5060", HTTP: name + ":8080",
		Services: func() []string { return r.svcs },
		Adopt:    func(s string) { r.note("adopt " + name + " " + s) },
		Drop:     func(s string) { r.note("drop " + name + " " + s) },
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := n.Start(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.clocks[name], r.nodes[name] = c, n
	return n
}

func (r *rig) note(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

func (r *rig) notes() []string {
	for _, n := range r.nodes {
		n.settle()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// advance moves the running nodes' clocks by d, one beat at a time.
func (r *rig) advance(d time.Duration, running ...string) {
	for step := time.Duration(0); step < d; step += 100 * time.Millisecond {
		for _, name := range running {
			r.clocks[name].Advance(100 * time.Millisecond)
		}
	}
}

func TestTwoNodesShareThenFailOver(t *testing.T) {
	r := newRig(t, "sales", "support")
	a := r.start("a", r.st.Cluster(), t0)
	b := r.start("b", r.st.Cluster(), t0)
	// within the start-up grace nobody serves anything: each first sees who starts with it
	r.advance(3*time.Second, "a", "b")
	if len(a.Held())+len(b.Held()) != 0 {
		t.Fatalf("served during the grace: a %v, b %v", a.Held(), b.Held())
	}
	r.advance(3*time.Second, "a", "b")
	if len(a.Held()) != 1 || len(b.Held()) != 1 || a.Held()[0] == b.Held()[0] {
		t.Fatalf("a serves %v, b %v: want one service each", a.Held(), b.Held())
	}
	aSvc := a.Held()[0]
	if o, ok := b.Owner(aSvc); !ok || o.Name != "a" || o.SIP != "a:5060" || o.HTTP != "a:8080" {
		t.Fatalf("b sees %s's owner as %+v %v", aSvc, o, ok)
	}
	if _, ok := a.Owner(aSvc); ok {
		t.Fatal("a names another owner for its own service")
	}
	r.notes()

	// a stops (its clock no longer moves: no beat, no renewal); within a lease's life and a
	// beat, b serves both and was told to adopt a's service; nothing else happened
	// silent for more than three beats: b no longer names a as the owner (calls are told to
	// retry rather than sent to a dead node), though a's lease has not expired yet
	r.advance(4*time.Second, "b")
	if o, ok := b.Owner(aSvc); ok {
		t.Fatalf("b names %s as %s's owner after 4 s of silence", o.Name, aSvc)
	}
	if len(b.Held()) != 1 {
		t.Fatalf("b took a's service before its lease expired: %v", b.Held())
	}
	var took = 4 * time.Second
	for ; took < 10*time.Second && len(b.Held()) < 2; took += 100 * time.Millisecond {
		r.advance(100*time.Millisecond, "b")
	}
	if got := b.Held(); !reflect.DeepEqual(got, []string{"sales", "support"}) {
		t.Fatalf("after a stopped, b serves %v", got)
	}
	if took > DefaultTTL+DefaultEvery {
		t.Fatalf("b took over after %v, want within %v", took, DefaultTTL+DefaultEvery)
	}
	if got := r.notes(); !reflect.DeepEqual(got, []string{"adopt b " + aSvc}) {
		t.Fatalf("callbacks: %v", got)
	}

	// a comes back (a new run, on the same clock as b): it takes nothing b holds
	a2 := r.start("a", r.st.Cluster(), r.clocks["b"].Now())
	r.advance(15*time.Second, "a", "b")
	if len(a2.Held()) != 0 || len(b.Held()) != 2 {
		t.Fatalf("after a came back: a %v, b %v", a2.Held(), b.Held())
	}
	if o, ok := a2.Owner(aSvc); !ok || o.Name != "b" {
		t.Fatalf("a sees %s's owner as %+v", aSvc, o)
	}
	if got := r.notes(); len(got) != 0 {
		t.Fatalf("callbacks: %v", got)
	}

	// a clean stop gives the leases up at once: a takes both on its next beats
	b.Close(context.Background())
	r.advance(2*time.Second, "a")
	if got := a2.Held(); len(got) != 2 {
		t.Fatalf("after b's clean stop a serves %v", got)
	}
}

// failing is a cluster store that fails while down is set: the database out of reach.
type failing struct {
	store.ClusterStore
	mu   sync.Mutex
	down bool
}

var errDown = errors.New("database unreachable")

func (f *failing) isDown() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.down }

func (f *failing) Renew(ctx context.Context, node string, s []string, exp time.Time) ([]string, error) {
	if f.isDown() {
		return nil, errDown
	}
	return f.ClusterStore.Renew(ctx, node, s, exp)
}

func (f *failing) Take(ctx context.Context, svc, node string, now, exp time.Time) (bool, error) {
	if f.isDown() {
		return false, errDown
	}
	return f.ClusterStore.Take(ctx, svc, node, now, exp)
}

func (f *failing) Leases(ctx context.Context) ([]store.Lease, error) {
	if f.isDown() {
		return nil, errDown
	}
	return f.ClusterStore.Leases(ctx)
}

func (f *failing) Beat(ctx context.Context, n store.Node) error {
	if f.isDown() {
		return errDown
	}
	return f.ClusterStore.Beat(ctx, n)
}

// A node that cannot renew stops serving before its lease may have expired, so that it never
// serves a service another node has taken.
func TestUnrenewedLeaseIsDropped(t *testing.T) {
	r := newRig(t, "support")
	f := &failing{ClusterStore: r.st.Cluster()}
	a := r.start("a", f, t0)
	r.advance(6*time.Second, "a")
	if got := a.Held(); len(got) != 1 {
		t.Fatalf("a serves %v", got)
	}
	r.notes()
	f.mu.Lock()
	f.down = true
	f.mu.Unlock()
	lastRenew := r.clocks["a"].Now()
	for a.Owns("support") && r.clocks["a"].Now().Sub(lastRenew) < time.Minute {
		r.advance(100*time.Millisecond, "a")
	}
	if held := r.clocks["a"].Now().Sub(lastRenew); held >= DefaultTTL {
		t.Fatalf("a served for %v after its last renewal, past the lease's %v", held, DefaultTTL)
	}
	if got := r.notes(); !reflect.DeepEqual(got, []string{"drop a support"}) {
		t.Fatalf("callbacks: %v", got)
	}
}

// A node restarted (same name) before its leases expired serves its services again at its
// first beat: nobody else could take them before they expire, and the grace is for sharing
// out what is free.
func TestRestartReclaimsOwnLeases(t *testing.T) {
	r := newRig(t, "sales", "support")
	a := r.start("a", r.st.Cluster(), t0)
	r.advance(6*time.Second, "a")
	if len(a.Held()) != 2 {
		t.Fatalf("a serves %v", a.Held())
	}
	r.notes()
	// a's process dies (its clock stops) and starts again two seconds later
	a2 := r.start("a", r.st.Cluster(), r.clocks["a"].Now().Add(2*time.Second))
	r.advance(100*time.Millisecond, "a")
	if got := a2.Held(); !reflect.DeepEqual(got, []string{"sales", "support"}) {
		t.Fatalf("the new run serves %v at its first beat", got)
	}
	if got := r.notes(); len(got) != 2 {
		t.Fatalf("callbacks: %v", got)
	}
}
