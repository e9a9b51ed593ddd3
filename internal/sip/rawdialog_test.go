package sip

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/telephony"
)

// rawCall is a call a raw peer placed to the server and had answered: what the peer needs to
// send requests inside the dialog by hand.
type rawCall struct {
	r      *raw
	invite *sip.Request
	ok     *sip.Response // the server's 2xx
	leg    telephony.LegID
	cseq   uint32
}

// call places a call from the raw peer (a trunk's address) to the DID, waits for the engine
// (which must answer) and the 200, and ACKs it.
func (r *raw) call(e *env, extra ...string) *rawCall {
	r.t.Helper()
	e.h.mu.Lock()
	n := len(e.h.inbound)
	e.h.mu.Unlock()
	inv := r.invite("0212345678", "01055556666", sdpOffer(r.port()+2), extra...)
	r.send(inv)
	res := r.response(sip.INVITE, 200)
	if res.StatusCode != 200 {
		r.t.Fatalf("call refused with %d", res.StatusCode)
	}
	r.send(r.ack(inv, res))
	in := e.h.call(r.t, n+1)
	return &rawCall{r: r, invite: inv, ok: res, leg: in.Leg, cseq: inv.CSeq().SeqNo}
}

// request builds a request inside the call: the server's Contact as Request-URI (or uri when
// given), our tags, the next CSeq, extra header lines and a body.
func (c *rawCall) request(method sip.RequestMethod, body []byte, extra ...string) *sip.Request {
	c.cseq++
	return c.requestSeq(method, c.cseq, body, extra...)
}

func (c *rawCall) requestSeq(method sip.RequestMethod, cseq uint32, body []byte, extra ...string) *sip.Request {
	r := c.r
	r.seq++
	target := c.ok.Contact().Address.String()
	toTag, _ := c.ok.To().Params.Get("tag")
	fromTag, _ := c.invite.From().Params.Get("tag")
	lines := []string{
		fmt.Sprintf("%s %s SIP/2.0", method, target),
		fmt.Sprintf("Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-rawin%d-%d", r.addr(), r.port(), r.seq),
		fmt.Sprintf("From: %s;tag=%s", c.invite.From().Address.String(), fromTag),
		fmt.Sprintf("To: <%s>;tag=%s", c.ok.To().Address.String(), toTag),
		"Call-ID: " + c.invite.CallID().Value(),
		fmt.Sprintf("CSeq: %d %s", cseq, method),
		fmt.Sprintf("Contact: <sip:01055556666@%s>", r.addr()),
		"Max-Forwards: 70",
	}
	lines = append(lines, extra...)
	if body != nil && !hasLine(extra, "Content-Type") {
		lines = append(lines, "Content-Type: application/sdp")
	}
	lines = append(lines, "Content-Length: "+strconv.Itoa(len(body)), "", string(body))
	msg, err := sip.ParseMessage([]byte(strings.Join(lines, "\r\n")))
	if err != nil {
		r.t.Fatal(err)
	}
	return msg.(*sip.Request)
}

func hasLine(lines []string, name string) bool {
	for _, l := range lines {
		if strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)+":") {
			return true
		}
	}
	return false
}

// ackFor builds the ACK of a 2xx to a re-INVITE of the call.
func (c *rawCall) ackFor(reinvite *sip.Request, body []byte) *sip.Request {
	return c.requestSeq(sip.ACK, reinvite.CSeq().SeqNo, body)
}

// do sends a request inside the call and waits for its final response.
func (c *rawCall) do(req *sip.Request) *sip.Response {
	c.r.t.Helper()
	c.r.send(req)
	return c.r.responseTo(req)
}

// responseTo waits for the final response to a request (its CSeq), skipping everything else:
// the 2xx of an earlier INVITE sent again, say.
func (r *raw) responseTo(req *sip.Request) *sip.Response {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, ok := r.next(time.Until(deadline)).(*sip.Response); ok && res.CSeq() != nil &&
			res.CSeq().MethodName == req.Method && res.CSeq().SeqNo == req.CSeq().SeqNo && res.StatusCode >= 200 {
			return res
		}
	}
	r.t.Fatalf("no final response to %s %d", req.Method, req.CSeq().SeqNo)
	return nil
}

// hangup ends the call from the engine and answers the BYE.
func (c *rawCall) hangup(e *env) {
	c.r.t.Helper()
	e.s.Hangup(c.leg, telephony.CauseNormal)
	bye := c.r.request(sip.BYE)
	c.r.send(reply(bye, 200, "", nil))
}

// sdpDir is an offer for the peer's RTP port with a direction attribute.
func sdpDir(port int, dir string) []byte {
	return append(sdpOffer(port), []byte("a="+dir+"\r\n")...)
}

// drain reads what the peer is sent for d and returns it.
func (r *raw) drain(d time.Duration) []sip.Message {
	var out []sip.Message
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return out
		}
		m := r.next(left)
		if m == nil {
			return out
		}
		out = append(out, m)
	}
}

// hangupCheck ends the call from the engine, checks the BYE and answers it.
func (c *rawCall) hangupCheck(e *env, check func(*sip.Request)) {
	c.r.t.Helper()
	e.s.Hangup(c.leg, telephony.CauseNormal)
	bye := c.r.request(sip.BYE)
	check(bye)
	c.r.send(reply(bye, 200, "", nil))
}
