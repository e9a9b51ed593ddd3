package sip

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/telephony"
)

// onInvite takes a new call: from a trunk (its source is on a trunk's allow-list) or from one
// of our phones (its From is an extension, and it proves it with digest credentials). It runs
// on sipgo's goroutine for the INVITE's transaction until the engine has answered or refused
// the call and, for an answer, until the ACK.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		s.onReinvite(req, tx)
		return
	}
	// Until the caller has proved who it is, every answer is a single packet (sendOnce).
	if s.draining.Load() {
		res := sip.NewResponseFromRequest(req, 503, reasonPhrase(503), nil)
		res.AppendHeader(sip.NewHeader("Retry-After", "30"))
		s.sendOnce(tx, req, res)
		return
	}
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil || req.Contact() == nil {
		s.refuse(tx, req, 400, "Bad Request: From, To, Call-ID, CSeq and Contact are required")
		return
	}
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		s.refuse(tx, req, 400, "")
		return
	}
	// A known extension calling from where it registered, or with credentials, is a phone;
	// otherwise an allowed address is a trunk. Phones and trunks may share an address (a PBX
	// in front of both, a test machine), so the address alone does not decide.
	d := s.dir.Load()
	ext := req.From().Address.User
	_, isExt := s.secrets(ext)
	tr, fromTrunk := d.TrunkFrom(src.Addr())
	phone := isExt && (!fromTrunk || req.GetHeader("Proxy-Authorization") != nil || s.reg.from(ext, req.Source(), time.Now()))
	switch {
	case phone:
		if !s.authenticate(req, tx, ext, 407) {
			return
		}
	case !fromTrunk:
		s.refuse(tx, req, 403, "") // neither a trunk nor one of our phones
		return
	}
	tmr, tooSmall := negotiateUAS(req, s.timers.Load().sessionExpires)
	if tooSmall {
		s.refuseTooSmall(tx, req)
		return
	}
	body := req.Body()
	if ct := req.ContentType(); len(body) > 0 && ct != nil && !strings.HasPrefix(strings.ToLower(ct.Value()), "application/sdp") {
		res := sip.NewResponseFromRequest(req, 415, reasonPhrase(415), nil)
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		s.send(tx, res)
		return
	}

	sess, err := s.media.NewSession()
	if err != nil {
		s.log.Error("no media for an inbound call", "err", err)
		s.respond(tx, req, Status(err), "")
		return
	}
	// the caller proved who it is (digest, or a trunk's address): media from its signalling
	// address is its own, whatever private address its SDP names (NAT)
	sess.ExpectSource(src.Addr())
	// An INVITE without an offer gets ours in the 200 and answers it in the ACK.
	lateOffer := len(body) == 0
	var ours []byte
	if lateOffer {
		ours = sess.Offer()
	} else if ours, err = sess.Answer(body); err != nil {
		sess.Close()
		s.log.Info("inbound offer refused", "call-id", req.CallID().Value(), "from", req.Source(), "err", err)
		s.respond(tx, req, Status(err), "")
		return
	}

	// our copy of the INVITE carries our To-tag, so every response has the same one
	invite := req.Clone()
	invite.To().Params.Add("tag", s.localTag(invite.CallID().Value()))
	dlg := newUASDialog(s, invite)
	l := s.newLeg(s.newLegID(), inbound)
	l.hold.trunkSide = !phone
	l.setSession(sess)
	s.addLeg(l)
	l.bindDialog(dlg)

	var once sync.Once
	cancelled := make(chan struct{})
	if !tx.OnCancel(func(*sip.Request) { once.Do(func() { close(cancelled) }) }) {
		l.fire(inHangup, telephony.Event{}) // cancelled already; the engine never heard of it
		return
	}
	s.send(tx, sip.NewResponseFromRequest(invite, 100, "Trying", nil))

	to := req.Recipient.User
	if phone {
		err = s.handler().Dialled(telephony.PhoneCall{Leg: l.id, Extension: ext, To: to})
	} else {
		err = s.handler().Inbound(telephony.InboundCall{Leg: l.id, To: to, From: callerNumber(req), Trunk: tr.ID})
	}
	if err != nil {
		l.mu.Lock()
		l.code = Status(err)
		l.redirect = redirectTo(err, to)
		l.mu.Unlock()
		l.fire(inHangup, telephony.Event{})
	}
	s.log.Debug("inbound call", "leg", l.id, "from", src, "to", to, "phone", phone, "refused", err)

	select {
	case <-l.decided:
	case <-cancelled:
		l.fire(inCancel, telephony.Event{Cause: telephony.CauseCancelled})
	case <-tx.Done(): // the transport failed under it
		l.fire(inCancel, telephony.Event{Cause: telephony.CauseCancelled})
	case <-s.ctx.Done():
		s.Hangup(l.id, telephony.CauseShutdown)
	}
	<-l.decided // closed by whichever input took the leg out of proceeding

	// The answer goes out only if the leg is still answered at this instant; an engine hang-up
	// from now on sees the dialog up and sends BYE after the ACK.
	l.mu.Lock()
	answered, code, redirect := l.state == Answered, l.code, l.redirect
	if answered {
		dlg.markUp(true)
	}
	l.mu.Unlock()
	if !answered {
		l.settled(dlg)
		select {
		case <-cancelled: // sipgo answered the CANCEL with 487
		default:
			if code == 0 {
				code = 487
			}
			res := sip.NewResponseFromRequest(invite, code, reasonPhrase(code), nil)
			if code == 302 && redirect != "" {
				res.AppendHeader(sip.NewHeader("Contact", redirect))
			}
			s.send(tx, res)
		}
		return
	}
	res := sip.NewResponseFromRequest(invite, 200, "OK", ours)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(s.contact(dlg.transport))
	res.AppendHeader(sip.NewHeader("Allow", allow))
	res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	addTimerHeaders(res, tmr)
	l.timerAsUAS(tmr, req)
	ack, sent := dlg.deliver2xx(tx, res, invite.CSeq().SeqNo)
	l.settled(dlg)
	switch {
	case !sent:
		dlg.markUp(false)
		l.fire(inLost, telephony.Event{Cause: telephony.CauseCancelled})
	case ack == nil:
		s.log.Info("no ACK for our answer; hanging up", "leg", l.id)
		if act, ok := l.fire(inLost, telephony.Event{Cause: telephony.CauseUnavailable}); ok {
			l.act(act)
		}
	case lateOffer:
		if err := sess.Accept(ack.Body()); err != nil {
			s.log.Info("no usable answer in the ACK; hanging up", "leg", l.id, "err", err)
			if act, ok := l.fire(inLost, telephony.Event{Cause: telephony.CauseRejected}); ok {
				l.act(act)
			}
		}
	}
}

// callerNumber is the caller's number: P-Asserted-Identity when the trunk sent one, else the
// user of From.
func callerNumber(req *sip.Request) string {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		// several identities may be listed (a sip: and a tel: URI); the first with a user wins
		for _, v := range strings.Split(h.Value(), ",") {
			var u sip.Uri
			p := sip.NewParams()
			if _, err := sip.ParseAddressValue(strings.TrimSpace(v), &u, &p); err == nil && u.User != "" {
				return u.User
			}
			if t, ok := strings.CutPrefix(strings.Trim(strings.TrimSpace(v), "<>"), "tel:"); ok && t != "" {
				return strings.SplitN(t, ";", 2)[0]
			}
		}
	}
	return req.From().Address.User
}

// Answer implements telephony.Telephony: the INVITE's goroutine sends our 200. The leg hears
// silence until the engine plays or bridges something.
func (s *Server) Answer(id telephony.LegID) {
	l := s.leg(id)
	if l == nil || l.dir != inbound {
		return
	}
	if _, ok := l.fire(inAnswer, telephony.Event{}); ok {
		if _, _, sess := l.snapshot(); sess != nil {
			s.media.Silence(sess)
		}
	}
}
