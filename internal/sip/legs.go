package sip

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

type legState int

const (
	proceeding legState = iota // inbound: waiting for the engine; outbound: INVITE sent
	ringing                    // outbound: 180/183 seen
	answered
	ended
)

// leg is one call leg: a SIP dialog with its RTP session, or a browser leg.
type leg struct {
	s       *Server
	id      telephony.LegID
	inbound bool
	browser bool

	mu       sync.Mutex
	state    legState
	sess     *media.Session
	srv      *sipgo.DialogServerSession
	cli      *sipgo.DialogClientSession
	decide   chan decision // inbound: the engine's Answer or Hangup
	cancel   context.CancelFunc
	dialogID string
	held     bool
}

type decision struct {
	answer bool
	cause  telephony.Cause
}

func (s *Server) addLeg(l *leg) {
	s.mu.Lock()
	s.legs[l.id] = l
	s.mu.Unlock()
}

func (s *Server) leg(id telephony.LegID) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.legs[id]
}

// Legs reports how many legs are live (for tests and metrics).
func (s *Server) Legs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.legs)
}

// report delivers an event unless the leg has already ended; a final event ends it.
func (l *leg) report(kind telephony.EventKind, cause telephony.Cause, code int) {
	l.mu.Lock()
	if l.state == ended {
		l.mu.Unlock()
		return
	}
	final := kind == telephony.Failed || kind == telephony.HungUp
	l.mu.Unlock()
	if final {
		l.finish()
	}
	if h := l.s.handler; h != nil {
		h.Report(telephony.Event{Leg: l.id, Kind: kind, Cause: cause, Code: code})
	}
}

// finish ends the leg's local state: media released, forgotten. It reports whether this call
// did it (a leg is finished once).
func (l *leg) finish() bool {
	l.mu.Lock()
	if l.state == ended {
		l.mu.Unlock()
		return false
	}
	l.state = ended
	sess, srv, cli, dlgID := l.sess, l.srv, l.cli, l.dialogID
	l.mu.Unlock()
	s := l.s
	s.mu.Lock()
	delete(s.legs, l.id)
	if dlgID != "" {
		delete(s.dialogs, dlgID)
	}
	s.mu.Unlock()
	if sess != nil {
		sess.Close() // also detaches it from bridges and players
	}
	if srv != nil {
		srv.Close()
	}
	if cli != nil {
		cli.Close()
	}
	return true
}

func (l *leg) setDialog(id string) {
	l.mu.Lock()
	l.dialogID = id
	l.mu.Unlock()
	l.s.mu.Lock()
	l.s.dialogs[id] = l
	l.s.mu.Unlock()
}

