package sip

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is a registered phone's binding as it is kept across restarts: everything the
// registrar holds of it.
type Binding struct {
	Extension string
	Contact   string // the Contact URI as registered
	Source    string // host:port the REGISTER came from
	Transport string // UDP or TCP
	Expires   time.Time
	CallID    string
	CSeq      uint32
	Path      string // the Path the REGISTER came through (RFC 3327), one header value; "" for none
}

// BindingStore keeps registrations across restarts (internal/server backs it with the
// store). SaveBindings replaces an extension's bindings, the newest last (none: removes them);
// the registrar calls it before it answers a REGISTER, never while a call is placed.
// LiveBindings returns every binding still live at now; Start loads them.
type BindingStore interface {
	SaveBindings(ctx context.Context, extension string, list []Binding) error
	LiveBindings(ctx context.Context, now time.Time) ([]Binding, error)
}

// storeTimeout bounds one write of an extension's bindings: a REGISTER that cannot be stored
// in that time is refused, and the phone tries again.
const storeTimeout = 5 * time.Second

// saveBindings is the registrar's write-through for an extension, nil without a store.
func (s *Server) saveBindings(ext string) func([]binding) error {
	bs := s.cfg.Bindings
	if bs == nil {
		return nil
	}
	return func(list []binding) error {
		out := make([]Binding, len(list))
		for i, b := range list {
			out[i] = Binding{Extension: ext, Contact: b.contact.String(), Source: b.source, Transport: b.transport,
				Expires: b.expires, CallID: b.callID, CSeq: b.cseq, Path: pathValue(b.path)}
		}
		ctx, cancel := context.WithTimeout(s.ctx, storeTimeout)
		defer cancel()
		return bs.SaveBindings(ctx, ext, out)
	}
}

// loadBindings takes the registrations kept from before a restart. A binding whose contact
// cannot be read is skipped (and said); the phone's next REGISTER puts it right.
func (s *Server) loadBindings(ctx context.Context, quiet bool) error {
	bs := s.cfg.Bindings
	if bs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	exts := map[string]bool{}
	n := 0
	// read and replaced with no REGISTER in between: one answered meanwhile would be lost
	// from memory until the next reload
	err := s.reg.reload(func() ([]binding, error) {
		kept, err := bs.LiveBindings(ctx, time.Now())
		if err != nil {
			return nil, fmt.Errorf("sip: loading the phones' registrations: %w", err)
		}
		list := make([]binding, 0, len(kept))
		for _, k := range kept {
			var u sip.Uri
			if err := sip.ParseUri(k.Contact, &u); err != nil || u.Host == "" {
				s.log.Warn("sip: a kept registration has a contact that cannot be read; skipped", "extension", k.Extension,
					"contact", k.Contact)
				continue
			}
			path, err := addressList([]string{k.Path})
			if err != nil {
				s.log.Warn("sip: a kept registration has a Path that cannot be read; skipped", "extension", k.Extension,
					"path", k.Path)
				continue
			}
			list = append(list, binding{ext: k.Extension, contact: u, source: k.Source, transport: k.Transport,
				expires: k.Expires, callID: k.CallID, cseq: k.CSeq, path: path})
			exts[k.Extension] = true
		}
		n = len(list)
		return list, nil
	})
	if err != nil {
		return err
	}
	if n > 0 && !quiet {
		s.log.Info("sip: phones' registrations kept from before the restart", "extensions", len(exts), "bindings", n)
	}
	return nil
}

// ReloadBindings takes the registrations as the store holds them now, in place of those held.
// In a cluster a phone registers with whichever node the proxy in front chose, and every node
// must be able to ring it: each reloads every few seconds.
func (s *Server) ReloadBindings(ctx context.Context) error { return s.loadBindings(ctx, true) }

// reloadShared reloads the bindings for a call to an extension not registered here, at most
// twice a second however many such calls come; it reports whether it reloaded.
func (s *Server) reloadShared() bool {
	now := time.Now().UnixNano()
	last := s.sharedAt.Load()
	if now-last < int64(500*time.Millisecond) || !s.sharedAt.CompareAndSwap(last, now) {
		return false
	}
	ctx, cancel := context.WithTimeout(s.ctx, storeTimeout)
	defer cancel()
	if err := s.loadBindings(ctx, true); err != nil {
		s.log.Warn("sip: reloading shared registrations failed", "err", err)
		return false
	}
	return true
}
