// Package sip is Ringdesk on the SIP network (RFC 3261, over UDP and TCP, with
// emiago/sipgo): a registrar for agents' phones with digest authentication, trunks with
// address allow-lists and digest credentials toward the carrier, and a back-to-back user
// agent whose every leg has its media anchored in internal/media. It implements the
// engine's telephony port (telephony.Telephony) and calls it back through
// telephony.Handler; browser legs (internal/webrtc) plug in through BrowserLegs.
//
// It also finds dead calls and dead carriers: one watch per server ends legs whose far end
// sends no RTP for the site's media timeout, and runs RFC 4028 session timers; trunks are
// probed with OPTIONS, and calls fall back past those that are down. Registrations are
// written through a BindingStore, which the caller backs with the database, so that they
// survive a restart.
//
// It must not import the engine, the store or the API.
package sip
