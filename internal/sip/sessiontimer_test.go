package sip

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

func header(m headered, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

func hdrs(kv ...string) []sip.Header {
	var out []sip.Header
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, sip.NewHeader(kv[i], kv[i+1]))
	}
	return out
}

// TestSessionTimerTooSmall: a caller that supports timers and asks for less than our Min-SE
// is refused with 422 and Min-SE: 90 before the engine hears of the call (RFC 4028 §6, §9);
// one that does not support timers (a proxy put the header in) cannot read a 422, and gets
// the interval raised to 90, with us refreshing.
func TestSessionTimerTooSmall(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	trunk := siptest.NewTrunk(t, e.addr)
	_, err := trunk.DialWith(context.Background(), "0212345678", siptest.Dial{From: "0101",
		Header: hdrs("Supported", "timer", "Session-Expires", "60")})
	var ref *siptest.Refused
	if siptest.CodeOf(err) != 422 || !errorsAs(err, &ref) || header(ref.Response, "Min-SE") != "90" {
		t.Fatalf("60 s with timer support: %v, want 422 with Min-SE: 90", err)
	}
	e.h.mu.Lock()
	heard := len(e.h.inbound)
	e.h.mu.Unlock()
	if heard != 0 {
		t.Fatal("the engine heard of a call refused with 422")
	}
	call, err := trunk.DialWith(context.Background(), "0212345678", siptest.Dial{From: "0101",
		Header: hdrs("Session-Expires", "60")})
	if err != nil {
		t.Fatal(err)
	}
	if got := header(call.Response, "Session-Expires"); got != "90;refresher=uas" {
		t.Fatalf("60 s without timer support: Session-Expires %q, want 90;refresher=uas", got)
	}
	call.Hangup()
	e.clean()
}

// TestSessionTimerNegotiation: the 2xx to each kind of INVITE names the interval and the
// refresher RFC 4028 §9 calls for, with Require: timer exactly when the caller refreshes.
func TestSessionTimerNegotiation(t *testing.T) {
	e := newEnv(t)
	st := testSite(0)
	st.SIP.SessionExpiresSeconds = 1200
	e.s.SetSite(st)
	e.h.answering(e.s)
	trunk := siptest.NewTrunk(t, e.addr)
	for _, c := range []struct {
		name    string
		headers []string
		want    string // Session-Expires of the 2xx
		require bool
	}{
		{"supported, an interval", []string{"Supported", "timer", "Session-Expires", "120"}, "120;refresher=uac", true},
		{"supported, we refresh", []string{"Supported", "timer", "Session-Expires", "120;refresher=uas"}, "120;refresher=uas", false},
		{"supported, it refreshes", []string{"Supported", "100rel, timer", "Session-Expires", "120;refresher=uac"}, "120;refresher=uac", true},
		{"not supported, an interval", []string{"Session-Expires", "120;refresher=uac"}, "120;refresher=uas", false},
		{"supported, no interval", []string{"Supported", "timer"}, "1200;refresher=uac", true},
		{"supported, compact forms", []string{"k", "timer", "x", "300"}, "300;refresher=uac", true},
		{"longer than ours", []string{"Supported", "timer", "Session-Expires", "7200"}, "1200;refresher=uac", true},
		{"longer than ours, with a Min-SE above ours", []string{"Supported", "timer", "Session-Expires", "7200", "Min-SE", "3600"}, "3600;refresher=uac", true},
		{"no timer at all", nil, "", false},
	} {
		call, err := trunk.DialWith(context.Background(), "0212345678", siptest.Dial{From: "0101", Header: hdrs(c.headers...)})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		res := call.Response
		if got := header(res, "Session-Expires"); got != c.want {
			t.Errorf("%s: Session-Expires %q, want %q", c.name, got, c.want)
		}
		if got := header(res, "Require") == "timer"; got != c.require {
			t.Errorf("%s: Require: timer %v, want %v", c.name, got, c.require)
		}
		if !has(tokens(header(res, "Supported")), "timer") {
			t.Errorf("%s: no Supported: timer in the 2xx", c.name)
		}
		call.Hangup()
	}
	if code, _, _ := trunk.Options(); code != 200 {
		t.Fatal("OPTIONS")
	}
	e.clean()
}