// ---- inbound ----

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		s.onReinvite(req, tx)
		return
	}
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.Contact() == nil {
		s.respond(tx, req, 400, "Bad Request: missing From, To, Call-ID or Contact")
		return
	}
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		s.respond(tx, req, 400, "Bad Request")
		return
	}
	d := s.dir.Load()
	ext := req.From().Address.User
	_, isExt := d.exts[ext]
	// A known extension calling from where it registered (or with credentials) is a phone;
	// otherwise an allowed address is a trunk. Phones and trunks may share an address (a
	// test machine, a PBX in front of both), so the address alone does not decide.
	phone := isExt && (req.GetHeader("Proxy-Authorization") != nil || s.reg.from(ext, req.Source(), time.Now()))
	tr, fromTrunk := d.trunkFrom(src.Addr())
	if phone || !fromTrunk {
		fromTrunk = false
		if !isExt {
			s.respond(tx, req, 403, "Forbidden") // neither a trunk nor one of our phones
			return
		}
		if !s.authenticate(req, tx, ext, "Proxy-Authorization", 407) {
			return
		}
	}
	sess, err := s.media.NewSession()
	if err != nil {
		s.log.Error("no media session for an inbound call", "err", err)
		s.respond(tx, req, 503, "Service Unavailable")
		return
	}
	answerSDP, err := sess.Answer(req.Body())
	if err != nil {
		sess.Close()
		if errors.Is(err, media.ErrNoCodec) {
			s.respond(tx, req, 488, "Not Acceptable Here")
		} else {
			s.respond(tx, req, 400, "Bad Request: "+err.Error())
		}
		return
	}
	dlg, err := s.dialogUA(req.Transport()).ReadInvite(req, tx)
	if err != nil {
		sess.Close()
		s.respond(tx, req, 400, "Bad Request: "+err.Error())
		return
	}
	dlg.Respond(100, "Trying", nil)
	l := &leg{s: s, id: s.newLegID(), inbound: true, sess: sess, srv: dlg, decide: make(chan decision, 1)}
	s.addLeg(l)
	if fromTrunk {
		err = s.handler.Inbound(telephony.InboundCall{Leg: l.id, To: req.Recipient.User, From: callerNumber(req), Trunk: tr.ID})
	} else {
		err = s.handler.Dialled(telephony.PhoneCall{Leg: l.id, Extension: ext, To: req.Recipient.User})
	}
	if err != nil {
		code := telephony.Code(err)
		dlg.Respond(code, reason(code), nil)
		l.finish()
		return
	}
	select {
	case dec := <-l.decide:
		if !dec.answer {
			code, phrase := codeOf(dec.cause)
			dlg.Respond(code, phrase, nil)
			l.finish()
			return
		}
		l.setDialog(dlg.ID)
		l.mu.Lock()
		l.state = answered
		l.mu.Unlock()
		if err := dlg.RespondSDP(answerSDP); err != nil {
			// no ACK, or the caller cancelled as we answered
			l.report(telephony.HungUp, telephony.CauseCancelled, 0)
			return
		}
	case <-dlg.Context().Done():
		l.report(telephony.HungUp, telephony.CauseCancelled, 0)
	}
}

// callerNumber is the caller's number: P-Asserted-Identity if a trunk sent one, else From.
func callerNumber(req *sip.Request) string {
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		var u sip.Uri
		p := sip.NewParams()
		if _, err := sip.ParseAddressValue(h.Value(), &u, &p); err == nil && u.User != "" {
			return u.User
		}
	}
	return req.From().Address.User
}

// Answer implements telephony.Telephony.
func (s *Server) Answer(id telephony.LegID) {
	if l := s.leg(id); l != nil && l.inbound {
		select {
		case l.decide <- decision{answer: true}:
		default:
		}
	}
}

// ---- outbound ----

