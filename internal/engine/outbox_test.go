package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/events"
	"ringdesk/internal/fault"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
	"ringdesk/internal/tickets"
)

// gatedStore holds the engine's transactions until let go, or fails them: a slow or broken
// disk, seen from the engine.
type gatedStore struct {
	store.Store
	mu      sync.Mutex
	gate    chan struct{} // closed or nil: transactions go through
	fail    error
	waiting chan struct{} // gets a token each time a transaction waits at the gate
	txs     atomic.Int64
}

func newGatedStore(st store.Store) *gatedStore {
	return &gatedStore{Store: st, waiting: make(chan struct{}, 1024)}
}

func (g *gatedStore) hold() {
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.mu.Unlock()
}

func (g *gatedStore) release() {
	g.mu.Lock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
	g.mu.Unlock()
}

func (g *gatedStore) failWith(err error) {
	g.mu.Lock()
	g.fail = err
	g.mu.Unlock()
}

func (g *gatedStore) InTx(ctx context.Context, fn func(store.Store) error) error {
	g.mu.Lock()
	gate, fail := g.gate, g.fail
	g.mu.Unlock()
	if gate != nil {
		g.waiting <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.txs.Add(1)
	if fail != nil {
		return fail
	}
	return g.Store.InTx(ctx, fn)
}

// drain returns the events published so far without waiting for the engine to settle.
func (h *harness) drain() []events.Event {
	var out []events.Event
	for {
		select {
		case m := <-h.sub.C:
			out = append(out, m.Event)
		default:
			return out
		}
	}
}

func newGatedHarness(t *testing.T) (*harness, *gatedStore) {
	var g *gatedStore
	h := newHarnessWith(t, harnessOpts{wrapStore: func(st store.Store) store.Store { g = newGatedStore(st); return g }})
	return h, g
}

// The ticket of an answered call is announced only once it is stored, and the call is
// bridged only then. Before the outbox, the loop wrote the ticket itself inside the turn.
func TestTicketAnnouncedOnlyOnceStored(t *testing.T) {
	h, g := newGatedHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	h.state("kim", agent.Offered)
	h.ok(h.eng.Accept("kim"))
	kimLeg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.eng.Flush()
	h.drain()

	g.hold()
	h.net.AnswerLeg(kimLeg)
	<-g.waiting // the answer's turn is done and its commit is waiting on the disk
	for _, ev := range h.drain() {
		if ev.Type == events.TicketCreated || ev.Type == events.CallAnswered || ev.Type == events.AgentState {
			t.Fatalf("%s announced before it was stored", ev.Type)
		}
	}
	if got := h.net.Leg(kimLeg).Hears; got == "leg:"+string(cust) {
		t.Fatal("bridged before the call was stored")
	}
	list, err := h.st.Tickets().List(context.Background(), tickets.Filter{Services: []string{"support"}})
	h.ok(err)
	if len(list) != 0 {
		t.Fatalf("a ticket exists before the commit: %+v", list)
	}

	g.release()
	evs := h.events()
	created := has(evs, events.TicketCreated, "kim")
	if created == nil {
		t.Fatal("no ticket.created once stored")
	}
	id := created.Data.(map[string]any)["ticket"].(int64)
	if _, err := h.st.Tickets().Get(context.Background(), id); err != nil {
		t.Fatalf("the announced ticket %d is not in the store: %v", id, err)
	}
	if ans := has(evs, events.CallAnswered, "kim"); ans == nil || ans.Data.(map[string]any)["ticket"] != id {
		t.Fatalf("call.answered without the ticket: %+v", ans)
	}
	if v := h.state("kim", agent.OnCall); v.Call.Ticket != id {
		t.Fatalf("the widget's view names ticket %d, want %d", v.Call.Ticket, id)
	}
	if got := h.hears(kimLeg); got != "leg:"+string(cust) {
		t.Fatalf("agent hears %q after the commit", got)
	}
}

// When the disk refuses the writes, nothing is announced that was not kept, the command that
// asked is told so (503), and the call still goes on.
func TestFailedCommitAnnouncesNothingButTheCallGoesOn(t *testing.T) {
	h, g := newGatedHarness(t)
	h.ready("kim", "lee")
	cust := h.call("01011112222")
	h.state("kim", agent.Offered)
	h.ok(h.eng.Accept("kim"))
	kimLeg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.eng.Flush()
	h.drain()

	g.failWith(errors.New("disk full"))
	h.net.AnswerLeg(kimLeg)
	h.eng.Flush()
	for _, ev := range h.drain() {
		if ev.Type == events.TicketCreated || ev.Type == events.CallAnswered {
			t.Fatalf("%s announced though nothing was stored", ev.Type)
		}
	}
	if got := h.hears(kimLeg); got != "leg:"+string(cust) {
		t.Fatalf("the call did not go on: agent hears %q", got)
	}
	err := h.eng.SetState("lee", agent.Break, "")
	if fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("a state change that could not be recorded: %v, want unavailable", err)
	}
	g.failWith(nil)
	h.ok(h.eng.SetState("lee", agent.Ready, ""))
}

