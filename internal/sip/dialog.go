package sip

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// dialog is one SIP dialog as RFC 3261 §12 keeps it: its identifiers, both sequence numbers,
// the remote target and the route set. It builds the requests we send inside it, so BYE,
// ACK and the rest carry the right tags, CSeq, Route headers and destination whichever side
// created the dialog and whatever proxies recorded themselves on the way.
type dialog struct {
	s         *Server
	callID    string
	localTag  string
	remoteTag string
	local     sip.Uri // our address: From of our requests
	remote    sip.Uri // theirs: To of our requests
	transport string  // UDP or TCP, as the dialog was made

	mu        sync.Mutex
	target    sip.Uri   // the far end's Contact, refreshed by its re-INVITEs
	routes    []sip.Uri // the route set, in the order our requests carry it
	source    string    // where the far end's messages come from (host:port)
	nat       bool      // its Contact names another host than it sends from: requests go to source
	localSeq  uint32
	remoteSeq uint32
	acks      map[uint32]chan *sip.Request // our 2xx to INVITEs, waiting for their ACKs, by CSeq
	up        bool                         // a 2xx was sent or received: the far end knows the dialog
	reinvite  chan struct{}                // a re-INVITE from the far end is being answered: closed when it is done
	ownInvite bool                         // our re-INVITE is out: one of the far end's crossing it gets 491
	ack       *sip.Request                 // placed legs: our ACK to the dialog-making 2xx

	// settled is closed once the dialog-making 2xx has its ACK or gave up waiting: the callee
	// must not send BYE before (RFC 3261 §15).
	settled    chan struct{}
	settleOnce sync.Once
}

// localTag is the tag we give our side of a dialog (the From-tag of an INVITE we send, the
// To-tag of one we answer): random, followed by an HMAC over it and the Call-ID, so that a 2xx
// can be told to answer an INVITE of ours without keeping a record of every one we gave up
// (ourTag). The key lives as long as the process: a 2xx for an INVITE sent before a restart is
// a stranger's.
func (s *Server) localTag(callID string) string {
	r := sip.GenerateTagN(8)
	return r + s.tagMAC(callID, r)
}

// ourTag reports whether a tag is one localTag made for a Call-ID.
func (s *Server) ourTag(callID, tag string) bool {
	if len(tag) != 8+16 {
		return false
	}
	return hmac.Equal([]byte(tag[8:]), []byte(s.tagMAC(callID, tag[:8])))
}

