package sip

import (
	"errors"
	"net"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/fault"
	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// This file is the one place where SIP status codes and telephony causes meet, in both
// directions, so that the mapping is read and tested as one table.

// causeOf classifies the final failure response of a leg we placed. rang says whether the far
// end had reported ringing: a 480 or 408 after ringing is nobody answering, before it the
// phone or the network being unreachable.
func causeOf(code int, rang bool) telephony.Cause {
	switch code {
	case 486, 600:
		return telephony.CauseBusy
	case 603:
		return telephony.CauseDeclined
	case 404, 484, 604:
		return telephony.CauseNotFound
	case 487:
		return telephony.CauseCancelled
	case 408, 480:
		if rang {
			return telephony.CauseNoAnswer
		}
		return telephony.CauseUnavailable
	case 410, 500, 502, 503, 504:
		return telephony.CauseUnavailable
	}
	return telephony.CauseRejected
}

// refusal is the final response that ends an unanswered inbound leg for a cause.
func refusal(c telephony.Cause) int {
	switch c {
	case telephony.CauseBusy:
		return 486
	case telephony.CauseDeclined, telephony.CauseForced:
		return 603
	case telephony.CauseNoAnswer, telephony.CauseUnavailable:
		return 480
	case telephony.CauseNotFound:
		return 404
	case telephony.CauseRejected:
		return 403
	case telephony.CauseShutdown:
		return 503
	case telephony.CauseMediaTimeout:
		return 408
	}
	// normal, cancelled, transferred, and anything new: the call was withdrawn
	return 487
}

// sipStatus is the final response for each kind of refusal the engine and the stores make
// (internal/fault). Every kind is listed; the table test checks that.
var sipStatus = map[fault.Kind]int{
	fault.Invalid:     484, // Address Incomplete: not a number we can dial
	fault.NotFound:    404,
	fault.Forbidden:   403,
	fault.Refused:     403, // a number the dial plan does not allow
	fault.State:       486, // the agent's phone is taken by what the agent is doing
	fault.Busy:        486,
	fault.Offline:     480,
	fault.Unavailable: 503,
	fault.Moved:       302, // another node serves it: Contact names it (inbound.go)
}

// Status is the SIP response for an error met while taking a request: what the engine
// refused with (a fault.Error, by its kind), what media could not negotiate, or an error that
// carries its own status (a SIPStatus() int method). Anything else is our fault: 500.
func Status(err error) int {
	var st interface{ SIPStatus() int }
	switch {
	case err == nil:
		return 200
	case fault.KindOf(err) != "":
		if code, ok := sipStatus[fault.KindOf(err)]; ok {
			return code
		}
		return 500
	case errors.As(err, &st):
		return st.SIPStatus()
	case errors.Is(err, media.ErrNoCodec):
		return 488
	case errors.Is(err, media.ErrBadSDP):
		return 400
	case errors.Is(err, media.ErrNoPorts):
		return 503
	}
	return 500
}

// reasonPhrase is the standard phrase of a status code we send.
func reasonPhrase(code int) string {
	if p, ok := phrases[code]; ok {
		return p
	}
	switch {
	case code < 200:
		return "Trying"
	case code < 300:
		return "OK"
	case code < 500:
		return "Request Failed"
	case code < 600:
		return "Server Error"
	}
	return "Global Failure"
}

var phrases = map[int]string{
	100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK",
	400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
	405: "Method Not Allowed", 407: "Proxy Authentication Required", 408: "Request Timeout",
	302: "Moved Temporarily", 410: "Gone", 415: "Unsupported Media Type", 420: "Bad Extension", 423: "Interval Too Brief",
	480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist", 484: "Address Incomplete",
	486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here", 491: "Request Pending",
	500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
	504: "Server Time-out", 600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
}

// redirectTo is the Contact of a 302 for a refusal that names another cluster node serving
// the call (fault.Moved): the same number at that node's SIP address. "" for any other
// refusal.
func redirectTo(err error, user string) string {
	fe, ok := fault.As(err)
	if !ok || fe.Kind != fault.Moved || fe.Params["sip"] == "" {
		return ""
	}
	u := sip.Uri{Scheme: "sip", User: user}
	host, port, err := net.SplitHostPort(fe.Params["sip"])
	if err != nil {
		return ""
	}
	u.Host = host
	if p, err := strconv.Atoi(port); err == nil {
		u.Port = p
	}
	return "<" + u.String() + ">"
}
