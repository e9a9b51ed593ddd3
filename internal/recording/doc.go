// Package recording keeps call recordings' audio: the two-channel WAV file each is written
// to as the call happens (left the customer, right the agent's side: 16-bit PCM, 8 kHz), in
// the data folder and, when a bucket is configured, moved to an S3-compatible bucket once
// complete; the repair, at start, of files a crash left with unfinished headers; reading a
// recording back for the API; and the daily deletion of recordings older than their
// service's retention.
//
// WAV rather than Opus in Ogg: no maintained pure-Go Opus encoder exists, and Ringdesk is
// built without cgo. Every browser plays 16-bit PCM WAV; at 32 kB a second a call-hour is
// 115 MB, which the retention bounds.
//
// It may import the store (the interfaces) and the standard library, and minio-go for the
// bucket. It must not import the engine, the API or any telephony adapter: internal/sip
// writes through the sink this package makes (media.RecordSink's methods), wired up by
// internal/server.
package recording
