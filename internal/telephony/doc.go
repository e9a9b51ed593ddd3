// Package telephony is the port between the engine and the phone network: the actions the
// engine asks for (place a leg, answer, hang up, play, bridge) and the events the network sends
// back (ringing, answered, failed, hung up, DTMF, hold). It holds only types; the engine
// implements Handler, and the SIP/media/WebRTC adapters implement Telephony. It must not import
// either side.
package telephony
