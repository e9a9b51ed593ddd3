package engine

import (
	"context"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/events"
	"ringdesk/internal/fault"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
)

func code(err error) string {
	if e, ok := fault.As(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func TestLoginRules(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		login, service, want string
	}{
		{"ghost", "support", "not_found"},
		{"kim", "nowhere", "not_found"},
		{"han", "sales", "cti_disabled"},
		{"han", "support", "no_phone_permission"},
		{"noext", "support", "cti_not_configured"},
	}
	for _, c := range cases {
		if got := code(h.eng.Login(c.login, c.service)); got != c.want {
			t.Errorf("login %s to %s: got %q, want %q", c.login, c.service, got, c.want)
		}
	}
	h.ok(h.eng.Login("kim", "support"))
	h.state("kim", agent.Default)
	if got := code(h.eng.Login("kim", "support")); got != "invalid_state" {
		t.Errorf("second login: got %q, want invalid_state", got)
	}
	h.ok(h.eng.Login("choi", "support")) // a browser phone needs no SIP credentials
	if got := code(h.eng.SetState("lee", agent.Ready, "")); got != "invalid_state" {
		t.Errorf("state change while logged out: got %q, want invalid_state", got)
	}
}

func TestStatesAndHistory(t *testing.T) {
	h := newHarness(t)
	h.ok(h.eng.Login("kim", "support"))
	h.ok(h.eng.SetState("kim", agent.Break, ""))
	h.ok(h.eng.SetState("kim", agent.Work, "회의"))
	v := h.state("kim", agent.Work)
	if v.Reason != agent.ReasonMeeting || v.Label != "업무(회의)" {
		t.Fatalf("got %+v", v)
	}
	if got := code(h.eng.SetState("kim", agent.Work, "lunch")); got != "invalid_reason" {
		t.Fatalf("bad reason: got %q", got)
	}
	if got := code(h.eng.SetState("kim", agent.OnCall, "")); got != "invalid_state_name" {
		t.Fatalf("on_call by hand: got %q", got)
	}
	if got := code(h.eng.Accept("kim")); got != "invalid_state" {
		t.Fatalf("accept with no offer: got %q", got)
	}
	if got := code(h.eng.AfterCall("kim", "ready")); got != "invalid_state" {
		t.Fatalf("after-call outside after_call: got %q", got)
	}
	h.state("kim", agent.Work) // refusals changed nothing
	h.ok(h.eng.Logout("kim"))
	h.state("kim", agent.LoggedOut)
	hist, err := h.st.States().List(context.Background(), "kim", time.Time{}, 100)
	h.ok(err)
	var seq []string
	for _, c := range hist {
		seq = append(seq, c.From+">"+c.To)
	}
	want := []string{"logged_out>default", "default>break", "break>work", "work>logged_out"}
	if len(seq) != len(want) {
		t.Fatalf("history: got %v, want %v", seq, want)
	}
	for i := range want {
		if seq[i] != want[i] {
			t.Fatalf("history: got %v, want %v", seq, want)
		}
	}
}

func TestInboundCallBecomesTicket(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01055556666")
	if got := h.hears(cust); got != "audio:builtin:hold" {
		t.Fatalf("queued caller hears %q, want hold audio", got)
	}
	v := h.state("kim", agent.Offered)
	if v.Offer == nil || v.Offer.From != "01055556666" || v.Offer.Service != "support" || v.Offer.Queue != "100" {
		t.Fatalf("offer: %+v", v.Offer)
	}
	if !v.Offer.RecallAt.Equal(h.clk.Now().Add(30 * time.Second).UTC()) {
		t.Fatalf("recall_at %v, want now+30s", v.Offer.RecallAt)
	}
	evs := h.events()
	if e := has(evs, events.CallOffered, "kim"); e == nil {
		t.Fatal("no call.offered event")
	}
	agentLeg := h.connect("kim", "1001")
	if got := h.hears(cust); got != "leg:"+string(agentLeg) {
		t.Fatalf("customer hears %q, want the agent", got)
	}
	v = h.state("kim", agent.OnCall)
	if v.Call == nil || v.Call.Ticket == 0 {
		t.Fatalf("no ticket on the call: %+v", v.Call)
	}
	evs = h.events()
	if has(evs, events.TicketCreated, "kim") == nil || has(evs, events.CallAnswered, "kim") == nil {
		t.Fatalf("missing ticket.created/call.answered in %v", evs)
	}
	tk, err := h.st.Tickets().Get(context.Background(), v.Call.Ticket)
	h.ok(err)
	if tk.Service != "support" || tk.Phone != "01055556666" || tk.Assignee != "kim" || len(tk.Calls) != 1 {
		t.Fatalf("ticket: %+v", tk)
	}
	h.clk.Advance(90 * time.Second)
	h.net.HangUp(cust)
	h.state("kim", agent.AfterCall)
	if !h.net.Leg(agentLeg).Ended {
		t.Fatal("the agent's phone was not hung up")
	}
	rec, err := h.st.Calls().Get(context.Background(), v.Call.ID)
	h.ok(err)
	if rec.EndedAt == nil || rec.TalkSeconds != 90 || rec.HangupBy != "customer" || rec.TicketID != tk.ID {
		t.Fatalf("call record: %+v", rec)
	}
	h.ok(h.eng.AfterCall("kim", "work"))
	v = h.state("kim", agent.Work)
	if v.Reason != agent.ReasonTicket {
		t.Fatalf("after 취소: reason %s, want ticket", v.Reason)
	}
}

func TestRejectRecallsToAnotherAgent(t *testing.T) {
	h := newHarness(t)
	h.ready("kim", "lee")
	h.call("01011112222")
	h.state("kim", agent.Offered) // longest idle
	h.ok(h.eng.Reject("kim"))
	h.state("kim", agent.Ready)
	h.state("lee", agent.Offered)
	evs := h.events()
	if e := has(evs, events.CallRecalled, ""); e == nil || e.Data.(map[string]string)["reason"] != "rejected" {
		t.Fatalf("no call.recalled rejected event")
	}
	// lee refuses too: kim must not get it again, so it waits
	h.ok(h.eng.Reject("lee"))
	h.state("kim", agent.Ready)
	h.state("lee", agent.Ready)
	live, err := h.eng.Live("support")
	h.ok(err)
	if len(live.Queues[0].Waiting) != 1 {
		t.Fatalf("the call should wait in the queue: %+v", live.Queues)
	}
	// a third agent who becomes ready gets it
	h.reconfigure(func(s *site.Site) {
		s.Services[0].Queues[0].Members = append(s.Services[0].Queues[0].Members, "park")
	})
	h.ready("park")
	h.state("park", agent.Offered)
}

func TestRecallTimeoutWhileOffered(t *testing.T) {
	h := newHarness(t)
	h.ready("kim", "lee")
	h.call("01011112222")
	h.state("kim", agent.Offered)
	h.clk.Advance(29 * time.Second)
	h.state("kim", agent.Offered)
	h.clk.Advance(time.Second)
	h.state("kim", agent.Break) // no_answer: break
	h.state("lee", agent.Offered)
	evs := h.events()
	if e := has(evs, events.CallRecalled, ""); e == nil || e.Data.(map[string]string)["reason"] != "timeout" {
		t.Fatal("no timeout recall event")
	}
	if has(evs, events.AgentNotice, "kim") == nil {
		t.Fatal("kim got no notice")
	}
}

func TestRecallTimeoutWhileRingingCancelsThePhone(t *testing.T) {
	h := newHarness(t, func(s *site.Site) { s.Services[0].NoAnswer = site.NoAnswerReady; s.Services[0].RecallSeconds = 10 })
	h.ready("kim", "lee")
	h.call("01011112222")
	h.ok(h.eng.Accept("kim"))
	leg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.Report(leg, telephony.Ringing, "")
	h.clk.Advance(10 * time.Second)
	h.state("kim", agent.Ready) // no_answer: ready, and not offered this call again
	if l := h.net.Leg(leg); !l.Ended || l.Cause != telephony.CauseCancelled {
		t.Fatalf("ringing phone not cancelled: %+v", l)
	}
	h.state("lee", agent.Offered)
	// the phone's 200 OK crossed the CANCEL: the engine hangs that leg up again, nothing changes
	h.net.AnswerLeg(leg)
	h.state("kim", agent.Ready)
	h.state("lee", agent.Offered)
}

func TestAnswerRacesRecallTimer(t *testing.T) {
	// the answer is handled first: the timer that fires afterwards is stale and changes nothing
	h := newHarness(t)
	h.ready("kim", "lee")
	cust := h.call("01011112222")
	h.ok(h.eng.Accept("kim"))
	leg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.clk.Advance(29*time.Second + 999*time.Millisecond)
	h.net.AnswerLeg(leg)
	h.clk.Advance(time.Millisecond)
	h.state("kim", agent.OnCall)
	h.state("lee", agent.Ready)
	if got := h.hears(cust); got != "leg:"+string(leg) {
		t.Fatalf("customer hears %q", got)
	}
}

func TestCallerHangsUpWhileQueuedOfferedRinging(t *testing.T) {
	h := newHarness(t)
	// queued: nobody ready
	cust := h.call("01000000001")
	h.net.HangUp(cust)
	h.eng.Flush()
	live, _ := h.eng.Live("support")
	if live.Calls != 0 || len(live.Queues[0].Waiting) != 0 {
		t.Fatalf("abandoned call still live: %+v", live)
	}
	// offered
	h.ready("kim")
	cust = h.call("01000000002")
	h.state("kim", agent.Offered)
	h.net.HangUp(cust)
	h.state("kim", agent.Ready)
	// ringing
	cust = h.call("01000000003")
	h.ok(h.eng.Accept("kim"))
	leg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.HangUp(cust)
	h.state("kim", agent.Ready)
	if !h.net.Leg(leg).Ended {
		t.Fatal("agent's ringing phone not cancelled")
	}
	if h.clk.Pending() != 0 {
		// the recall timer was stopped; nothing else is armed
		h.clk.Advance(time.Minute)
		h.state("kim", agent.Ready)
	}
}

func TestAutoAcceptRingsAtOnce(t *testing.T) {
	h := newHarness(t, func(s *site.Site) { s.Agents[0].AutoAccept = true })
	h.ready("kim")
	h.call("01011112222")
	h.state("kim", agent.Ringing)
	leg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.AnswerLeg(leg)
	h.state("kim", agent.OnCall)
}

func TestPhoneDeclineAndUnavailable(t *testing.T) {
	h := newHarness(t)
	h.ready("kim", "lee")
	h.call("01011112222")
	h.ok(h.eng.Accept("kim"))
	leg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.Fail(leg, telephony.CauseDeclined)
	h.state("kim", agent.Ready) // declined on the phone is 취소
	h.ok(h.eng.Accept("lee"))
	leg = h.net.WaitPlaced(t, telephonytest.ToExtension("1002"))
	h.net.Fail(leg, telephony.CauseUnavailable)
	h.state("lee", agent.Break) // an unreachable phone is an absent seat
}

func TestOutboundDial(t *testing.T) {
	h := newHarness(t)
	h.ok(h.eng.Login("kim", "support"))
	h.ok(h.eng.SetState("kim", agent.Work, "chat"))
	if got := code(h.eng.Dial("kim", "01077778888", "0299998888")); got != "invalid_caller_id" {
		t.Fatalf("requested (not registered) caller ID: got %q", got)
	}
	if got := code(h.eng.Dial("kim", "01077778888", "0311112222")); got != "invalid_caller_id" {
		t.Fatalf("unknown caller ID: got %q", got)
	}
	if got := code(h.eng.Dial("kim", "0107-7778", "0212345678")); got != "invalid_number" {
		t.Fatalf("bad number: got %q", got)
	}
	h.state("kim", agent.Work)
	h.ok(h.eng.Dial("kim", "01077778888", "0212345678"))
	h.state("kim", agent.Dialing)
	agentLeg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.AnswerLeg(agentLeg)
	custLeg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01077778888"))
	tgt := h.net.Leg(custLeg).Target
	if tgt.CallerID != "0212345678" || tgt.Trunk != "carrier" {
		t.Fatalf("trunk leg: %+v", tgt)
	}
	if got := h.hears(agentLeg); got != "audio:builtin:ringback" {
		t.Fatalf("agent hears %q while dialing", got)
	}
	h.net.AnswerLeg(custLeg)
	v := h.state("kim", agent.OnCall)
	if v.Call.Ticket == 0 || v.Call.Direction != "outbound" {
		t.Fatalf("call: %+v", v.Call)
	}
	tk, _ := h.st.Tickets().Get(context.Background(), v.Call.Ticket)
	if tk.Phone != "01077778888" || tk.Service != "support" {
		t.Fatalf("ticket %+v", tk)
	}
	h.ok(h.eng.Hangup("kim"))
	h.state("kim", agent.AfterCall)
	if !h.net.Leg(custLeg).Ended || !h.net.Leg(agentLeg).Ended {
		t.Fatal("legs not hung up")
	}
	// a failed dial goes back to where the agent was, with a notice
	h.ok(h.eng.AfterCall("kim", "work"))
	h.ok(h.eng.SetState("kim", agent.Break, ""))
	h.ok(h.eng.Dial("kim", "901099990000", "0212345678")) // with the trunk prefix
	agentLeg = h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.AnswerLeg(agentLeg)
	custLeg = h.net.WaitPlaced(t, telephonytest.ToTrunk("01099990000"))
	h.net.Fail(custLeg, telephony.CauseBusy)
	h.state("kim", agent.Break)
	if e := has(h.events(), events.AgentNotice, "kim"); e == nil {
		t.Fatal("no notice for the failed dial")
	}
	if !h.net.Leg(agentLeg).Ended {
		t.Fatal("agent phone left up after a failed dial")
	}
}

func TestHoldAndUnhold(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	leg := h.connect("kim", "1001")
	h.ok(h.eng.Hold("kim"))
	h.state("kim", agent.Held)
	if got := h.hears(cust); got != "audio:builtin:hold" {
		t.Fatalf("held customer hears %q", got)
	}
	if got := code(h.eng.Hold("kim")); got != "invalid_state" {
		t.Fatalf("hold twice: %q", got)
	}
	h.clk.Advance(20 * time.Second)
	h.ok(h.eng.Unhold("kim"))
	h.state("kim", agent.OnCall)
	if got := h.hears(cust); got != "leg:"+string(leg) {
		t.Fatalf("resumed customer hears %q", got)
	}
	// a hold pressed on the desk phone is the same 보류
	h.net.Report(leg, telephony.Held, "")
	h.state("kim", agent.Held)
	h.net.Report(leg, telephony.Resumed, "")
	h.state("kim", agent.OnCall)
	v := h.eng.View("kim")
	h.net.HangUp(leg) // agent hangs up on the phone
	h.state("kim", agent.AfterCall)
	rec, _ := h.st.Calls().Get(context.Background(), v.Call.ID)
	if rec.HoldSeconds != 20 || rec.HangupBy != "agent" || !h.net.Leg(cust).Ended {
		t.Fatalf("record: %+v", rec)
	}
}

func TestConsultToAgentAndComplete(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	h.connect("kim", "1001")
	ticket := h.eng.View("kim").Call.Ticket
	h.ready("lee")
	ready, err := h.eng.ReadyAgents("kim", "tier1")
	h.ok(err)
	if len(ready) != 1 || ready[0].Login != "lee" {
		t.Fatalf("대기 상담원 확인: %+v", ready)
	}
	if got := code(h.eng.Consult("kim", "agent:park")); got != "target_unavailable" {
		t.Fatalf("consult to a logged-out agent: %q", got)
	}
	h.state("kim", agent.OnCall)
	h.ok(h.eng.Consult("kim", "agent:lee"))
	h.state("kim", agent.Held)
	if got := h.hears(cust); got != "audio:builtin:hold" {
		t.Fatalf("customer hears %q during consult", got)
	}
	v := h.state("lee", agent.Offered)
	if v.Offer.Transfer != "kim" || v.Offer.From != "01011112222" {
		t.Fatalf("consult offer: %+v", v.Offer)
	}
	if got := code(h.eng.CompleteConsult("kim")); got != "invalid_state" {
		t.Fatalf("complete before the target answered: %q", got)
	}
	leeLeg := h.connect("lee", "1002")
	h.state("kim", agent.Consulting)
	h.ok(h.eng.CompleteConsult("kim"))
	h.state("kim", agent.AfterCall)
	v = h.state("lee", agent.OnCall)
	if got := h.hears(cust); got != "leg:"+string(leeLeg) {
		t.Fatalf("customer hears %q after 고객연결, want lee", got)
	}
	if v.Call == nil || v.Call.Ticket != ticket {
		t.Fatalf("lee's call: %+v", v.Call)
	}
	tk, _ := h.st.Tickets().Get(context.Background(), ticket)
	if tk.Assignee != "lee" {
		t.Fatalf("ticket assignee %q, want lee", tk.Assignee)
	}
	if has(h.events(), events.CallTransferred, "kim") == nil {
		t.Fatal("no call.transferred")
	}
	// lee can put the customer on hold now: the call is lee's
	h.ok(h.eng.Hold("lee"))
	h.net.HangUp(cust)
	h.state("lee", agent.AfterCall)
	rec, _ := h.st.Calls().Get(context.Background(), v.Call.ID)
	if len(rec.Transfers) != 1 || rec.Transfers[0].Outcome != "completed" || rec.Transfers[0].To != "lee" {
		t.Fatalf("transfers: %+v", rec.Transfers)
	}
}

func TestConsultToNumberCancelAndResume(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	if got := code(h.eng.Consult("kim", "01099998888")); got != "invalid_target" {
		t.Fatalf("external number without prefix: %q", got)
	}
	h.ok(h.eng.Consult("kim", "901099998888"))
	tleg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01099998888"))
	if h.net.Leg(tleg).Target.CallerID != "0212345678" {
		t.Fatalf("consult caller ID: %+v", h.net.Leg(tleg).Target)
	}
	h.net.AnswerLeg(tleg)
	h.state("kim", agent.Consulting)
	if got := h.hears(kimLeg); got != "leg:"+string(tleg) {
		t.Fatalf("agent hears %q in consult", got)
	}
	h.ok(h.eng.CancelConsult("kim"))
	h.state("kim", agent.Held)
	if !h.net.Leg(tleg).Ended {
		t.Fatal("consult leg not hung up")
	}
	h.ok(h.eng.Unhold("kim"))
	h.state("kim", agent.OnCall)
	if got := h.hears(cust); got != "leg:"+string(kimLeg) {
		t.Fatalf("customer hears %q", got)
	}
}

func TestConsultToNumberComplete(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	h.connect("kim", "1001")
	callID := h.eng.View("kim").Call.ID
	h.ok(h.eng.Consult("kim", "901099998888"))
	tleg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01099998888"))
	h.net.AnswerLeg(tleg)
	h.ok(h.eng.CompleteConsult("kim"))
	h.state("kim", agent.AfterCall)
	if got := h.hears(cust); got != "leg:"+string(tleg) {
		t.Fatalf("customer hears %q, want the target", got)
	}
	h.ok(h.eng.AfterCall("kim", "ready"))
	h.state("kim", agent.Ready)
	h.net.HangUp(tleg) // the target hangs up later: the customer is hung up, the call ends
	h.eng.Flush()
	if !h.net.Leg(cust).Ended {
		t.Fatal("customer left connected to nobody")
	}
	rec, _ := h.st.Calls().Get(context.Background(), callID)
	if rec.EndedAt == nil || rec.HangupBy != "target" {
		t.Fatalf("record %+v", rec)
	}
}

func TestConsultNoAnswerAndTargetHangup(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	h.call("01011112222")
	h.connect("kim", "1001")
	h.ok(h.eng.Consult("kim", "901099998888"))
	h.clk.Advance(60 * time.Second)
	h.state("kim", agent.Held)
	if e := has(h.events(), events.AgentNotice, "kim"); e == nil {
		t.Fatal("no notice for an unanswered consult")
	}
	// a target that answers and hangs up returns the agent to 보류중 too
	h.ok(h.eng.Consult("kim", "901012121212"))
	tleg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01012121212"))
	h.net.AnswerLeg(tleg)
	h.state("kim", agent.Consulting)
	h.net.HangUp(tleg)
	h.state("kim", agent.Held)
}

func TestConsultToQueue(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	h.ok(h.eng.Consult("kim", "200"))
	if got := h.hears(kimLeg); got != "audio:builtin:hold" {
		t.Fatalf("agent waiting on a queue hears %q", got)
	}
	h.ready("park") // queue 200's member becomes ready and is offered the consult
	parkLeg := h.connect("park", "1003")
	h.state("kim", agent.Consulting)
	if got := h.hears(kimLeg); got != "leg:"+string(parkLeg) {
		t.Fatalf("kim hears %q", got)
	}
	h.ok(h.eng.CancelConsult("kim"))
	h.state("kim", agent.Held)
	h.state("park", agent.AfterCall)
}

func TestCustomerHangsUpDuringConsult(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	h.connect("kim", "1001")
	h.ok(h.eng.Consult("kim", "901099998888"))
	tleg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01099998888"))
	h.net.AnswerLeg(tleg)
	h.net.HangUp(cust)
	h.state("kim", agent.Consulting) // the consult leg stays
	if h.net.Leg(tleg).Ended {
		t.Fatal("consult leg dropped with the customer")
	}
	if got := code(h.eng.CompleteConsult("kim")); got != "invalid_state" {
		t.Fatalf("고객연결 with no customer: %q", got)
	}
	h.ok(h.eng.CancelConsult("kim"))
	h.state("kim", agent.AfterCall)
	if !h.net.Leg(tleg).Ended {
		t.Fatal("consult leg not ended")
	}
}

func TestAgentHangsUpDuringConsultTransfers(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	h.ok(h.eng.Consult("kim", "901099998888"))
	tleg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01099998888"))
	h.net.AnswerLeg(tleg)
	h.net.HangUp(kimLeg) // BYE from the agent's phone during the consult
	h.state("kim", agent.AfterCall)
	if got := h.hears(cust); got != "leg:"+string(tleg) {
		t.Fatalf("customer hears %q after the agent hung up mid-consult", got)
	}
}

func TestForcedHangup(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	id := h.eng.View("kim").Call.ID
	h.ok(h.eng.ForcedHangup("kim"))
	h.state("kim", agent.AfterCall)
	if !h.net.Leg(kimLeg).Ended {
		t.Fatal("agent phone not released")
	}
	if got := h.hears(cust); got != "audio:builtin:hangup" || h.net.Leg(cust).Loop || h.net.Leg(cust).Ended {
		t.Fatalf("customer: %+v", h.net.Leg(cust))
	}
	h.net.PlayDone(cust)
	h.eng.Flush()
	if l := h.net.Leg(cust); !l.Ended || l.Cause != telephony.CauseForced {
		t.Fatalf("customer not hung up after the announcement: %+v", l)
	}
	rec, _ := h.st.Calls().Get(context.Background(), id)
	if rec.HangupCause != "forced" || rec.HangupBy != "agent" {
		t.Fatalf("record: %+v", rec)
	}
}

func TestPhoneDialsOutAndInternal(t *testing.T) {
	h := newHarness(t)
	if _, err := h.net.Dial("1001", "901011112222"); fault.KindOf(err) != fault.Forbidden {
		t.Fatalf("dial without CTI login: %v", err)
	}
	h.ok(h.eng.Login("kim", "support"))
	leg, err := h.net.Dial("1001", "901011112222")
	h.ok(err)
	h.state("kim", agent.Dialing)
	out := h.net.WaitPlaced(t, telephonytest.ToTrunk("01011112222"))
	if h.net.Leg(out).Target.CallerID != "0212345678" {
		t.Fatalf("caller ID %+v", h.net.Leg(out).Target)
	}
	h.net.AnswerLeg(out)
	h.state("kim", agent.OnCall)
	if got := h.hears(leg); got != "leg:"+string(out) {
		t.Fatalf("phone hears %q", got)
	}
	h.net.HangUp(leg)
	h.state("kim", agent.AfterCall)
	h.ok(h.eng.AfterCall("kim", "ready"))

	if _, err := h.net.Dial("1001", "77777"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("unknown number: %v", err)
	}
	// internal to a queue: kim is the caller, lee takes it
	h.ready("lee")
	h.ok(h.eng.SetState("kim", agent.Default, ""))
	_, err = h.net.Dial("1001", "100")
	h.ok(err)
	h.state("kim", agent.Dialing)
	h.connect("lee", "1002")
	h.state("kim", agent.OnCall)
	h.ok(h.eng.Hangup("kim"))
	h.state("kim", agent.AfterCall)
	h.state("lee", agent.AfterCall)
	// internal to an extension whose agent is not logged in to CTI rings the phone directly
	h.ok(h.eng.AfterCall("kim", "ready"))
	_, err = h.net.Dial("1001", "1003")
	h.ok(err)
	pl := h.net.WaitPlaced(t, telephonytest.ToExtension("1003"))
	h.net.AnswerLeg(pl)
	h.state("kim", agent.OnCall)
}

func TestRestartClosesOpenCalls(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	h.call("01011112222")
	h.connect("kim", "1001")
	id := h.eng.View("kim").Call.ID
	// a crash: the engine is gone without ending the call; a new engine starts on the same store
	e2, err := New(Config{Clock: h.clk, Store: h.st, Directory: h.dir, Phone: telephonytest.New()})
	h.ok(err)
	h.ok(e2.Start(context.Background()))
	defer e2.Close()
	rec, _ := h.st.Calls().Get(context.Background(), id)
	if rec.EndedAt == nil || rec.HangupCause != "restart" {
		t.Fatalf("open call not closed at start: %+v", rec)
	}
}

func TestUnknownNumberAndServiceOff(t *testing.T) {
	h := newHarness(t)
	if _, err := h.net.Call("0101", "0999"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("unknown DID: %v", err)
	}
}

func TestWrapUpTimeReturnsToReady(t *testing.T) {
	h := newHarness(t, func(s *site.Site) { s.Services[0].AfterCallSeconds = 10 })
	h.ready("kim")
	cust := h.call("01011112222")
	h.connect("kim", "1001")
	h.net.HangUp(cust)
	h.state("kim", agent.AfterCall)
	h.clk.Advance(9 * time.Second)
	h.state("kim", agent.AfterCall)
	h.clk.Advance(time.Second)
	h.state("kim", agent.Ready)
	// answering the notice first stops the timer
	cust = h.call("01011113333")
	h.connect("kim", "1001")
	h.net.HangUp(cust)
	h.state("kim", agent.AfterCall)
	h.ok(h.eng.AfterCall("kim", "work"))
	h.clk.Advance(time.Minute)
	h.state("kim", agent.Work)
}
