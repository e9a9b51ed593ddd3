package queue

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func TestLongestIdleFirst(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim", "lee", "park"}, at(0))
	a.Ready("lee", at(1), at(1))
	a.Ready("kim", at(2), at(2))
	a.Ready("park", at(3), at(3))
	for i, want := range []string{"lee", "kim", "park"} {
		as, ok, err := a.Enqueue(fmt.Sprint("c", i), "100", at(10+i))
		if err != nil || !ok {
			t.Fatalf("call %d: got %v %v, want an assignment", i, ok, err)
		}
		if as.Agent != want {
			t.Fatalf("call %d: offered to %s, want %s (longest idle)", i, as.Agent, want)
		}
	}
	if _, ok, _ := a.Enqueue("c9", "100", at(20)); ok {
		t.Fatal("offered with nobody ready")
	}
	if got := a.Waiting("100"); got != 1 {
		t.Fatalf("waiting: got %d, want 1", got)
	}
}

func TestReadyAgentTakesOldestCallAcrossQueues(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim"}, at(0))
	a.SetQueue("200", []string{"kim"}, at(0))
	a.Enqueue("late", "100", at(5))
	a.Enqueue("early", "200", at(3))
	as, ok := a.Ready("kim", at(6), at(6))
	if !ok || as.Call != "early" || as.Queue != "200" {
		t.Fatalf("got %+v %v, want early from 200", as, ok)
	}
	if a.IsReady("kim") {
		t.Fatal("an offered agent is still ready")
	}
}

func TestNonMembersAreNotOffered(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim"}, at(0))
	a.Ready("lee", at(1), at(1))
	if _, ok, _ := a.Enqueue("c1", "100", at(2)); ok {
		t.Fatal("offered to a non-member")
	}
	as := a.SetQueue("100", []string{"kim", "lee"}, at(3))
	if len(as) != 1 || as[0].Agent != "lee" {
		t.Fatalf("adding a ready member: got %+v, want c1 to lee", as)
	}
}

func TestRecallKeepsPlaceAndExcludesAgent(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim", "lee"}, at(0))
	a.Enqueue("first", "100", at(1))
	a.Enqueue("second", "100", at(2))
	as, ok := a.Ready("kim", at(3), at(3))
	if !ok || as.Call != "first" {
		t.Fatalf("got %+v", as)
	}
	// kim refuses: the call goes back ahead of "second", and kim is not offered it again.
	if _, ok, err := a.Recall("first", Reject, at(4)); ok || err != nil {
		t.Fatalf("recall: got %v %v", ok, err)
	}
	as, ok = a.Ready("kim", at(3), at(4))
	if !ok || as.Call != "second" {
		t.Fatalf("kim after refusing: got %+v %v, want second", as, ok)
	}
	as, ok = a.Ready("lee", at(5), at(5))
	if !ok || as.Call != "first" {
		t.Fatalf("lee: got %+v %v, want first (kept its place)", as, ok)
	}
	e, _ := a.Entry("first")
	if e.Offers != 2 || !e.Excluded["kim"] {
		t.Fatalf("entry: got %+v", e)
	}
}

func TestExcludedAgentSkippedForOtherReady(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim", "lee"}, at(0))
	a.Ready("kim", at(1), at(1))
	a.Ready("lee", at(2), at(2))
	as, _, _ := a.Enqueue("c", "100", at(3))
	if as.Agent != "kim" {
		t.Fatalf("got %+v", as)
	}
	a.Ready("kim", at(1), at(4)) // kim stays ready after refusing
	as, ok, _ := a.Recall("c", Timeout, at(4))
	// kim is longest idle but excluded: lee gets it, and kim stays ready.
	if !ok || as.Agent != "lee" {
		t.Fatalf("got %+v %v, want lee", as, ok)
	}
	if !a.IsReady("kim") {
		t.Fatal("kim should still be ready")
	}
}

func TestAbandonAnywhere(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim"}, at(0))
	a.Enqueue("w", "100", at(1))
	if err := a.Abandon("w", at(2)); err != nil {
		t.Fatal(err)
	}
	if a.Waiting("100") != 0 {
		t.Fatal("abandoned call still waiting")
	}
	a.Enqueue("o", "100", at(3))
	a.Ready("kim", at(4), at(4))
	if err := a.Abandon("o", at(5)); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Entry("o"); ok {
		t.Fatal("abandoned call still known")
	}
	if err := a.Abandon("o", at(6)); err == nil {
		t.Fatal("abandoning twice: want an error")
	}
}

func TestAnswerLeavesQueue(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim"}, at(0))
	a.Ready("kim", at(1), at(1))
	a.Enqueue("c", "100", at(2))
	if err := a.Answer("c", at(3)); err == nil {
		t.Fatal("answer before accept: want refusal")
	}
	if err := a.Accept("c", at(3)); err != nil {
		t.Fatal(err)
	}
	if err := a.Answer("c", at(4)); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Entry("c"); ok {
		t.Fatal("answered call still in the queue")
	}
}

func TestRemovedMemberNotOffered(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim"}, at(0))
	a.Ready("kim", at(1), at(1))
	a.SetQueue("100", nil, at(2))
	if _, ok, _ := a.Enqueue("c", "100", at(3)); ok {
		t.Fatal("offered to a removed member")
	}
	if a.ReadyCount("100") != 0 {
		t.Fatal("ready count")
	}
	orphans := a.RemoveQueue("100")
	if len(orphans) != 1 || orphans[0] != "c" {
		t.Fatalf("orphans: got %v", orphans)
	}
	if _, _, err := a.Enqueue("d", "100", at(4)); err == nil {
		t.Fatal("enqueue to removed queue: want error")
	}
}

func TestNotReadyIsNotOffered(t *testing.T) {
	a := New()
	a.SetQueue("100", []string{"kim"}, at(0))
	a.Ready("kim", at(1), at(1))
	a.NotReady("kim")
	if _, ok, _ := a.Enqueue("c", "100", at(2)); ok {
		t.Fatal("offered to an agent who is not ready")
	}
}
