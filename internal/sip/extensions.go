package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// SIP extensions (option tags, RFC 3261 §19.2). We implement:
//
//   - 100rel (RFC 3262): reliable provisional responses to INVITEs we send are answered with
//     PRACK (prack.go), and an SDP answer in one is the call's answer. An INVITE that requires
//     100rel is taken: the one provisional response we send is 100 Trying, which is never sent
//     reliably (§3), so the requirement costs nothing. Korean carriers' IMS trunks send
//     Require: 100rel on their INVITEs and reliable 183s with early media on ours.
//   - path (RFC 3327): the registrar keeps a REGISTER's Path and calls the phone through it.
//   - timer (RFC 4028): session timers (sessiontimer.go).
//
// A request that requires anything else is refused with 420 and Unsupported (§8.2.2.3).
var supportedTags = []string{"100rel", "path", "timer"}

// supported is the Supported header we send, in every INVITE, OPTIONS and 2xx of ours.
const supported = "100rel, path, timer"

// unsupportedRequired lists the option tags a request requires (Require, compact form absent:
// it has none) that we do not implement.
func unsupportedRequired(req *sip.Request) []string {
	var out []string
	for _, tag := range headerTokens(req, "Require") {
		if !has(supportedTags, tag) && !has(out, tag) {
			out = append(out, tag)
		}
	}
	return out
}

// requireCheck refuses a request that requires an extension we do not implement: 420 Bad
// Extension naming them in Unsupported (RFC 3261 §8.2.2.3). ACK and CANCEL are never refused
// (an ACK has no response; a CANCEL's Require means nothing, §9.1). It reports whether the
// request was refused.
func (s *Server) requireCheck(req *sip.Request, tx sip.ServerTransaction) bool {
	if req.Method == sip.ACK || req.Method == sip.CANCEL {
		return false
	}
	bad := unsupportedRequired(req)
	if len(bad) == 0 {
		return false
	}
	res := sip.NewResponseFromRequest(req, 420, reasonPhrase(420), nil)
	res.AppendHeader(sip.NewHeader("Unsupported", strings.Join(bad, ", ")))
	s.log.Debug("request requires extensions we do not implement: 420", "method", req.Method, "from", req.Source(),
		"unsupported", strings.Join(bad, ", "))
	// the requester has proved nothing yet: one packet (sendOnce)
	s.sendOnce(tx, req, res)
	return true
}

// onPrack answers a PRACK: we never send a reliable provisional response, so none matches
// (RFC 3262 §3: 481).
func (s *Server) onPrack(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(tx, req, 481, "Call/Transaction Does Not Exist: no reliable provisional response was sent")
}
