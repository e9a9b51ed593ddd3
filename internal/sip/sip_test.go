package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/media"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// handler is the engine's part, scripted: it records what the network asks and reports.
type handler struct {
	mu       sync.Mutex
	inbound  []telephony.InboundCall
	dialled  []telephony.PhoneCall
	events   chan telephony.Event
	onIn     func(telephony.InboundCall) error
	onDialed func(telephony.PhoneCall) error
}

func newHandler() *handler { return &handler{events: make(chan telephony.Event, 100)} }

func (h *handler) Inbound(c telephony.InboundCall) error {
	h.mu.Lock()
	h.inbound = append(h.inbound, c)
	f := h.onIn
	h.mu.Unlock()
	if f != nil {
		return f(c)
	}
	return nil
}

func (h *handler) Dialled(c telephony.PhoneCall) error {
	h.mu.Lock()
	h.dialled = append(h.dialled, c)
	f := h.onDialed
	h.mu.Unlock()
	if f != nil {
		return f(c)
	}
	return nil
}

func (h *handler) Report(e telephony.Event) { h.events <- e }

func (h *handler) wait(t *testing.T, leg telephony.LegID, kind telephony.EventKind) telephony.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-h.events:
			if e.Leg == leg && e.Kind == kind {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s for %s", kind, leg)
		}
	}
}

func (h *handler) setIn(f func(telephony.InboundCall) error) {
	h.mu.Lock()
	h.onIn = f
	h.mu.Unlock()
}

func (h *handler) setDialled(f func(telephony.PhoneCall) error) {
	h.mu.Lock()
	h.onDialed = f
	h.mu.Unlock()
}

func (h *handler) lastInbound() telephony.InboundCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inbound[len(h.inbound)-1]
}

type env struct {
	t   *testing.T
	s   *Server
	h   *handler
	m   *media.Manager
	url string
}

var portBase = 24000

func newEnv(t *testing.T, allow ...string) *env {
	if len(allow) == 0 {
		allow = []string{"127.0.0.1/32"}
	}
	portBase += 400
	m, err := media.NewManager(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: portBase, PortMax: portBase + 398}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler()
	s, err := New(Config{Listen: "127.0.0.1:0"}, h, m)
	if err != nil {
		t.Fatal(err)
	}
	st := &site.Site{
		Agents: []site.Agent{
			{Login: "kim", Extension: "1001", SIPHA1: auth.SIPHA1("1001", "s1p"), SIPHA1SHA256: auth.SIPHA1SHA256("1001", "s1p")},
			{Login: "lee", Extension: "1002", SIPHA1: auth.SIPHA1("1002", "s2p"), SIPHA1SHA256: auth.SIPHA1SHA256("1002", "s2p")},
		},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Allow: allow, Prefix: "9"}},
	}
	s.SetSite(st)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, h: h, m: m, url: s.Addr()}
	t.Cleanup(func() {
		s.Close()
		m.Close()
	})
	return e
}

// trunkAt points the trunk at a UA, so outbound calls reach it.
func (e *env) trunkAt(ua *siptest.UA, allow ...string) {
	host, port, _ := net.SplitHostPort(ua.Addr())
	p := 0
	fmt.Sscan(port, &p)
	if len(allow) == 0 {
		allow = []string{"127.0.0.1/32"}
	}
	e.s.SetSite(&site.Site{
		Agents: []site.Agent{
			{Login: "kim", Extension: "1001", SIPHA1: auth.SIPHA1("1001", "s1p"), SIPHA1SHA256: auth.SIPHA1SHA256("1001", "s1p")},
			{Login: "lee", Extension: "1002", SIPHA1: auth.SIPHA1("1002", "s2p"), SIPHA1SHA256: auth.SIPHA1SHA256("1002", "s2p")},
		},
		Trunks: []site.Trunk{{ID: "carrier", Host: host, Port: p, Allow: allow, Prefix: "9"}},
	})
}

