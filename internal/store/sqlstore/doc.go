// Package sqlstore implements the store interfaces once, in SQL that SQLite and PostgreSQL
// both speak; each dialect package supplies its connection, its migrations and the few things
// that differ (placeholders, how a unique violation looks). It must not import the engine or
// any adapter.
//
// The site configuration is kept as one JSON document per service, agent and trunk: it is
// always read and written whole and validated whole before it is saved, so documents keep
// Save/Load atomic and simple, while tickets, calls and state history — what grows and is
// searched — are plain indexed tables.
package sqlstore
