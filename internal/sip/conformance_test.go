package sip

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/telephony"
)

// The SIP conformance suite: what the dialog layer claims (dialog.go, indialog.go), each
// shown with raw messages from a hand-driven peer, the way a carrier or a proxy sends them.
// Require and 420 are in extensions_test.go, reliable provisionals in prack_test.go, Path in
// path_test.go, stray 2xx to INVITEs we gave up in strays_test.go.

// TestConformanceRecordRoute: the route set of a dialog we answer is its INVITE's
// Record-Route in order, and that of a dialog we made the 2xx's in reverse (RFC 3261
// §12.1.1, §12.1.2); our requests carry it as Route and go to its first hop, the Request-URI
// being the far end's Contact (loose routing, §12.2.1.1).
func TestConformanceRecordRoute(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	p1 := fmt.Sprintf("<sip:%s;lr>", r.addr())
	c := r.call(e, "Record-Route: "+p1+", <sip:p2.example.net;lr>")
	c.hangupCheck(e, func(bye *sip.Request) {
		if got := headerValues(bye, "Route"); strings.Join(got, ", ") != p1+", <sip:p2.example.net;lr>" &&
			!(len(got) == 2 && strings.Contains(got[0], r.addr()) && strings.Contains(got[1], "p2.example.net")) {
			t.Fatalf("BYE Route %q, want the Record-Route in order", got)
		}
		if bye.Recipient.User != "01055556666" || bye.Recipient.Port != r.port() {
			t.Fatalf("BYE Request-URI %s, want the caller's Contact", bye.Recipient.String())
		}
	})

	// a dialog we made: the 2xx's Record-Route reversed
	e.site = testSite(r.port())
	e.s.SetSite(e.site)
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	inv := r.request(sip.INVITE)
	r.send(reply(inv, 200, "far", sdpOffer(r.port()+2), sip.NewHeader("Contact", "<sip:far@192.0.2.9:5060>"),
		sip.NewHeader("Record-Route", "<sip:p2.example.net;lr>"), sip.NewHeader("Record-Route", p1)))
	ack := r.request(sip.ACK)
	if got := headerValues(ack, "Route"); len(got) != 2 || !strings.Contains(got[0], r.addr()) || !strings.Contains(got[1], "p2.example.net") {
		t.Fatalf("ACK Route %q, want the Record-Route reversed", got)
	}
	e.h.wait(t, "out", telephony.Answered)
	e.s.Hangup("out", telephony.CauseNormal)
	bye := r.request(sip.BYE)
	if bye.Recipient.Host != "192.0.2.9" || len(headerValues(bye, "Route")) != 2 {
		t.Fatalf("BYE to %s Route %q", bye.Recipient.String(), headerValues(bye, "Route"))
	}
	r.send(reply(bye, 200, "", nil))
	e.clean()
}

// TestConformanceStrictRouting: a first hop without lr is a strict router (RFC 2543): our
// request is addressed to it in the Request-URI, and the rest of the route set follows with
// the far end's Contact last (RFC 3261 §12.2.1.1). Fails before issue 15: the BYE was
// addressed right but sent to the next Route's host instead of the strict router.
func TestConformanceStrictRouting(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	c := r.call(e, fmt.Sprintf("Record-Route: <sip:%s;maddr=127.0.0.1>, <sip:p2.example.net;lr>", r.addr()))
	c.hangupCheck(e, func(bye *sip.Request) {
		if bye.Recipient.Port != r.port() || bye.Recipient.User != "" || bye.Recipient.UriParams.Has("maddr") {
			t.Fatalf("BYE Request-URI %s, want the strict router without its parameters", bye.Recipient.String())
		}
		got := headerValues(bye, "Route")
		if len(got) != 2 || !strings.Contains(got[0], "p2.example.net") || !strings.Contains(got[1], "01055556666@") {
			t.Fatalf("BYE Route %q, want the rest of the set and then the caller's Contact", got)
		}
	})
	e.clean()
}

