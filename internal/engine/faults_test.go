package engine

import (
	"context"
	"testing"

	"ringdesk/internal/agent"
	"ringdesk/internal/events"
	"ringdesk/internal/fault"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
)

// restart starts a second engine on the harness's store, as a new process would after the
// first stopped (cleanly or not): the first is left as it is.
func (h *harness) restart() (*Engine, *telephonytest.Network) {
	h.t.Helper()
	net := telephonytest.New()
	e2, err := New(Config{Clock: h.clk, Store: h.st, Directory: h.dir, Bus: events.NewBus(), Phone: net})
	h.ok(err)
	net.SetHandler(e2)
	h.ok(e2.Start(context.Background()))
	h.t.Cleanup(e2.Close)
	return e2, net
}

// Agents logged in to CTI come back logged in after a crash, at 기본, told why; the state
// history says the restart ended what they were doing. Before, every agent was logged out.
func TestRestartLogsAgentsBackIn(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	h.ok(h.eng.Login("lee", "support"))
	h.ok(h.eng.Logout("lee"))
	h.call("01011112222")
	h.connect("kim", "1001") // kim is on a call when the process dies
	e2, _ := h.restart()
	v := e2.View("kim")
	if v.State != agent.Default || v.Notice == nil || v.Notice.Kind != "restarted" || v.Notice.Message == "" {
		t.Fatalf("kim after a restart: %+v", v)
	}
	if v := e2.View("lee"); v.State != agent.LoggedOut {
		t.Fatalf("lee had logged out but came back: %+v", v)
	}
	hist, err := h.st.States().List(context.Background(), "kim", h.clk.Now(), 10)
	h.ok(err)
	n := len(hist)
	if n < 2 || hist[n-2].From != "on_call" || hist[n-2].To != "logged_out" || hist[n-2].Reason != "restart" ||
		hist[n-1].From != "logged_out" || hist[n-1].To != "default" || hist[n-1].Reason != "restarted" {
		t.Fatalf("history after the restart: %+v", hist)
	}
	// the notice lasts until the agent acts
	h.ok(e2.SetState("kim", agent.Ready, ""))
	if v := e2.View("kim"); v.Notice != nil {
		t.Fatalf("notice still shown after a state change: %+v", v.Notice)
	}
}

// A clean stop keeps the agents' CTI sessions too; one who lost the phone permission in the
// meantime is not brought back.
func TestCleanStopKeepsSessionsButNotLostPermissions(t *testing.T) {
	h := newHarness(t)
	h.ready("kim", "lee")
	h.eng.Close()
	h.reconfigure(func(s *site.Site) {
		for i := range s.Agents {
			if s.Agents[i].Login == "lee" {
				s.Agents[i].Services = nil
			}
		}
	})
	e2, _ := h.restart()
	if v := e2.View("kim"); v.State != agent.Default {
		t.Fatalf("kim after a clean restart: %+v", v)
	}
	if v := e2.View("lee"); v.State != agent.LoggedOut {
		t.Fatalf("lee lost the permission but came back: %+v", v)
	}
	open, err := h.st.CTI().List(context.Background())
	h.ok(err)
	if len(open) != 1 || open[0].Login != "kim" {
		t.Fatalf("sessions kept: %+v", open)
	}
}

// A customer leg that stops sending media ends the call with cause media_timeout, and the
// agent gets the end-of-call notice. Before, the cause was recorded as a normal hang-up.
func TestMediaTimeoutEndsTheCall(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	id := h.eng.View("kim").Call.ID
	h.net.Report(cust, telephony.HungUp, telephony.CauseMediaTimeout)
	h.state("kim", agent.AfterCall)
	if l := h.net.Leg(kimLeg); !l.Ended {
		t.Fatal("the agent's leg was left up")
	}
	rec, err := h.st.Calls().Get(context.Background(), id)
	h.ok(err)
	if rec.HangupCause != "media_timeout" || rec.HangupBy != "system" || rec.EndedAt == nil {
		t.Fatalf("record: cause %q by %q", rec.HangupCause, rec.HangupBy)
	}
	ended := has(h.events(), events.CallEnded, "kim")
	if ended == nil || ended.Data.(map[string]string)["cause"] != "media_timeout" {
		t.Fatalf("call.ended: %+v", ended)
	}
}

// The agent's phone timing out ends the call the same way.
func TestAgentLegSessionExpiryEndsTheCall(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	id := h.eng.View("kim").Call.ID
	h.net.Report(kimLeg, telephony.HungUp, telephony.CauseSessionTimer)
	h.state("kim", agent.AfterCall)
	if l := h.net.Leg(cust); !l.Ended {
		t.Fatal("the customer was left up")
	}
	rec, _ := h.st.Calls().Get(context.Background(), id)
	if rec.HangupCause != "session_expired" || rec.HangupBy != "system" {
		t.Fatalf("record: cause %q by %q", rec.HangupCause, rec.HangupBy)
	}
}

