// Package stats computes the contact center's figures (docs/metrics.md) from the event log
// and the agents' state history: per queue and per agent, over intervals of 15 minutes, an
// hour or a day in the site's time zone. It is pure: it is handed what the store added up and
// returns rows; it must not import the store implementations, the engine or any adapter.
package stats
