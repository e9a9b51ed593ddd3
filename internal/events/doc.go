// Package events carries what happened (agent state changes, offers, calls, tickets) from the
// engine to whoever listens: WebSocket clients, supervisors' live views, tests. Delivery never
// blocks the publisher: a subscriber that falls behind is cut off and must resynchronise. It
// must not import the engine or any adapter.
package events
