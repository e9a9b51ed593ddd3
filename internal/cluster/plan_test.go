package cluster

import (
	"reflect"
	"testing"
	"time"

	"ringdesk/internal/store"
)

var t0 = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

func TestTake(t *testing.T) {
	alive := func(name string) store.Node { return store.Node{Name: name, Seen: t0.Add(-time.Second)} }
	dead := func(name string) store.Node { return store.Node{Name: name, Seen: t0.Add(-10 * time.Second)} }
	held := func(svc, node string) store.Lease {
		return store.Lease{Service: svc, Node: node, Expires: t0.Add(3 * time.Second)}
	}
	expired := func(svc, node string) store.Lease { return store.Lease{Service: svc, Node: node, Expires: t0} }
	cases := []struct {
		name     string
		services []string
		nodes    []store.Node
		leases   []store.Lease
		want     int      // how many services a takes
		exactly  []string // when set, which
	}{
		{name: "alone: every service", services: []string{"s1", "s2", "s3"}, want: 3},
		{name: "two live nodes: half each, rounded up", services: []string{"s1", "s2", "s3"}, nodes: []store.Node{alive("b")}, want: 2},
		{name: "a dead node does not count", services: []string{"s1", "s2"}, nodes: []store.Node{dead("b")}, want: 2},
		{name: "what another live node holds is not taken", services: []string{"s1", "s2"}, nodes: []store.Node{alive("b")},
			leases: []store.Lease{held("s1", "b")}, want: 1, exactly: []string{"s2"}},
		{name: "coming back: the survivor holds everything, nothing is taken from it", services: []string{"s1", "s2"},
			nodes: []store.Node{alive("b")}, leases: []store.Lease{held("s1", "b"), held("s2", "b")}, want: 0},
		{name: "a dead owner's expired lease is taken", services: []string{"s1", "s2"}, nodes: []store.Node{dead("b")},
			leases: []store.Lease{held("s1", "a"), expired("s2", "b")}, want: 1, exactly: []string{"s2"}},
		{name: "a share already held: nothing more", services: []string{"s1", "s2", "s3", "s4"}, nodes: []store.Node{alive("b")},
			leases: []store.Lease{held("s1", "a"), held("s2", "a")}, want: 0},
		{name: "no services", nodes: []store.Node{alive("b")}, want: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := State{Now: t0, Me: "a", TTL: 5 * time.Second, Services: c.services, Nodes: append(c.nodes, alive("a")), Leases: c.leases}
			got := st.Take()
			if len(got) != c.want {
				t.Fatalf("took %v, want %d services", got, c.want)
			}
			if c.exactly != nil && !reflect.DeepEqual(got, c.exactly) {
				t.Fatalf("took %v, want %v", got, c.exactly)
			}
		})
	}
}

// Two nodes deciding at the same instant, each seeing the other, go for different services
// more often than not: over many service names, their first choices mostly differ.
func TestTakeSpreads(t *testing.T) {
	same := 0
	for i := range 200 {
		svcs := []string{"svc-" + string(rune('a'+i%26)) + string(rune('0'+i/26)), "other-" + string(rune('a'+i%26)) + string(rune('0'+i/26))}
		nodes := []store.Node{{Name: "a", Seen: t0}, {Name: "b", Seen: t0}}
		a := State{Now: t0, Me: "a", TTL: 5 * time.Second, Services: svcs, Nodes: nodes}.Take()
		b := State{Now: t0, Me: "b", TTL: 5 * time.Second, Services: svcs, Nodes: nodes}.Take()
		if len(a) != 1 || len(b) != 1 {
			t.Fatalf("a took %v, b %v: want one each", a, b)
		}
		if a[0] == b[0] {
			same++
		}
	}
	if same > 120 {
		t.Fatalf("the nodes chose the same service %d times in 200", same)
	}
}