// The customer leg's quality reaches the call record, whether it comes while the call is up
// or after it ended.
func TestQualityIsRecorded(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	h.connect("kim", "1001")
	id := h.eng.View("kim").Call.ID
	h.net.HangUp(cust)
	h.state("kim", agent.AfterCall)
	q := telephony.Quality{PacketsIn: 1000, PacketsLost: 20, LossPct: 1.96, JitterMs: 4.123, FarLossPct: 0.5, RTTMs: 12, MOS: 4.21}
	h.net.ReportEvent(telephony.Event{Leg: cust, Kind: telephony.QualityReport, Quality: &q})
	h.eng.Flush()
	rec, err := h.st.Calls().Get(context.Background(), id)
	h.ok(err)
	if rec.Quality == nil || rec.Quality.MOS != 4.21 || rec.Quality.LossPct != 1.96 || rec.Quality.JitterMs != 4.12 ||
		rec.Quality.RTTMs != 12 {
		t.Fatalf("quality: %+v", rec.Quality)
	}
	// a report about a leg nobody knows is ignored
	h.net.ReportEvent(telephony.Event{Leg: "nobody", Kind: telephony.QualityReport, Quality: &q})
	h.eng.Flush()
}

// The customer putting the call on hold is shown to the agent until taken off.
func TestCustomerHoldIsShown(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	h.connect("kim", "1001")
	h.events()
	h.net.Report(cust, telephony.Held, "")
	if has(h.events(), events.CallCustomerHeld, "kim") == nil {
		t.Fatal("no call.customer_held for the agent")
	}
	if v := h.state("kim", agent.OnCall); !v.Call.CustomerHeld {
		t.Fatalf("view: %+v", v.Call)
	}
	h.net.Report(cust, telephony.Resumed, "")
	if has(h.events(), events.CallCustomerResumed, "kim") == nil {
		t.Fatal("no call.customer_resumed")
	}
	if v := h.state("kim", agent.OnCall); v.Call.CustomerHeld {
		t.Fatalf("view after resume: %+v", v.Call)
	}
}

// Every trunk with the dialled prefix is offered to the network, in the site's order.
func TestTrunkFallbackIsPlaced(t *testing.T) {
	h := newHarness(t, func(s *site.Site) {
		s.Trunks = append(s.Trunks, site.Trunk{ID: "backup", Host: "127.0.0.2", Port: 5070, Prefix: "9"})
	})
	h.ok(h.eng.Login("kim", "support"))
	h.ok(h.eng.Dial("kim", "901011112222", "0212345678"))
	kimLeg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.AnswerLeg(kimLeg)
	leg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01011112222"))
	tg := h.net.Leg(leg).Target
	if tg.Trunk != "carrier" || len(tg.Fallback) != 1 || tg.Fallback[0] != "backup" {
		t.Fatalf("placed %+v, want carrier then backup", tg)
	}
}

// The dial plan: international and premium-rate numbers are refused for 걸기, for numbers
// dialled on a phone and for transfers, and nothing is placed; a service may allow them.
// Before, +88213456789 and 00… went straight to the carrier.
func TestDialPlanRefusesTollFraud(t *testing.T) {
	h := newHarness(t)
	h.ok(h.eng.Login("kim", "support"))
	for _, n := range []string{"+88213456789", "0088213456789", "0601234567", "90088213456789"} {
		err := h.eng.Dial("kim", n, "0212345678")
		if e, ok := fault.As(err); !ok || e.Kind != fault.Refused || e.Code != "invalid_number" || e.Message == "" {
			t.Errorf("걸기 %s: %v, want refused invalid_number", n, err)
		}
	}
	h.state("kim", agent.Default)
	if _, err := h.net.Dial("1001", "90088213456789"); fault.KindOf(err) != fault.Refused {
		t.Errorf("phone-dialled international number: %v", err)
	}
	if _, err := h.net.Dial("1001", "90601234567"); fault.KindOf(err) != fault.Refused {
		t.Errorf("phone-dialled 060: %v", err)
	}
	for _, a := range h.net.Actions() {
		if a.Kind == "place" && a.Target.Kind == telephony.TargetTrunk {
			t.Fatalf("a refused number was placed: %v", a)
		}
	}
	// a transfer to an outside international number is refused the same way
	h.ok(h.eng.SetState("kim", agent.Ready, ""))
	h.call("01011112222")
	h.connect("kim", "1001")
	if err := h.eng.Consult("kim", "90088213456789"); fault.KindOf(err) != fault.Refused {
		t.Errorf("transfer to an international number: %v", err)
	}
	h.state("kim", agent.OnCall)
	// domestic numbers still go out
	h.ok(h.eng.Consult("kim", "901012121212"))
	h.net.WaitPlaced(t, telephonytest.ToTrunk("01012121212"))
}

func TestDialPlanCanAllowInternational(t *testing.T) {
	h := newHarness(t, func(s *site.Site) {
		s.Services[0].DialPlan = site.DialPlan{Allow: []string{"0[1-9]*", "00[1-9]*"}, Deny: []string{"060*"}}
	})
	h.ok(h.eng.Login("kim", "support"))
	h.ok(h.eng.Dial("kim", "0088213456789", "0212345678"))
	if err := h.eng.Hangup("kim"); err != nil {
		t.Fatal(err)
	}
}
