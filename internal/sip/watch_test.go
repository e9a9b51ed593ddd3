package sip

import (
	"context"
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// heardSince waits until a leg's media has received a packet after since (the far end is
// sending), and returns when that was.
func heardSince(t *testing.T, e *env, id telephony.LegID, since time.Time) time.Time {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if l := e.s.leg(id); l != nil {
			if _, _, sess := l.snapshot(); sess != nil {
				if in := sess.Stats().LastIn; in.After(since) {
					return in
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no RTP arrived", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMediaTimeoutEndsSilentLegs: of two answered calls, both put on hold by their far end,
// the one whose far end keeps sending RTP stays up and the one that fell silent is ended
// once media_timeout_seconds have passed since its last packet: BYE to it, HungUp with
// cause media_timeout to the engine. Silence counts from the answer when nothing ever
// came. Fails before the fix: nothing watched the media, and a lost BYE left the call up.
func TestMediaTimeoutEndsSilentLegs(t *testing.T) {
	fake := clocktest.New()
	e := newEnv(t, func(c *Config) { c.Clock = fake })
	st := testSite(0)
	st.SIP.MediaTimeoutSeconds = 20
	e.s.SetSite(st)
	e.h.answering(e.s)
	trunk := siptest.NewTrunk(t, e.addr)
	talking, err := trunk.DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	dead, err := trunk.DialFrom("0212345678", "0102")
	if err != nil {
		t.Fatal(err)
	}
	a, b := e.h.call(t, 1).Leg, e.h.call(t, 2).Leg
	for _, c := range []*siptest.Call{talking, dead} {
		if err := c.Hold(); err != nil {
			t.Fatal(err)
		}
	}
	e.h.wait(t, a, telephony.Held)
	e.h.wait(t, b, telephony.Held)
	last := heardSince(t, e, b, time.Time{})
	dead.Mute(true)
	// the muted stream's last packet may still be on its way: wait until none has come for a while
	for {
		time.Sleep(100 * time.Millisecond)
		next := heardSince(t, e, b, time.Time{})
		if next.Equal(last) {
			break
		}
		last = next
	}

	fake.Advance(10 * time.Second) // the watch sees both legs' packets
	heardSince(t, e, a, time.Now())
	fake.Advance(10 * time.Second) // the held talker was heard again; the dead one not for 10 s
	if dead.Ended() {
		t.Fatal("ended before its timeout")
	}
	heardSince(t, e, a, time.Now())
	fake.Advance(10 * time.Second) // 20 s of silence from the dead one
	ev := e.h.wait(t, b, telephony.HungUp)
	if ev.Cause != telephony.CauseMediaTimeout {
		t.Fatalf("ended with %q, want media_timeout", ev.Cause)
	}
	if !dead.WaitEnded(5*time.Second) || !dead.ByeReceived() {
		t.Fatal("the silent far end got no BYE")
	}
	if talking.Ended() {
		t.Fatal("the call still sending RTP on hold was ended")
	}
	for _, k := range e.h.of(a) {
		if k == telephony.HungUp {
			t.Fatal("the talking leg was reported hung up")
		}
	}

	// a call whose far end never sends anything times out counted from its answer
	never, err := trunk.DialWith(context.Background(), "0212345678", siptest.Dial{From: "0103", Muted: true})
	if err != nil {
		t.Fatal(err)
	}
	c := e.h.call(t, 3).Leg
	fake.Advance(19 * time.Second)
	if never.Ended() {
		t.Fatal("ended before 20 s from its answer")
	}
	fake.Advance(2 * time.Second)
	if ev := e.h.wait(t, c, telephony.HungUp); ev.Cause != telephony.CauseMediaTimeout {
		t.Fatalf("ended with %q", ev.Cause)
	}
	talking.Hangup()
	e.clean()
}
