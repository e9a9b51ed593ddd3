package media

// This file is the contract between media and its users (internal/sip, internal/webrtc,
// the telephony adapter). Keep these names; add freely.
//
//	NewManager(cfg Config, prompts PromptSource) (*Manager, error)
//	(*Manager).NewSession() (*Session, error)          // a UDP RTP endpoint on an even port from cfg's range
//	(*Manager).Play(e Endpoint, a telephony.Audio, loop bool, done func())
//	(*Manager).Bridge(a, b Endpoint)                   // transcodes PCMU<->PCMA when codecs differ
//	(*Manager).Silence(e Endpoint)                     // e hears nothing (comfort: silence frames)
//	(*Manager).Detach(e Endpoint)                      // stop whatever feeds e and whatever e feeds
//	(*Manager).Close() error
//
//	(*Session).Offer() []byte                          // SDP offer: PCMU, PCMA, telephone-event/8000
//	(*Session).Answer(offer []byte) ([]byte, error)    // negotiate an SDP offer, return our answer
//	(*Session).Accept(answer []byte) error             // take the far end's answer to our Offer
//	(*Session).Reoffer(offer []byte) (answer []byte, hold bool, err error) // a re-INVITE's SDP
//	(*Session).OnDTMF(func(digit string))              // RFC 4733 digits from the far end, once per event
//	(*Session).SendDTMF(digit string) error
//	(*Session).LocalAddr() netip.AddrPort
//	(*Session).Stats() Stats
//	(*Session).Close() error
//
// Every method is safe for concurrent use.

// Codec is a negotiated audio codec.
type Codec struct {
	Name        string // "PCMU" or "PCMA"
	PayloadType uint8  // 0 or 8 unless the offer said otherwise
	ClockRate   int    // 8000
}

// Endpoint is one leg's media as the bridge and players see it: a UDP RTP session or a
// browser softphone's WebRTC tracks.
type Endpoint interface {
	// Codec is what the far end was negotiated to send and receive.
	Codec() Codec
	// Send sends one frame of audio (in Codec) to the far end; the endpoint stamps its own
	// SSRC, sequence number and timestamp so the far end sees one continuous stream whatever
	// feeds it. marker is set on the first frame after a change of source.
	Send(payload []byte, marker bool) error
	// OnAudio sets where audio from the far end goes (in Codec; nil discards it).
	OnAudio(func(payload []byte))
}
