package sip

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Reliable provisional responses to INVITEs we send (RFC 3262). Our INVITE says Supported:
// 100rel; a far end that then sends an 18x with Require: 100rel and an RSeq retransmits it
// until we acknowledge it with PRACK. The PRACK is a request of its own in the early dialog
// the 18x made (its To-tag, Contact and Record-Route), with the next CSeq of the call and
// RAck naming the response; sipgo's non-INVITE transaction sends it again on UDP until its
// final response comes. An SDP answer in a reliable 18x is the call's answer (RFC 3262 §5):
// the 2xx that follows often carries none.

// reliable is what one INVITE transaction of ours has seen of reliable provisional responses.
type reliable struct {
	mu     sync.Mutex
	rseq   map[string]uint32 // the RSeq last acknowledged, by early dialog (To-tag)
	cseq   uint32            // the highest CSeq the call has used: the INVITE's, then each PRACK's
	answer []byte            // the SDP answer a reliable 18x carried
}

func newReliable(invite *sip.Request) *reliable {
	return &reliable{rseq: map[string]uint32{}, cseq: invite.CSeq().SeqNo}
}

// lastCSeq is the highest CSeq the call has used so far.
func (r *reliable) lastCSeq() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cseq
}

// sdpAnswer is the answer a reliable 18x carried, nil if none did.
func (r *reliable) sdpAnswer() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.answer
}

// rseqOf reads a response's RSeq when it is a reliable provisional response: a 1xx other than
// 100 that requires 100rel and numbers itself.
func rseqOf(res *sip.Response) (uint32, bool) {
	if !res.IsProvisional() || res.StatusCode == 100 || !has(headerTokens(res, "Require"), "100rel") {
		return 0, false
	}
	h := res.GetHeader("RSeq")
	if h == nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint32(n), true
}

// take decides whether a provisional response must be acknowledged and, if so, reserves the
// PRACK's CSeq. A response is PRACKed when it is the first reliable one of its early dialog
// or the next in sequence; a retransmission (an RSeq already acknowledged: our PRACK's own
// transaction resends it if it was lost) or one out of order is not (RFC 3262 §4).
func (r *reliable) take(res *sip.Response) (rseq, cseq uint32, ok bool) {
	rseq, ok = rseqOf(res)
	if !ok || res.To() == nil {
		return 0, 0, false
	}
	tag, _ := res.To().Params.Get("tag")
	if tag == "" {
		return 0, 0, false // no early dialog to send the PRACK in
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, seen := r.rseq[tag]; seen && rseq != last+1 {
		return 0, 0, false
	}
	r.rseq[tag] = rseq
	r.cseq++
	if len(res.Body()) > 0 && r.answer == nil {
		r.answer = append([]byte(nil), res.Body()...)
	}
	return rseq, r.cseq, true
}

// prack acknowledges a reliable provisional response to our INVITE req: in the early dialog
// it made, with CSeq cseq and RAck naming it. viaSource: the INVITE went to the phone's
// registered source rather than its Contact (NAT), and so does the PRACK.
func (s *Server) prack(ctx context.Context, cli *sipgo.Client, req *sip.Request, res *sip.Response, rseq, cseq uint32,
	viaSource bool) {
	early := newUACDialog(s, res, req.Recipient)
	if viaSource && len(early.routes) == 0 {
		early.source, early.nat = req.Destination(), true
	}
	early.localSeq = cseq - 1 // request() takes the next
	p := early.request(sip.PRACK)
	p.AppendHeader(sip.NewHeader("RAck", strconv.FormatUint(uint64(rseq), 10)+" "+
		strconv.FormatUint(uint64(req.CSeq().SeqNo), 10)+" INVITE"))
	p.AppendHeader(sip.NewHeader("User-Agent", s.cfg.UserAgent))
	ctx, cancel := context.WithTimeout(ctx, 64*sip.T1)
	defer cancel()
	r, err := cli.Do(ctx, p)
	switch {
	case err != nil:
		s.log.Info("PRACK not answered", "call-id", early.callID, "rseq", rseq, "err", err)
	case !r.IsSuccess():
		s.log.Info("PRACK refused", "call-id", early.callID, "rseq", rseq, "status", r.StatusCode)
	}
}
