package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
)

// connect takes a queued customer to an agent: offer, 확인, the phone rings and answers.
func connect(t *testing.T, a *agent, p *siptest.UA) *siptest.Call {
	t.Helper()
	a.await("offered")
	a.cmd("offer/accept", nil)
	ring := p.Incoming(5 * time.Second)
	ring.Answer()
	a.await("on_call")
	return ring
}

func TestInboundCallOnTheWire(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880, Codec: pcma})
	kim := r.agent("kim")
	kim.ready()
	cust, err := r.trunk.DialFrom(greetDID, customerN)
	if err != nil {
		t.Fatal(err)
	}
	// the greeting first (speech); at its end the call queues, hold audio plays, the offer shows
	h := listen(cust, 2*time.Second)
	if h.Level < 0.01 || siptest.Near(h.Frequency, 660) {
		t.Fatalf("during the greeting the customer heard %s", h)
	}
	v := kim.await("offered")
	if v.Offer.From != customerN {
		t.Fatalf("offer %+v", v.Offer)
	}
	hears(t, "the queued customer", listen(cust, 1500*time.Millisecond), 660)
	kim.cmd("offer/accept", nil)
	ring := kimPhone.Incoming(5 * time.Second)
	if ring.Request.From().Address.User != customerN {
		t.Fatalf("the agent's phone shows %q", ring.Request.From().Address.User)
	}
	ring.Answer()
	v = kim.await("on_call")
	if v.Call == nil || v.Call.Ticket == 0 {
		t.Fatalf("no ticket: %+v", v.Call)
	}
	hears(t, "the customer", listen(cust, time.Second), 880)
	hears(t, "the agent", listen(ring, time.Second), 440)
	var tk struct {
		Service string `json:"service"`
		Phone   string `json:"phone"`
		Calls   []struct {
			Direction string `json:"direction"`
			From      string `json:"from"`
		} `json:"calls"`
	}
	kim.do("GET", fmt.Sprintf("/api/v1/tickets/%d", v.Call.Ticket), nil, 200, &tk)
	if tk.Service != "support" || tk.Phone != customerN || len(tk.Calls) != 1 || tk.Calls[0].Direction != "inbound" {
		t.Fatalf("ticket %+v", tk)
	}
	cust.Hangup()
	kim.await("after_call")
	if !ring.WaitEnded(5 * time.Second) {
		t.Fatal("the agent's phone was not hung up")
	}
}

func TestRejectAndRingTimeoutRecallWithoutTheCustomerNoticing(t *testing.T) {
	r := newRig(t, func(s *site.Site) { s.Services[0].RecallSeconds = 5 })
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880})
	leePhone := r.phone("lee", "1002", siptest.Options{Tone: 550})
	kim, lee := r.agent("kim"), r.agent("lee")
	kim.ready()
	lee.ready()
	cust, err := r.trunk.DialFrom(did, customerN)
	if err != nil {
		t.Fatal(err)
	}
	// kim is longest idle: offered; 취소 recalls to lee at once
	kim.await("offered")
	kim.cmd("offer/reject", nil)
	kim.await("ready")
	lee.await("offered")
	// lee confirms but lets the phone ring past the recall time: the phone is CANCELled,
	// lee goes to 휴식, and the call waits (kim refused it) with the customer on hold music
	lee.cmd("offer/accept", nil)
	ring := leePhone.Incoming(5 * time.Second)
	if !ring.WaitEnded(8 * time.Second) {
		t.Fatal("the ringing phone was not cancelled at the recall time")
	}
	lee.await("break")
	hears(t, "the customer", listen(cust, time.Second), 660)
	if cust.Ended() {
		t.Fatal("the customer noticed")
	}
	_ = kimPhone
	cust.Hangup()
}

func TestAutoAcceptHoldAndForcedHangup(t *testing.T) {
	r := newRig(t, func(s *site.Site) { s.Agents[0].AutoAccept = true })
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880, AutoAnswer: true})
	kim := r.agent("kim")
	kim.ready()
	cust, err := r.trunk.DialFrom(did, customerN)
	if err != nil {
		t.Fatal(err)
	}
	kim.await("on_call") // auto_accept rang the phone at once; the phone answered itself
	_ = kimPhone
	kim.cmd("hold", nil)
	kim.await("held")
	hears(t, "the held customer", listen(cust, 1500*time.Millisecond), 660)
	kim.cmd("unhold", nil)
	hears(t, "the customer after 해제", listen(cust, time.Second), 880)
	// 강성종료: the announcement (speech) plays, then the customer is hung up
	kim.cmd("forced-hangup", nil)
	kim.await("after_call")
	h := listen(cust, 1500*time.Millisecond)
	if h.Level < 0.01 || siptest.Near(h.Frequency, 880) {
		t.Fatalf("during the announcement the customer heard %s", h)
	}
	if cust.Ended() {
		t.Fatal("hung up before the announcement ended")
	}
	if !cust.WaitEnded(8 * time.Second) {
		t.Fatal("the customer was not hung up after the announcement")
	}
}

