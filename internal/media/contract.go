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

// EventSource is an Endpoint that reports the RFC 4733 events (DTMF) its far end sends, so
// that a bridge relays them: a Session, or a browser leg that negotiated telephone-event.
type EventSource interface {
	// OnEvents sets where each event packet goes: its payload (at least four bytes), its RTP
	// timestamp (the same for every packet of one event) and marker. nil drops them. It is
	// called from one goroutine and must not keep the slice.
	OnEvents(func(payload []byte, ts uint32, marker bool))
}

// EventSink is an Endpoint that can send RFC 4733 events on to its far end in its own stream.
type EventSink interface {
	RelayEvent(payload []byte, ts uint32, marker bool)
}