// TestConformanceTargetRefresh: a re-INVITE or an UPDATE naming a new Contact moves the
// dialog's remote target there (§12.2.2): our next request goes to it.
func TestConformanceTargetRefresh(t *testing.T) {
	for _, method := range []sip.RequestMethod{sip.INVITE, sip.UPDATE} {
		t.Run(string(method), func(t *testing.T) {
			e := newEnv(t)
			e.h.answering(e.s)
			r := newRaw(t, e.addr)
			moved := newRaw(t, e.addr)
			c := r.call(e)
			req := c.request(method, sdpOffer(r.port()+2), fmt.Sprintf("Contact: <sip:moved@%s>", moved.addr()))
			req.RemoveHeader("Contact")
			req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:moved@%s>", moved.addr())))
			res := c.do(req)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d", method, res.StatusCode)
			}
			if method == sip.INVITE {
				r.send(c.ackFor(req, nil))
			}
			e.s.Hangup(c.leg, telephony.CauseNormal)
			bye := moved.request(sip.BYE)
			if bye.Recipient.User != "moved" {
				t.Fatalf("BYE to %s", bye.Recipient.String())
			}
			moved.send(reply(bye, 200, "", nil))
			e.clean()
		})
	}
}

// TestConformanceOfferlessReinvite: a re-INVITE without SDP gets our offer in its 200 and its
// answer in the ACK (RFC 3261 §14.1, RFC 3264): an answer that holds us is a hold.
func TestConformanceOfferlessReinvite(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	c := r.call(e)
	re := c.request(sip.INVITE, nil)
	res := c.do(re)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "m=audio") {
		t.Fatalf("offerless re-INVITE: %d with body %q", res.StatusCode, res.Body())
	}
	e.h.quiet(t, c.leg, 2*testT1) // nothing until the answer
	r.send(c.ackFor(re, sdpDir(r.port()+2, "sendonly")))
	e.h.wait(t, c.leg, telephony.Held)
	c.hangup(e)
	e.clean()
}

// TestConformancePendingReinvite: a re-INVITE arriving while the previous one still waits for
// its ACK gets 500 with Retry-After (§14.2), and is taken once the ACK came; one crossing our
// own re-INVITE (a session refresh) gets 491 Request Pending. Fails before issue 15 for the
// crossing one: it was taken while ours was out.
func TestConformancePendingReinvite(t *testing.T) {
	fake := clocktest.New()
	e := newEnv(t, func(c *Config) { c.Clock = fake })
	st := testSite(0)
	st.SIP.MediaTimeoutSeconds = 600 // the raw peer sends no RTP
	e.s.SetSite(st)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	// we refresh: a session timer of 120 s, refresher uas
	c := r.call(e, "Supported: timer", "Session-Expires: 120;refresher=uas")
	fake.Advance(61 * time.Second) // half the interval: our refresh goes out
	ours := r.request(sip.INVITE)
	crossing := c.request(sip.INVITE, sdpDir(r.port()+2, "sendonly"))
	res := c.do(crossing)
	if res.StatusCode != 491 {
		t.Fatalf("a re-INVITE crossing ours: %d, want 491", res.StatusCode)
	}
	r.send(r.ack(crossing, res))
	r.send(reply(ours, 200, "", sdpOffer(r.port()+2), sip.NewHeader("Contact", fmt.Sprintf("<sip:x@%s>", r.addr()))))
	r.request(sip.ACK)

	first := c.request(sip.INVITE, sdpDir(r.port()+2, "sendonly"))
	r.send(first)
	if res := r.responseTo(first); res.StatusCode != 200 {
		t.Fatalf("first re-INVITE: %d", res.StatusCode)
	}
	second := c.request(sip.INVITE, sdpDir(r.port()+2, "sendrecv"))
	res = c.do(second)
	if res.StatusCode != 500 || headerOf(res, "Retry-After") == "" {
		t.Fatalf("a re-INVITE while one is pending: %d, Retry-After %q", res.StatusCode, headerOf(res, "Retry-After"))
	}
	r.send(r.ack(second, res))
	r.send(c.ackFor(first, nil))
	third := c.request(sip.INVITE, sdpDir(r.port()+2, "sendrecv"))
	if res := c.do(third); res.StatusCode != 200 {
		t.Fatalf("a re-INVITE after the ACK: %d", res.StatusCode)
	}
	r.send(c.ackFor(third, nil))
	c.hangup(e)
	e.clean()
}

// TestConformanceUpdate: UPDATE (RFC 3311) with an offer is answered at once and may hold;
// one without is a refresh, answered without a body.
func TestConformanceUpdate(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	c := r.call(e)
	res := c.do(c.request(sip.UPDATE, sdpDir(r.port()+2, "inactive")))
	if res.StatusCode != 200 || !strings.Contains(string(res.Body()), "a=inactive") {
		t.Fatalf("UPDATE holding: %d %q", res.StatusCode, res.Body())
	}
	e.h.wait(t, c.leg, telephony.Held)
	res = c.do(c.request(sip.UPDATE, nil))
	if res.StatusCode != 200 || len(res.Body()) != 0 {
		t.Fatalf("UPDATE without an offer: %d %q", res.StatusCode, res.Body())
	}
	res = c.do(c.request(sip.UPDATE, sdpDir(r.port()+2, "sendrecv")))
	e.h.wait(t, c.leg, telephony.Resumed)
	c.hangup(e)
	e.clean()
}

