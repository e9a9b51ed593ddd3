package sip

import (
	"fmt"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/telephony"
)

// TestReliable183IsPracked: a carrier that answers our INVITE with a reliable 183 carrying
// its SDP (Require: 100rel, RSeq) is sent a PRACK in the early dialog — to the 183's Contact,
// the next CSeq, RAck naming the 183 — sent again until its 200 comes (UDP); the 183's own
// retransmission is not PRACKed again; the 200 to the INVITE without SDP then answers the
// call with the 183's SDP, its ACK keeps the INVITE's CSeq and our BYE follows the PRACK's.
// Fails before issue 15: no PRACK was sent (the carrier would have retransmitted the 183 and
// given up), and a 200 without SDP was refused as an answer without media.
func TestReliable183IsPracked(t *testing.T) {
	e := newEnv(t)
	r := newRaw(t, e.addr)
	e.site = testSite(r.port())
	e.s.SetSite(e.site)
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	inv := r.request(sip.INVITE)
	if !has(tokens(headerOf(inv, "Supported")), "100rel") {
		t.Fatalf("our INVITE does not say Supported: 100rel: %q", headerOf(inv, "Supported"))
	}
	contact := sip.NewHeader("Contact", fmt.Sprintf("<sip:carrier@%s;transport=udp>", r.addr()))
	r.send(reply(inv, 100, "", nil))
	p183 := reply(inv, 183, "carrier1", sdpOffer(r.port()+2), contact, sip.NewHeader("Require", "100rel"),
		sip.NewHeader("RSeq", "7"))
	r.send(p183)
	e.h.wait(t, "out", telephony.Ringing)

	first := r.request(sip.PRACK)
	if got := headerOf(first, "RAck"); got != fmt.Sprintf("7 %d INVITE", inv.CSeq().SeqNo) {
		t.Fatalf("RAck %q", got)
	}
	if first.CSeq().SeqNo != inv.CSeq().SeqNo+1 || first.Recipient.User != "carrier" {
		t.Fatalf("PRACK CSeq %d (INVITE's %d), Request-URI %s: want the next CSeq, to the 183's Contact",
			first.CSeq().SeqNo, inv.CSeq().SeqNo, first.Recipient.String())
	}
	if tag, _ := first.To().Params.Get("tag"); tag != "carrier1" {
		t.Fatalf("PRACK To-tag %q, want the 183's", tag)
	}
	// unanswered, it comes again (the same transaction)
	again := r.request(sip.PRACK)
	if branchOf(again) != branchOf(first) {
		t.Fatal("a second PRACK transaction instead of a retransmission")
	}
	r.send(reply(again, 200, "", nil))
	// the 183 retransmitted is not PRACKed again
	r.send(p183)
	for _, m := range r.drain(10 * testT1) {
		if req, ok := m.(*sip.Request); ok && req.Method == sip.PRACK && branchOf(req) != branchOf(first) {
			t.Fatal("a retransmitted reliable 183 was PRACKed again")
		}
	}

	ok := reply(inv, 200, "carrier1", nil, contact)
	r.send(ok)
	ack := r.request(sip.ACK)
	if ack.CSeq().SeqNo != inv.CSeq().SeqNo {
		t.Fatalf("ACK CSeq %d, want the INVITE's %d", ack.CSeq().SeqNo, inv.CSeq().SeqNo)
	}
	e.h.wait(t, "out", telephony.Answered)
	e.s.Hangup("out", telephony.CauseNormal)
	bye := r.request(sip.BYE)
	if bye.CSeq().SeqNo != first.CSeq().SeqNo+1 {
		t.Fatalf("BYE CSeq %d, want one past the PRACK's %d", bye.CSeq().SeqNo, first.CSeq().SeqNo)
	}
	r.send(reply(bye, 200, "", nil))
	if got := e.h.of("out"); len(got) < 2 || got[1] != telephony.Answered {
		t.Fatalf("events %v: the call must be answered, with the 183's SDP", got)
	}
	e.clean()
}

// TestReliableProvisionalsInOrder: the second reliable provisional of an early dialog is
// PRACKed only when its RSeq is the next; one that skips ahead is not (RFC 3262 §4), and an
// unreliable 180 never is.
func TestReliableProvisionalsInOrder(t *testing.T) {
	e := newEnv(t)
	r := newRaw(t, e.addr)
	e.site = testSite(r.port())
	e.s.SetSite(e.site)
	e.s.Place("out", telephony.Target{Kind: telephony.TargetTrunk, Trunk: "carrier", Number: "0101", CallerID: "0212345678"})
	inv := r.request(sip.INVITE)
	contact := sip.NewHeader("Contact", fmt.Sprintf("<sip:carrier@%s>", r.addr()))
	rel := func(code int, rseq string) *sip.Response {
		return reply(inv, code, "c1", nil, contact, sip.NewHeader("Require", "100rel"), sip.NewHeader("RSeq", rseq))
	}
	r.send(reply(inv, 180, "c1", nil, contact)) // unreliable
	r.send(rel(180, "1"))
	p := r.request(sip.PRACK)
	r.send(reply(p, 200, "", nil))
	r.send(rel(183, "3")) // skips 2: not taken
	for _, m := range r.drain(6 * testT1) {
		if req, ok := m.(*sip.Request); ok && req.Method == sip.PRACK && req.CSeq().SeqNo != p.CSeq().SeqNo {
			t.Fatalf("PRACKed out of order: %s", headerOf(req, "RAck"))
		}
	}
	r.send(rel(183, "2"))
	p2 := r.request(sip.PRACK)
	if got := headerOf(p2, "RAck"); got != fmt.Sprintf("2 %d INVITE", inv.CSeq().SeqNo) {
		t.Fatalf("second PRACK RAck %q, want RSeq 2", got)
	}
	r.send(reply(p2, 200, "", nil))
	r.send(rel(183, "3")) // sent again by the far end, and now next in order
	p3 := r.request(sip.PRACK)
	if got := headerOf(p3, "RAck"); got != fmt.Sprintf("3 %d INVITE", inv.CSeq().SeqNo) || p3.CSeq().SeqNo != p2.CSeq().SeqNo+1 {
		t.Fatalf("third PRACK RAck %q CSeq %d", got, p3.CSeq().SeqNo)
	}
	r.send(reply(p3, 200, "", nil))
	r.send(reply(inv, 200, "c1", sdpOffer(r.port()+2), contact))
	r.request(sip.ACK)
	e.h.wait(t, "out", telephony.Answered)
	e.s.Hangup("out", telephony.CauseNormal)
	bye := r.request(sip.BYE)
	r.send(reply(bye, 200, "", nil))
	e.clean()
}

func branchOf(req *sip.Request) string {
	b, _ := req.Via().Params.Get("branch")
	return b
}
