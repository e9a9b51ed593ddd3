package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// TestLateAnswerToAGivenUpInviteIsEnded: a trunk that said nothing for 8*T1 was passed over;
// its 200 arriving afterwards is still ACKed and ended with BYE, since its From-tag is one we
// made — while the same 200 with a tag of the sender's own making is dropped, unanswered, and
// counted.
//
// The forged half fails before issue 9: every 2xx was ACKed and sent a BYE, whoever made it.
func TestLateAnswerToAGivenUpInviteIsEnded(t *testing.T) {
	e := newEnv(t)
	late := newRaw(t, e.addr)
	second := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true})
	twoTrunks(e, late.port(), second.Port())
	e.s.Place("late", viaTrunks("0101"))
	inv := late.request(sip.INVITE)
	e.h.wait(t, "late", telephony.Answered) // by the second trunk

	forged := reply(inv, 200, "theirs", sdpOffer(late.port()+2))
	forged.From().Params.Remove("tag")
	forged.From().Params.Add("tag", "made-up-tag")
	late.send(forged)
	for m := late.next(20 * testT1); m != nil; m = late.next(20 * testT1) {
		if req, ok := m.(*sip.Request); !ok || req.Method != sip.INVITE { // not our INVITE's retransmissions
			t.Fatalf("a 2xx with a tag we never made was answered: %s", m.String())
		}
	}
	if n := e.s.Counters().StrayAnswers; n != 1 {
		t.Fatalf("%d stray answers counted, want 1", n)
	}

	late.send(reply(inv, 200, "theirs", sdpOffer(late.port()+2)))
	if ack := late.request(sip.ACK); ack.CallID().Value() != inv.CallID().Value() {
		t.Fatalf("ACK for another call: %s", ack.CallID().Value())
	}
	bye := late.request(sip.BYE)
	late.send(reply(bye, 200, "", nil))
	e.s.Hangup("late", telephony.CauseNormal)
	e.clean()
}

// TestOurTags: a tag is ours only for the Call-ID it was made for.
func TestOurTags(t *testing.T) {
	e := newEnv(t)
	tag := e.s.localTag("abc@host")
	if !e.s.ourTag("abc@host", tag) {
		t.Fatal("our own tag refused")
	}
	for _, c := range []struct{ callID, tag string }{
		{"other@host", tag}, {"abc@host", tag[:len(tag)-1] + "x"}, {"abc@host", "short"}, {"abc@host", ""},
	} {
		if e.s.ourTag(c.callID, c.tag) {
			t.Errorf("%q for %q taken for ours", c.tag, c.callID)
		}
	}
}