// TestConformanceInfoDTMF: DTMF in INFO (application/dtmf-relay, application/dtmf) is a
// digit; another body is 415 with Accept; no digit is 400.
func TestConformanceInfoDTMF(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	c := r.call(e)
	for _, x := range []struct {
		ct, body string
		code     int
		digit    string
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 200, "5"},
		{"application/dtmf-relay", "Signal=11\r\nDuration=160\r\n", 200, "#"},
		{"application/dtmf", "*", 200, "*"},
		{"text/plain", "5", 415, ""},
		{"application/dtmf-relay", "Signal=x\r\n", 400, ""},
	} {
		res := c.do(c.request(sip.INFO, []byte(x.body), "Content-Type: "+x.ct))
		if res.StatusCode != x.code {
			t.Fatalf("INFO %s %q: %d, want %d", x.ct, x.body, res.StatusCode, x.code)
		}
		if x.code == 415 && !strings.Contains(headerOf(res, "Accept"), "application/dtmf-relay") {
			t.Fatalf("415 without Accept: %q", headerOf(res, "Accept"))
		}
	}
	var digits string
	e.h.until(t, "three digits", func() bool {
		digits = ""
		for _, ev := range e.h.events {
			if ev.Leg == c.leg && ev.Kind == telephony.DTMF {
				digits += ev.Digit
			}
		}
		return len(digits) >= 3
	})
	if digits != "5#*" {
		t.Fatalf("digits %q", digits)
	}
	c.hangup(e)
	e.clean()
}

// TestConformance2xxRetransmissionIsAckedAgain: a 2xx to our INVITE sent again (its ACK lost)
// is ACKed again, with the same ACK (§13.2.2.4). Before issue 15 a retransmission arriving
// just after our ACK went out could find no ACK kept yet and go unanswered.
func TestConformance2xxRetransmissionIsAckedAgain(t *testing.T) {
	e := newEnv(t)
	r := newRaw(t, e.addr)
	e.site = testSite(r.port())
	e.s.SetSite(e.site)
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	inv := r.request(sip.INVITE)
	ok := reply(inv, 200, "far", sdpOffer(r.port()+2), sip.NewHeader("Contact", fmt.Sprintf("<sip:far@%s>", r.addr())))
	r.send(ok)
	first := r.request(sip.ACK)
	r.send(ok)
	again := r.request(sip.ACK)
	if branchOf(first) != branchOf(again) || first.CSeq().SeqNo != again.CSeq().SeqNo {
		t.Fatalf("ACKs differ: %s / %s", first.String(), again.String())
	}
	e.h.wait(t, "out", telephony.Answered)
	e.s.Hangup("out", telephony.CauseNormal)
	bye := r.request(sip.BYE)
	r.send(reply(bye, 200, "", nil))
	e.clean()
}

// TestConformanceByeDuringReinvite: a BYE that comes while the far end's re-INVITE still
// waits for its ACK ends the call at once (§15): 200 to the BYE, HungUp to the engine.
func TestConformanceByeDuringReinvite(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	c := r.call(e)
	re := c.request(sip.INVITE, sdpDir(r.port()+2, "sendonly"))
	r.send(re)
	if res := r.response(sip.INVITE, 200); res.StatusCode != 200 {
		t.Fatalf("re-INVITE: %d", res.StatusCode)
	}
	res := c.do(c.request(sip.BYE, nil))
	if res.StatusCode != 200 {
		t.Fatalf("BYE during a re-INVITE: %d", res.StatusCode)
	}
	e.h.wait(t, c.leg, telephony.HungUp)
	e.clean()
}

