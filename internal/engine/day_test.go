package engine

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/stats"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
	"ringdesk/internal/tickets"
)

// TestScriptedDay runs a quarter of an hour of calls on the fake clock — answered inside and
// outside the service level, a short and a long abandon, a reject, a ring timeout, a hold, a
// transfer — and checks every figure against the numbers worked out by hand from
// docs/metrics.md (the timelines are in the comments).
func TestScriptedDay(t *testing.T) {
	h := newHarness(t)
	t0 := h.clk.Now() // 09:00:00
	at := func(sec int) {
		t.Helper()
		d := t0.Add(time.Duration(sec) * time.Second).Sub(h.clk.Now())
		if d < 0 {
			t.Fatalf("the script goes back in time at %d s", sec)
		}
		h.clk.Advance(d)
		h.eng.Flush()
	}
	hangUp := func(leg telephony.LegID) { // the network's report is handled at this instant
		t.Helper()
		h.net.HangUp(leg)
		h.eng.Flush()
	}
	answer := func(login, ext string) telephony.LegID {
		t.Helper()
		h.state(login, agent.Offered)
		h.ok(h.eng.Accept(login))
		leg := h.net.WaitPlaced(t, telephonytest.ToExtension(ext))
		h.net.AnswerLeg(leg)
		h.state(login, agent.OnCall)
		return leg
	}
	// kim ready at 0, lee at 1 (kim idles longest)
	h.ok(h.eng.Login("kim", "support"))
	h.ok(h.eng.SetState("kim", agent.Ready, ""))
	at(1)
	h.ok(h.eng.Login("lee", "support"))
	h.ok(h.eng.SetState("lee", agent.Ready, ""))

	// A: queued 10, offered to kim, 확인 15, answered 22 (wait 12: within 20 s); held 60-80;
	// the customer hangs up at 142 (talk 100, hold 20); kim 확인 at 172 (after-call 30).
	at(10)
	a := h.call("01000000001")
	at(15)
	h.ok(h.eng.Accept("kim"))
	kimA := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	at(22)
	h.net.AnswerLeg(kimA)
	h.state("kim", agent.OnCall)
	// B: queued 30, offered to lee, who refuses at 33; nobody else is free; the caller hangs
	// up at 36 (wait 6: not a short abandon) — a missed call.
	at(30)
	b := h.call("01000000002")
	h.state("lee", agent.Offered)
	at(33)
	h.ok(h.eng.Reject("lee"))
	at(36)
	hangUp(b)
	// C: queued 40, offered to lee, who does not answer within the 30 s recall time: ring
	// timeout at 70, lee to 휴식; C waits for kim.
	at(40)
	c := h.call("01000000003")
	h.state("lee", agent.Offered)
	at(60)
	h.ok(h.eng.Hold("kim"))
	at(70)
	h.state("lee", agent.Break)
	at(80)
	h.ok(h.eng.Unhold("kim"))
	at(142)
	hangUp(a)
	h.state("kim", agent.AfterCall)
	// kim 확인 at 172 is offered C at once; answered at 175 (wait 135: outside the level);
	// the customer hangs up at 235 (talk 60); kim 확인 at 245 (after-call 10).
	at(172)
	h.ok(h.eng.AfterCall("kim", "ready"))
	at(175)
	answer("kim", "1001")
	at(235)
	hangUp(c)
	at(245)
	h.ok(h.eng.AfterCall("kim", "ready"))
	// D: queued 300, kim answers at 303 (wait 3); lee ready at 310; kim consults lee at 320,
	// lee answers at 325, 고객연결 at 330 (transferred; hold 10); kim 확인 at 340; the customer
	// hangs up at 400 (talk 17+70 = 87); lee 확인 at 420 (after-call 20).
	at(300)
	d := h.call("01000000004")
	at(303)
	answer("kim", "1001")
	at(310)
	h.ok(h.eng.SetState("lee", agent.Ready, ""))
	at(320)
	h.ok(h.eng.Consult("kim", "agent:lee"))
	at(325)
	answer("lee", "1002")
	h.state("kim", agent.Consulting)
	at(330)
	h.ok(h.eng.CompleteConsult("kim"))
	at(340)
	h.ok(h.eng.AfterCall("kim", "ready"))
	at(400)
	hangUp(d)
	h.state("lee", agent.AfterCall)
	at(420)
	h.ok(h.eng.AfterCall("lee", "ready"))
	// E: queued 500, offered to kim; the caller hangs up at 502 (wait 2: a short abandon).
	at(500)
	e := h.call("01000000005")
	h.state("kim", agent.Offered)
	at(502)
	hangUp(e)
	at(900)

	ctx := context.Background()
	ivs, err := stats.Intervals(t0, t0.Add(15*time.Minute), "15m", time.UTC)
	h.ok(err)
	qs, err := h.st.Events().Sums(ctx, "support", t0, t0.Add(15*time.Minute), "queue")
	h.ok(err)
	rows := stats.Queues(qs, ivs, []stats.QueueInfo{{Number: "100", Name: "일반문의"}})
	f := func(v float64) *float64 { return &v }
	want := stats.QueueRow{Interval: ivs[0], Queue: "100", Name: "일반문의",
		Offered: 5, Answered: 3, AnsweredInSL: 2, Abandoned: 2, ShortAbandoned: 1, Handled: 3, Transfers: 1, NoResponse: 2,
		ServiceLevel: f(50), AbandonRate: f(25), ASA: f(50), AHT: f(112.33), AvgTalk: f(82.33), AvgHold: f(10),
		AvgAfterCall: f(20), AvgAbandon: f(4), LongestWait: 135}
	same(t, "queue 100", rows[0], want)

	as, err := h.st.Events().Sums(ctx, "support", t0, t0.Add(15*time.Minute), "agent")
	h.ok(err)
	states, err := h.st.States().Range(ctx, "support", []string{"kim", "lee"}, t0, t0.Add(15*time.Minute))
	h.ok(err)
	ag := stats.Agents(as, states, ivs, []stats.AgentInfo{{Login: "kim", Name: "김상담"}, {Login: "lee", Name: "이상담"}},
		t0.Add(15*time.Minute))
	// kim: ready 10+55+160+398, offered 5+3+3+2, ringing 7, on_call 38+62+60+17, held 20+5,
	// consulting 5, after_call 30+10+10; busy 277 of 277+623
	same(t, "kim", ag[0], stats.AgentRow{Interval: ivs[0], Agent: "kim", Name: "김상담", Answered: 3, Handled: 2,
		TalkSeconds: 182, HoldSeconds: 25, AfterCallSeconds: 50, StaffedSeconds: 900, ReadySeconds: 623, Occupancy: f(30.78),
		States: map[string]float64{"ready": 623, "offered": 13, "ringing": 7, "on_call": 177, "held": 25,
			"consulting": 5, "after_call": 50}, WorkReasons: map[string]float64{}})
	// lee: logged out 1, ready 29+7+10+480, offered 3+30+5, break 240, on_call 75, after_call 20
	same(t, "lee", ag[1], stats.AgentRow{Interval: ivs[0], Agent: "lee", Name: "이상담", Handled: 1, Rejected: 1,
		RingTimeouts: 1, TalkSeconds: 75, AfterCallSeconds: 20, StaffedSeconds: 899, ReadySeconds: 526, Occupancy: f(20.18),
		States: map[string]float64{"logged_out": 1, "ready": 526, "offered": 38, "break": 240,
			"on_call": 75, "after_call": 20}, WorkReasons: map[string]float64{}})

	// the missed call (B) is on a ticket marked 콜백 필요; the short abandon (E) is not
	missed, err := h.st.Tickets().List(ctx, tickets.Filter{Services: []string{"support"}, Callback: true})
	h.ok(err)
	if len(missed) != 1 || missed[0].Phone != "01000000002" {
		t.Fatalf("missed calls: %+v", missed)
	}
	calls, err := h.st.Calls().List(ctx, tickets.CallFilter{Services: []string{"support"}})
	h.ok(err)
	outcomes := map[string]string{}
	for _, c := range calls {
		outcomes[c.From] = c.Outcome + " " + jsonNum(c.WaitSeconds)
	}
	wantOutcomes := map[string]string{"01000000001": "answered 12", "01000000002": "abandoned 6",
		"01000000003": "answered 135", "01000000004": "answered 3", "01000000005": "abandoned 2"}
	same(t, "call outcomes", outcomes, wantOutcomes)
}

