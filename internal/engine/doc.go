// Package engine is where every decision is taken (DESIGN.md): one event loop per service owns
// that service's logged-in agents, queues and calls, and serialises API commands, telephony
// events and timer fires through pure state machines (agent, call, queue). Its outputs are
// telephony actions (through the telephony port), store writes and published events.
//
// It must not import internal/sip, internal/media, internal/webrtc, internal/api or any other
// adapter: they plug in through telephony.Telephony and telephony.Handler.
package engine
