package call

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// want is the call table: state → event → next state. Absent pairs are refused.
var want = map[State]map[Kind]State{
	Scenario:       {Greeted: Queued, CustomerGone: Ended},
	Queued:         {Offer: Offered, CustomerGone: Ended},
	Offered:        {Accept: Ringing, Recall: Queued, CustomerGone: Ended},
	Ringing:        {Recall: Queued, AgentAnswered: Talking, CustomerGone: Ended},
	Connecting:     {AgentAnswered: Dialing, CustomerGone: Ended, AgentGone: Ended, Failed: Ended},
	Dialing:        {CustomerAnswered: Talking, CustomerGone: Ended, AgentGone: Ended, Failed: Ended},
	Talking:        {Hold: Held, ConsultStart: ConsultDialing, ForcedHangup: Announcing, CustomerGone: Ended, AgentGone: Ended},
	Held:           {Unhold: Talking, ConsultStart: ConsultDialing, ForcedHangup: Announcing, CustomerGone: Ended, AgentGone: Ended},
	ConsultDialing: {ConsultUp: Consulting, ConsultEnd: Held, CustomerGone: ConsultOnly, AgentGone: Ended},
	Consulting:     {ConsultEnd: Held, ToAgent: Talking, ToTarget: Transferred, CustomerGone: ConsultOnly, AgentGone: Ended},
	ConsultOnly:    {ConsultEnd: Ended, AgentGone: Ended},
	Announcing:     {AnnouncementDone: Ended, CustomerGone: Ended},
	Transferred:    {CustomerGone: Ended, TargetGone: Ended},
	Ended:          {},
}

func TestEveryStateEveryEvent(t *testing.T) {
	for _, s := range States {
		for _, k := range Kinds {
			t.Run(fmt.Sprintf("%s/%s", s, k), func(t *testing.T) {
				in := Call{State: s}
				got, err := Apply(in, k, t0)
				next, ok := want[s][k]
				if !ok {
					if !errors.Is(err, ErrNotAllowed) {
						t.Fatalf("got %s, %v; want refusal", got.State, err)
					}
					if got != in {
						t.Fatalf("refusal changed the call: %+v", got)
					}
					return
				}
				if err != nil || got.State != next {
					t.Fatalf("got %s, %v; want %s", got.State, err, next)
				}
				if next == Ended && (got.EndedBy == "" || !got.EndedAt.Equal(t0)) {
					t.Fatalf("end not recorded: %+v", got)
				}
			})
		}
	}
}

func TestTalkAndHoldTime(t *testing.T) {
	c := Call{State: Ringing}
	steps := []struct {
		k  Kind
		at int // seconds
	}{
		{AgentAnswered, 10}, // talk from 10
		{Hold, 40},          // talk 30, hold from 40
		{Unhold, 55},        // hold 15
		{ConsultStart, 70},  // talk 15 more (45), hold from 70
		{ConsultUp, 75},
		{ToAgent, 100},      // hold 30 more (45), talk from 100
		{CustomerGone, 160}, // talk 60 more (105)
	}
	var err error
	for _, s := range steps {
		c, err = Apply(c, s.k, t0.Add(time.Duration(s.at)*time.Second))
		if err != nil {
			t.Fatalf("%s: %v", s.k, err)
		}
	}
	if c.TalkTime != 105*time.Second || c.HoldTime != 45*time.Second {
		t.Fatalf("got talk %v hold %v, want 1m45s and 45s", c.TalkTime, c.HoldTime)
	}
	if !c.AnsweredAt.Equal(t0.Add(10*time.Second)) || c.EndedBy != "customer" || !c.Transferred {
		t.Fatalf("got %+v", c)
	}
}

func TestCustomerGoneDuringConsultKeepsConsultLeg(t *testing.T) {
	c := Call{State: Consulting}
	c, _ = Apply(c, CustomerGone, t0)
	if c.State != ConsultOnly {
		t.Fatalf("got %s, want consult_only", c.State)
	}
	if _, err := Apply(c, ToAgent, t0); !errors.Is(err, ErrNotAllowed) {
		t.Fatal("고객연결 without a customer must be refused")
	}
	c, _ = Apply(c, ConsultEnd, t0.Add(time.Second))
	if c.State != Ended || c.EndedBy != "agent" {
		t.Fatalf("got %+v", c)
	}
}
