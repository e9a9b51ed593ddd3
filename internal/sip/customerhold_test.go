package sip

import (
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// waitQuiet waits until a leg's media has received nothing for a while (a muted stream's last
// packets may still be on their way).
func waitQuiet(t *testing.T, e *env, id telephony.LegID) {
	t.Helper()
	last := heardSince(t, e, id, time.Time{})
	for {
		time.Sleep(100 * time.Millisecond)
		next := heardSince(t, e, id, time.Time{})
		if next.Equal(last) {
			return
		}
		last = next
	}
}

// TestSilentCustomerIsHeld: a customer (a trunk's leg) who stops sending RTP without a word
// in SDP is reported Held once silentHoldAfter has passed, and Resumed at its first packet;
// its SDP hold and its silence together make one hold. An agent's phone that falls silent is
// never reported held, and a customer still sending (a pause in speech) is not either.
// Fails before issue 15: only SDP holds were reported.
func TestSilentCustomerIsHeld(t *testing.T) {
	fake := clocktest.New()
	e := newEnv(t, func(c *Config) { c.Clock = fake })
	e.h.answering(e.s)
	trunk := siptest.NewTrunk(t, e.addr)
	cust, err := trunk.DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	talker, err := trunk.DialFrom("0212345678", "0102")
	if err != nil {
		t.Fatal(err)
	}
	c, other := e.h.call(t, 1).Leg, e.h.call(t, 2).Leg
	kim := e.phone("1001")
	e.s.Place("agent", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001", CallerID: "0101"})
	agentCall := kim.Incoming(5 * time.Second)
	if err := agentCall.Answer(); err != nil {
		t.Fatal(err)
	}
	e.h.wait(t, "agent", telephony.Answered)
	heardSince(t, e, c, time.Time{})
	heardSince(t, e, "agent", time.Time{})

	cust.Mute(true)
	agentCall.Mute(true)
	waitQuiet(t, e, c)
	waitQuiet(t, e, "agent")
	fake.Advance(time.Second) // the watch sees the last packets
	heardSince(t, e, other, time.Now())
	fake.Advance(5*time.Second - 2*time.Second)
	e.h.quiet(t, c, 3*testT1)
	heardSince(t, e, other, time.Now())
	fake.Advance(2 * time.Second)
	e.h.wait(t, c, telephony.Held)

	// held in SDP too, then resumed in SDP while still silent: still held
	if err := cust.Hold(); err != nil {
		t.Fatal(err)
	}
	if err := cust.Resume(); err != nil {
		t.Fatal(err)
	}
	fake.Advance(time.Second)
	if got := e.h.of(c); len(got) != 1 {
		t.Fatalf("customer events %v: one hold, not yet over", got)
	}
	cust.Mute(false)
	heardSince(t, e, c, time.Now())
	fake.Advance(time.Second)
	e.h.wait(t, c, telephony.Resumed)

	for _, leg := range []telephony.LegID{"agent", other} {
		for _, k := range e.h.of(leg) {
			if k == telephony.Held {
				t.Fatalf("%s reported held: %v", leg, e.h.of(leg))
			}
		}
	}
	talker.Hangup()
	cust.Hangup()
	e.s.Hangup("agent", telephony.CauseNormal)
	e.clean()
}