func TestRegistrar(t *testing.T) {
	e := newEnv(t)
	kim := siptest.NewPhone(t, e.url, "1001", "s1p", siptest.Options{})
	if code, err := kim.RegisterAs("1001", "", 600); err != nil || code != 401 {
		t.Fatalf("no credentials: %d %v, want a 401 challenge", code, err)
	}
	if code, _ := kim.RegisterAs("1001", "wrong", 600); code != 403 {
		t.Fatalf("wrong password: %d, want 403", code)
	}
	if code, _ := kim.RegisterAs("1999", "s1p", 600); code != 403 {
		t.Fatalf("unknown extension: %d, want 403", code)
	}
	if e.s.Registered("1001") {
		t.Fatal("registered after refusals")
	}
	if code, err := kim.Register(600); err != nil || code != 200 {
		t.Fatalf("register: %d %v", code, err)
	}
	if !e.s.Registered("1001") {
		t.Fatal("not registered")
	}
	if code, _ := kim.Register(10); code != 423 {
		t.Fatalf("too brief: %d, want 423", code)
	}
	if code, _ := kim.Register(0); code != 200 || e.s.Registered("1001") {
		t.Fatalf("unregister: %d, still registered %v", code, e.s.Registered("1001"))
	}
	tcp := siptest.NewPhone(t, e.url, "1002", "s2p", siptest.Options{Transport: "TCP"})
	if code, err := tcp.Register(600); err != nil || code != 200 {
		t.Fatalf("register over TCP: %d %v", code, err)
	}
}

func TestInboundFromTrunkAnsweredWithHoldAudio(t *testing.T) {
	e := newEnv(t)
	legs := make(chan telephony.LegID, 1)
	e.h.setIn(func(c telephony.InboundCall) error {
		legs <- c.Leg
		go func() {
			e.s.Answer(c.Leg)
			e.s.Play(c.Leg, telephony.AudioHold, true)
		}()
		return nil
	})
	carrier := siptest.NewTrunk(t, e.url, siptest.Options{Tone: 440})
	call, err := carrier.DialFrom("0212345678", "01055556666")
	if err != nil {
		t.Fatal(err)
	}
	in := e.h.lastInbound()
	if in.To != "0212345678" || in.From != "01055556666" || in.Trunk != "carrier" {
		t.Fatalf("inbound %+v", in)
	}
	heard := call.Listen(1500 * time.Millisecond)
	if !siptest.Near(heard.Frequency, 660) || heard.Level < 0.05 {
		t.Fatalf("caller heard %s, want hold music ~660 Hz", heard)
	}
	call.Hangup()
	e.h.wait(t, <-legs, telephony.HungUp)
	time.Sleep(50 * time.Millisecond)
	if e.s.Legs() != 0 || e.m.PortsInUse() != 0 {
		t.Fatalf("leaked: %d legs, %d ports", e.s.Legs(), e.m.PortsInUse())
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t, "10.0.0.0/8") // loopback is not a trunk here
	stranger := siptest.NewTrunk(t, e.url, siptest.Options{})
	if _, err := stranger.DialFrom("0212345678", "0101"); siptest.CodeOf(err) != 403 {
		t.Fatalf("a caller from no trunk: %v, want 403", err)
	}
	e2 := newEnv(t)
	e2.h.setIn(func(c telephony.InboundCall) error {
		return &telephony.Refusal{Code: 404, Reason: "no such number", Err: telephony.ErrUnknownNumber}
	})
	carrier := siptest.NewTrunk(t, e2.url, siptest.Options{})
	if _, err := carrier.DialFrom("0999", "0101"); siptest.CodeOf(err) != 404 {
		t.Fatalf("unknown number: %v, want 404", err)
	}
	// a phone must authenticate its INVITE
	kim := siptest.NewPhone(t, e2.url, "1001", "wrong", siptest.Options{})
	if code, _ := kim.RegisterAs("1001", "s1p", 600); code != 200 {
		t.Fatal("register")
	}
	if _, err := kim.Dial("901012345678"); siptest.CodeOf(err) != 403 {
		t.Fatalf("phone with a wrong password: %v, want 403", err)
	}
	if e2.s.Legs() != 0 || e2.m.PortsInUse() != 0 {
		t.Fatalf("refusals leaked: %d legs, %d ports", e2.s.Legs(), e2.m.PortsInUse())
	}
}

