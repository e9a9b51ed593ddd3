// Package call is the pure model of one call (SPEC §3–§6): the state a call is in — scenario,
// queue, offer, ringing, talking, held, consult, announcement, transferred, ended — the events
// that move it, and the talk and hold time it accumulates. It knows nothing of SIP or media:
// the engine maps telephony events onto these. It must not import the engine or adapters.
package call
