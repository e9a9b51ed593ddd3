package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/fault"
	"ringdesk/internal/media"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// TestInboundFromTrunk: a call from the trunk's address reaches the engine with the DID, the
// caller's number (P-Asserted-Identity over From) and the trunk; answered, the caller hears
// what the engine plays.
func TestInboundFromTrunk(t *testing.T) {
	e := newEnv(t)
	e.h.setInbound(func(c telephony.InboundCall) error {
		// the engine answers from inside Inbound, as its loop may
		e.s.Answer(c.Leg)
		e.s.Play(c.Leg, telephony.AudioHold, true)
		return nil
	})
	carrier := siptest.NewTrunk(t, e.addr, siptest.Options{Tone: 440})
	call, err := carrier.DialWith(context.Background(), "0212345678", siptest.Dial{From: "anonymous", PAI: "01055556666"})
	if err != nil {
		t.Fatal(err)
	}
	in := e.h.call(t, 1)
	if in.To != "0212345678" || in.From != "01055556666" || in.Trunk != "carrier" || in.Leg == "" {
		t.Fatalf("inbound %+v", in)
	}
	// the 200 carries our advertised Contact and a To-tag
	if c := call.Response.Contact(); c == nil || c.Address.Host != "127.0.0.1" || c.Address.Port != e.s.port {
		t.Fatalf("Contact %v", call.Response.Contact())
	}
	if !call.Response.To().Params.Has("tag") {
		t.Fatal("no To-tag")
	}
	if heard := call.Listen(1200 * time.Millisecond); !heard.Is(660) {
		t.Fatalf("caller heard %s, want hold music ~660 Hz", heard)
	}
	if err := call.Hangup(); err != nil {
		t.Fatal(err)
	}
	if ev := e.h.wait(t, in.Leg, telephony.HungUp); ev.Cause != telephony.CauseNormal {
		t.Fatalf("hung up with %s", ev.Cause)
	}
	e.clean()
}

// TestInboundAnswerHearsSilence: an answered leg the engine has told nothing hears silence
// frames, not nothing.
func TestInboundAnswerHearsSilence(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	call, err := siptest.NewTrunk(t, e.addr).DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	h := call.Listen(600 * time.Millisecond)
	if h.Samples < 2000 || !h.Silent() {
		t.Fatalf("heard %s, want silence frames", h)
	}
	call.Hangup()
}

// TestInboundRefusedByEngine: the engine's refusal is the SIP response.
func TestInboundRefusedByEngine(t *testing.T) {
	e := newEnv(t)
	carrier := siptest.NewTrunk(t, e.addr)
	for _, c := range []struct {
		err  error
		want int
	}{
		{fault.New(fault.NotFound, "unknown_number", "없는 번호입니다"), 404},
		{fault.New(fault.Offline, "cti_disabled", "전화 CTI를 사용하지 않는 서비스입니다"), 480},
		{fault.New(fault.Busy, "busy", "통화 중"), 486},
		{fault.New(fault.Unavailable, "unavailable", "서비스가 중지되는 중입니다"), 503},
		{fmt.Errorf("the loop is gone"), 500},
	} {
		e.h.setInbound(func(telephony.InboundCall) error { return c.err })
		if _, err := carrier.DialFrom("0999", "0101"); siptest.CodeOf(err) != c.want {
			t.Errorf("%v: %v, want %d", c.err, err, c.want)
		}
	}
	if n := len(e.h.all()); n != 0 {
		t.Fatalf("refused calls were reported: %v", e.h.all())
	}
	e.clean()
}

// TestInboundMovedIsRedirected: a number whose service another cluster node serves is
// answered 302 with that node's SIP address as the Contact, so that the proxy in front
// (Kamailio) or the carrier sends the call there.
func TestInboundMovedIsRedirected(t *testing.T) {
	e := newEnv(t)
	carrier := siptest.NewTrunk(t, e.addr)
	e.h.setInbound(func(telephony.InboundCall) error {
		return fault.New(fault.Moved, "other_node", "다른 서버({node})가 맡고 있는 서비스입니다", "node", "b", "sip", "127.0.0.1:5099",
			"http", "127.0.0.1:8099")
	})
	_, err := carrier.DialFrom("0999", "0101")
	var r *siptest.Refused
	if !errors.As(err, &r) || r.Code != 302 {
		t.Fatalf("got %v, want 302", err)
	}
	if c := r.Response.Contact(); c == nil || c.Address.Host != "127.0.0.1" || c.Address.Port != 5099 || c.Address.User != "0999" {
		t.Fatalf("Contact %v, want sip:0999@127.0.0.1:5099 (the dialled number at the owner)", c)
	}
	if n := len(e.h.all()); n != 0 {
		t.Fatalf("a redirected call was reported: %v", e.h.all())
	}
	e.clean()
}