func TestMalformedSDPAndGarbage(t *testing.T) {
	e := newEnv(t)
	e.h.setIn(func(c telephony.InboundCall) error { go e.s.Answer(c.Leg); return nil })
	// raw UDP garbage and a broken INVITE must not hurt the server
	conn, _ := net.Dial("udp", e.url)
	conn.Write([]byte("\x00\x01garbage that is not SIP at all\r\n\r\n"))
	conn.Write([]byte("INVITE sip:0212345678@127.0.0.1 SIP/2.0\r\nVia: nonsense\r\n\r\n"))
	conn.Close()
	badSDP := fmt.Sprintf("INVITE sip:0212345678@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:0212345678@127.0.0.1>\r\nCall-ID: bad-sdp\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:9>\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nhello", e.url)
	uc, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	defer uc.Close()
	dst, _ := net.ResolveUDPAddr("udp", e.url)
	uc.WriteTo([]byte(badSDP), dst)
	uc.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 2000)
	got := ""
	for {
		n, _, err := uc.ReadFrom(buf)
		if err != nil {
			break
		}
		if line := strings.SplitN(string(buf[:n]), "\r\n", 2)[0]; !strings.Contains(line, " 100 ") {
			got = line
			break
		}
	}
	if !strings.Contains(got, " 400 ") {
		t.Fatalf("malformed SDP answered %q, want 400", got)
	}
	// and a normal call still works
	carrier := siptest.NewTrunk(t, e.url, siptest.Options{})
	call, err := carrier.DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatalf("a normal call after garbage: %v", err)
	}
	call.Hangup()
}