// Place implements telephony.Telephony.
func (s *Server) Place(id telephony.LegID, to telephony.Target) {
	if to.Kind == telephony.TargetBrowser {
		if s.browser == nil {
			go s.handler.Report(telephony.Event{Leg: id, Kind: telephony.Failed, Cause: telephony.CauseUnavailable, Code: 480})
			return
		}
		s.addLeg(&leg{s: s, id: id, browser: true})
		s.browser.Place(id, to.Agent, to.CallerID, to.DisplayName)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &leg{s: s, id: id, cancel: cancel}
	s.addLeg(l)
	go s.place(ctx, l, to)
}

func (s *Server) place(ctx context.Context, l *leg, to telephony.Target) {
	defer l.cancel()
	var recipient sip.Uri
	var dest, transport string
	var user, password string
	switch to.Kind {
	case telephony.TargetExtension:
		b, ok := s.reg.lookup(to.Extension, time.Now())
		if !ok {
			l.report(telephony.Failed, telephony.CauseUnavailable, 480)
			return
		}
		recipient, transport = b.contact, b.transport
		if b.nat {
			dest = b.source
		}
	case telephony.TargetTrunk:
		tr, ok := s.dir.Load().byID[to.Trunk]
		if !ok {
			l.report(telephony.Failed, telephony.CauseUnavailable, 503)
			return
		}
		recipient = sip.Uri{Scheme: "sip", User: to.Number, Host: tr.Host, Port: tr.Port}
		transport, user, password = "UDP", tr.Username, tr.Password
	default:
		l.report(telephony.Failed, telephony.CauseRejected, 500)
		return
	}
	sess, err := s.media.NewSession()
	if err != nil {
		l.report(telephony.Failed, telephony.CauseUnavailable, 503)
		return
	}
	l.mu.Lock()
	l.sess = sess
	l.mu.Unlock()
	req := sip.NewRequest(sip.INVITE, recipient)
	req.SetBody(sess.Offer())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	fromUser := to.CallerID
	if fromUser == "" {
		fromUser = "ringdesk"
	}
	from := &sip.FromHeader{DisplayName: to.DisplayName, Address: sip.Uri{Scheme: "sip", User: fromUser, Host: s.host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	if to.Kind == telephony.TargetTrunk && to.CallerID != "" {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+to.CallerID+"@"+s.host+">"))
	}
	if dest != "" {
		req.SetDestination(dest)
	}
	if transport != "" {
		req.SetTransport(strings.ToUpper(transport))
	}
	dlg, err := s.dialogUA(transport).WriteInvite(ctx, req)
	if err != nil {
		s.log.Warn("INVITE not sent", "to", recipient.String(), "err", err)
		l.report(telephony.Failed, telephony.CauseUnavailable, 503)
		return
	}
	l.mu.Lock()
	l.cli = dlg
	l.mu.Unlock()
	rang := false
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: user, Password: password, OnResponse: func(r *sip.Response) error {
		if (r.StatusCode == 180 || r.StatusCode == 183) && !rang {
			rang = true
			l.mu.Lock()
			if l.state == proceeding {
				l.state = ringing
			}
			l.mu.Unlock()
			l.report(telephony.Ringing, "", r.StatusCode)
		}
		return nil
	}})
	if ctx.Err() != nil {
		// the engine hung up while it rang; a 200 that crossed our CANCEL is taken and ended
		if r := dlg.InviteResponse; r != nil && r.IsSuccess() {
			if id, err := sip.DialogIDFromResponse(r); err == nil {
				dlg.ID = id
			}
			dlg.Ack(context.Background())
			byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			dlg.Bye(byeCtx)
			cancel()
		}
		l.finish()
		return
	}
	if err != nil {
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			l.report(telephony.Failed, causeOf(de.Res.StatusCode), de.Res.StatusCode)
		} else {
			l.report(telephony.Failed, telephony.CauseUnavailable, 408)
		}
		return
	}
	if err := sess.Accept(dlg.InviteResponse.Body()); err != nil {
		dlg.Ack(ctx)
		dlg.Bye(ctx)
		l.report(telephony.Failed, telephony.CauseRejected, 488)
		return
	}
	if err := dlg.Ack(ctx); err != nil {
		l.report(telephony.Failed, telephony.CauseUnavailable, 0)
		return
	}
	l.setDialog(dlg.ID)
	l.mu.Lock()
	gone := l.state == ended
	if !gone {
		l.state = answered
	}
	l.mu.Unlock()
	if gone {
		bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		dlg.Bye(bctx)
		cancel()
		return
	}
	l.report(telephony.Answered, "", 200)
}

// ---- ending ----

// Hangup implements telephony.Telephony.
func (s *Server) Hangup(id telephony.LegID, cause telephony.Cause) {
	l := s.leg(id)
	if l == nil {
		return
	}
	if l.browser {
		l.finish()
		if s.browser != nil {
			s.browser.Hangup(id)
		}
		return
	}
	l.mu.Lock()
	st, srv, cli := l.state, l.srv, l.cli
	l.mu.Unlock()
	switch {
	case st == ended:
	case st != answered && l.inbound:
		select {
		case l.decide <- decision{cause: cause}:
		default:
		}
	case st != answered:
		l.cancel() // CANCEL; place() finishes the leg
	default:
		l.finish()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var err error
			if srv != nil {
				err = srv.Bye(ctx)
			} else if cli != nil {
				err = cli.Bye(ctx)
			}
			if err != nil {
				s.log.Debug("BYE", "leg", id, "err", err)
			}
		}()
	}
}

