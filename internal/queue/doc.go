// Package queue is the automatic call distributor of SPEC §3: queues of waiting calls, the
// ready agents who are members of each, the longest-idle-first match between them, and the life
// of a queued call through offer, ringing, recall and answer. It is pure: no I/O, no clock; the
// caller passes the time. It must not import the engine or any adapter.
package queue