func TestConsultTransfers(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880})
	leePhone := r.phone("lee", "1002", siptest.Options{Tone: 550})
	kim, lee := r.agent("kim"), r.agent("lee")
	kim.ready()
	cust, err := r.trunk.DialFrom(did, customerN)
	if err != nil {
		t.Fatal(err)
	}
	kring := connect(t, kim, kimPhone)
	// to an agent: 협의통화, lee confirms and answers, kim talks to lee, 고객연결
	lee.ready()
	kim.cmd("consult", map[string]string{"target": "agent:lee"})
	hears(t, "the customer during the consult", listen(cust, time.Second), 660)
	lring := connect(t, lee, leePhone)
	kim.await("consulting")
	hears(t, "kim in the consult", listen(kring, time.Second), 550)
	kim.cmd("consult/complete", nil)
	kim.await("after_call")
	hears(t, "the customer after 고객연결", listen(cust, time.Second), 550)
	hears(t, "lee after 고객연결", listen(lring, time.Second), 440)
	if !kring.WaitEnded(5 * time.Second) {
		t.Fatal("kim's phone stayed up")
	}
	// lee consults an outside number through the trunk, then cancels: back to hold, then 해제
	lee.cmd("consult", map[string]string{"target": "901099998888"})
	lee.await("consulting")
	inv := r.trunk.LastInvite()
	if inv.Recipient.User != "01099998888" || inv.From().Address.User != callerID {
		t.Fatalf("consult INVITE to %s from %s", inv.Recipient.User, inv.From().Address.User)
	}
	hears(t, "lee talking to the outside number", listen(lring, time.Second), 440)
	lee.cmd("consult/cancel", nil)
	lee.await("held")
	lee.cmd("unhold", nil)
	hears(t, "the customer back with lee", listen(cust, time.Second), 550)
	// and to a queue: park takes it
	parkPhone := r.phone("park", "1003", siptest.Options{Tone: 770})
	park := r.agent("park")
	park.ready()
	lee.cmd("consult", map[string]string{"target": "200"})
	pring := connect(t, park, parkPhone)
	lee.await("consulting")
	lee.cmd("consult/complete", nil)
	hears(t, "the customer after the queue transfer", listen(cust, time.Second), 770)
	cust.Hangup()
	park.await("after_call")
	_ = pring
}

func TestBYEDuringConsultKeepsTheConsultLeg(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880})
	kim := r.agent("kim")
	kim.ready()
	cust, _ := r.trunk.DialFrom(did, customerN)
	kring := connect(t, kim, kimPhone)
	kim.cmd("consult", map[string]string{"target": "901099998888"})
	kim.await("consulting")
	cust.Hangup() // the customer leaves during the consult
	time.Sleep(300 * time.Millisecond)
	if v := kim.view(); v.State != "consulting" {
		t.Fatalf("kim is %s, want still consulting", v.State)
	}
	hears(t, "kim still in the consult", listen(kring, time.Second), 440)
	kim.cmd("consult/cancel", nil)
	kim.await("after_call")
}

func TestOutboundDialAndPhoneDialling(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880, AutoAnswer: true})
	kim := r.agent("kim")
	kim.ready()
	b := kim.do("POST", "/api/v1/cti/dial", map[string]string{"number": "01077778888", "caller_id": "0299998888"}, 422, nil)
	if !strings.Contains(string(b), "invalid_caller_id") {
		t.Fatalf("unregistered caller ID: %s", b)
	}
	kim.cmd("dial", map[string]string{"number": "01077778888", "caller_id": callerID})
	kim.await("on_call") // the agent's phone rang first (and answered), then the trunk
	inv := r.trunk.LastInvite()
	if inv.Recipient.User != "01077778888" || inv.From().Address.User != callerID ||
		!strings.Contains(inv.GetHeader("P-Asserted-Identity").Value(), "sip:"+callerID+"@") {
		t.Fatalf("trunk saw INVITE %s From %s", inv.Recipient.String(), inv.From().Value())
	}
	kim.cmd("hangup", nil)
	kim.await("after_call")
	kim.cmd("after-call", map[string]string{"action": "ready"})
	// the phone dials a number itself: out through the trunk with the first registered caller ID
	call, err := kimPhone.Dial("901033334444")
	if err != nil {
		t.Fatal(err)
	}
	kim.await("on_call")
	hears(t, "kim's phone dialling out", listen(call, time.Second), 440)
	if inv := r.trunk.LastInvite(); inv.Recipient.User != "01033334444" || inv.From().Address.User != callerID {
		t.Fatalf("phone dial reached the trunk as %s from %s", inv.Recipient.User, inv.From().Address.User)
	}
	call.Hangup()
	kim.await("after_call")
}