// stallingPhone is a telephony adapter whose Place to one extension hangs until let go.
type stallingPhone struct {
	*telephonytest.Network
	ext     string
	stalled chan struct{}
	release chan struct{}
}

func (p *stallingPhone) Place(leg telephony.LegID, to telephony.Target) {
	if to.Extension == p.ext {
		p.stalled <- struct{}{}
		<-p.release
	}
	p.Network.Place(leg, to)
}

// A telephony adapter that hangs holds up its own commands only: the loop goes on, and other
// agents' commands are answered. Before the outbox the loop called the adapter inside the
// turn, so 확인 itself never returned and the service stalled.
func TestStalledTelephonyDoesNotStallTheLoop(t *testing.T) {
	sp := &stallingPhone{ext: "1001", stalled: make(chan struct{}, 1), release: make(chan struct{})}
	h := newHarnessWith(t, harnessOpts{wrapPhone: func(n *telephonytest.Network) telephony.Telephony {
		sp.Network = n
		return sp
	}})
	defer func() {
		select {
		case <-sp.release:
		default:
			close(sp.release)
		}
	}()
	h.ready("kim")
	h.call("01011112222")
	h.state("kim", agent.Offered)
	within(t, "확인 while the phone adapter hangs", func() { h.ok(h.eng.Accept("kim")) })
	<-sp.stalled
	within(t, "another agent's commands while the phone adapter hangs", func() {
		h.ok(h.eng.Login("lee", "support"))
		h.ok(h.eng.SetState("lee", agent.Ready, ""))
		h.ok(h.eng.SetState("lee", agent.Work, "회의"))
	})
	close(sp.release)
	h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
}

// within fails the test when f does not return in a few seconds.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no answer within 5 s", what)
	}
}

// Turns that wait while a commit is on the disk are committed together.
func TestGroupCommit(t *testing.T) {
	h, g := newGatedHarness(t)
	h.ok(h.eng.Login("kim", "support"))
	h.ok(h.eng.Login("lee", "support"))
	h.eng.Flush()
	before, _, _ := h.eng.CommitStats()
	const n = 40
	states := []agent.State{agent.Ready, agent.Break}
	h.commitTogether(g, n, func(i int) { _ = h.eng.SetState([]string{"kim", "lee"}[i%2], states[(i/2)%2], "") })
	after, turns, failures := h.eng.CommitStats()
	if commits := after - before; commits > 4 || failures != 0 {
		t.Fatalf("%d commits for %d turns (failures %d): want them grouped", commits, n, failures)
	}
	if turns == 0 {
		t.Fatal("no turns counted")
	}
}

// commitTogether runs do(0) … do(n-1) at once, each making one turn, and holds the store until
// all n turns wait behind it, so that they are committed together.
func (h *harness) commitTogether(g *gatedStore, n int, do func(i int)) {
	h.t.Helper()
	submitted := h.eng.pipe.submitted.Load()
	g.hold()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); do(i) }()
	}
	<-g.waiting
	deadline := time.Now().Add(10 * time.Second)
	for h.eng.pipe.submitted.Load()-submitted < uint64(n) { // every turn waits behind the held commit
		if time.Now().After(deadline) {
			h.t.Fatalf("only %d turns submitted", h.eng.pipe.submitted.Load()-submitted)
		}
		time.Sleep(time.Millisecond)
	}
	g.release()
	wg.Wait()
}
