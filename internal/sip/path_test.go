package sip

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/telephony"
)

// register sends a REGISTER for ext from the raw peer (a proxy relaying it, say) with a
// Contact and more header lines, answers the digest challenge, and returns the final response.
func (r *raw) register(ext, contact string, extra ...string) *sip.Response {
	r.t.Helper()
	host, _, _ := strings.Cut(r.srv.String(), ":")
	uri := "sip:" + r.srv.String()
	build := func(auth string) *sip.Request {
		r.seq++
		lines := []string{
			"REGISTER " + uri + " SIP/2.0",
			fmt.Sprintf("Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-rawreg%d-%d", r.addr(), r.port(), r.seq),
			fmt.Sprintf("From: <sip:%s@%s>;tag=reg%d", ext, host, r.port()),
			fmt.Sprintf("To: <sip:%s@%s>", ext, host),
			fmt.Sprintf("Call-ID: rawreg-%d@127.0.0.1", r.port()),
			fmt.Sprintf("CSeq: %d REGISTER", r.seq),
			"Contact: " + contact,
			"Expires: 600",
			"Max-Forwards: 69",
		}
		lines = append(lines, extra...)
		if auth != "" {
			lines = append(lines, "Authorization: "+auth)
		}
		lines = append(lines, "Content-Length: 0", "", "")
		msg, err := sip.ParseMessage([]byte(strings.Join(lines, "\r\n")))
		if err != nil {
			r.t.Fatal(err)
		}
		return msg.(*sip.Request)
	}
	r.send(build(""))
	res := r.response(sip.REGISTER, 200)
	if res.StatusCode != 401 {
		return res
	}
	r.send(build(authHeader(r.t, res, "REGISTER", uri, ext, passwords[ext], 1)))
	return r.response(sip.REGISTER, 200)
}

// TestPhoneBehindAProxyIsCalledThroughItsPath: a phone that registers through a proxy adding
// Path (RFC 3327) gets its Path echoed in the 200 when it supports path, and is then called
// through the proxy: the INVITE goes to the proxy with the Path as its Route and the phone's
// Contact as its Request-URI, and so do the ACK and BYE of a call the proxy record-routes.
// Fails before issue 15: Path was dropped, and the INVITE went straight to the Contact.
func TestPhoneBehindAProxyIsCalledThroughItsPath(t *testing.T) {
	e := newEnv(t)
	proxy := newRaw(t, e.addr)
	phone := newRaw(t, e.addr) // the Contact: never reached directly
	edge := fmt.Sprintf("<sip:%s;lr;ob>", proxy.addr())
	contact := fmt.Sprintf("<sip:1001@%s;transport=udp>", phone.addr())
	res := proxy.register("1001", contact, "Path: "+edge, "Path: <sip:core.example.net;lr>", "Supported: path, outbound")
	if res.StatusCode != 200 {
		t.Fatalf("REGISTER through a proxy: %d", res.StatusCode)
	}
	if got := strings.Join(headerValues(res, "Path"), ", "); got != edge+", <sip:core.example.net;lr>" {
		t.Fatalf("200 to REGISTER echoes Path %q", got)
	}

	e.s.Place("kim", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001", CallerID: "0101"})
	inv := proxy.request(sip.INVITE)
	routes := headerValues(inv, "Route")
	if len(routes) != 2 || !strings.Contains(routes[0], proxy.addr()) || !strings.Contains(routes[1], "core.example.net") {
		t.Fatalf("INVITE Route %q, want the Path", routes)
	}
	if inv.Recipient.Host != "127.0.0.1" || inv.Recipient.Port != phone.port() || inv.Recipient.User != "1001" {
		t.Fatalf("INVITE Request-URI %s, want the phone's Contact", inv.Recipient.String())
	}
	rr := sip.NewHeader("Record-Route", fmt.Sprintf("<sip:%s;lr>", proxy.addr()))
	proxy.send(reply(inv, 200, "phone", sdpOffer(phone.port()+2), sip.NewHeader("Contact", contact), rr))
	ack := proxy.request(sip.ACK)
	if ack.Recipient.Port != phone.port() || !strings.Contains(headerOf(ack, "Route"), proxy.addr()) {
		t.Fatalf("ACK to %s with Route %q: want the phone's Contact through the proxy", ack.Recipient.String(), headerOf(ack, "Route"))
	}
	e.h.wait(t, "kim", telephony.Answered)
	e.s.Hangup("kim", telephony.CauseNormal)
	bye := proxy.request(sip.BYE)
	proxy.send(reply(bye, 200, "", nil))
	if m := phone.next(2 * testT1); m != nil {
		t.Fatalf("the phone was reached directly, around its proxy: %s", m.String())
	}

	// a phone that does not say it supports path is not told its Path, but still reached by it
	res = proxy.register("1002", fmt.Sprintf("<sip:1002@%s>", phone.addr()), "Path: "+edge)
	if res.StatusCode != 200 || res.GetHeader("Path") != nil {
		t.Fatalf("REGISTER without Supported: path: %d, Path %q", res.StatusCode, headerOf(res, "Path"))
	}
	e.s.Place("lee", telephony.Target{Kind: telephony.TargetExtension, Extension: "1002", CallerID: "0101"})
	inv = proxy.request(sip.INVITE)
	if !strings.Contains(headerOf(inv, "Route"), proxy.addr()) {
		t.Fatalf("INVITE to lee: Route %q", headerOf(inv, "Route"))
	}
	proxy.send(reply(inv, 486, "phone", nil))
	e.h.wait(t, "lee", telephony.Failed)
	e.clean()
}

// TestPathIsKeptAcrossARestart: the Path is stored with the binding and used after a restart.
func TestPathIsKeptAcrossARestart(t *testing.T) {
	kept := &keptBindings{byExt: map[string][]Binding{}}
	first, _ := serverWith(t, kept)
	proxy := newRaw(t, first.Addr())
	edge := fmt.Sprintf("<sip:%s;lr>", proxy.addr())
	if res := proxy.register("1001", "<sip:1001@127.0.0.1:9>", "Path: "+edge); res.StatusCode != 200 {
		t.Fatalf("REGISTER: %d", res.StatusCode)
	}
	if list, _ := kept.of("1001"); len(list) != 1 || list[0].Path != edge {
		t.Fatalf("stored %+v", list)
	}
	first.Close()
	second, h := serverWith(t, kept)
	proxy2 := newRaw(t, second.Addr())
	proxy2.conn.Close() // the proxy is the same socket as before: reuse its address
	proxy.srv = proxy2.srv
	second.Place("kim", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001", CallerID: "0101"})
	inv := proxy.request(sip.INVITE)
	if !strings.Contains(headerOf(inv, "Route"), proxy.addr()) || inv.Recipient.Port != 9 {
		t.Fatalf("after a restart, INVITE to %s with Route %q", inv.Recipient.String(), headerOf(inv, "Route"))
	}
	proxy.send(reply(inv, 486, "phone", nil))
	h.wait(t, "kim", telephony.Failed)
}