// quietMedia keeps the media timeout out of the way of a session timer test, whose fake
// clock runs far ahead of the real packets.
func quietMedia(e *env, trunkPort int) {
	st := testSite(trunkPort)
	st.SIP.MediaTimeoutSeconds = 3600
	e.s.SetSite(st)
}

// TestSessionExpiresWithoutRefresh: a call whose caller refreshes is ended with BYE when no
// refresh has come min(32 s, interval/3) before the interval is up — 60 s of 90 — and
// reported HungUp with cause session_expired; a refresh that does come starts the interval
// again. Fails before the fix: nothing watched, and a call whose BYE was lost stayed up.
func TestSessionExpiresWithoutRefresh(t *testing.T) {
	fake := clocktest.New()
	e := newEnv(t, func(c *Config) { c.Clock = fake })
	quietMedia(e, 0)
	e.h.answering(e.s)
	trunk := siptest.NewTrunk(t, e.addr)
	dial := func(from string) (*siptest.Call, telephony.LegID) {
		t.Helper()
		call, err := trunk.DialWith(context.Background(), "0212345678", siptest.Dial{From: from,
			Header: hdrs("Supported", "timer", "Session-Expires", "90")})
		if err != nil {
			t.Fatal(err)
		}
		e.h.mu.Lock()
		leg := e.h.inbound[len(e.h.inbound)-1].Leg
		e.h.mu.Unlock()
		return call, leg
	}
	quiet, quietLeg := dial("0101")
	fresh, freshLeg := dial("0102")
	fake.Advance(50 * time.Second)
	if res, err := fresh.Refresh(90); err != nil || res.StatusCode != 200 || header(res, "Session-Expires") != "90;refresher=uac" {
		t.Fatalf("the caller's refresh: %v %v", res, err)
	}
	fake.Advance(9 * time.Second)
	if quiet.Ended() {
		t.Fatal("ended 59 s into a 90 s interval")
	}
	fake.Advance(time.Second)
	if ev := e.h.wait(t, quietLeg, telephony.HungUp); ev.Cause != telephony.CauseSessionTimer {
		t.Fatalf("ended with %q, want session_expired", ev.Cause)
	}
	if !quiet.WaitEnded(5*time.Second) || !quiet.ByeReceived() {
		t.Fatal("no BYE to the caller that stopped refreshing")
	}
	fake.Advance(40 * time.Second) // 100 s since the answer, 50 since the refresh
	if fresh.Ended() {
		t.Fatal("a refreshed call was ended")
	}
	fake.Advance(10 * time.Second)
	e.h.wait(t, freshLeg, telephony.HungUp)
	e.clean()
}

