package sip

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/telephony"
)

// Session timers (RFC 4028): a call whose far end has gone without a BYE is found out by its
// periodic refresh, a re-INVITE or UPDATE, failing to come. One side refreshes; the other
// ends the call when a refresh is overdue. The watch over live legs (watch.go) keeps the
// time; this file negotiates the interval and the refresher and sends our refreshes.

// minSE is the shortest session interval we accept (RFC 4028 §4 makes 90 s the floor): a
// request asking less is answered 422 with it.
const minSE = 90

// headered is a request or a response, for reading headers.
type headered interface {
	GetHeader(name string) sip.Header
	GetHeaders(name string) []sip.Header
}

// headerTokens lists the comma-separated values of a header in all its occurrences, under
// its full or compact name, lower-cased.
func headerTokens(m headered, names ...string) []string {
	var out []string
	for _, n := range names {
		for _, h := range m.GetHeaders(n) {
			for _, v := range strings.Split(h.Value(), ",") {
				if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// supportsTimer reports whether a message says Supported: timer (compact form k).
func supportsTimer(m headered) bool { return has(headerTokens(m, "Supported", "k"), "timer") }

// allowsUpdate reports whether a message's Allow lists UPDATE.
func allowsUpdate(m headered) bool { return has(headerTokens(m, "Allow"), "update") }

// sessionExpires reads Session-Expires (compact form x): the interval in seconds and the
// refresher parameter, "uac", "uas" or "". ok is false when there is none or it is not a
// number.
func sessionExpires(m headered) (secs int, refresher string, ok bool) {
	h := m.GetHeader("Session-Expires")
	if h == nil {
		h = m.GetHeader("x")
	}
	if h == nil {
		return 0, "", false
	}
	parts := strings.Split(h.Value(), ";")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n <= 0 {
		return 0, "", false
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	if refresher != "uac" && refresher != "uas" {
		refresher = ""
	}
	return n, refresher, true
}

// minSEOf reads Min-SE, 0 when there is none.
func minSEOf(m headered) int {
	h := m.GetHeader("Min-SE")
	if h == nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(h.Value(), ";", 2)[0]))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// uasTimer is the session timer a 2xx of ours to a request sets up (RFC 4028 §9): interval
// in seconds (0: none) and who refreshes, "uac" (the far end, which sent the request) or
// "uas" (us).
type uasTimer struct {
	interval  int
	refresher string
}

// negotiateUAS decides the session timer of a request we are about to accept, or that it
// must be refused with 422 (tooSmall) because it asks for less than our Min-SE. want is the
// site's session interval.
//
//   - A request that names an interval gets it, reduced to want when want is shorter but
//     never below the request's Min-SE or ours (§9: the UAS may reduce, never increase). One
//     below our Min-SE is refused with 422 when the far end supports timers; when it does not
//     (a proxy put the header in), it cannot read a 422 and the interval is raised instead.
//   - A far end that supports timers but named none is given want.
//   - One that neither supports timers nor names an interval gets none.
//
// The refresher is the one the request names; else the far end when it supports timers (we
// watch for its refreshes), else us (a far end without timers cannot refresh).
func negotiateUAS(req *sip.Request, want int) (t uasTimer, tooSmall bool) {
	secs, refresher, named := sessionExpires(req)
	sup := supportsTimer(req)
	floor := max(minSE, minSEOf(req))
	switch {
	case named && secs < minSE && sup:
		return uasTimer{}, true
	case named:
		secs = max(secs, floor)
		if w := max(want, floor); w < secs {
			secs = w
		}
	case sup:
		secs = max(want, floor)
	default:
		return uasTimer{}, false
	}
	switch {
	case refresher != "":
	case sup:
		refresher = "uac"
	default:
		refresher = "uas"
	}
	if !sup {
		refresher = "uas"
	}
	return uasTimer{interval: secs, refresher: refresher}, false
}

// refuseTooSmall answers a request whose interval is below our Min-SE (RFC 4028 §6).
func (s *Server) refuseTooSmall(tx sip.ServerTransaction, req *sip.Request) {
	res := sip.NewResponseFromRequest(req, 422, "Session Interval Too Small", nil)
	res.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(minSE)))
	s.send(tx, res)
}

// addTimerHeaders puts a negotiated timer into our 2xx: Session-Expires with the refresher,
// and Require: timer when the far end must refresh (§9). Supported: timer goes into every
// 2xx of ours, timer or not.
func addTimerHeaders(res *sip.Response, t uasTimer) {
	res.AppendHeader(sip.NewHeader("Supported", supported))
	if t.interval == 0 {
		return
	}
	res.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(t.interval)+";refresher="+t.refresher))
	if t.refresher == "uac" {
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
}

// sessionTimer is a leg's running session timer.
type sessionTimer struct {
	interval  time.Duration // 0: none
	refresh   bool          // we refresh; else we watch for the far end's refreshes
	last      time.Time     // the watch clock's time of the last refresh (or of the answer)
	useUpdate bool          // the far end takes UPDATE: refresh with it, no offer needed
	inFlight  bool          // our refresh is out
	nextTry   time.Time     // after a refused refresh, not before this
	tries     int           // refreshes refused in a row
}

// setTimer starts or replaces a leg's session timer, at now on the watch clock. interval 0
// turns it off.
func (l *leg) setTimer(interval time.Duration, weRefresh bool, useUpdate bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = sessionTimer{interval: interval, refresh: weRefresh, last: l.s.clock.Now(), useUpdate: useUpdate || l.timer.useUpdate}
}

// timerAsUAS applies a negotiated timer to the leg: we are the request's UAS.
func (l *leg) timerAsUAS(t uasTimer, req *sip.Request) {
	l.setTimer(time.Duration(t.interval)*time.Second, t.refresher == "uas", allowsUpdate(req))
}

// timerAsUAC applies the timer a 2xx to our INVITE (or refresh) sets up (RFC 4028 §7.2): its
// Session-Expires names the interval and who refreshes — "uac" is us, a missing refresher is
// taken as us too, so that the call is never left unwatched; none turns the timer off.
func (l *leg) timerAsUAC(res *sip.Response) {
	secs, refresher, ok := sessionExpires(res)
	if !ok {
		l.setTimer(0, false, allowsUpdate(res))
		return
	}
	l.setTimer(time.Duration(max(secs, minSE))*time.Second, refresher != "uas", allowsUpdate(res))
}

// expiryMargin is how long before a session's expiry the side not refreshing ends it: the
// minimum of 32 s and a third of the interval (RFC 4028 §10).
func expiryMargin(interval time.Duration) time.Duration { return min(32*time.Second, interval/3) }

// checkTimer is the watch's look at a leg's session timer: it says whether the session has
// expired, and starts our refresh when one is due.
func (l *leg) checkTimer(now time.Time) (expired bool) {
	l.mu.Lock()
	t := &l.timer
	if l.state != Answered || t.interval == 0 || l.dlg == nil {
		l.mu.Unlock()
		return false
	}
	if !t.refresh {
		expired = now.Sub(t.last) >= t.interval-expiryMargin(t.interval)
		l.mu.Unlock()
		return expired
	}
	due := !t.inFlight && now.Sub(t.last) >= t.interval/2 && !now.Before(t.nextTry)
	if due {
		t.inFlight = true
	}
	l.mu.Unlock()
	if due {
		l.s.goWire(func(ctx context.Context) { l.refresh(ctx) })
	}
	return false
}

// refresh sends our session refresh (§10): UPDATE without a body when the far end takes
// UPDATE, else a re-INVITE offering our media again. Its 2xx sets the timer anew; a 422 is
// tried again with the interval asked for; a timeout, 408 or 481 means the far end is gone
// and the call is ended; anything else is tried again a little later.
func (l *leg) refresh(ctx context.Context) {
	s := l.s
	l.mu.Lock()
	st, dlg, sess, interval, useUpdate := l.state, l.dlg, l.sess, l.timer.interval, l.timer.useUpdate
	l.mu.Unlock()
	if st != Answered || dlg == nil || interval == 0 {
		l.refreshDone(false)
		return
	}
	secs := int(interval / time.Second)
	for tries := 0; ; tries++ {
		method := sip.INVITE
		if useUpdate {
			method = sip.UPDATE
		}
		req := dlg.request(method)
		req.AppendHeader(sip.NewHeader("Session-Expires", strconv.Itoa(secs)+";refresher=uac"))
		req.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(minSE)))
		req.AppendHeader(sip.NewHeader("Supported", supported))
		req.AppendHeader(sip.NewHeader("Allow", allow))
		if method == sip.INVITE && sess != nil {
			req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			req.SetBody(sess.Offer())
		}
		if method == sip.INVITE && !dlg.beginOwnReinvite() {
			// the far end's re-INVITE is being answered: it refreshes the session too
			l.refreshDone(true)
			return
		}
		rctx, cancel := context.WithTimeout(ctx, 64*sip.T1)
		res, err := dlg.do(rctx, req)
		cancel()
		if method == sip.INVITE {
			dlg.endOwnReinvite()
		}
		if err == nil && method == sip.INVITE && res.IsSuccess() {
			ack := dlg.request(sip.ACK)
			ack.CSeq().SeqNo = req.CSeq().SeqNo
			dlg.sendRefreshAck(ack)
			if sess != nil && len(res.Body()) > 0 {
				if err := sess.Accept(res.Body()); err != nil {
					s.log.Info("session refresh answered without usable SDP", "leg", l.id, "err", err)
				}
			}
		}
		switch {
		case ctx.Err() != nil:
			l.refreshDone(false)
			return
		case err != nil || res.StatusCode == 408 || res.StatusCode == 481:
			why := "no answer"
			if err == nil {
				why = strconv.Itoa(res.StatusCode)
			}
			s.log.Info("session refresh failed; the far end is gone, ending the call", "leg", l.id, "why", why)
			l.refreshDone(false)
			l.timedOut(telephony.CauseSessionTimer)
			return
		case res.IsSuccess():
			l.timerAsUAC(res)
			return
		case res.StatusCode == 422 && tries < 2:
			secs = max(secs, minSEOf(res))
			continue
		case (res.StatusCode == 405 || res.StatusCode == 501) && useUpdate:
			useUpdate = false // it listed UPDATE but will not take it
			l.mu.Lock()
			l.timer.useUpdate = false
			l.mu.Unlock()
			continue
		default:
			// 491 (a re-INVITE of theirs crossed ours) or anything passing: try again shortly
			s.log.Debug("session refresh refused; trying again", "leg", l.id, "status", res.StatusCode)
			l.refreshDone(true)
			return
		}
	}
}

// refreshDone says our refresh is over without a new timer; again schedules another try.
func (l *leg) refreshDone(again bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer.inFlight = false
	if again {
		l.timer.tries++
		l.timer.nextTry = l.s.clock.Now().Add(time.Duration(min(l.timer.tries, 8)) * 2 * time.Second)
	}
}
