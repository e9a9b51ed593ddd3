// Package site holds the configuration of a Ringdesk site: services and their numbers, queues,
// groups, caller IDs and favourites; agents; trunks. It is what provisioning writes, what the
// store keeps and what the engine reads. It holds data and its own validation only; it must not
// import the engine, the store or any adapter.
package site