func TestRefusalsLeaveCallsUp(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880})
	kim := r.agent("kim")
	kim.ready()
	cust, _ := r.trunk.DialFrom(did, customerN)
	kring := connect(t, kim, kimPhone)
	bad := siptest.NewPhone(t, r.sip, "1002", "wrong", siptest.Options{})
	if code, _ := bad.Register(600); code != 403 {
		t.Fatalf("wrong SIP password: %d", code)
	}
	ghost := siptest.NewPhone(t, r.sip, "1999", "x", siptest.Options{})
	if code, _ := ghost.Register(600); code != 403 {
		t.Fatalf("unknown extension: %d", code)
	}
	if _, err := r.trunk.DialFrom("0999999999", customerN); siptest.CodeOf(err) != 404 {
		t.Fatalf("unknown number: %v", err)
	}
	// the call already up still carries audio both ways
	hears(t, "the customer through the refusals", listen(cust, time.Second), 880)
	hears(t, "the agent through the refusals", listen(kring, time.Second), 440)
}

func TestCustomerHangsUpWhileAgentPhoneRings(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{})
	kim := r.agent("kim")
	kim.ready()
	cust, _ := r.trunk.DialFrom(did, customerN)
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	ring := kimPhone.Incoming(5 * time.Second)
	cust.Hangup()
	if !ring.WaitEnded(5 * time.Second) {
		t.Fatal("the agent's phone kept ringing after the customer left")
	}
	kim.await("ready")
}

func TestPhoneDialsAnExtensionAndAQueue(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880})
	leePhone := r.phone("lee", "1002", siptest.Options{Tone: 550, AutoAnswer: true})
	kim := r.agent("kim")
	kim.ready()
	// lee is not logged in to CTI: dialling 1002 rings lee's phone directly
	call, err := kimPhone.Dial("1002")
	if err != nil {
		t.Fatal(err)
	}
	kim.await("on_call")
	hears(t, "kim calling lee's extension", listen(call, time.Second), 550)
	call.Hangup()
	kim.await("after_call")
	kim.cmd("after-call", map[string]string{"action": "ready"})
	// dialling the queue: kim waits like a customer (hold music) until lee, ready, takes it
	leePhone.AutoAnswer = false
	lee := r.agent("lee")
	call, err = kimPhone.Dial("100")
	if err != nil {
		t.Fatal(err)
	}
	hears(t, "kim waiting in the queue", listen(call, 1500*time.Millisecond), 660)
	lee.ready()
	lring := connect(t, lee, leePhone)
	kim.await("on_call")
	hears(t, "kim through the queue", listen(call, time.Second), 550)
	hears(t, "lee", listen(lring, time.Second), 880)
	call.Hangup()
	lee.await("after_call")
}

func TestMetrics(t *testing.T) {
	r := newRig(t)
	r.phone("kim", "1001", siptest.Options{})
	kim := r.agent("kim")
	kim.ready()
	cust, _ := r.trunk.DialFrom(did, customerN)
	defer cust.Hangup()
	kim.await("offered")
	b := string(kim.do("GET", "/metrics", nil, 200, nil))
	for _, want := range []string{"ringdesk_calls_live 1", "ringdesk_agents_logged_in 1", "ringdesk_sip_registrations 1", "ringdesk_rtp_sessions 1", "go_heap_live_bytes",
		// the queue's figures, from the engine and the event log
		`ringdesk_queue_offered_total{service="support",queue="100"} 1`, `ringdesk_queue_waiting{service="support",queue="100"} 0`,
		`ringdesk_queue_agents{service="support",queue="100",state="on_call"} 1`} {
		if !strings.Contains(b, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
}
