package sip

import (
	"net/netip"

	"ringdesk/internal/site"
)

// directory is the part of the site configuration SIP needs, swapped whole on every change.
type directory struct {
	exts   map[string]secrets // extension → digest secrets
	trunks []trunk
	byID   map[string]*trunk
}

type trunk struct {
	site.Trunk
	allow []netip.Prefix
}

func newDirectory(s *site.Site) *directory {
	d := &directory{exts: map[string]secrets{}, byID: map[string]*trunk{}}
	if s == nil {
		return d
	}
	for _, a := range s.Agents {
		if a.Extension != "" && (a.SIPHA1 != "" || a.SIPHA1SHA256 != "") {
			d.exts[a.Extension] = secrets{md5: a.SIPHA1, sha256: a.SIPHA1SHA256}
		}
	}
	for _, t := range s.Trunks {
		tr := trunk{Trunk: t}
		for _, a := range t.Allow {
			if p, err := netip.ParsePrefix(a); err == nil {
				tr.allow = append(tr.allow, p.Masked())
			} else if ip, err := netip.ParseAddr(a); err == nil {
				tr.allow = append(tr.allow, netip.PrefixFrom(ip, ip.BitLen()))
			}
		}
		d.trunks = append(d.trunks, tr)
	}
	for i := range d.trunks {
		d.byID[d.trunks[i].ID] = &d.trunks[i]
	}
	return d
}

// trunkFrom returns the trunk whose allow-list holds ip.
func (d *directory) trunkFrom(ip netip.Addr) (*trunk, bool) {
	ip = ip.Unmap()
	for i := range d.trunks {
		for _, p := range d.trunks[i].allow {
			if p.Contains(ip) {
				return &d.trunks[i], true
			}
		}
	}
	return nil, false
}
