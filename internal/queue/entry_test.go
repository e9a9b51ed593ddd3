package queue

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestEntryTransitions walks every state × event pair.
func TestEntryTransitions(t *testing.T) {
	// want[state][event] = next state; absent = refused.
	want := map[State]map[Kind]State{
		Waiting:   {Offer: Offered, Abandon: Abandoned},
		Offered:   {Accept: Ringing, Reject: Waiting, Timeout: Waiting, Abandon: Abandoned},
		Ringing:   {Reject: Waiting, Timeout: Waiting, Answer: Answered, Abandon: Abandoned},
		Answered:  {},
		Abandoned: {},
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range States {
		for _, k := range Kinds {
			t.Run(fmt.Sprintf("%s/%s", s, k), func(t *testing.T) {
				in := Entry{Call: "c1", Queue: "100", State: s, EnqueuedAt: at}
				if s == Offered || s == Ringing {
					in.Agent = "kim"
				}
				got, err := Transition(in, k, "lee", at.Add(time.Second))
				next, ok := want[s][k]
				if !ok {
					if !errors.Is(err, ErrNotAllowed) {
						t.Fatalf("got %v, %v; want refusal", got.State, err)
					}
					if got.State != in.State || got.Agent != in.Agent || len(got.Excluded) != 0 || got.Offers != in.Offers {
						t.Fatalf("refusal changed the entry: %+v", got)
					}
					return
				}
				if err != nil {
					t.Fatalf("got %v, want %s", err, next)
				}
				if got.State != next {
					t.Fatalf("got %s, want %s", got.State, next)
				}
				switch k {
				case Offer:
					if got.Agent != "lee" || got.Offers != 1 || !got.OfferedAt.Equal(at.Add(time.Second)) {
						t.Fatalf("offer: got %+v", got)
					}
				case Reject, Timeout:
					if got.Agent != "" || !got.Excluded["kim"] {
						t.Fatalf("recall: got agent %q excluded %v, want kim excluded", got.Agent, got.Excluded)
					}
					if in.Excluded != nil {
						t.Fatal("recall mutated the input's exclusions")
					}
				}
			})
		}
	}
}

func TestOfferRefusesExcludedAgent(t *testing.T) {
	e := Entry{Call: "c", State: Waiting, Excluded: map[string]bool{"kim": true}}
	if _, err := Transition(e, Offer, "kim", time.Time{}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("got %v, want refusal", err)
	}
	if _, err := Transition(e, Offer, "", time.Time{}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("offer to nobody: got %v, want refusal", err)
	}
}
