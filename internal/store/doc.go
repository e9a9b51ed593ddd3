// Package store defines how Ringdesk keeps what must never be lost: settings, tickets, call
// records, agent-state history, sessions, audio and phones' registrations. The interfaces live here; each dialect
// (sqlite/, postgres/) implements them with its own numbered migrations. SQL specific to one
// database stays in that dialect's folder. This package must not import the engine or adapters.
package store
