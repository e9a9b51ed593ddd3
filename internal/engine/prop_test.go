package engine

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// check asserts the engine's invariants from inside its loop.
func (h *harness) check(rt *rapid.T) {
	h.eng.Flush()
	live := map[telephony.LegID]bool{}
	for _, lg := range h.net.Live() {
		live[lg.ID] = true
	}
	l, _ := h.eng.loopFor("support")
	// violations are collected in the loop and reported here: a test may only fail from its
	// own goroutine
	var bad []string
	t := failer(func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) })
	_ = l.do(func() error {
		holders := map[*callRT][]string{}
		for login, a := range l.agents {
			switch a.st.State {
			case agent.Offered, agent.Ringing, agent.Dialing, agent.OnCall, agent.Held, agent.Consulting:
				if a.call == nil {
					t.Fatalf("%s is %s with no call", login, a.st.State)
				}
				if l.calls[a.call.id] != a.call {
					t.Fatalf("%s is %s on call %s which the loop forgot", login, a.st.State, a.call.id)
				}
				holders[a.call] = append(holders[a.call], login)
			}
			if (a.st.State == agent.Ready) != l.acd.IsReady(login) {
				t.Fatalf("%s: state %s but distributor ready=%v", login, a.st.State, l.acd.IsReady(login))
			}
		}
		for c, hs := range holders {
			max := 1
			if c.caller != nil || c.consult != nil {
				max = 2
			}
			if len(hs) > max {
				t.Fatalf("call %s held by %v", c.id, hs)
			}
		}
		for id, c := range l.calls {
			switch c.m.State {
			case call.Offered, call.Ringing:
				if c.agent == nil || c.agent.call != c {
					t.Fatalf("call %s is %s without its agent", id, c.m.State)
				}
			case call.Ended:
				t.Fatalf("ended call %s still live", id)
			}
			if c.kind == kindInbound && c.customer != "" && !live[c.customer] {
				t.Fatalf("call %s (%s) kept after its customer leg %s ended", id, c.m.State, c.customer)
			}
		}
		for leg := range live {
			if _, ok := l.legs[leg]; !ok {
				t.Fatalf("network leg %s is up but no call owns it", leg)
			}
		}
		return nil
	})
	if len(bad) > 0 {
		rt.Fatalf("%s", strings.Join(bad, "\n"))
	}
}

type failer func(format string, args ...any)

func (f failer) Fatalf(format string, args ...any) { f(format, args...) }

func TestEngineProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		h := newHarness(t, func(s *site.Site) {
			s.Services[0].Queues[0].Members = []string{"kim", "lee", "park"}
		})
		agents := []string{"kim", "lee", "park"}
		defer h.eng.Close()
		for _, a := range agents {
			if err := h.eng.Login(a, "support"); err != nil {
				rt.Fatal(err)
			}
		}
		n := 0
		pickLive := func(rt *rapid.T, pred func(telephonytestLeg) bool) (telephony.LegID, bool) {
			var ids []string
			for _, lg := range h.net.Live() {
				if pred(telephonytestLeg{inbound: lg.Inbound, answered: lg.Answered, target: lg.Target, hears: lg.Hears}) {
					ids = append(ids, string(lg.ID))
				}
			}
			if len(ids) == 0 {
				return "", false
			}
			sort.Strings(ids)
			return telephony.LegID(rapid.SampledFrom(ids).Draw(rt, "leg")), true
		}
		rt.Repeat(map[string]func(*rapid.T){
			"call in": func(rt *rapid.T) {
				n++
				_, _ = h.net.Call(fmt.Sprint("0100000", n), did)
				h.check(rt)
			},
			"greeting ends": func(rt *rapid.T) {
				if leg, ok := pickLive(rt, func(l telephonytestLeg) bool { return l.inbound && l.hears == "audio:builtin:greeting" }); ok {
					h.net.PlayDone(leg)
				}
				h.check(rt)
			},
			"customer hangs up": func(rt *rapid.T) {
				if leg, ok := pickLive(rt, func(l telephonytestLeg) bool { return l.inbound }); ok {
					h.net.HangUp(leg)
				}
				h.check(rt)
			},
			"agent state": func(rt *rapid.T) {
				a := rapid.SampledFrom(agents).Draw(rt, "agent")
				s := rapid.SampledFrom([]agent.State{agent.Ready, agent.Break, agent.Ready}).Draw(rt, "state")
				_ = h.eng.SetState(a, s, "")
				h.check(rt)
			},
			"accept": func(rt *rapid.T) {
				_ = h.eng.Accept(rapid.SampledFrom(agents).Draw(rt, "agent"))
				h.check(rt)
			},
			"reject": func(rt *rapid.T) {
				_ = h.eng.Reject(rapid.SampledFrom(agents).Draw(rt, "agent"))
				h.check(rt)
			},
			"phone answers": func(rt *rapid.T) {
				if leg, ok := pickLive(rt, func(l telephonytestLeg) bool { return !l.inbound && !l.answered }); ok {
					h.net.AnswerLeg(leg)
				}
				h.check(rt)
			},
			"phone fails": func(rt *rapid.T) {
				cause := rapid.SampledFrom([]telephony.Cause{telephony.CauseBusy, telephony.CauseUnavailable, telephony.CauseNoAnswer}).Draw(rt, "cause")
				if leg, ok := pickLive(rt, func(l telephonytestLeg) bool { return !l.inbound && !l.answered }); ok {
					h.net.Fail(leg, cause)
				}
				h.check(rt)
			},
			"phone hangs up": func(rt *rapid.T) {
				if leg, ok := pickLive(rt, func(l telephonytestLeg) bool { return !l.inbound && l.answered }); ok {
					h.net.HangUp(leg)
				}
				h.check(rt)
			},
			"time passes": func(rt *rapid.T) {
				h.clk.Advance(time.Duration(rapid.IntRange(1, 40).Draw(rt, "seconds")) * time.Second)
				h.check(rt)
			},
			"hold": func(rt *rapid.T) {
				a := rapid.SampledFrom(agents).Draw(rt, "agent")
				if rapid.Bool().Draw(rt, "on") {
					_ = h.eng.Hold(a)
				} else {
					_ = h.eng.Unhold(a)
				}
				h.check(rt)
			},
			"consult": func(rt *rapid.T) {
				a := rapid.SampledFrom(agents).Draw(rt, "agent")
				switch rapid.IntRange(0, 3).Draw(rt, "what") {
				case 0:
					_ = h.eng.Consult(a, "agent:"+rapid.SampledFrom(agents).Draw(rt, "target"))
				case 1:
					_ = h.eng.Consult(a, "901099998888")
				case 2:
					_ = h.eng.CompleteConsult(a)
				case 3:
					_ = h.eng.CancelConsult(a)
				}
				h.check(rt)
			},
			"hang up or force": func(rt *rapid.T) {
				a := rapid.SampledFrom(agents).Draw(rt, "agent")
				if rapid.Bool().Draw(rt, "forced") {
					_ = h.eng.ForcedHangup(a)
				} else {
					_ = h.eng.Hangup(a)
				}
				h.check(rt)
			},
			"announcement ends": func(rt *rapid.T) {
				if leg, ok := pickLive(rt, func(l telephonytestLeg) bool { return l.hears == "audio:builtin:hangup" }); ok {
					h.net.PlayDone(leg)
				}
				h.check(rt)
			},
			"after call": func(rt *rapid.T) {
				_ = h.eng.AfterCall(rapid.SampledFrom(agents).Draw(rt, "agent"), rapid.SampledFrom([]string{"ready", "work"}).Draw(rt, "action"))
				h.check(rt)
			},
			"dial": func(rt *rapid.T) {
				_ = h.eng.Dial(rapid.SampledFrom(agents).Draw(rt, "agent"), "01012345678", "0212345678")
				h.check(rt)
			},
		})
		// Wind down: every customer and phone hangs up, announcements finish, time passes.
		for i := 0; i < 5; i++ {
			for _, lg := range h.net.Live() {
				if lg.Answered || lg.Inbound {
					h.net.HangUp(lg.ID)
				} else {
					h.net.Fail(lg.ID, telephony.CauseNoAnswer)
				}
			}
			h.clk.Advance(3 * time.Minute)
			h.eng.Flush()
		}
		h.check(rt)
		l, _ := h.eng.loopFor("support")
		var stuck []string
		_ = l.do(func() error {
			for id, c := range l.calls {
				stuck = append(stuck, fmt.Sprintf("%s (%s)", id, c.m.State))
			}
			return nil
		})
		if len(stuck) > 0 {
			rt.Fatalf("calls never ended: %v", stuck)
		}
		// every agent can get back to 대기
		for _, a := range agents {
			v := h.eng.View(a)
			if v.State == agent.AfterCall {
				if err := h.eng.AfterCall(a, "ready"); err != nil {
					rt.Fatal(err)
				}
			}
			if err := h.eng.SetState(a, agent.Ready, ""); err != nil {
				rt.Fatalf("%s cannot get back to ready from %s: %v", a, h.eng.View(a).State, err)
			}
		}
	})
}

type telephonytestLeg struct {
	inbound, answered bool
	target            telephony.Target
	hears             string
}
