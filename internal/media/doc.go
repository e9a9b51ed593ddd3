// Package media anchors every call's audio in the server: RTP sessions on ports from the
// configured range (symmetric RTP, so phones behind NAT work), SDP offers and answers, G.711
// (PCMU and PCMA, transcoded when two legs differ), RFC 4733 DTMF, players paced at 20 ms for
// hold music, ringback and announcements, and bridges between legs. A browser leg
// (internal/webrtc) plugs in as an Endpoint.
//
// It must not import the engine, the SIP layer or the store: prompts come through
// PromptSource.
package media

//go:generate sh -c "cd prompts && ./make.sh"
