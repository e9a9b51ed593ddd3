package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// TestTrunkOutboundProxy: a trunk that names an outbound proxy is reached through it: our
// INVITE and our OPTIONS probe go to the proxy with it as a loose Route, the trunk's host
// staying in the Request-URI. Fails before issue 15 (a trunk had no outbound proxy: the
// INVITE went to the trunk's host, here a name that resolves nowhere).
func TestTrunkOutboundProxy(t *testing.T) {
	e := newEnv(t)
	proxy := newRaw(t, e.addr)
	st := testSite(0)
	st.Trunks[0].Host, st.Trunks[0].Port = "core.carrier.invalid", 5060
	st.Trunks[0].OutboundProxy = "sip:" + proxy.addr()
	e.s.SetSite(st)
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	inv := proxy.request(sip.INVITE)
	if inv.Recipient.Host != "core.carrier.invalid" || inv.Recipient.User != "0101" {
		t.Fatalf("Request-URI %s, want the trunk's", inv.Recipient.String())
	}
	if r := headerOf(inv, "Route"); !strings.Contains(r, proxy.addr()) || !strings.Contains(r, ";lr") {
		t.Fatalf("Route %q, want the outbound proxy, loose", r)
	}
	proxy.send(reply(inv, 486, "c", nil))
	e.h.wait(t, "out", telephony.Failed)

	e.s.probeTrunks()
	opt := proxy.request(sip.OPTIONS)
	if opt.Recipient.Host != "core.carrier.invalid" || !strings.Contains(headerOf(opt, "Route"), proxy.addr()) {
		t.Fatalf("probe to %s with Route %q", opt.Recipient.String(), headerOf(opt, "Route"))
	}
	proxy.send(reply(opt, 200, "c", nil))
	e.clean()
}

// TestTrunkOverTCP: a trunk whose transport is tcp is called, answered and hung up over TCP.
// Fails before issue 15 (every trunk was UDP).
func TestTrunkOverTCP(t *testing.T) {
	e := newEnv(t)
	trunk := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true, Transport: "TCP"})
	e.trunkAt(trunk, func(tr *site.Trunk) { tr.Transport = "tcp" })
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	e.h.wait(t, "out", telephony.Answered)
	inv := trunk.LastInvite()
	if !strings.EqualFold(inv.Transport(), "TCP") || !strings.EqualFold(inv.Via().Transport, "TCP") {
		t.Fatalf("INVITE came over %s (Via %s)", inv.Transport(), inv.Via().Transport)
	}
	e.s.Hangup("out", telephony.CauseNormal)
	deadline := time.Now().Add(5 * time.Second)
	for trunk.Calls() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	e.clean()
}

// TestTrunkOverTLSWithoutTLSIsRefusedClearly: a TLS trunk on a server without SIP over TLS
// fails the call at once (503) instead of sending it in the clear.
func TestTrunkOverTLSWithoutTLSIsRefusedClearly(t *testing.T) {
	e := newEnv(t)
	trunk := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true})
	e.trunkAt(trunk, func(tr *site.Trunk) { tr.Transport = "tls" })
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	if ev := e.h.wait(t, "out", telephony.Failed); ev.Code != 503 {
		t.Fatalf("failed with %d", ev.Code)
	}
	if trunk.Calls() != 0 {
		t.Fatal("a TLS trunk was called in the clear")
	}
	e.clean()
}
