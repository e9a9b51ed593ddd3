package sip

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/telephony"
)

// inDialog finds the live leg a request inside a dialog belongs to, and checks its CSeq. On
// failure it has answered (481, or 500 for a request out of order) and returns nil.
func (s *Server) inDialog(req *sip.Request, tx sip.ServerTransaction) (*leg, *dialog) {
	key, ok := requestKey(req)
	var l *leg
	if ok {
		l = s.legOfDialog(key)
	}
	if l == nil {
		s.refuse(tx, req, 481, "")
		return nil, nil
	}
	st, dlg, _ := l.snapshot()
	if st == Ended || dlg == nil {
		s.refuse(tx, req, 481, "")
		return nil, nil
	}
	if req.CSeq() == nil || !dlg.inSequence(req) {
		s.refuse(tx, req, 500, "Server Internal Error: CSeq out of order")
		return nil, nil
	}
	s.trustConnection(req)
	return l, dlg
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l, _ := s.inDialog(req, tx)
	if l == nil {
		return
	}
	s.respond(tx, req, 200, "")
	l.fire(inBye, telephony.Event{Cause: telephony.CauseNormal})
}

// onAck takes the ACK of a 2xx we sent (a 2xx's ACK is a transaction of its own).
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	key, ok := requestKey(req)
	if !ok || req.CSeq() == nil {
		return
	}
	if l := s.legOfDialog(key); l != nil {
		if _, dlg, _ := l.snapshot(); dlg != nil {
			dlg.acked(req)
		}
	}
}

// onCancel answers a CANCEL that matched no INVITE transaction (sipgo answers the others
// itself: 200 to the CANCEL, 487 to the INVITE).
func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(tx, req, 481, "")
}

// onReinvite takes a new offer inside a dialog: hold, resume, a new address or codec. An
// offerless re-INVITE gets our offer in the 200 and its answer in the ACK.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l, dlg := s.inDialog(req, tx)
	if l == nil {
		return
	}
	_, _, sess := l.snapshot()
	if sess == nil {
		s.respond(tx, req, 488, "")
		return
	}
	// every re-INVITE we accept refreshes the session (RFC 4028 §9)
	tmr, tooSmall := negotiateUAS(req, s.timers.Load().sessionExpires)
	if tooSmall {
		s.refuseTooSmall(tx, req)
		return
	}
	if dlg.ownReinviteOut() {
		s.respond(tx, req, 491, "") // it crossed ours (§14.2)
		return
	}
	if !dlg.beginReinvite() {
		res := sip.NewResponseFromRequest(req, 500, "Server Internal Error: a re-INVITE is pending", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", "1"))
		s.send(tx, res)
		return
	}
	defer dlg.endReinvite()
	offerless := len(req.Body()) == 0
	var ours []byte
	var hold bool
	if offerless {
		ours = sess.Offer()
	} else {
		var err error
		if ours, hold, err = sess.Reoffer(req.Body()); err != nil {
			// RFC 3261 §14.2: an offer we cannot take leaves the session as it was
			s.log.Info("re-INVITE offer refused", "leg", l.id, "err", err)
			s.respond(tx, req, 488, "")
			return
		}
	}
	dlg.refreshTarget(req)
	res := sip.NewResponseFromRequest(req, 200, "OK", ours)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(s.contact(dlg.transport))
	res.AppendHeader(sip.NewHeader("Allow", allow))
	addTimerHeaders(res, tmr)
	l.timerAsUAS(tmr, req)
	if offerless {
		ack, _ := dlg.deliver2xx(tx, res, req.CSeq().SeqNo)
		if ack == nil || sess.Accept(ack.Body()) != nil {
			return // the session stays as it was
		}
		l.holdChanged(sess.Held())
		return
	}
	// report at once; the ACK only confirms
	s.wg.Add(1)
	go func() { defer s.wg.Done(); l.holdChanged(hold) }()
	dlg.deliver2xx(tx, res, req.CSeq().SeqNo)
}

// onUpdate takes an UPDATE (RFC 3311): like a re-INVITE, without the ACK.
func (s *Server) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	l, dlg := s.inDialog(req, tx)
	if l == nil {
		return
	}
	// an UPDATE refreshes the session as a re-INVITE does (RFC 4028 §9)
	tmr, tooSmall := negotiateUAS(req, s.timers.Load().sessionExpires)
	if tooSmall {
		s.refuseTooSmall(tx, req)
		return
	}
	dlg.refreshTarget(req)
	_, _, sess := l.snapshot()
	if len(req.Body()) == 0 || sess == nil {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(s.contact(dlg.transport))
		addTimerHeaders(res, tmr)
		l.timerAsUAS(tmr, req)
		s.send(tx, res)
		return
	}
	ours, hold, err := sess.Reoffer(req.Body())
	if err != nil {
		s.respond(tx, req, 488, "")
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", ours)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(s.contact(dlg.transport))
	addTimerHeaders(res, tmr)
	l.timerAsUAS(tmr, req)
	s.send(tx, res)
	l.holdChanged(hold)
}

