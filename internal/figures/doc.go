// Package figures serves the contact center's figures (docs/metrics.md) as the API and
// /metrics show them: reports over a range of time (the store's sums and state history, turned
// into rows by internal/stats in the site's time zone), the real-time view of a service (what
// the engine knows this instant, with today's figures), the stats.queue events that keep a
// wallboard current, and the per-queue totals Prometheus scrapes. Every number is derived from
// the event log and the state history; nothing is counted here.
//
// It reads the engine, the store (through its interfaces) and the directory; it must not import
// the API, the SIP, media or WebRTC layers.
package figures