// TestInboundHangupCauses: an inbound leg the engine hangs up before answering gets the final
// response of the cause, and nothing is reported back.
func TestInboundHangupCauses(t *testing.T) {
	e := newEnv(t)
	carrier := siptest.NewTrunk(t, e.addr)
	for _, c := range []struct {
		cause telephony.Cause
		want  int
	}{
		{telephony.CauseBusy, 486}, {telephony.CauseDeclined, 603}, {telephony.CauseNoAnswer, 480},
		{telephony.CauseUnavailable, 480}, {telephony.CauseNotFound, 404}, {telephony.CauseRejected, 403},
		{telephony.CauseForced, 603}, {telephony.CauseShutdown, 503}, {telephony.CauseCancelled, 487},
		{telephony.CauseNormal, 487}, {telephony.CauseMediaTimeout, 408}, {telephony.CauseTransferred, 487},
	} {
		e.h.setInbound(func(in telephony.InboundCall) error {
			go func() {
				time.Sleep(20 * time.Millisecond)
				e.s.Hangup(in.Leg, c.cause)
			}()
			return nil
		})
		_, err := carrier.DialFrom("0212345678", "0101")
		if siptest.CodeOf(err) != c.want {
			t.Errorf("%s: %v, want %d", c.cause, err, c.want)
		}
	}
	if n := len(e.h.all()); n != 0 {
		t.Fatalf("the engine's own hang-ups were reported: %v", e.h.all())
	}
	e.clean()
}

// TestCallerCancels: a caller that gives up before the answer gets 487 and the engine hears
// HungUp once.
func TestCallerCancels(t *testing.T) {
	e := newEnv(t)
	carrier := siptest.NewTrunk(t, e.addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := carrier.DialWith(ctx, "0212345678", siptest.Dial{From: "0101"})
		done <- err
	}()
	in := e.h.call(t, 1)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled call was answered")
	}
	if ev := e.h.wait(t, in.Leg, telephony.HungUp); ev.Cause != telephony.CauseCancelled {
		t.Fatalf("cause %s", ev.Cause)
	}
	// answering now is harmless
	e.s.Answer(in.Leg)
	e.s.Hangup(in.Leg, telephony.CauseNormal)
	e.h.quiet(t, in.Leg, 200*time.Millisecond)
	if got := e.h.of(in.Leg); len(got) != 1 {
		t.Fatalf("reports %v, want one HungUp", got)
	}
	e.clean()
}

// TestCancelWithRawPeer checks the wire: 100 Trying at once, 200 to the CANCEL, 487 to the
// INVITE, and the 487 ACKed by the peer ends the transaction.
func TestCancelWithRawPeer(t *testing.T) {
	e := newEnv(t)
	r := newRaw(t, e.addr)
	inv := r.invite("0212345678", "0101", sdpOffer(40000))
	r.send(inv)
	if res := r.response(sip.INVITE, 100); res.StatusCode != 100 {
		t.Fatalf("first response %d, want 100 Trying", res.StatusCode)
	}
	in := e.h.call(t, 1)
	cancel := sip.NewRequest(sip.CANCEL, inv.Recipient)
	cancel.AppendHeader(sip.HeaderClone(inv.Via()))
	cancel.AppendHeader(sip.HeaderClone(inv.From()))
	cancel.AppendHeader(sip.HeaderClone(inv.To()))
	cancel.AppendHeader(sip.HeaderClone(inv.CallID()))
	cancel.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.CANCEL})
	cancel.SetBody(nil)
	r.send(cancel)
	if res := r.response(sip.CANCEL, 200); res.StatusCode != 200 {
		t.Fatalf("CANCEL answered %d", res.StatusCode)
	}
	res := r.response(sip.INVITE, 200)
	if res.StatusCode != 487 {
		t.Fatalf("INVITE answered %d, want 487", res.StatusCode)
	}
	r.send(r.ack(inv, res))
	e.h.wait(t, in.Leg, telephony.HungUp)
	// a CANCEL for nothing is 481
	other := sip.NewRequest(sip.CANCEL, inv.Recipient)
	via := inv.Via().Clone()
	via.Params.Remove("branch")
	via.Params.Add("branch", "z9hG4bK-nothing")
	other.AppendHeader(via)
	other.AppendHeader(sip.HeaderClone(inv.From()))
	other.AppendHeader(sip.HeaderClone(inv.To()))
	callID := sip.CallIDHeader("nothing")
	other.AppendHeader(&callID)
	other.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.CANCEL})
	other.SetBody(nil)
	r.send(other)
	if res := r.response(sip.CANCEL, 200); res.StatusCode != 481 {
		t.Fatalf("CANCEL of nothing: %d, want 481", res.StatusCode)
	}
	e.clean()
}