func (s *Server) tagMAC(callID, r string) string {
	m := hmac.New(sha256.New, s.tagKey[:])
	m.Write([]byte(callID))
	m.Write([]byte{0})
	m.Write([]byte(r))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// dialogKey names a dialog from our side, whichever side made it.
func dialogKey(callID, localTag, remoteTag string) string {
	return callID + "\x00" + localTag + "\x00" + remoteTag
}

func (d *dialog) key() string { return dialogKey(d.callID, d.localTag, d.remoteTag) }

// requestKey is the key of the dialog a request sent to us belongs to: we are its To.
func requestKey(req *sip.Request) (string, bool) {
	if req.CallID() == nil || req.To() == nil || req.From() == nil {
		return "", false
	}
	local, ok1 := req.To().Params.Get("tag")
	remote, ok2 := req.From().Params.Get("tag")
	if !ok1 || !ok2 || local == "" {
		return "", false
	}
	return dialogKey(req.CallID().Value(), local, remote), true
}

// responseKey is the key of the dialog a response to our request makes: we are its From.
func responseKey(res *sip.Response) (string, bool) {
	if res.CallID() == nil || res.To() == nil || res.From() == nil {
		return "", false
	}
	local, ok1 := res.From().Params.Get("tag")
	remote, ok2 := res.To().Params.Get("tag")
	if !ok1 || !ok2 || remote == "" {
		return "", false
	}
	return dialogKey(res.CallID().Value(), local, remote), true
}

// newUASDialog is the dialog an INVITE we take makes (§12.1.1). invite is our copy of it,
// already carrying our To-tag.
func newUASDialog(s *Server, invite *sip.Request) *dialog {
	localTag, _ := invite.To().Params.Get("tag")
	remoteTag, _ := invite.From().Params.Get("tag")
	d := &dialog{s: s, callID: invite.CallID().Value(), localTag: localTag, remoteTag: remoteTag,
		local: *invite.To().Address.Clone(), remote: *invite.From().Address.Clone(),
		transport: strings.ToUpper(invite.Transport()), source: invite.Source(),
		remoteSeq: invite.CSeq().SeqNo, localSeq: rand.Uint32N(1 << 16), acks: map[uint32]chan *sip.Request{},
		settled: make(chan struct{})}
	if c := invite.Contact(); c != nil {
		d.target = *c.Address.Clone()
	}
	for _, h := range invite.GetHeaders("Record-Route") {
		if u, ok := routeURI(h); ok {
			d.routes = append(d.routes, u)
		}
	}
	d.nat = hostOnly(d.source) != d.target.Host
	return d
}

// newUACDialog is the dialog a 2xx to our INVITE makes (§12.1.2); target is where the
// INVITE went, the remote target when the 2xx names no Contact.
func newUACDialog(s *Server, res *sip.Response, target sip.Uri) *dialog {
	localTag, _ := res.From().Params.Get("tag")
	remoteTag, _ := res.To().Params.Get("tag")
	d := &dialog{s: s, callID: res.CallID().Value(), localTag: localTag, remoteTag: remoteTag,
		local: *res.From().Address.Clone(), remote: *res.To().Address.Clone(),
		transport: strings.ToUpper(res.Transport()), source: res.Source(),
		localSeq: res.CSeq().SeqNo, acks: map[uint32]chan *sip.Request{}, up: true, settled: make(chan struct{})}
	d.settle() // we ACK the 2xx at once
	d.target = target
	if c := res.Contact(); c != nil && c.Address.Host != "" {
		d.target = *c.Address.Clone()
	}
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		if u, ok := routeURI(rr[i]); ok {
			d.routes = append(d.routes, u)
		}
	}
	d.nat = d.source != "" && hostOnly(d.source) != d.target.Host
	return d
}

// strayDialog is the dialog a 2xx makes when we no longer have its INVITE.
func strayDialog(s *Server, res *sip.Response) *dialog {
	host, port, _ := sip.ParseAddr(res.Source())
	return newUACDialog(s, res, sip.Uri{Scheme: "sip", Host: host, Port: port})
}

// sendAck ACKs the dialog-making 2xx (§13.2.2.4) and keeps the ACK to send again should the
// 2xx be retransmitted.
func (d *dialog) sendAck() error {
	ack := d.request(sip.ACK)
	cli := d.s.client(d.transport)
	// built whole (its Via too) and kept before it goes: a retransmitted 2xx crossing it is
	// ACKed with the very same message (ackAgain)
	if err := sipgo.ClientRequestBuild(cli, ack); err != nil {
		return err
	}
	d.mu.Lock()
	d.ack = ack.Clone()
	d.mu.Unlock()
	return cli.WriteRequest(ack)
}

// sendRefreshAck ACKs the 2xx to a re-INVITE of ours and keeps it, as sendAck does, for
// that 2xx's retransmissions.
func (d *dialog) sendRefreshAck(ack *sip.Request) {
	if err := d.s.client(d.transport).WriteRequest(ack); err != nil {
		d.s.log.Debug("ACK of a refresh not sent", "call-id", d.callID, "err", err)
		return
	}
	d.mu.Lock()
	d.ack = ack.Clone()
	d.mu.Unlock()
}

// ackAgain answers a retransmitted 2xx with the ACK sent for the first.
func (d *dialog) ackAgain() {
	d.mu.Lock()
	ack := d.ack
	d.mu.Unlock()
	if ack != nil {
		d.s.client(d.transport).WriteRequest(ack.Clone())
	}
}

func routeURI(h sip.Header) (sip.Uri, bool) {
	switch r := h.(type) {
	case *sip.RecordRouteHeader:
		return *r.Address.Clone(), true
	case *sip.RouteHeader:
		return *r.Address.Clone(), true
	}
	var u sip.Uri
	if _, err := sip.ParseAddressValue(h.Value(), &u, nil); err != nil {
		return sip.Uri{}, false
	}
	return u, true
}