// TestConformanceCallOverTCP: a call over TCP, from a peer that only connects (it listens
// nowhere): answered, re-INVITEd and ended by us over the connection it made (RFC 3261
// §18.2.2, and the connection reuse phones behind NAT need).
func TestConformanceCallOverTCP(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	p := dialTCP(t, e.addr)
	body := sdpOffer(40002)
	inv := fmt.Sprintf("INVITE sip:0212345678@%s;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-tcp1\r\n"+
		"From: <sip:01055556666@127.0.0.1>;tag=tcp1\r\nTo: <sip:0212345678@127.0.0.1>\r\nCall-ID: tcp-call-1\r\n"+
		"CSeq: 1 INVITE\r\nContact: <sip:01055556666@127.0.0.1:9;transport=tcp>\r\nMax-Forwards: 70\r\n"+
		"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", e.addr, p.addr(), len(body), body)
	p.write(inv)
	ok := p.response(sip.INVITE, 200)
	if ok.StatusCode != 200 || !strings.Contains(ok.Contact().Address.String(), "transport=tcp") {
		t.Fatalf("INVITE over TCP: %d, Contact %s", ok.StatusCode, ok.Contact().Address.String())
	}
	tag, _ := ok.To().Params.Get("tag")
	inDialog := func(method string, cseq int) string {
		return fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-tcp%s%d\r\n"+
			"From: <sip:01055556666@127.0.0.1>;tag=tcp1\r\nTo: <sip:0212345678@127.0.0.1>;tag=%s\r\nCall-ID: tcp-call-1\r\n"+
			"CSeq: %d %s\r\nContact: <sip:01055556666@127.0.0.1:9;transport=tcp>\r\nMax-Forwards: 70\r\n",
			method, ok.Contact().Address.String(), p.addr(), method, cseq, tag, cseq, method)
	}
	p.write(inDialog("ACK", 1) + "Content-Length: 0\r\n\r\n")
	hold := sdpDir(40002, "sendonly")
	p.write(inDialog("INVITE", 2) + fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(hold), hold))
	if res := p.response(sip.INVITE, 200); res.StatusCode != 200 {
		t.Fatalf("re-INVITE over TCP: %d", res.StatusCode)
	}
	p.write(inDialog("ACK", 2) + "Content-Length: 0\r\n\r\n")
	leg := e.h.call(t, 1).Leg
	e.h.wait(t, leg, telephony.Held)
	e.s.Hangup(leg, telephony.CauseNormal)
	bye := p.request(sip.BYE)
	if !strings.EqualFold(bye.Via().Transport, "TCP") {
		t.Fatalf("BYE Via %s", bye.Via().Transport)
	}
	res := sip.NewResponseFromRequest(bye, 200, "OK", nil)
	p.write(res.String())
	e.clean()
}

// tcpPeer is a raw SIP peer over one TCP connection it made.
type tcpPeer struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialTCP(t *testing.T, addr string) *tcpPeer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &tcpPeer{t: t, conn: c, rd: bufio.NewReader(c)}
}

func (p *tcpPeer) addr() string { return p.conn.LocalAddr().String() }

func (p *tcpPeer) write(s string) {
	if _, err := io.WriteString(p.conn, s); err != nil {
		p.t.Fatal(err)
	}
}

// next reads one message off the stream: its head to the blank line, then Content-Length
// bytes of body.
func (p *tcpPeer) next(d time.Duration) sip.Message {
	p.conn.SetReadDeadline(time.Now().Add(d))
	var head strings.Builder
	n := 0
	for {
		line, err := p.rd.ReadString('\n')
		if err != nil {
			return nil
		}
		if strings.TrimSpace(line) == "" {
			if head.Len() == 0 {
				continue // a keep-alive
			}
			break
		}
		head.WriteString(line)
		if k, v, ok := strings.Cut(line, ":"); ok && (strings.EqualFold(strings.TrimSpace(k), "Content-Length") || strings.TrimSpace(k) == "l") {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(p.rd, body); err != nil {
		return nil
	}
	m, err := sip.ParseMessage([]byte(head.String() + "\r\n" + string(body)))
	if err != nil {
		p.t.Fatalf("unreadable message over TCP: %v", err)
	}
	return m
}

func (p *tcpPeer) response(method sip.RequestMethod, min int) *sip.Response {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, ok := p.next(time.Until(deadline)).(*sip.Response); ok && res.CSeq().MethodName == method && res.StatusCode >= min {
			return res
		}
	}
	p.t.Fatalf("no response to %s over TCP", method)
	return nil
}

func (p *tcpPeer) request(method sip.RequestMethod) *sip.Request {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if req, ok := p.next(time.Until(deadline)).(*sip.Request); ok && req.Method == method {
			return req
		}
	}
	p.t.Fatalf("no %s over TCP", method)
	return nil
}
