// Package cluster runs one node of a Ringdesk cluster on a shared PostgreSQL (docs/cluster.md):
// it says the node is alive, holds leases on the services the node serves (renewed every
// second, taken over by another node within seconds when it stops), and tells the engine when
// a service comes or goes. It also carries the engine's events between nodes (LISTEN/NOTIFY).
//
// The choice of which services to take is pure (plan.go) and tested with a fake clock; the
// database keeps who holds what (store.ClusterStore). It must not import the engine or any
// adapter: the server wires the node to the engine through plain callbacks.
package cluster
