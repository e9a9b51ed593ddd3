// Package sip is Ringdesk on the SIP network (RFC 3261, over UDP, TCP and TLS, with
// emiago/sipgo): a registrar for agents' phones with digest authentication, trunks with
// address allow-lists and digest credentials toward the carrier, and a back-to-back user
// agent whose every leg has its media anchored in internal/media. It implements the
// engine's telephony port (telephony.Telephony) and calls it back through
// telephony.Handler; browser legs (internal/webrtc) plug in through BrowserLegs.
//
// Of SIP's extensions it implements 100rel (reliable provisional responses to our INVITEs are
// PRACKed), path (a phone registered through proxies is called through them) and timer, and
// refuses with 420 any request requiring another (extensions.go). A trunk may name an outbound
// proxy and a transport. A customer who holds, in SDP or by falling silent, is reported held;
// the hold is not passed on to the agent's phone, which the media keep fed (customerhold.go).
//
// It also finds dead calls and dead carriers: one watch per server ends legs whose far end
// sends no RTP for the site's media timeout, and runs RFC 4028 session timers; trunks are
// probed with OPTIONS, and calls fall back past those that are down. Registrations are
// written through a BindingStore, which the caller backs with the database, so that they
// survive a restart.
//
// It defends itself on an open network (SECURITY.md): digest nonces bound to the address they
// were sent to, each count used once and the digest's uri held to the Request-URI
// (digest.go); failed digests throttled per (extension, source) and per source with
// auth.Limiter; a 2xx answered only when its tag is one we made (dialog.go, indialog.go),
// and refusals of requests that proved nothing sent once (sendOnce); TCP and TLS connections
// bounded and timed out (connguard.go); sipgo's logs budgeted per source (wirelog.go).
//
// It must not import the engine, the store or the API.
package sip
