package security_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// A phone's authenticated INVITE, captured on the wire and sent again from another address —
// to other numbers, and unchanged — gets a fresh challenge, never a call on the company's
// trunk; sent again from the phone's own address it is a replay all the same. A captured
// REGISTER replayed with the attacker's Contact binds nothing. The phone itself goes on
// calling and registering.
//
// Fails on today's code (before issue 9): each replayed INVITE was placed to the carrier under
// the company's caller ID, and the replayed REGISTER bound the attacker's address to 1001.
func TestSIPDigestReplayGetsAChallenge(t *testing.T) {
	s, carrier := startSIP(t)
	kim := ctiReady(t, s, "kim", "kim-pw")
	phone := newPeer(t, "127.0.0.2", s.SIP)
	attacker := newPeer(t, "127.0.0.3", s.SIP)

	// the phone calls out; the carrier is busy
	placeCall := func(number string) message {
		t.Helper()
		inv, res := phone.authenticated(phone.invite("1001", "9"+number), "1001", sipPasswords["1001"])
		if res == nil || res.StatusCode != 200 {
			t.Fatalf("the phone's own call: %v", res)
		}
		phone.send(ack(inv, res))
		waitFor(t, 10*time.Second, "the phone's call at the carrier", func() bool { return slices.Contains(carrier.invites(), number) })
		return inv
	}
	captured := placeCall("01011112222")

	// the attacker sends the captured INVITE again: to other numbers, and as it was
	replays := map[string]message{}
	for _, number := range []string{"01033334444", "01055556666", "01011112222"} {
		r := captured.with("Via", fmt.Sprintf("SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", attacker.addr(), tag())).
			with("Call-ID", tag()+"@attacker").with("Contact", "<sip:1001@"+attacker.addr()+">").
			with("To", "<sip:9"+number+"@127.0.0.1>")
		r.start = "INVITE sip:9" + number + "@" + s.SIP + " SIP/2.0"
		replays["to "+number] = r
	}
	replays["unchanged"] = captured.with("Via", fmt.Sprintf("SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", attacker.addr(), tag())).
		with("Call-ID", tag()+"@attacker")
	for name, r := range replays {
		ready(t, s, kim)
		attacker.send(r)
		res := attacker.final(r, 5*time.Second)
		if res == nil || res.StatusCode != 407 {
			t.Errorf("replayed INVITE %s from another address: %v, want a fresh 407", name, res)
		}
		if res != nil && res.StatusCode == 200 {
			attacker.send(ack(r, res))
		}
	}
	// from the phone's own address, its nonce count already used
	ready(t, s, kim)
	again := captured.with("Via", fmt.Sprintf("SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", phone.addr(), tag())).
		with("Call-ID", tag()+"@phone")
	phone.send(again)
	if res := phone.final(again, 5*time.Second); res == nil || res.StatusCode != 407 {
		t.Errorf("the captured INVITE replayed from the phone's address: %v, want a fresh 407", res)
	} else if res.StatusCode == 200 {
		phone.send(ack(again, res))
	}

	// the phone calls again, and that call is the only other one the carrier ever saw
	ready(t, s, kim)
	placeCall("01099990000")
	if got := carrier.invites(); !slices.Equal(got, []string{"01011112222", "01099990000"}) {
		t.Errorf("the carrier was called for %v; want only the phone's two calls", got)
	}

	// a captured REGISTER, replayed with the attacker's Contact
	contact := "<sip:1001@" + phone.addr() + ">"
	callID := "reg-" + tag()
	reg, res := phone.authenticated(phone.register("1001", contact, callID, 1), "1001", sipPasswords["1001"])
	if res == nil || res.StatusCode != 200 {
		t.Fatalf("the phone registers: %v", res)
	}
	hijack := reg.with("Via", fmt.Sprintf("SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", attacker.addr(), tag())).
		with("Contact", "<sip:1001@"+attacker.addr()+">").with("CSeq", "5 REGISTER")
	attacker.send(hijack)
	if res := attacker.final(hijack, 5*time.Second); res == nil || res.StatusCode != 401 {
		t.Errorf("replayed REGISTER with the attacker's Contact: %v, want a fresh 401", res)
	}
	// the phone's next registration lists who is bound to 1001: the phone alone
	_, res = phone.authenticated(phone.register("1001", contact, callID, 10), "1001", sipPasswords["1001"])
	if res == nil || res.StatusCode != 200 {
		t.Fatalf("the phone registers again: %v", res)
	}
	for _, h := range res.GetHeaders("Contact") {
		if strings.Contains(h.Value(), attacker.host()) {
			t.Errorf("the attacker is bound to 1001: %s", h.Value())
		}
	}
}
