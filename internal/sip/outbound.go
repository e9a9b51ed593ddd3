package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// Place implements telephony.Telephony. It returns at once; the leg's INVITE runs on its own
// goroutine and its outcome is reported: Ringing perhaps, then Answered or Failed.
func (s *Server) Place(id telephony.LegID, to telephony.Target) {
	if to.Kind == telephony.TargetBrowser {
		s.placeBrowser(id, to)
		return
	}
	l := s.newLeg(id, outbound)
	l.hold.trunkSide = to.Kind == telephony.TargetTrunk
	if !s.addLeg(l) {
		s.log.Error("Place with a leg id already in use; ignored", "leg", id)
		return
	}
	s.goWire(func(ctx context.Context) { s.place(ctx, l, to) })
}

// failed ends a placed leg that got no final response, from its own goroutine: Place must
// never report before it returns.
func (l *leg) failed(cause telephony.Cause, code int) {
	l.fire(inFailed, telephony.Event{Cause: cause, Code: code})
}

// destination is where a placed leg's INVITE goes.
type destination struct {
	ruri      sip.Uri // Request-URI
	to        sip.Uri // To
	dest      string  // host:port to send to instead of the Request-URI's (a phone behind NAT)
	transport string
	// routes is the route set of the INVITE: a phone's Path (RFC 3327) or a trunk's outbound
	// proxy, the first hop first
	routes   []sip.Uri
	user     string // digest credentials for a carrier that challenges
	password string
	pai      bool // put the caller ID in P-Asserted-Identity (trunks)
}

// route finds where a target is reached, or why it is not.
func (s *Server) route(to telephony.Target) (destination, telephony.Cause, int) {
	switch to.Kind {
	case telephony.TargetExtension:
		b, ok := s.reg.lookup(to.Extension, time.Now())
		if !ok && s.cfg.SharedBindings && s.reloadShared() {
			b, ok = s.reg.lookup(to.Extension, time.Now())
		}
		if !ok {
			return destination{}, telephony.CauseUnavailable, 480
		}
		d := destination{ruri: b.contact, to: sip.Uri{Scheme: "sip", User: to.Extension, Host: s.host}, transport: b.transport}
		if len(b.path) > 0 {
			// registered through proxies (RFC 3327): the call follows the Path, over the flow
			// the REGISTER came on when that is a connection still open
			d.routes = b.path
			if t, ok := b.path[0].UriParams.Get("transport"); ok && t != "" {
				d.transport = strings.ToUpper(t)
			}
			if stream(d.transport) && strings.EqualFold(d.transport, b.transport) &&
				s.hasConnection(strings.ToLower(d.transport), b.source) {
				d.dest = b.source
			}
			return d, "", 0
		}
		if t, ok := b.contact.UriParams.Get("transport"); ok && t != "" {
			d.transport = strings.ToUpper(t)
		}
		switch {
		case stream(d.transport) && s.hasConnection(strings.ToLower(d.transport), b.source):
			d.dest = b.source // the phone's own connection: the only way in through its NAT
		case !stream(d.transport) && b.behindNAT():
			d.dest = b.source
		}
		return d, "", 0
	case telephony.TargetTrunk:
		tr, ok := s.dir.Load().Trunk(to.Trunk)
		if !ok {
			s.log.Error("Place to a trunk that is not configured", "trunk", to.Trunk)
			return destination{}, telephony.CauseUnavailable, 503
		}
		if to.Number == "" {
			return destination{}, telephony.CauseNotFound, 484
		}
		host, port := tr.Host, tr.Port
		if h, p, err := net.SplitHostPort(tr.Host); err == nil {
			host = h
			port, _ = strconv.Atoi(p)
		}
		d := destination{ruri: sip.Uri{Scheme: "sip", User: to.Number, Host: host, Port: port},
			to: sip.Uri{Scheme: "sip", User: to.Number, Host: host}, transport: trunkTransport(tr),
			user: tr.Username, password: tr.Password, pai: true}
		if !s.canSend(d.transport) {
			s.log.Error("trunk wants SIP over TLS, which is not enabled (--sips); the call cannot go out", "trunk", tr.ID)
			return destination{}, telephony.CauseUnavailable, 503
		}
		if proxy, ok := outboundProxy(tr, d.transport); ok {
			d.routes = []sip.Uri{proxy}
		}
		return d, "", 0
	}
	return destination{}, telephony.CauseRejected, 500
}