func jsonNum(v float64) string { b, _ := json.Marshal(v); return string(b) }

// same compares by JSON, which shows both sides readably.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// A manager puts an agent on 휴식 and logs it out; the agent is told who, the history says who,
// and an agent on a call is not moved off it.
func TestSupervisorChangesAnAgent(t *testing.T) {
	h := newHarness(t)
	h.ready("kim", "lee")
	h.ok(h.eng.Supervise("kim", agent.Break, "", "boss", "관리자"))
	h.state("kim", agent.Break)
	evs := h.events()
	forced := has(evs, "agent.forced", "kim")
	if forced == nil || forced.Data.(map[string]string)["by_name"] != "관리자" {
		t.Fatalf("agent.forced: %+v", forced)
	}
	notice := has(evs, "agent.notice", "kim")
	if notice == nil || notice.Data.(map[string]string)["kind"] != "forced" {
		t.Fatalf("notice: %+v", notice)
	}
	last, err := h.st.States().Last(context.Background(), "kim")
	h.ok(err)
	if last.To != "break" || last.By != "boss" {
		t.Fatalf("history: %+v", last)
	}
	h.ok(h.eng.Supervise("kim", agent.Work, "회의", "boss", "관리자"))
	if v := h.state("kim", agent.Work); v.Reason != agent.ReasonMeeting {
		t.Fatalf("work reason: %+v", v)
	}
	// lee takes a call: a manager cannot move it, nor log it out
	h.call("01011112222")
	h.connect("lee", "1002")
	if err := h.eng.Supervise("lee", agent.Break, "", "boss", "관리자"); code(err) != "invalid_state" {
		t.Fatalf("moving an agent off a call: %v", err)
	}
	if err := h.eng.SuperviseLogout("lee", "boss", "관리자"); code(err) != "invalid_state" {
		t.Fatalf("logging an agent out of a call: %v", err)
	}
	h.ok(h.eng.SuperviseLogout("kim", "boss", "관리자"))
	h.state("kim", agent.LoggedOut)
	if open, _ := h.st.CTI().List(context.Background()); len(open) != 1 || open[0].Login != "lee" {
		t.Fatalf("kim's CTI session must end: %+v", open)
	}
}