// request builds a request inside the dialog (§12.2.1.1): the next CSeq (ACK and CANCEL keep
// the INVITE's), our tags, the route set — loose, or strict when its first hop does not say
// lr — and the destination: the first route, else the far end's source when it is behind NAT
// or holds the TCP connection we must reuse, else its Contact.
func (d *dialog) request(method sip.RequestMethod) *sip.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	if method != sip.ACK && method != sip.CANCEL {
		d.localSeq++
	}
	ruri, routes, strict := d.target, d.routes, false
	if len(routes) > 0 && !routes[0].UriParams.Has("lr") {
		ruri, strict = routes[0], true
		ruri.UriParams = nil
		routes = append(append([]sip.Uri(nil), routes[1:]...), d.target)
	}
	req := sip.NewRequest(method, ruri)
	from := &sip.FromHeader{Address: d.local, Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	to := &sip.ToHeader{Address: d.remote, Params: sip.NewParams()}
	to.Params.Add("tag", d.remoteTag)
	callID := sip.CallIDHeader(d.callID)
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.localSeq, MethodName: method})
	req.AppendHeader(&maxFwd)
	for _, r := range routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	req.AppendHeader(d.s.contact(d.transport))
	req.SetTransport(d.transport)
	if strict {
		req.SetDestination(hopAddr(d.routes[0], d.transport)) // the strict router, not the next Route
	}
	if len(d.routes) == 0 {
		switch {
		case stream(d.transport) && d.s.hasConnection(strings.ToLower(d.transport), d.source):
			req.SetDestination(d.source)
		case d.nat:
			req.SetDestination(d.source)
		}
	}
	return req
}

// do sends a request inside the dialog and waits for its final response.
func (d *dialog) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	return d.s.client(d.transport).Do(ctx, req)
}

// markUp records that the dialog-making 2xx is going out: from now on the far end knows the
// dialog and must be sent a BYE to end it.
func (d *dialog) markUp(up bool) {
	d.mu.Lock()
	d.up = up
	d.mu.Unlock()
}

// settle says the dialog-making 2xx exchange is over.
func (d *dialog) settle() { d.settleOnce.Do(func() { close(d.settled) }) }

func (d *dialog) isSettled() bool {
	select {
	case <-d.settled:
		return true
	default:
		return false
	}
}

// bye ends the dialog from our side, once our 2xx has had its ACK (or its time). A dialog
// the far end never learnt of (our 2xx never went out) needs none.
func (d *dialog) bye() {
	d.mu.Lock()
	up := d.up
	d.mu.Unlock()
	if !up {
		return
	}
	select {
	case <-d.settled:
	case <-d.s.ctx.Done():
		return
	}
	ctx, cancel := context.WithTimeout(d.s.ctx, 64*sip.T1)
	defer cancel()
	res, err := d.do(ctx, d.request(sip.BYE))
	switch {
	case err != nil:
		d.s.log.Debug("BYE not answered", "call-id", d.callID, "err", err)
	case !res.IsSuccess() && res.StatusCode != 481:
		d.s.log.Debug("BYE refused", "call-id", d.callID, "status", res.StatusCode)
	}
}

// beginReinvite marks a re-INVITE from the far end as being answered. The far end may send
// its next re-INVITE right after the ACK of the previous one, and the two are handled on their
// own goroutines, so one still pending is waited for a moment; false when it stays pending
// (RFC 3261 §14.2: the second gets 500 with Retry-After).
func (d *dialog) beginReinvite() bool {
	wait := time.NewTimer(4 * sip.T1)
	defer wait.Stop()
	for {
		d.mu.Lock()
		pending := d.reinvite
		if pending == nil {
			d.reinvite = make(chan struct{})
			d.mu.Unlock()
			return true
		}
		d.mu.Unlock()
		select {
		case <-pending:
		case <-wait.C:
			return false
		case <-d.s.ctx.Done():
			return false
		}
	}
}

// beginOwnReinvite marks our re-INVITE as out, unless one of the far end's is being answered
// (RFC 3261 §14.1: not while another INVITE transaction of the dialog is in progress).
func (d *dialog) beginOwnReinvite() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.reinvite != nil || d.ownInvite {
		return false
	}
	d.ownInvite = true
	return true
}

func (d *dialog) endOwnReinvite() {
	d.mu.Lock()
	d.ownInvite = false
	d.mu.Unlock()
}