// dialogOf finds the leg a request inside a dialog belongs to.
func (s *Server) dialogOf(req *sip.Request) *leg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := sip.DialogIDFromRequestUAS(req); err == nil {
		if l := s.dialogs[id]; l != nil {
			return l
		}
	}
	if id, err := sip.DialogIDFromRequestUAC(req); err == nil {
		if l := s.dialogs[id]; l != nil {
			return l
		}
	}
	return nil
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l := s.dialogOf(req)
	if l == nil {
		s.respond(tx, req, 481, reason(481))
		return
	}
	s.respond(tx, req, 200, "OK")
	l.report(telephony.HungUp, telephony.CauseNormal, 0)
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if l := s.dialogOf(req); l != nil {
		l.mu.Lock()
		srv := l.srv
		l.mu.Unlock()
		if srv != nil {
			srv.ReadAck(req, tx)
		}
	}
}

// onReinvite takes a new offer inside a dialog: hold, resume, a new address or codec.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := s.dialogOf(req)
	if l == nil {
		s.respond(tx, req, 481, reason(481))
		return
	}
	l.mu.Lock()
	sess := l.sess
	l.mu.Unlock()
	if sess == nil || len(req.Body()) == 0 {
		s.respond(tx, req, 488, "Not Acceptable Here: an offer is required")
		return
	}
	answer, hold, err := sess.Reoffer(req.Body())
	if err != nil {
		s.respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", answer)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	contact := s.dialogUA(req.Transport()).ContactHDR
	res.AppendHeader(&contact)
	tx.Respond(res)
	l.mu.Lock()
	changed := l.held != hold
	l.held = hold
	l.mu.Unlock()
	if changed {
		if hold {
			l.report(telephony.Held, "", 0)
		} else {
			l.report(telephony.Resumed, "", 0)
		}
	}
}

// onInDialog answers INFO and UPDATE inside a known dialog (DTMF travels as RFC 4733).
func (s *Server) onInDialog(req *sip.Request, tx sip.ServerTransaction) {
	if s.dialogOf(req) == nil {
		s.respond(tx, req, 481, reason(481))
		return
	}
	s.respond(tx, req, 200, "OK")
}

// ---- media ----

func (s *Server) endpoint(id telephony.LegID) media.Endpoint {
	l := s.leg(id)
	if l == nil {
		return nil
	}
	if l.browser {
		if s.browser == nil {
			return nil
		}
		ep, ok := s.browser.Endpoint(id)
		if !ok {
			return nil
		}
		return ep
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sess == nil {
		return nil
	}
	return l.sess
}

// Play implements telephony.Telephony.
func (s *Server) Play(id telephony.LegID, a telephony.Audio, loop bool) {
	ep := s.endpoint(id)
	if ep == nil {
		return
	}
	var done func()
	if !loop {
		done = func() {
			if l := s.leg(id); l != nil {
				l.report(telephony.PlayDone, "", 0)
			}
		}
	}
	s.media.Play(ep, a, loop, done)
}

// Bridge implements telephony.Telephony.
func (s *Server) Bridge(a, b telephony.LegID) {
	ea, eb := s.endpoint(a), s.endpoint(b)
	if ea == nil || eb == nil {
		return
	}
	s.media.Bridge(ea, eb)
}

// BrowserReport takes the browser legs' events: it forgets legs that ended, then passes the
// event on to the engine.
func (s *Server) BrowserReport(ev telephony.Event) {
	if l := s.leg(ev.Leg); l != nil && (ev.Kind == telephony.Failed || ev.Kind == telephony.HungUp) {
		l.finish()
	}
	if s.handler != nil {
		s.handler.Report(ev)
	}
}
