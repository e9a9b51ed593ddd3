package events

import (
	"encoding/json"
	"testing"
)

func TestFilterAndEncoding(t *testing.T) {
	b := NewBus()
	kim := b.Subscribe(Filter{Agent: "kim"}, 10)
	mgr := b.Subscribe(Filter{Services: map[string]bool{"support": true}}, 10)
	admin := b.Subscribe(Filter{All: true}, 10)
	b.Publish(Event{Type: AgentState, Service: "support", Agent: "kim", Data: map[string]string{"from": "ready", "to": "offered"}})
	b.Publish(Event{Type: AgentState, Service: "sales", Agent: "lee"})
	b.Publish(Event{Type: CallQueued, Service: "support"})

	got := func(s *Subscription) (types []string) {
		for {
			select {
			case m := <-s.C:
				types = append(types, m.Type+"/"+m.Agent)
			default:
				return
			}
		}
	}
	if g := got(kim); len(g) != 1 || g[0] != "agent.state/kim" {
		t.Errorf("agent: got %v", g)
	}
	if g := got(mgr); len(g) != 2 {
		t.Errorf("manager of support: got %v, want kim's change and the queued call", g)
	}
	if g := got(admin); len(g) != 3 {
		t.Errorf("admin: got %v, want all 3", g)
	}
	b.Publish(Event{Type: AgentState, Agent: "kim", Service: "support"})
	m := <-kim.C
	var back map[string]any
	if err := json.Unmarshal(m.JSON, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "at", "service", "agent", "seq"} {
		if _, ok := back[k]; !ok {
			t.Errorf("encoded event lacks %q: %s", k, m.JSON)
		}
	}
}

func TestSlowSubscriberIsCutOff(t *testing.T) {
	b := NewBus()
	slow := b.Subscribe(Filter{All: true}, 2)
	fast := b.Subscribe(Filter{All: true}, 100)
	for i := 0; i < 5; i++ {
		b.Publish(Event{Type: AgentState})
	}
	n := 0
	for range slow.C { // closed after the buffer's two
		n++
	}
	if n != 2 || !slow.Overflowed() {
		t.Fatalf("slow: got %d events, overflowed %v; want 2, true", n, slow.Overflowed())
	}
	if len(fast.C) != 5 || fast.Overflowed() {
		t.Fatalf("fast: got %d", len(fast.C))
	}
	if b.Subscribers() != 1 {
		t.Fatalf("subscribers: got %d, want 1", b.Subscribers())
	}
	b.Unsubscribe(fast)
	b.Unsubscribe(fast) // twice is harmless
	n = 0
	for range fast.C { // buffered events are still delivered, then the channel is closed
		n++
	}
	if n != 5 {
		t.Fatalf("after unsubscribe: drained %d, want 5", n)
	}
}