// ownReinviteOut reports whether our re-INVITE is out: a re-INVITE of the far end's that
// crosses it gets 491 Request Pending (§14.2), and both sides try again after a while.
func (d *dialog) ownReinviteOut() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ownInvite
}

func (d *dialog) endReinvite() {
	d.mu.Lock()
	close(d.reinvite)
	d.reinvite = nil
	d.mu.Unlock()
}

// inSequence checks a request's CSeq against the last one the far end sent (§12.2.2): a
// lower one is out of order and refused.
func (d *dialog) inSequence(req *sip.Request) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := req.CSeq().SeqNo
	if d.remoteSeq != 0 && n < d.remoteSeq {
		return false
	}
	d.remoteSeq = n
	return true
}

// refreshTarget takes the Contact of a target refresh request (re-INVITE, UPDATE).
func (d *dialog) refreshTarget(req *sip.Request) {
	if c := req.Contact(); c != nil && c.Address.Host != "" {
		d.mu.Lock()
		d.target = *c.Address.Clone()
		d.nat = hostOnly(d.source) != d.target.Host
		d.mu.Unlock()
	}
}

// awaitAck registers a 2xx we are about to send for an INVITE with this CSeq.
func (d *dialog) awaitAck(cseq uint32) chan *sip.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	ch := make(chan *sip.Request, 1)
	d.acks[cseq] = ch
	return ch
}

func (d *dialog) forgetAck(cseq uint32) {
	d.mu.Lock()
	delete(d.acks, cseq)
	d.mu.Unlock()
}

// acked takes an ACK; it reports whether a 2xx was waiting for it (retransmitted ACKs find
// none).
func (d *dialog) acked(ack *sip.Request) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	ch, ok := d.acks[ack.CSeq().SeqNo]
	if ok {
		delete(d.acks, ack.CSeq().SeqNo)
		ch <- ack
	}
	return ok
}

// deliver2xx sends a 2xx to an INVITE and keeps sending it on UDP — after T1, doubling up to
// T2 — until its ACK arrives (§13.3.1.4). It returns the ACK, or nil when none came within
// 64*T1 or the server is closing; sent is false when the 2xx could not be sent at all (the
// transaction is over: the caller's CANCEL crossed our answer).
func (d *dialog) deliver2xx(tx sip.ServerTransaction, res *sip.Response, cseq uint32) (ack *sip.Request, sent bool) {
	acks := d.awaitAck(cseq)
	defer d.forgetAck(cseq)
	if err := tx.Respond(res); err != nil {
		return nil, false
	}
	reliable := d.transport != "UDP"
	interval := sip.T1
	retransmit := time.NewTimer(interval)
	defer retransmit.Stop()
	timeout := time.NewTimer(64 * sip.T1)
	defer timeout.Stop()
	for {
		select {
		case a := <-acks:
			return a, true
		case <-retransmit.C:
			if !reliable {
				tx.Respond(res) // an error means the transaction timed out: the timeout says so too
			}
			interval = min(2*interval, sip.T2)
			retransmit.Reset(interval)
		case <-timeout.C:
			return nil, true
		case <-d.s.ctx.Done():
			return nil, true
		}
	}
}

// setRoutes puts a route set on a request outside a dialog (a Path, an outbound proxy), as
// request does inside one: loose, or strict when the first hop does not say lr (RFC 3261
// §12.2.1.1), the Request-URI then moving to the end of the set.
func setRoutes(req *sip.Request, routes []sip.Uri) {
	if len(routes) == 0 {
		return
	}
	if !routes[0].UriParams.Has("lr") {
		ruri := routes[0]
		ruri.UriParams = nil
		req.SetDestination(hopAddr(routes[0], req.Transport()))
		routes = append(append([]sip.Uri(nil), routes[1:]...), req.Recipient)
		req.Recipient = ruri
	}
	for _, r := range routes {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
}

// hopAddr is where a route's hop is sent to: its maddr or host, and its port or the
// transport's default.
func hopAddr(u sip.Uri, transport string) string {
	host := u.Host
	if m, ok := u.UriParams.Get("maddr"); ok && m != "" {
		host = m
	}
	port := u.Port
	if port == 0 {
		port = sip.DefaultPort(transport)
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
}
