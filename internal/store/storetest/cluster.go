package storetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/store"
	"ringdesk/internal/tickets"
)

// testCluster: nodes' heartbeats, service leases (one holder at a time, even when two nodes
// take at once), and closing the open calls of one node or of every other node.
func testCluster(t *testing.T, open Opener) {
	st, _ := open(t)
	cs := st.Cluster()
	a := store.Node{Name: "a", SIP: "127.0.0.1:5060", HTTP: "127.0.0.1:8080", Started: t0, Seen: t0}
	ok(t, cs.Beat(ctx, a))
	a.Seen = t0.Add(time.Second)
	ok(t, cs.Beat(ctx, a))
	ok(t, cs.Beat(ctx, store.Node{Name: "b", SIP: "127.0.0.1:5062", Started: t0, Seen: t0}))
	nodes, err := cs.Nodes(ctx)
	ok(t, err)
	if len(nodes) != 2 || !reflect.DeepEqual(nodes[0], a) || nodes[1].Name != "b" {
		t.Fatalf("nodes: %+v", nodes)
	}
	if n, err := cs.Forget(ctx, t0.Add(time.Millisecond)); err != nil || n != 1 {
		t.Fatalf("forget: %d %v, want b forgotten", n, err)
	}

	exp := t0.Add(5 * time.Second)
	if got, err := cs.Take(ctx, "support", "a", t0, exp); err != nil || !got {
		t.Fatalf("taking a free lease: %v %v", got, err)
	}
	if got, err := cs.Take(ctx, "support", "b", t0.Add(time.Second), t0.Add(6*time.Second)); err != nil || got {
		t.Fatalf("b took a's unexpired lease: %v %v", got, err)
	}
	held, err := cs.Renew(ctx, "a", []string{"support", "sales"}, t0.Add(7*time.Second))
	ok(t, err)
	if !reflect.DeepEqual(held, []string{"support"}) {
		t.Fatalf("renewed %v, want [support]", held)
	}
	// expired: b may take it, and a's renewal no longer holds it
	if got, err := cs.Take(ctx, "support", "b", t0.Add(7*time.Second), t0.Add(12*time.Second)); err != nil || !got {
		t.Fatalf("b taking a's expired lease: %v %v", got, err)
	}
	if held, err := cs.Renew(ctx, "a", []string{"support"}, t0.Add(13*time.Second)); err != nil || len(held) != 0 {
		t.Fatalf("a renewed a lease b took: %v %v", held, err)
	}
	leases, err := cs.Leases(ctx)
	ok(t, err)
	if len(leases) != 1 || leases[0].Node != "b" || !leases[0].Expires.Equal(t0.Add(12*time.Second)) || leases[0].Epoch != 2 {
		t.Fatalf("leases: %+v", leases)
	}
	// a holder taking again keeps its epoch
	if got, _ := cs.Take(ctx, "support", "b", t0.Add(8*time.Second), t0.Add(13*time.Second)); !got {
		t.Fatal("b could not take its own lease again")
	}
	ok(t, cs.Release(ctx, "support", "a")) // not a's: nothing happens
	if leases, _ := cs.Leases(ctx); len(leases) != 1 || leases[0].Epoch != 2 {
		t.Fatalf("after a's release of b's lease: %+v", leases)
	}
	ok(t, cs.Release(ctx, "support", "b"))
	if leases, _ := cs.Leases(ctx); len(leases) != 0 {
		t.Fatalf("after b's release: %+v", leases)
	}

	// two nodes taking one free lease at the same instant: exactly one gets it
	for round := range 5 {
		svc := "race" + string(rune('0'+round))
		var wg sync.WaitGroup
		won := make([]bool, 2)
		for i, n := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := cs.Take(ctx, svc, n, t0, exp)
				if err != nil {
					t.Error(err)
				}
				won[i] = got
			}()
		}
		wg.Wait()
		if won[0] == won[1] {
			t.Fatalf("%s: a won %v, b won %v; want exactly one", svc, won[0], won[1])
		}
	}

	// a shared key is made once: every later ask gets the same, another name another key
	k1, err := cs.Key(ctx, "sip-nonce")
	ok(t, err)
	k2, err := cs.Key(ctx, "sip-nonce")
	ok(t, err)
	k3, err := cs.Key(ctx, "other")
	ok(t, err)
	if len(k1) != 32 || string(k1) != string(k2) || string(k1) == string(k3) {
		t.Fatalf("keys: %x %x %x", k1, k2, k3)
	}

	// the node of a call is kept, and closing by node touches only what it selects
	for _, c := range []tickets.Call{
		{ID: "A1", Service: "support", Node: "a"}, {ID: "A2", Service: "sales", Node: "a"},
		{ID: "B1", Service: "support", Node: "b"}, {ID: "B2", Service: "support", Node: "b"},
	} {
		c.Direction, c.StartedAt = tickets.Inbound, t0
		ok(t, st.Calls().Save(ctx, c))
	}
	if c, _ := st.Calls().Get(ctx, "B1"); c.Node != "b" {
		t.Fatalf("call's node: %q", c.Node)
	}
	n, err := st.Calls().CloseOpenOf(ctx, store.OpenCalls{Service: "support", NotNode: "b"}, t0.Add(time.Minute), "node_lost")
	ok(t, err)
	if n != 1 {
		t.Fatalf("closed %d of a's support calls, want 1", n)
	}
	if c, _ := st.Calls().Get(ctx, "A1"); c.EndedAt == nil || c.HangupCause != "node_lost" || c.HangupBy != "system" {
		t.Fatalf("A1: %+v", c)
	}
	if c, _ := st.Calls().Get(ctx, "A2"); c.EndedAt != nil {
		t.Fatal("a sales call was closed with support's")
	}
	if n, _ := st.Calls().CloseOpenOf(ctx, store.OpenCalls{Node: "b"}, t0.Add(time.Minute), "restart"); n != 2 {
		t.Fatalf("closed %d of b's calls, want 2", n)
	}
	if c, _ := st.Calls().Get(ctx, "A2"); c.EndedAt != nil {
		t.Fatal("a's call was closed with b's")
	}
}