// place runs a placed leg's INVITE transaction(s) to its final response. A call through a
// trunk tries the target's trunk and then its fallbacks (trunkOrder), moving on only when a
// trunk cannot take the call at all.
func (s *Server) place(ctx context.Context, l *leg, to telephony.Target) {
	trunks := []string{""}
	if to.Kind == telephony.TargetTrunk {
		trunks = s.trunkOrder(to.Trunk, to.Fallback)
	}
	var sess *media.Session
	rang := false
	for i, id := range trunks {
		target := to
		if to.Kind == telephony.TargetTrunk {
			target.Trunk = id
		}
		last := i == len(trunks)-1
		dst, cause, code := s.route(target)
		if code != 0 {
			if !last {
				continue // a fallback that is not configured (any more)
			}
			l.failed(cause, code)
			return
		}
		if sess == nil {
			var err error
			if sess, err = s.media.NewSession(); err != nil {
				s.log.Error("no media for a placed call", "leg", l.id, "err", err)
				l.failed(telephony.CauseUnavailable, Status(err))
				return
			}
			if !l.setSession(sess) {
				return
			}
		}
		if st, _, _ := l.snapshot(); st == Cancelling {
			l.fire(inFailed, telephony.Event{}) // hung up before (another) INVITE went out
			return
		}
		o := s.invite(ctx, l, dst, target, sess, &rang, last)
		switch {
		case o.done:
			return
		case o.moveOn && !last:
			s.log.Info("trunk could not take the call; trying the next", "leg", l.id, "trunk", id, "next", trunks[i+1],
				"status", o.code)
			continue
		}
		l.failed(o.cause, o.code)
		return
	}
}

// attempt is how one INVITE (with its challenges and 422s) ended, when it did not end the
// leg itself: the failure to report, or moveOn when another trunk may take the call.
type attempt struct {
	done   bool // answered (or withdrawn while answering): nothing more to do
	cause  telephony.Cause
	code   int
	moveOn bool // the trunk could not be reached, never answered, or answered 503
}

// invite sends one destination our INVITE and follows it to a final response: digest
// challenges are answered, a 422 is asked again with the far end's Min-SE (RFC 4028 §7.4),
// and a 2xx answers the leg. When more trunks follow (last false), an INVITE that gets no
// response at all within 8*T1 is given up so that the next can be tried.
func (s *Server) invite(ctx context.Context, l *leg, dst destination, to telephony.Target, sess *media.Session, rang *bool,
	last bool) attempt {
	fromUser := to.CallerID
	if fromUser == "" {
		fromUser = "ringdesk"
	}
	base := sip.NewRequest(sip.INVITE, dst.ruri)
	from := &sip.FromHeader{DisplayName: to.DisplayName, Address: sip.Uri{Scheme: "sip", User: fromUser, Host: s.host},
		Params: sip.NewParams()}
	callID := sip.CallIDHeader(sip.GenerateTagN(24) + "@" + s.host)
	from.Params.Add("tag", s.localTag(string(callID)))
	maxFwd := sip.MaxForwardsHeader(70)
	base.AppendHeader(from)
	base.AppendHeader(&sip.ToHeader{Address: dst.to, Params: sip.NewParams()})
	base.AppendHeader(&callID)
	base.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	base.AppendHeader(&maxFwd)
	base.AppendHeader(s.contact(dst.transport))
	if dst.pai && to.CallerID != "" {
		base.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+to.CallerID+"@"+s.host+">"))
	}
	base.AppendHeader(sip.NewHeader("Allow", allow))
	base.AppendHeader(sip.NewHeader("Supported", supported))
	// RFC 4028: our interval, the refresher left to the far end
	secs := s.timers.Load().sessionExpires
	base.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(secs)))
	base.AppendHeader(sip.NewHeader("User-Agent", s.cfg.UserAgent))
	base.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	base.SetBody(sess.Offer())
	base.SetTransport(dst.transport)
	setRoutes(base, dst.routes)
	if dst.dest != "" {
		base.SetDestination(dst.dest)
	}
	cli := s.client(dst.transport)
	silence := time.Duration(0)
	if !last {
		silence = 8 * sip.T1
	}

	auths, tooSmall := 0, 0
	for {
		req := base.Clone()
		tx, err := cli.TransactionRequest(ctx, req)
		if err != nil {
			s.log.Info("INVITE not sent", "leg", l.id, "to", dst.ruri.String(), "err", err)
			return attempt{cause: telephony.CauseUnavailable, code: 503, moveOn: true}
		}
		heard := false
		rel := newReliable(req)
		res, err := l.awaitFinal(ctx, cli, req, tx, rang, silence, &heard, rel, dst.dest != "" && len(dst.routes) == 0)
		withdrawn := false
		if st, _, _ := l.snapshot(); st == Cancelling {
			withdrawn = true
		}
		switch {
		case err != nil:
			c := 503
			if errors.Is(err, sip.ErrTransactionTimeout) || errors.Is(err, errNoResponse) {
				c = 408
			}
			s.log.Info("INVITE got no final response", "leg", l.id, "to", dst.ruri.String(), "err", err)
			return attempt{cause: causeOf(c, *rang), code: c, moveOn: !heard && !withdrawn}
		case res.IsSuccess():
			s.answered(l, cli, req, res, tx, dst.dest != "" && len(dst.routes) == 0, rel)
			return attempt{done: true}
		case (res.StatusCode == 401 || res.StatusCode == 407) && dst.password != "" && auths < 2:
			if withdrawn {
				return attempt{cause: telephony.CauseCancelled, code: 487}
			}
			if err := answerChallenge(base, res, dst.user, dst.password); err != nil {
				s.log.Info("carrier challenge not answered", "leg", l.id, "err", err)
				return attempt{cause: telephony.CauseRejected, code: res.StatusCode}
			}
			auths++
			base.CSeq().SeqNo = rel.lastCSeq() + 1
		case res.StatusCode == 422 && tooSmall < 2 && minSEOf(res) > secs && !withdrawn:
			// the far end wants a longer interval (RFC 4028 §7.4): ask again with its minimum
			tooSmall++
			secs = minSEOf(res)
			base.RemoveHeader("Session-Expires")
			base.RemoveHeader("Min-SE")
			base.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(secs)))
			base.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(secs)))
			base.CSeq().SeqNo = rel.lastCSeq() + 1
		default:
			return attempt{cause: causeOf(res.StatusCode, *rang), code: res.StatusCode,
				moveOn: res.StatusCode == 503 && !withdrawn}
		}
	}
}

