package security_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Forged answers and unauthenticated requests must not turn the server into an amplifier
// aimed at someone else. A 200 OK to an INVITE the server never sent, naming a victim in its
// Contact, is dropped and counted, where it used to be ACKed and ended with a BYE sent (and
// resent) to the victim. And whatever one unauthenticated request is answered with is one
// packet: the 407 to an INVITE without credentials, the 403 to one from nowhere, are sent
// once, not retransmitted until an ACK that a spoofed source never sends.
//
// Fails on today's code (before issue 9): the 200 forged answers made the server send the
// victim 1,000 packets within five seconds (an ACK and a BYE with its retransmissions for
// each), and each unauthenticated INVITE was answered four times in as long.
func TestSIPForgedAnswersReflectNothing(t *testing.T) {
	s, _ := startSIP(t)
	victim := newPeer(t, "127.0.0.5", "")
	victim.silent.Store(true) // a victim answers nothing: every retransmission reaches it
	attacker := newPeer(t, "127.0.0.5", s.SIP)
	attacker.silent.Store(true)
	srv, _ := net.ResolveUDPAddr("udp4", s.SIP)

	const forged = 200
	for i := range forged {
		res := strings.Join([]string{
			"SIP/2.0 200 OK",
			fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-forged%d", s.SIP, i),
			fmt.Sprintf("From: <sip:0212345678@%s>;tag=ours%d", srv.IP, i),
			fmt.Sprintf("To: <sip:01012345678@%s>;tag=theirs%d", srv.IP, i),
			fmt.Sprintf("Call-ID: forged-%d@%s", i, srv.IP),
			"CSeq: 1 INVITE",
			fmt.Sprintf("Contact: <sip:victim@%s>", victim.addr()),
			"Content-Length: 0", "", ""}, "\r\n")
		attacker.conn.WriteToUDP([]byte(res), srv)
		time.Sleep(time.Millisecond) // not faster than the server's socket buffer takes them
	}
	// unauthenticated requests: an INVITE from an extension without credentials, one from
	// neither a phone nor a trunk, a REGISTER without credentials
	reqs := []message{attacker.invite("1001", "901012345678"), attacker.invite("0101", "0212345678"),
		attacker.register("1001", "<sip:1001@"+victim.addr()+">", "reg-"+tag(), 1)}
	for _, r := range reqs {
		attacker.send(r)
	}
	time.Sleep(5 * time.Second) // what the old code sent, it sent within this: T1 is 500 ms

	if n := victim.packets.Load(); n != 0 {
		t.Errorf("the victim named by %d forged answers was sent %d packets; want none", forged, n)
	}
	for _, r := range reqs {
		n := 0
		attacker.mu.Lock()
		for _, got := range attacker.got {
			if res, ok := got.msg.(*sip.Response); ok && res.CallID() != nil && res.CallID().Value() == r.get("Call-ID") {
				n++
			}
		}
		attacker.mu.Unlock()
		if n != 1 {
			t.Errorf("%s was answered with %d packets; want exactly one", r.start, n)
		}
	}
	if n := metric(t, s, "ringdesk_sip_stray_responses_dropped_total"); n < forged {
		t.Errorf("ringdesk_sip_stray_responses_dropped_total is %v after %d forged answers", n, forged)
	}
}
