package cluster

import (
	"context"
	"os"
	"testing"
	"time"

	"ringdesk/internal/events"
)

// Two nodes' buses joined through PostgreSQL: what one publishes, the other's subscribers
// receive once, and nobody receives its own events back.
func TestFanout(t *testing.T) {
	url := os.Getenv("RINGDESK_TEST_POSTGRES")
	if url == "" {
		t.Skip("RINGDESK_TEST_POSTGRES is not set: start one with scripts/postgres-test-server.sh start")
	}
	ctx := context.Background()
	busA, busB := events.NewBus(), events.NewBus()
	fa, err := StartFanout(ctx, url, "a", busA, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := StartFanout(ctx, url, "b", busB, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	subA := busA.Subscribe(events.Filter{All: true}, 100)
	subB := busB.Subscribe(events.Filter{Services: map[string]bool{"support": true}}, 100)

	busA.Publish(events.Event{Type: events.AgentState, Service: "support", Agent: "kim", Data: map[string]string{"to": "ready"}})
	busA.Publish(events.Event{Type: events.CallEnded, Service: "sales", Call: "C1"}) // not for subB's filter
	busB.Publish(events.Event{Type: events.CallOffered, Service: "support", Call: "C2"})

	got := func(sub *events.Subscription) *events.Message {
		select {
		case m := <-sub.C:
			return m
		case <-time.After(10 * time.Second):
			return nil
		}
	}
	// subA: its own two, then b's offer; subB: its own offer and a's agent state, in either order
	var seenA []string
	for range 3 {
		m := got(subA)
		if m == nil {
			t.Fatalf("a received %v, then nothing", seenA)
		}
		seenA = append(seenA, m.Type+"/"+m.Origin)
	}
	if seenA[2] != events.CallOffered+"/b" {
		t.Fatalf("a received %v, want b's offer third, marked as b's", seenA)
	}
	seenB := map[string]bool{}
	for range 2 {
		m := got(subB)
		if m == nil {
			t.Fatalf("b received %v, then nothing", seenB)
		}
		seenB[m.Type+"/"+m.Origin] = true
		if m.Type == events.AgentState && m.Agent != "kim" {
			t.Fatalf("a's event arrived as %+v", m.Event)
		}
	}
	if !seenB[events.AgentState+"/a"] || !seenB[events.CallOffered+"/"] {
		t.Fatalf("b received %v", seenB)
	}
	// nothing more: no echo of anyone's own events
	select {
	case m := <-subA.C:
		t.Fatalf("a received more: %s from %q", m.Type, m.Origin)
	case m := <-subB.C:
		t.Fatalf("b received more: %s from %q", m.Type, m.Origin)
	case <-time.After(500 * time.Millisecond):
	}
}