// errNoResponse: an INVITE got no response at all in the time allowed before another trunk
// is tried.
var errNoResponse = errors.New("no response")

// awaitFinal reads an INVITE transaction's responses until its final one, reporting ringing,
// and sends CANCEL when the engine withdraws the leg: at once if a provisional response
// has come, else as soon as one does (RFC 3261 §9.1). A CANCEL that gets no final response
// within 64*T1 gives the transaction up, and so does silence (no response at all) for the
// given time when it is not 0. heard says whether any response came. Reliable provisional
// responses are acknowledged with PRACK (prack.go); viaSource says the INVITE went to a
// phone's registered source, where the PRACKs go too.
func (l *leg) awaitFinal(ctx context.Context, cli *sipgo.Client, req *sip.Request, tx sip.ClientTransaction, rang *bool,
	silence time.Duration, heard *bool, rel *reliable, viaSource bool) (*sip.Response, error) {
	provisional, withdrawn, cancelled := false, false, false
	hangup := l.hangup
	var giveUp, quiet <-chan time.Time
	if silence > 0 {
		t := time.NewTimer(silence)
		defer t.Stop()
		quiet = t.C
	}
	cancel := func() {
		if cancelled {
			return
		}
		cancelled = true
		l.s.goWire(func(ctx context.Context) { l.s.sendCancel(ctx, cli, req) })
		t := time.NewTimer(64 * sip.T1)
		giveUp = t.C
	}
	for {
		select {
		case res := <-tx.Responses():
			*heard, quiet = true, nil
			if !res.IsProvisional() {
				return res, nil
			}
			provisional = true
			if rseq, cseq, ok := rel.take(res); ok {
				l.s.goWire(func(ctx context.Context) { l.s.prack(ctx, cli, req, res, rseq, cseq, viaSource) })
			}
			if res.StatusCode == 180 || res.StatusCode == 183 {
				*rang = true
				l.fire(inRinging, telephony.Event{Code: res.StatusCode})
			}
			if withdrawn {
				cancel()
			}
		case <-hangup:
			hangup, withdrawn = nil, true
			if provisional {
				cancel()
			}
		case <-giveUp:
			tx.Terminate()
			return nil, errors.New("no final response after CANCEL")
		case <-quiet:
			// nothing at all from this destination: another may take the call (a late 2xx
			// is ACKed and ended as a stray)
			tx.Terminate()
			return nil, errNoResponse
		case <-tx.Done():
			return nil, tx.Err()
		case <-ctx.Done():
			tx.Terminate()
			return nil, ctx.Err()
		}
	}
}

