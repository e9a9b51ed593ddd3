// Package media anchors every call's audio in the server (the B2BUA's media half). It owns:
//
//   - RTP ports: even ports drawn at random from the configured range, one UDP socket per
//     Session and one for its RTCP on the odd port above, returned when the session closes;
//     on Linux the RTP sockets are read by a few epoll pollers (socket_linux.go);
//   - SDP offers and answers for G.711 (PCMU, PCMA) and RFC 4733 telephone-event, re-offers
//     for hold and resume;
//   - RTP sessions: symmetric RTP (we answer where a phone behind NAT really sends from, but
//     latch only to the address its SDP or the SIP layer names), one continuous outgoing
//     stream per leg whatever feeds it, loss and jitter statistics;
//   - RTCP terminated per leg (our own SR/RR and SDES every ~5 s; the far end's reports give
//     its loss of our stream and the round trip), and the quality figures with a MOS;
//   - G.711 coding and direct μ-law/A-law transcoding;
//   - bridges between legs (forwarded packet by packet, no buffering) and DTMF across them;
//   - mixes (mix.go): a leg hearing the sum of others, paced every 20 ms — a supervisor
//     listening, whispering or barging in — and recordings (record.go): what the customer
//     and the agent's side send, summed into two channels on the same pacing and handed to
//     a RecordSink on a goroutine of its own;
//   - players for hold music, ringback, announcements and stored prompts, paced on 20 ms
//     deadlines by a few shared goroutines, and the fillers that keep every fed leg sending
//     silence while its source is quiet (fill.go);
//   - the built-in audio, synthesised or spoken by espeak-ng and embedded.
//
// A browser softphone leg (internal/webrtc) plugs in as an Endpoint.
//
// It must not import the engine, the SIP layer or the store: it is told what to play and
// whom to bridge, and stored prompts come through PromptSource. Beyond the standard library
// it uses internal/telephony (names of audio), internal/wav and pion's rtp, rtcp and sdp
// packages.
package media

//go:generate sh -c "cd prompts && ./make.sh"
