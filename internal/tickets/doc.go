// Package tickets holds tickets and the call records linked to them (SPEC §7): their fields,
// statuses and the rules for changing them. Persistence is the store's; this package must not
// import the store, the engine or any adapter.
package tickets