// onInfo takes DTMF sent as SIP INFO (application/dtmf-relay or application/dtmf), which
// some phones use instead of RFC 4733; an empty INFO is a keep-alive.
func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	l, _ := s.inDialog(req, tx)
	if l == nil {
		return
	}
	body := strings.TrimSpace(string(req.Body()))
	if body == "" {
		s.respond(tx, req, 200, "")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(strings.SplitN(h.Value(), ";", 2)[0]))
	}
	digit := ""
	switch ct {
	case "application/dtmf-relay":
		for _, line := range strings.Split(body, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				digit = infoDigit(strings.TrimSpace(v))
			}
		}
	case "application/dtmf":
		digit = infoDigit(body)
	default:
		res := sip.NewResponseFromRequest(req, 415, reasonPhrase(415), nil)
		res.AppendHeader(sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		s.send(tx, res)
		return
	}
	if digit == "" {
		s.respond(tx, req, 400, "Bad Request: not a DTMF digit")
		return
	}
	s.respond(tx, req, 200, "")
	l.fire(inDTMF, telephony.Event{Digit: digit})
}

// infoDigit reads a digit as phones write it in INFO: 0-9, *, #, A-D, or 10 and 11 for * and #.
func infoDigit(v string) string {
	switch v = strings.ToUpper(v); v {
	case "10":
		return "*"
	case "11":
		return "#"
	}
	if len(v) == 1 && strings.Contains("0123456789*#ABCD", v) {
		return v
	}
	return ""
}

// onStrayResponse takes responses no transaction of ours wanted. A 2xx to an INVITE must
// still be ACKed (RFC 3261 §13.2.2.4): a retransmission for a live dialog is ACKed again; one
// for a dialog we do not have (its INVITE was given up) is ACKed and ended with BYE at once,
// so that no phone is left connected to nothing — but only when its From-tag is one we made
// for its Call-ID (localTag). Anything else is a stranger's: ACKing it and sending BYE (and
// resending it) to whatever Contact it names made the server a reflector, a dozen packets
// to a victim for each one forged. Those are dropped and counted.
func (s *Server) onStrayResponse(res *sip.Response) {
	if !res.IsSuccess() || res.CSeq() == nil || res.CSeq().MethodName != sip.INVITE {
		return
	}
	key, ok := responseKey(res)
	if !ok {
		s.dropStray(res)
		return
	}
	if l := s.legOfDialog(key); l != nil {
		if _, dlg, _ := l.snapshot(); dlg != nil {
			dlg.ackAgain()
			return
		}
	}
	if tag, _ := res.From().Params.Get("tag"); !s.ourTag(res.CallID().Value(), tag) {
		s.dropStray(res)
		return
	}
	// its retransmissions come until our ACK lands: one BYE is enough
	now := time.Now()
	if at, seen := s.strays.LoadOrStore(key, now); seen && now.Sub(at.(time.Time)) < 64*sip.T1 {
		return
	}
	s.strays.Range(func(k, at any) bool {
		if now.Sub(at.(time.Time)) > 64*sip.T1 {
			s.strays.Delete(k)
		}
		return true
	})
	d := strayDialog(s, res)
	s.log.Info("a 2xx for an INVITE we gave up; ending it", "call-id", d.callID, "from", res.Source())
	if err := d.sendAck(); err != nil {
		return
	}
	s.goWire(func(_ context.Context) { d.bye() })
}

// dropStray counts a 2xx that answers no INVITE of ours and says so now and then.
func (s *Server) dropStray(res *sip.Response) {
	s.counters.strays.Add(1)
	src := hostOnly(res.Source())
	if ok, dropped := s.logBudget.allow("stray "+src, time.Now()); ok {
		callID := ""
		if res.CallID() != nil {
			callID = truncate(res.CallID().Value(), 80)
		}
		s.log.Warn("sip: dropped a 2xx to an INVITE we never sent", "source", src, "call-id", callID,
			"dropped_since_last_said", dropped)
	}
}