// TestWeRefreshWhenAsked: when the caller makes us the refresher, we refresh at half the
// interval — with UPDATE when it allows UPDATE, else a re-INVITE offering our media again —
// carrying the interval with refresher=uac, and again after each accepted refresh.
func TestWeRefreshWhenAsked(t *testing.T) {
	for _, c := range []struct {
		allow  string
		method sip.RequestMethod
	}{{"", sip.INVITE}, {"INVITE, ACK, BYE, CANCEL, UPDATE", sip.UPDATE}} {
		t.Run(string(c.method), func(t *testing.T) {
			fake := clocktest.New()
			e := newEnv(t, func(cfg *Config) { cfg.Clock = fake })
			quietMedia(e, 0)
			e.h.answering(e.s)
			trunk := siptest.NewTrunk(t, e.addr)
			h := []string{"Supported", "timer", "Session-Expires", "120;refresher=uas"}
			if c.allow != "" {
				h = append(h, "Allow", c.allow)
			}
			call, err := trunk.DialWith(context.Background(), "0212345678", siptest.Dial{From: "0101", Header: hdrs(h...)})
			if err != nil {
				t.Fatal(err)
			}
			fake.Advance(59 * time.Second)
			if n := len(trunk.Within()); n != 0 {
				t.Fatalf("%d refreshes before half the interval", n)
			}
			for i := 1; i <= 2; i++ {
				fake.Advance(time.Second)
				refreshes := waitWithin(t, trunk, i)
				r := refreshes[i-1]
				if r.Method != c.method || header(r, "Session-Expires") != "120;refresher=uac" || !has(tokens(header(r, "Supported")), "timer") {
					t.Fatalf("refresh %d: %s with Session-Expires %q", i, r.Method, header(r, "Session-Expires"))
				}
				if c.method == sip.INVITE && len(r.Body()) == 0 {
					t.Fatal("a re-INVITE refresh without our offer")
				}
				fake.Advance(59 * time.Second)
			}
			if call.Ended() {
				t.Fatal("a refreshed call was ended")
			}
			call.Hangup()
			e.clean()
		})
	}
}

// waitWithin waits until a UA has received n in-dialog refreshes.
func waitWithin(t *testing.T, u *siptest.UA, n int) []*sip.Request {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if w := u.Within(); len(w) >= n {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d refreshes, want %d", len(u.Within()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPlacedLegTimer: our INVITE offers a session timer (Supported: timer, Session-Expires
// of the site); a 422 is answered by asking again with the far end's Min-SE; a 2xx that
// leaves the refreshing to us gets our refresh at half the interval. A raw carrier plays
// the far end.
func TestPlacedLegTimer(t *testing.T) {
	fake := clocktest.New()
	e := newEnv(t, func(c *Config) { c.Clock = fake })
	r := newRaw(t, e.addr)
	quietMedia(e, r.port())
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	inv := r.request(sip.INVITE)
	if !has(tokens(header(inv, "Supported")), "timer") || header(inv, "Session-Expires") != "1800" {
		t.Fatalf("our INVITE: Supported %q, Session-Expires %q", header(inv, "Supported"), header(inv, "Session-Expires"))
	}
	r.send(reply(inv, 422, "t1", nil, sip.NewHeader("Min-SE", "2000")))
	again := r.request(sip.INVITE)
	if header(again, "Session-Expires") != "2000" || header(again, "Min-SE") != "2000" || again.CSeq().SeqNo <= inv.CSeq().SeqNo {
		t.Fatalf("after 422: Session-Expires %q, Min-SE %q", header(again, "Session-Expires"), header(again, "Min-SE"))
	}
	ok := reply(again, 200, "t2", sdpOffer(r.port()+2), sip.NewHeader("Session-Expires", "2000;refresher=uac"),
		sip.NewHeader("Require", "timer"), sip.NewHeader("Contact", "<sip:carrier@"+r.addr()+">"),
		sip.NewHeader("Allow", "INVITE, ACK, BYE, UPDATE"))
	r.send(ok)
	r.request(sip.ACK)
	e.h.wait(t, "out", telephony.Answered)
	fake.Advance(1000 * time.Second)
	up := r.request(sip.UPDATE)
	if header(up, "Session-Expires") != "2000;refresher=uac" {
		t.Fatalf("our refresh: Session-Expires %q", header(up, "Session-Expires"))
	}
	r.send(reply(up, 200, "", nil, sip.NewHeader("Session-Expires", "2000;refresher=uac")))
	e.s.Hangup("out", telephony.CauseNormal)
	bye := r.request(sip.BYE)
	r.send(reply(bye, 200, "", nil))
	e.clean()
}

func errorsAs(err error, target **siptest.Refused) bool { return errors.As(err, target) }
