package directory

import (
	"net/netip"
	"strings"

	"ringdesk/internal/site"
)

// Index is one version of the configuration with its lookups. It is never changed once built:
// share it freely.
type Index struct {
	Version  int64
	Site     *site.Site
	Services map[string]*site.Service // by id
	Agents   map[string]*site.Agent   // by login
	ByExt    map[string]string        // extension → login
	DIDs     map[string]string        // dialled number → service
	Queues   map[string]string        // queue number → service
	Trunks   []Trunk                  // in the order the site lists them
	trunkIDs map[string]*Trunk
}

// Trunk is a trunk with its allow-list parsed.
type Trunk struct {
	site.Trunk
	Allow []netip.Prefix
}

// New indexes s as configuration version v. s must not be changed afterwards.
func New(s *site.Site, v int64) *Index {
	if s == nil {
		s = &site.Site{}
	}
	x := &Index{Version: v, Site: s, Services: map[string]*site.Service{}, Agents: map[string]*site.Agent{},
		ByExt: map[string]string{}, DIDs: map[string]string{}, Queues: map[string]string{}, trunkIDs: map[string]*Trunk{}}
	for i := range s.Services {
		svc := &s.Services[i]
		x.Services[svc.ID] = svc
		for _, n := range svc.Numbers {
			x.DIDs[n.Number] = svc.ID
		}
		for _, q := range svc.Queues {
			x.Queues[q.Number] = svc.ID
		}
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		x.Agents[a.Login] = a
		if a.Extension != "" {
			x.ByExt[a.Extension] = a.Login
		}
	}
	for _, t := range s.Trunks {
		tr := Trunk{Trunk: t}
		for _, a := range t.Allow {
			if p, err := netip.ParsePrefix(a); err == nil {
				tr.Allow = append(tr.Allow, p.Masked())
			} else if ip, err := netip.ParseAddr(a); err == nil {
				tr.Allow = append(tr.Allow, netip.PrefixFrom(ip, ip.BitLen()))
			}
		}
		x.Trunks = append(x.Trunks, tr)
	}
	for i := range x.Trunks {
		x.trunkIDs[x.Trunks[i].ID] = &x.Trunks[i]
	}
	return x
}

// Trunk returns the trunk with an id.
func (x *Index) Trunk(id string) (*Trunk, bool) {
	t, ok := x.trunkIDs[id]
	return t, ok
}

// TrunkFrom returns the first trunk whose allow-list holds ip.
func (x *Index) TrunkFrom(ip netip.Addr) (*Trunk, bool) {
	ip = ip.Unmap()
	for i := range x.Trunks {
		for _, p := range x.Trunks[i].Allow {
			if p.Contains(ip) {
				return &x.Trunks[i], true
			}
		}
	}
	return nil, false
}

// Extension returns the agent whose phone registers as ext, with digest secrets.
func (x *Index) Extension(ext string) (*site.Agent, bool) {
	login, ok := x.ByExt[ext]
	if !ok {
		return nil, false
	}
	a := x.Agents[login]
	return a, a != nil && (a.SIPHA1 != "" || a.SIPHA1SHA256 != "")
}

// Route is where a dialled number goes out: the trunks to try, in order, and the number
// sent to them (the selecting prefix stripped).
type Route struct {
	Trunks []string
	Number string
}

// TrunksFor finds the trunks whose prefix starts number, longest prefix first and, among
// those with the same prefix, in the site's order; the number loses the prefix. A trunk
// without a prefix matches anything. ok is false when none matches.
func (x *Index) TrunksFor(number string) (Route, bool) {
	best := -1
	for _, t := range x.Trunks {
		if strings.HasPrefix(number, t.Prefix) && len(number) > len(t.Prefix) && len(t.Prefix) > best {
			best = len(t.Prefix)
		}
	}
	if best < 0 {
		return Route{}, false
	}
	r := Route{Number: number[best:]}
	for _, t := range x.Trunks {
		if len(t.Prefix) == best && strings.HasPrefix(number, t.Prefix) {
			r.Trunks = append(r.Trunks, t.ID)
		}
	}
	return r, true
}

// OutboundRoute finds the trunks for a customer number typed into 걸기: the trunks whose
// prefix the number carries, or else the site's default route (the trunks without a prefix,
// or the only trunk), with the number as typed.
func (x *Index) OutboundRoute(number string) (Route, bool) {
	if r, ok := x.TrunksFor(number); ok && len(x.trunkIDs[r.Trunks[0]].Prefix) > 0 {
		return r, true
	}
	r := Route{Number: number}
	for _, t := range x.Trunks {
		if t.Prefix == "" {
			r.Trunks = append(r.Trunks, t.ID)
		}
	}
	if len(r.Trunks) == 0 && len(x.Trunks) == 1 {
		r.Trunks = []string{x.Trunks[0].ID}
	}
	return r, len(r.Trunks) > 0
}