// sendCancel cancels an INVITE: same Request-URI, top Via, Call-ID, From, To, CSeq number
// and Route as the INVITE, sent where it went (§9.1).
func (s *Server) sendCancel(ctx context.Context, cli *sipgo.Client, inv *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, inv.Recipient)
	c.AppendHeader(sip.HeaderClone(inv.Via()))
	c.AppendHeader(sip.HeaderClone(inv.From()))
	c.AppendHeader(sip.HeaderClone(inv.To()))
	c.AppendHeader(sip.HeaderClone(inv.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxFwd := sip.MaxForwardsHeader(70)
	c.AppendHeader(&maxFwd)
	sip.CopyHeaders("Route", inv, c)
	c.SetBody(nil)
	c.SetTransport(inv.Transport())
	c.SetDestination(inv.Destination())
	c.Laddr = inv.Laddr
	ctx, done := context.WithTimeout(ctx, 64*sip.T1)
	defer done()
	res, err := cli.Do(ctx, c, func(*sipgo.Client, *sip.Request) error { return nil })
	if err != nil {
		s.log.Debug("CANCEL not answered", "call-id", inv.CallID().Value(), "err", err)
	} else if res.StatusCode != 200 {
		s.log.Debug("CANCEL refused", "call-id", inv.CallID().Value(), "status", res.StatusCode)
	}
}

// answered takes a 2xx to our INVITE: it is ACKed whatever happens next; a leg the engine
// withdrew meanwhile (the answer crossed our CANCEL) is ended with BYE without a word to the
// engine.
func (s *Server) answered(l *leg, cli *sipgo.Client, req *sip.Request, res *sip.Response, tx sip.ClientTransaction, viaSource bool,
	rel *reliable) {
	dlg := newUACDialog(s, res, req.Recipient)
	if viaSource && len(dlg.routes) == 0 {
		// we reached the phone at its registered source rather than its Contact (NAT): keep
		// doing so for the rest of the call
		dlg.source, dlg.nat = req.Destination(), true
	}
	l.bindDialog(dlg)
	// set before the ACK goes, so that no retransmission of the 2xx after it is missed
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			dlg.ackAgain()
		}
	})
	if err := dlg.sendAck(); err != nil {
		s.log.Info("ACK not sent", "leg", l.id, "err", err)
	}
	// the ACK has the INVITE's CSeq; our requests from now on follow our PRACKs'
	dlg.mu.Lock()
	dlg.localSeq = max(dlg.localSeq, rel.lastCSeq())
	dlg.mu.Unlock()
	_, _, sess := l.snapshot()
	if src, err := netip.ParseAddrPort(res.Source()); err == nil {
		// the phone (at its registered source) or carrier that answered: its media is its own
		sess.ExpectSource(src.Addr())
	}
	answer := res.Body()
	if len(answer) == 0 {
		answer = rel.sdpAnswer() // the answer came in a reliable 18x (RFC 3262 §5)
	}
	if err := sess.Accept(answer); err != nil {
		s.log.Info("answer without usable SDP; hanging up", "leg", l.id, "err", err)
		l.fire(inFailed, telephony.Event{Cause: telephony.CauseRejected, Code: 488})
		dlg.bye()
		return
	}
	s.media.Silence(sess)
	l.timerAsUAC(res)
	if act, ok := l.fire(inAnswered, telephony.Event{Code: res.StatusCode}); ok && act == actBye {
		dlg.bye()
	}
}

// placeBrowser rings an agent's browser softphone through the plugged-in BrowserLegs.
func (s *Server) placeBrowser(id telephony.LegID, to telephony.Target) {
	l := s.newLeg(id, browser)
	if !s.addLeg(l) {
		s.log.Error("Place with a leg id already in use; ignored", "leg", id)
		return
	}
	b := s.browserLegs()
	if b == nil {
		s.goWire(func(context.Context) { l.failed(telephony.CauseUnavailable, 480) })
		return
	}
	b.Place(id, to.Agent, to.CallerID, to.DisplayName)
}

// BrowserReport takes the browser legs' events and passes them through the leg state
// machine to the engine, so they too are reported once and never after the leg's end.
func (s *Server) BrowserReport(ev telephony.Event) {
	l := s.leg(ev.Leg)
	if l == nil || l.dir != browser {
		return
	}
	var in input
	switch ev.Kind {
	case telephony.Ringing:
		in = inRinging
	case telephony.Answered:
		in = inAnswered
		if ep := s.endpoint(l); ep != nil {
			l.mu.Lock()
			l.ep = ep
			l.mu.Unlock()
		}
	case telephony.Failed:
		in = inFailed
	case telephony.HungUp:
		in = inBye
	case telephony.Held:
		in = inHold
	case telephony.Resumed:
		in = inResume
	case telephony.DTMF:
		in = inDTMF
	case telephony.PlayDone:
		in = inPlayDone
	default:
		return
	}
	l.fire(in, ev)
}