// TestEngineHangsUpAnsweredInbound: BYE goes to the caller; nothing is reported but the
// leg's quality.
func TestEngineHangsUpAnsweredInbound(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	call, err := siptest.NewTrunk(t, e.addr).DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	in := e.h.call(t, 1)
	e.s.Hangup(in.Leg, telephony.CauseNormal)
	if !call.WaitEnded(5*time.Second) || !call.ByeReceived() {
		t.Fatal("no BYE reached the caller")
	}
	e.h.wait(t, in.Leg, telephony.QualityReport)
	e.h.quiet(t, in.Leg, 200*time.Millisecond)
	if got := e.h.of(in.Leg); len(got) != 1 {
		t.Fatalf("reported %v", got)
	}
	e.clean()
}

// TestAckTimeout: an answer never ACKed ends the leg after 64*T1: HungUp, and BYE.
func TestAckTimeout(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	inv := r.invite("0212345678", "0101", sdpOffer(40002))
	start := time.Now()
	r.send(inv)
	in := e.h.call(t, 1)
	ok := r.response(sip.INVITE, 200)
	if ok.StatusCode != 200 {
		t.Fatalf("%d, want 200", ok.StatusCode)
	}
	// the 200 is retransmitted while no ACK comes
	if again := r.response(sip.INVITE, 200); again.StatusCode != 200 {
		t.Fatalf("retransmission %d", again.StatusCode)
	}
	ev := e.h.wait(t, in.Leg, telephony.HungUp)
	took := time.Since(start)
	if took < 60*testT1 || took > 80*testT1 {
		t.Fatalf("gave up after %v, want about 64*T1 = %v", took, 64*testT1)
	}
	if ev.Cause != telephony.CauseUnavailable {
		t.Fatalf("cause %s", ev.Cause)
	}
	bye := r.request(sip.BYE)
	if bye.To().Params.GetOr("tag", "") != "raw1" && bye.From().Params.GetOr("tag", "") == "" {
		t.Fatalf("BYE tags: From %s To %s", bye.From().Value(), bye.To().Value())
	}
	r.send(reply(bye, 200, "", nil))
	e.clean()
}

// TestDelayedOffer: an INVITE without SDP gets our offer in the 200, its answer comes in the
// ACK, and media flows both ways.
func TestDelayedOffer(t *testing.T) {
	e := newEnv(t)
	e.h.setInbound(func(c telephony.InboundCall) error {
		go func() {
			e.s.Answer(c.Leg)
			e.s.Play(c.Leg, telephony.AudioHold, true)
		}()
		return nil
	})
	call, err := siptest.NewTrunk(t, e.addr, siptest.Options{Codec: media.PCMA}).DialWith(context.Background(), "0212345678",
		siptest.Dial{From: "0101", LateOffer: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(call.Response.Body()), "PCMU") || !strings.Contains(string(call.Response.Body()), "PCMA") {
		t.Fatalf("our offer:\n%s", call.Response.Body())
	}
	if h := call.Listen(time.Second); !h.Is(660) {
		t.Fatalf("heard %s", h)
	}
	call.Hangup()
	e.clean()
}

// TestHangupBeforeTheACKSendsBYEOnTheACK: the engine hangs up a call it has just answered,
// before the caller's ACK arrives. The BYE must wait for that ACK (RFC 3261 §15) and go out
// as soon as it lands. Fails before the fix: the ended leg was forgotten at once, its ACK was
// matched to nothing, and the BYE waited the whole 64*T1 for an ACK that had come.
func TestHangupBeforeTheACKSendsBYEOnTheACK(t *testing.T) {
	e := newEnv(t)
	e.h.answering(e.s)
	r := newRaw(t, e.addr)
	inv := r.invite("0212345678", "0101", sdpOffer(r.port()+2))
	r.send(inv)
	ok := r.response(sip.INVITE, 200)
	if ok.StatusCode != 200 {
		t.Fatalf("answered %d", ok.StatusCode)
	}
	e.s.Hangup(e.h.call(t, 1).Leg, telephony.CauseNormal)
	acked := time.Now()
	r.send(r.ack(inv, ok))
	bye := r.request(sip.BYE)
	if waited := time.Since(acked); waited > 32*testT1 {
		t.Fatalf("the BYE came %v after the ACK; it waited for an ACK that had come", waited)
	}
	r.send(reply(bye, 200, "", nil))
	e.clean()
}
