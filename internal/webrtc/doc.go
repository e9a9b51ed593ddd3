// Package webrtc is the browser softphone's server side: for an agent whose phone is
// "browser", ringing the phone means offering a WebRTC session (DTLS-SRTP, ICE) to the
// agent's console over its event WebSocket; the console answers with its microphone. Audio is
// G.711 end to end, so a browser leg bridges to SIP legs without transcoding. Each leg is a
// media.Endpoint for the bridge and players.
//
// It must not import the engine, the API or the SIP layer: the API hands it signalling
// messages, the telephony adapter asks it for legs.
package webrtc