func TestPlaceToPhoneBridgeAndHangups(t *testing.T) {
	e := newEnv(t)
	legs := make(chan telephony.LegID, 1)
	e.h.setIn(func(c telephony.InboundCall) error {
		legs <- c.Leg
		go e.s.Answer(c.Leg)
		return nil
	})
	kim := siptest.NewPhone(t, e.url, "1001", "s1p", siptest.Options{Tone: 880, Codec: media.PCMA})
	if code, _ := kim.Register(600); code != 200 {
		t.Fatal("register")
	}
	carrier := siptest.NewTrunk(t, e.url, siptest.Options{Tone: 440})
	cust, err := carrier.DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	inLeg := <-legs
	// ring the agent: 180 is reported, the phone answers, the legs are bridged
	e.s.Place("agent-1", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001", CallerID: "0101"})
	ring := kim.Incoming(5 * time.Second)
	e.h.wait(t, "agent-1", telephony.Ringing)
	if from := ring.Request.From().Address.User; from != "0101" {
		t.Fatalf("phone shows %q, want the customer's number", from)
	}
	ring.Answer()
	e.h.wait(t, "agent-1", telephony.Answered)
	e.s.Bridge(inLeg, "agent-1")
	hc, ha := cust.Listen(time.Second), ring.Listen(time.Second)
	if !siptest.Near(hc.Frequency, 880) || !siptest.Near(ha.Frequency, 440) {
		t.Fatalf("customer heard %s, agent heard %s (PCMU↔PCMA bridge)", hc, ha)
	}
	// the agent holds on the phone, then resumes: reported both times
	if code, err := ring.Hold(true); err != nil || code != 200 {
		t.Fatalf("hold: %d %v", code, err)
	}
	e.h.wait(t, "agent-1", telephony.Held)
	ring.Hold(false)
	e.h.wait(t, "agent-1", telephony.Resumed)
	// the agent hangs up: reported, and the engine hangs the customer up
	ring.Hangup()
	e.h.wait(t, "agent-1", telephony.HungUp)
	e.s.Hangup(inLeg, telephony.CauseNormal)
	if !cust.WaitEnded(5 * time.Second) {
		t.Fatal("customer not hung up")
	}
	time.Sleep(100 * time.Millisecond)
	if e.s.Legs() != 0 || e.m.PortsInUse() != 0 {
		t.Fatalf("leaked: %d legs, %d ports", e.s.Legs(), e.m.PortsInUse())
	}
}

func TestPlaceFailuresAndCancel(t *testing.T) {
	e := newEnv(t)
	e.s.Place("nobody", telephony.Target{Kind: telephony.TargetExtension, Extension: "1002"})
	if ev := e.h.wait(t, "nobody", telephony.Failed); ev.Cause != telephony.CauseUnavailable || ev.Code != 480 {
		t.Fatalf("unregistered: %+v", ev)
	}
	kim := siptest.NewPhone(t, e.url, "1001", "s1p", siptest.Options{})
	kim.Register(600)
	e.s.Place("busy", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
	kim.Incoming(5 * time.Second).Decline(486)
	if ev := e.h.wait(t, "busy", telephony.Failed); ev.Cause != telephony.CauseBusy {
		t.Fatalf("declined: %+v", ev)
	}
	// CANCEL while ringing: the phone stops ringing, nothing is reported
	e.s.Place("cancel", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
	c := kim.Incoming(5 * time.Second)
	e.h.wait(t, "cancel", telephony.Ringing)
	e.s.Hangup("cancel", telephony.CauseCancelled)
	if !c.WaitEnded(5 * time.Second) {
		t.Fatal("the phone kept ringing after CANCEL")
	}
	select {
	case ev := <-e.h.events:
		t.Fatalf("reported after the engine's own hang-up: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
	// the race: the phone answers as the engine cancels; the answered leg is ended with BYE
	for i := 0; i < 5; i++ {
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
	time.Sleep(200 * time.Millisecond)
	if e.s.Legs() != 0 || e.m.PortsInUse() != 0 {
		t.Fatalf("leaked: %d legs, %d ports", e.s.Legs(), e.m.PortsInUse())
	}
}

func TestOutboundThroughTrunkCarriesCallerID(t *testing.T) {
	e := newEnv(t)
	carrier := siptest.NewTrunk(t, e.url, siptest.Options{Tone: 550, AutoAnswer: true})
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
	time.Sleep(200 * time.Millisecond)
	if e.s.Legs() != 0 {
		t.Fatal("leg left")
	}
}

func TestPhoneDialsAuthenticated(t *testing.T) {
	e := newEnv(t)
	e.h.setDialled(func(c telephony.PhoneCall) error { go e.s.Answer(c.Leg); return nil })
	kim := siptest.NewPhone(t, e.url, "1001", "s1p", siptest.Options{})
	kim.Register(600)
	call, err := kim.Dial("901012345678")
	if err != nil {
		t.Fatal(err)
	}
	e.h.mu.Lock()
	d := e.h.dialled[0]
	e.h.mu.Unlock()
	if d.Extension != "1001" || d.To != "901012345678" {
		t.Fatalf("dialled %+v", d)
	}
	call.Hangup()
}

func TestOptionsAndCarrierAuthentication(t *testing.T) {
	e := newEnv(t)
	// OPTIONS is answered with what we allow
	probe := siptest.NewTrunk(t, e.url, siptest.Options{})
	if code, allow, err := probe.Options(); err != nil || code != 200 || !strings.Contains(allow, "INVITE") {
		t.Fatalf("OPTIONS: %d %q %v", code, allow, err)
	}
	// a carrier that challenges outbound calls gets the trunk's credentials
	carrier := siptest.NewTrunk(t, e.url, siptest.Options{AutoAnswer: true})
	carrier.RequireAuth("acct", "carrier-secret")
	host, port, _ := net.SplitHostPort(carrier.Addr())
	p := 0
	fmt.Sscan(port, &p)
	e.s.SetSite(&site.Site{Trunks: []site.Trunk{{ID: "carrier", Host: host, Port: p, Prefix: "9", Username: "acct", Password: "carrier-secret"}}})
	e.s.Place("auth-out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	e.h.wait(t, "auth-out", telephony.Answered)
	if n := carrier.Challenged(); n < 1 {
		t.Fatal("the carrier never challenged")
	}
	e.s.Hangup("auth-out", telephony.CauseNormal)
	// with the wrong password the call fails instead of looping
	e.s.SetSite(&site.Site{Trunks: []site.Trunk{{ID: "carrier", Host: host, Port: p, Prefix: "9", Username: "acct", Password: "wrong"}}})
	e.s.Place("auth-bad", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	if ev := e.h.wait(t, "auth-bad", telephony.Failed); ev.Code != 401 && ev.Code != 403 {
		t.Fatalf("wrong carrier password: %+v", ev)
	}
}

func TestPhoneBehindNATIsReachedAtItsSource(t *testing.T) {
	e := newEnv(t)
	kim := siptest.NewPhone(t, e.url, "1001", "s1p", siptest.Options{ContactHost: "192.168.77.5"})
	if code, _ := kim.Register(600); code != 200 {
		t.Fatal("register")
	}
	e.s.Place("nat", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001"})
	c := kim.Incoming(5 * time.Second) // the INVITE reached the phone although its Contact is private
	if c.Request.Recipient.Host != "192.168.77.5" {
		t.Fatalf("Request-URI %s, want the registered contact", c.Request.Recipient.String())
	}
	e.s.Hangup("nat", telephony.CauseCancelled)
}
