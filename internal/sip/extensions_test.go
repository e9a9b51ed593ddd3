package sip

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// header is the value of a message's header, "" when it has none.
func headerOf(m interface{ GetHeader(string) sip.Header }, name string) string {
	if h := m.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// tokens splits a header value on commas, trimmed and lower-cased.
func tokens(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// TestRequireUnknownIsRefusedWith420: an INVITE (or any other request) that requires an
// extension we do not implement is refused with 420 Bad Extension naming it in Unsupported
// (RFC 3261 §8.2.2.3), the engine hearing nothing of it; one that requires only what we
// implement (100rel, timer) is taken. Fails before issue 15: Require was ignored and the
// INVITE answered 200.
func TestRequireUnknownIsRefusedWith420(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	inv := r.invite("0212345678", "01055556666", sdpOffer(r.port()+2), "Require: made-up, timer", "Require: precondition")
	r.send(inv)
	res := r.response(sip.INVITE, 200)
	if res.StatusCode != 420 {
		t.Fatalf("an INVITE requiring made-up and precondition got %d, want 420", res.StatusCode)
	}
	if got := tokens(headerOf(res, "Unsupported")); strings.Join(got, ",") != "made-up,precondition" {
		t.Fatalf("Unsupported: %q, want made-up and precondition (timer is ours)", headerOf(res, "Unsupported"))
	}
	r.send(r.ack(inv, res))
	e.h.mu.Lock()
	calls := len(e.h.inbound)
	e.h.mu.Unlock()
	if n := len(e.h.all()); n != 0 || calls != 0 {
		t.Fatalf("the engine heard of a refused INVITE: %v", e.h.all())
	}

	// every other method too: out of a dialog, and in one
	for _, method := range []string{"OPTIONS", "REGISTER", "INFO", "MESSAGE"} {
		r.seq++
		r.sendBytes([]byte(fmt.Sprintf("%s sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-req%d\r\n"+
			"From: <sip:1001@127.0.0.1>;tag=f%d\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: req-%d\r\nCSeq: 1 %s\r\n"+
			"Max-Forwards: 70\r\nRequire: sec-agree\r\nContent-Length: 0\r\n\r\n", method, e.addr, r.addr(), r.seq, r.seq, r.seq, method)))
		res := r.response(sip.RequestMethod(method), 200)
		if res.StatusCode != 420 || headerOf(res, "Unsupported") != "sec-agree" {
			t.Errorf("%s requiring sec-agree: %d, Unsupported %q", method, res.StatusCode, headerOf(res, "Unsupported"))
		}
	}

	// what we implement is taken: 100rel (we send no provisional response but 100) and timer
	inv = r.invite("0212345678", "01055556666", sdpOffer(r.port()+2), "Require: 100rel", "Supported: 100rel, timer",
		"Require: timer", "Session-Expires: 1800")
	r.send(inv)
	for {
		m := r.next(5 * time.Second)
		res, ok := m.(*sip.Response)
		if !ok {
			t.Fatal("no answer to an INVITE requiring 100rel and timer")
		}
		if res.StatusCode > 100 && res.StatusCode < 200 {
			t.Fatalf("a %d to an INVITE requiring 100rel: we send no provisional response but 100", res.StatusCode)
		}
		if res.StatusCode < 200 {
			continue
		}
		if res.StatusCode != 200 {
			t.Fatalf("an INVITE requiring 100rel and timer got %d", res.StatusCode)
		}
		r.send(r.ack(inv, res))
		break
	}
	in := e.h.call(t, 1)
	e.s.Hangup(in.Leg, telephony.CauseNormal)
	bye := r.request(sip.BYE)
	r.send(reply(bye, 200, "", nil))
	e.clean()
}

// TestReinviteRequiringUnknownLeavesTheCallUp: inside a call, a re-INVITE or UPDATE that
// requires what we do not implement gets 420 and changes nothing. Fails before issue 15 (the
// re-INVITE was taken, and its sendonly held the call).
func TestReinviteRequiringUnknownLeavesTheCallUp(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	c := r.call(e)
	for _, method := range []sip.RequestMethod{sip.INVITE, sip.UPDATE} {
		res := c.do(c.request(method, sdpDir(r.port()+2, "sendonly"), "Require: precondition"))
		if res.StatusCode != 420 || headerOf(res, "Unsupported") != "precondition" {
			t.Fatalf("%s requiring precondition: %d, Unsupported %q", method, res.StatusCode, headerOf(res, "Unsupported"))
		}
		if method == sip.INVITE {
			r.send(r.ack(c.invite, res)) // harmless: a 420's ACK is the transaction's
		}
	}
	e.h.quiet(t, c.leg, 3*testT1)
	if got := e.h.of(c.leg); len(got) != 0 {
		t.Fatalf("events after refused re-offers: %v", got)
	}
	c.hangup(e)
	e.clean()
}

// TestSupportedIsSaid: OPTIONS, every 2xx and our INVITEs say what we support — 100rel,
// path and timer. Fails before issue 15: only timer, and not in a 200 to REGISTER or BYE.
func TestSupportedIsSaid(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	want := "100rel,path,timer"
	p := e.phone("1001")
	res, err := p.Request(sip.OPTIONS, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tokens(headerOf(res, "Supported")), ","); got != want {
		t.Errorf("OPTIONS: Supported %q", headerOf(res, "Supported"))
	}
	res, err = p.RegisterRequest("1001", passwords["1001"], func(*sip.Request) {})
	if err != nil || res.StatusCode != 200 || strings.Join(tokens(headerOf(res, "Supported")), ",") != want {
		t.Errorf("200 to REGISTER: Supported %q (%v)", headerOf(res, "Supported"), err)
	}
	trunk := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true})
	e.trunkAt(trunk)
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	e.h.wait(t, "out", telephony.Answered)
	if got := strings.Join(tokens(headerOf(trunk.LastInvite(), "Supported")), ","); got != want {
		t.Errorf("our INVITE: Supported %q", got)
	}
	call, err := trunk.DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tokens(headerOf(call.Response, "Supported")), ","); got != want {
		t.Errorf("our 200 to an INVITE: Supported %q", got)
	}
	e.s.Hangup("out", telephony.CauseNormal)
	in := e.h.call(t, 1)
	if err := call.Hangup(); err != nil {
		t.Fatal(err)
	}
	e.h.wait(t, in.Leg, telephony.HungUp)
	e.clean()
}
