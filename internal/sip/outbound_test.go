package sip

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/media"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// TestPlaceToPhoneBridgeAndHangups: the engine rings an agent's phone with the customer's
// number, the phone answers, the two legs are bridged across PCMU and PCMA, the phone's own
// hold is reported, and each hang-up goes where it should.
func TestPlaceToPhoneBridgeAndHangups(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	kim := e.phone("1001", siptest.Options{Tone: 880, Codec: media.PCMA})
	cust, err := siptest.NewTrunk(t, e.addr, siptest.Options{Tone: 440}).DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	in := e.h.call(t, 1)
	e.s.Place("agent-1", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001", CallerID: "0101"})
	ring := kim.Incoming(5 * time.Second)
	e.h.wait(t, "agent-1", telephony.Ringing)
	if from := ring.From(); from != "0101" {
		t.Fatalf("the phone shows %q, want the customer's number", from)
	}
	if err := ring.Answer(); err != nil {
		t.Fatal(err)
	}
	e.h.wait(t, "agent-1", telephony.Answered)
	e.s.Bridge(in.Leg, "agent-1")
	hc, ha := cust.Listen(time.Second), ring.Listen(time.Second)
	if !hc.Is(880) || !ha.Is(440) {
		t.Fatalf("customer heard %s, agent heard %s, across a PCMU↔PCMA bridge", hc, ha)
	}
	if err := ring.Hold(); err != nil {
		t.Fatalf("hold: %v", err)
	}
	e.h.wait(t, "agent-1", telephony.Held)
	if err := ring.Resume(); err != nil {
		t.Fatalf("resume: %v", err)
	}
	e.h.wait(t, "agent-1", telephony.Resumed)
	ring.Hangup()
	e.h.wait(t, "agent-1", telephony.HungUp)
	e.s.Hangup(in.Leg, telephony.CauseNormal)
	if !cust.WaitEnded(5 * time.Second) {
		t.Fatal("the customer was not hung up")
	}
	e.clean()
}

// TestPlaceFailuresAndCancel: an unregistered extension, a busy phone, a CANCEL while it rings
// (nothing reported after the engine's own hang-up), and the phone answering as the engine
// cancels (the answered leg is ended with BYE).
func TestPlaceFailuresAndCancel(t *testing.T) {
	e := newEnv(t)
	e.s.Place("nobody", telephony.Target{Kind: telephony.TargetExtension, Extension: "1002"})
	if ev := e.h.wait(t, "nobody", telephony.Failed); ev.Cause != telephony.CauseUnavailable || ev.Code != 480 {
		t.Fatalf("unregistered: %+v", ev)
	}
	kim := e.phone("1001")
	e.s.Place("busy", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
	kim.Incoming(5 * time.Second).Decline(486)
	if ev := e.h.wait(t, "busy", telephony.Failed); ev.Cause != telephony.CauseBusy {
		t.Fatalf("declined: %+v", ev)
	}
	e.s.Place("cancel", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
	c := kim.Incoming(5 * time.Second)
	e.h.wait(t, "cancel", telephony.Ringing)
	e.s.Hangup("cancel", telephony.CauseCancelled)
	if !c.WaitEnded(5 * time.Second) {
		t.Fatal("the phone kept ringing after CANCEL")
	}
	e.h.quiet(t, "cancel", 300*time.Millisecond)
	for i := range 5 {
		id := telephony.LegID(fmt.Sprint("race-", i))
		e.s.Place(id, telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
		c := kim.Incoming(5 * time.Second)
		e.h.wait(t, id, telephony.Ringing)
		go c.Answer()
		e.s.Hangup(id, telephony.CauseCancelled)
		if !c.WaitEnded(10 * time.Second) {
			t.Fatalf("race %d: the phone's call was left up", i)
		}
	}
	e.clean()
}

// TestOutboundThroughTrunkCarriesCallerID: the trunk's INVITE is for the number without the
// prefix's routing, From and P-Asserted-Identity carry the chosen caller ID.
func TestOutboundThroughTrunkCarriesCallerID(t *testing.T) {
	e := newEnv(t)
	carrier := siptest.NewTrunk(t, e.addr, siptest.Options{Tone: 550, AutoAnswer: true})
	e.trunkAt(carrier)
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "01077778888", CallerID: "0212345678"})
	e.h.wait(t, "out", telephony.Answered)
	inv := carrier.LastInvite()
	if inv.Recipient.User != "01077778888" || inv.From().Address.User != "0212345678" {
		t.Fatalf("INVITE %s From %s", inv.Recipient.String(), inv.From().Value())
	}
	if pai := inv.GetHeader("P-Asserted-Identity"); pai == nil || !strings.Contains(pai.Value(), "sip:0212345678@") {
		t.Fatalf("P-Asserted-Identity %v", pai)
	}
	e.s.Hangup("out", telephony.CauseNormal)
	e.clean()
}

// TestPhoneDialsAuthenticated: a registered phone's INVITE is challenged, answered with its
// credentials and reaches the engine as that extension's call.
func TestPhoneDialsAuthenticated(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	call, err := e.phone("1001").Dial("901012345678")
	if err != nil {
		t.Fatal(err)
	}
	if d := e.h.phoneCall(t, 1); d.Extension != "1001" || d.To != "901012345678" {
		t.Fatalf("dialled %+v", d)
	}
	call.Hangup()
	e.clean()
}

// TestPhoneWithWrongPasswordCannotDial: registering is not enough; every INVITE proves the
// secret, and a wrong one is refused before the engine hears of it.
func TestPhoneWithWrongPasswordCannotDial(t *testing.T) {
	e := newEnv(t)
	kim := siptest.NewPhone(t, e.addr, "1001", "wrong")
	if code, _ := kim.RegisterAs("1001", passwords["1001"], 600); code != 200 {
		t.Fatal("register")
	}
	if _, err := kim.Dial("901012345678"); siptest.CodeOf(err) != 403 {
		t.Fatalf("a phone with a wrong password: %v, want 403", err)
	}
	if n := len(e.h.dialled); n != 0 {
		t.Fatalf("the engine heard %d refused calls", n)
	}
	e.clean()
}

// TestCallerFromNoTrunkIsRefused: an INVITE from an address no trunk allows and that is no
// phone is refused with 403.
func TestCallerFromNoTrunkIsRefused(t *testing.T) {
	e := newEnv(t)
	st := testSite(0, "10.0.0.0/8")
	e.s.SetSite(st)
	if _, err := siptest.NewTrunk(t, e.addr).DialFrom("0212345678", "0101"); siptest.CodeOf(err) != 403 {
		t.Fatalf("a caller from no trunk: %v, want 403", err)
	}
	e.clean()
}

// TestGarbageAndMalformedSDP: bytes that are not SIP are dropped, an INVITE whose SDP cannot
// be read gets 400, and a normal call still works afterwards.
func TestGarbageAndMalformedSDP(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	conn, err := net.Dial("udp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("\x00\x01garbage that is not SIP at all\r\n\r\n"))
	conn.Write([]byte("INVITE sip:0212345678@127.0.0.1 SIP/2.0\r\nVia: nonsense\r\n\r\n"))
	conn.Close()
	r := newRaw(t, e.addr)
	r.send(r.invite("0212345678", "0101", []byte("hello")))
	if res := r.response("INVITE", 200); res.StatusCode != 400 {
		t.Fatalf("malformed SDP answered %d, want 400", res.StatusCode)
	}
	call, err := siptest.NewTrunk(t, e.addr).DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatalf("a normal call after garbage: %v", err)
	}
	call.Hangup()
	e.clean()
}

// TestOptionsAndCarrierAuthentication: OPTIONS is answered with what we allow; a carrier that
// challenges gets the trunk's credentials, and a wrong password fails the call instead of
// looping.
func TestOptionsAndCarrierAuthentication(t *testing.T) {
	e := newEnv(t)
	if code, allow, err := siptest.NewTrunk(t, e.addr).Options(); err != nil || code != 200 || !strings.Contains(allow, "INVITE") {
		t.Fatalf("OPTIONS: %d %q %v", code, allow, err)
	}
	carrier := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true})
	carrier.RequireAuth("acct", "carrier-secret")
	e.trunkAt(carrier, func(tr *site.Trunk) { tr.Username, tr.Password = "acct", "carrier-secret" })
	e.s.Place("auth-out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	e.h.wait(t, "auth-out", telephony.Answered)
	if n := carrier.Challenged(); n < 1 {
		t.Fatal("the carrier never challenged")
	}
	e.s.Hangup("auth-out", telephony.CauseNormal)
	e.trunkAt(carrier, func(tr *site.Trunk) { tr.Username, tr.Password = "acct", "wrong" })
	e.s.Place("auth-bad", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	if ev := e.h.wait(t, "auth-bad", telephony.Failed); ev.Code != 401 && ev.Code != 403 {
		t.Fatalf("wrong carrier password: %+v", ev)
	}
	e.clean()
}

// TestPhoneBehindNATIsReachedAtItsSource: a phone announcing a private address in Contact is
// rung at the address its REGISTER came from, with its contact as the Request-URI.
func TestPhoneBehindNATIsReachedAtItsSource(t *testing.T) {
	e := newEnv(t)
	kim := e.phone("1001", siptest.Options{ContactHost: "192.168.77.5"})
	e.s.Place("nat", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
	c := kim.Incoming(5 * time.Second)
	if c.Request.Recipient.Host != "192.168.77.5" {
		t.Fatalf("Request-URI %s, want the registered contact", c.Request.Recipient.String())
	}
	e.s.Hangup("nat", telephony.CauseCancelled)
	if !c.WaitEnded(5 * time.Second) {
		t.Fatal("the phone kept ringing")
	}
	e.clean()
}

// TestPhoneBehindNATIsHeard: a phone whose SDP names a private address sends its audio from
// another: the media layer takes it only because the SIP layer vouches for the phone's
// signalling address (strict latching refuses anyone else's packets).
func TestPhoneBehindNATIsHeard(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	kim := e.phone("1001", siptest.Options{Tone: 880, ContactHost: "192.168.77.5", SDPHost: "192.168.77.5"})
	cust, err := siptest.NewTrunk(t, e.addr, siptest.Options{Tone: 440}).DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	in := e.h.call(t, 1)
	e.s.Place("agent-nat", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
	ring := kim.Incoming(5 * time.Second)
	if err := ring.Answer(); err != nil {
		t.Fatal(err)
	}
	e.h.wait(t, "agent-nat", telephony.Answered)
	e.s.Bridge(in.Leg, "agent-nat")
	if hc, ha := cust.Listen(time.Second), ring.Listen(time.Second); !hc.Is(880) || !ha.Is(440) {
		t.Fatalf("customer heard %s, NAT'd agent heard %s", hc, ha)
	}
	ring.Hangup()
	e.s.Hangup(in.Leg, telephony.CauseNormal)
	e.clean()
}
