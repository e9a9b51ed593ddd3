package cluster

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"time"

	"ringdesk/internal/store"
)

// State is what the database says at one instant, as a node reads it.
type State struct {
	Now      time.Time
	Me       string
	TTL      time.Duration // a node or lease not renewed for this long is gone
	Services []string      // the configured services
	Nodes    []store.Node
	Leases   []store.Lease
}

// Live returns the nodes seen within TTL, by name; me is always among them.
func (s State) Live() []string {
	live := []string{s.Me}
	for _, n := range s.Nodes {
		if n.Name != s.Me && s.Now.Sub(n.Seen) < s.TTL {
			live = append(live, n.Name)
		}
	}
	sort.Strings(live)
	return live
}

// Held returns the services whose unexpired lease is me's.
func (s State) Held() []string {
	var out []string
	for _, l := range s.Leases {
		if l.Node == s.Me && l.Expires.After(s.Now) {
			out = append(out, l.Service)
		}
	}
	return out
}

// Share is how many services one node should serve: all of them alone, an even split
// (rounded up) among live nodes.
func (s State) Share() int {
	live := len(s.Live())
	return (len(s.Services) + live - 1) / live
}

// Take returns the services me should try to take now: free ones (no lease, or an expired
// one), while me holds fewer than its share. A lease another node holds is never taken from
// it (no preemption): a node that comes back finds its services served elsewhere and leaves
// them there. Among free services, each node first takes those it ranks highest by a hash of
// (node, service): two nodes starting together go for different services instead of racing
// for the same ones.
func (s State) Take() []string {
	want := s.Share() - len(s.Held())
	if want <= 0 {
		return nil
	}
	leased := map[string]store.Lease{}
	for _, l := range s.Leases {
		leased[l.Service] = l
	}
	live := s.Live()
	type cand struct {
		svc       string
		preferred bool // me ranks first for it among the live nodes
		rank      uint64
	}
	var free []cand
	for _, svc := range s.Services {
		if l, ok := leased[svc]; ok && l.Expires.After(s.Now) {
			continue
		}
		best, bestRank := "", uint64(0)
		for _, n := range live {
			if r := rank(n, svc); best == "" || r > bestRank {
				best, bestRank = n, r
			}
		}
		free = append(free, cand{svc: svc, preferred: best == s.Me, rank: rank(s.Me, svc)})
	}
	sort.Slice(free, func(i, j int) bool {
		if free[i].preferred != free[j].preferred {
			return free[i].preferred
		}
		return free[i].rank > free[j].rank
	})
	var out []string
	for _, c := range free[:min(want, len(free))] {
		out = append(out, c.svc)
	}
	return out
}

// rank is a well-mixed hash: FNV of names differing in one letter ranks one node above the
// other for nearly every service, which defeats the spreading.
func rank(node, svc string) uint64 {
	h := sha256.Sum256([]byte(node + "\x00" + svc))
	return binary.BigEndian.Uint64(h[:8])
}
