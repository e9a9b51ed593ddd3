package sip

import "ringdesk/internal/telephony"

// causeOf classifies a final failure response of a placed leg.
func causeOf(code int) telephony.Cause {
	switch {
	case code == 486 || code == 600:
		return telephony.CauseBusy
	case code == 603:
		return telephony.CauseDeclined
	case code == 408:
		return telephony.CauseNoAnswer
	case code == 480 || code == 503 || code == 502 || code == 504:
		return telephony.CauseUnavailable
	case code == 404 || code == 484 || code == 604:
		return telephony.CauseNotFound
	case code == 487:
		return telephony.CauseCancelled
	}
	return telephony.CauseRejected
}

// codeOf is the final response that refuses an unanswered inbound leg for a cause.
func codeOf(c telephony.Cause) (int, string) {
	switch c {
	case telephony.CauseBusy:
		return 486, "Busy Here"
	case telephony.CauseDeclined:
		return 603, "Decline"
	case telephony.CauseNoAnswer:
		return 480, "Temporarily Unavailable"
	case telephony.CauseNotFound:
		return 404, "Not Found"
	case telephony.CauseCancelled, telephony.CauseNormal:
		return 487, "Request Terminated"
	case telephony.CauseShutdown:
		return 503, "Service Unavailable"
	case telephony.CauseForced:
		return 603, "Decline"
	}
	return 480, "Temporarily Unavailable"
}

// reason is the standard phrase of a status code we send.
func reason(code int) string {
	switch code {
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 407:
		return "Proxy Authentication Required"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Error"
}
