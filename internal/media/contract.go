package media

// Codec is a negotiated audio codec.
type Codec struct {
	Name        string // "PCMU" or "PCMA"
	PayloadType uint8  // 0 or 8 unless the offer said otherwise
	ClockRate   int    // 8000
}

// Endpoint is one leg's media as the bridge and players see it: a UDP RTP Session, or a
// browser softphone's WebRTC leg (internal/webrtc).
type Endpoint interface {
	// Codec is what the far end was negotiated to send and receive.
	Codec() Codec
	// Send sends one frame of audio (in Codec) to the far end; the endpoint stamps its own
	// SSRC, sequence number and timestamp so the far end sees one continuous stream whatever
	// feeds it. marker is set on the first frame after a change of source.
	Send(payload []byte, marker bool) error
	// OnAudio sets where audio from the far end goes (in Codec; nil discards it). The
	// function is called from one goroutine and must not keep the slice.
	OnAudio(func(payload []byte))
}
