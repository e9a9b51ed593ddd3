package sip

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// binding is where a registered phone is reached.
type binding struct {
	ext       string
	contact   sip.Uri
	source    string // host:port the REGISTER came from: with rport and received, where a phone behind NAT listens
	transport string // UDP or TCP, as the REGISTER came
	expires   time.Time
	callID    string
	cseq      uint32
	// path is the Path the REGISTER came through (RFC 3327), the proxy nearest us first: the
	// route set of every call to the phone. source and transport are then the flow from
	// that proxy.
	path []sip.Uri
}

// behindNAT reports whether the phone announced an address it did not send from: then its
// contact cannot be reached and requests go to its source instead (RFC 3581 style). On the
// same host the contact's port wins, since a phone may send from one port and listen on
// another. A phone that registered through proxies (Path) is reached through them, whatever
// the addresses say: no guess is made.
func (b binding) behindNAT() bool { return len(b.path) == 0 && hostOnly(b.source) != b.contact.Host }

// maxBindings bounds one extension's bindings: a phone that keeps changing address must not
// grow the table.
const maxBindings = 8

// registrar keeps bindings in memory, written through to a BindingStore when there is one, so
// that a restart finds every phone where it was.
type registrar struct {
	// wmu serialises changes, store write included, so that what is stored is what is held;
	// mu alone guards the table, so that calls looking a phone up never wait on the store.
	wmu      sync.Mutex
	mu       sync.Mutex
	bindings map[string][]binding // extension → bindings, the newest last
}

func newRegistrar() *registrar { return &registrar{bindings: map[string][]binding{}} }

// live returns an extension's unexpired bindings, the newest last, forgetting expired ones.
func (r *registrar) liveLocked(ext string, now time.Time) []binding {
	list := r.bindings[ext]
	keep := list[:0]
	for _, b := range list {
		if now.Before(b.expires) {
			keep = append(keep, b)
		}
	}
	if len(keep) == 0 {
		delete(r.bindings, ext)
		return nil
	}
	r.bindings[ext] = keep
	return keep
}

// lookup returns the binding calls ring: the newest live one.
func (r *registrar) lookup(ext string, now time.Time) (binding, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.liveLocked(ext, now)
	if len(list) == 0 {
		return binding{}, false
	}
	return list[len(list)-1], true
}

// all returns an extension's live bindings, the newest last.
func (r *registrar) all(ext string, now time.Time) []binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]binding(nil), r.liveLocked(ext, now)...)
}

// from reports whether an extension has a live binding registered from source.
func (r *registrar) from(ext, source string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.liveLocked(ext, now) {
		if b.source == source {
			return true
		}
	}
	return false
}

// update applies one REGISTER's contacts at once (RFC 3261 §10.3 steps 6-8): each binding is
// added, refreshed, or removed when it expires now. It refuses the whole request, changing
// nothing, when a binding was last set by a later request of the same Call-ID (a
// retransmission or reordering overtaking a newer REGISTER). save, when not nil, is given the
// extension's new bindings before they take effect; if it fails nothing changes.
func (r *registrar) update(ext string, adds []binding, now time.Time, save func([]binding) error) (bool, error) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.mu.Lock()
	list := append([]binding(nil), r.liveLocked(ext, now)...)
	r.mu.Unlock()
	for _, b := range adds {
		for _, x := range list {
			if sameContact(x.contact, b.contact) && x.callID == b.callID && x.cseq >= b.cseq {
				return false, nil
			}
		}
	}
	for _, b := range adds {
		kept := list[:0]
		for _, x := range list {
			if !sameContact(x.contact, b.contact) {
				kept = append(kept, x)
			}
		}
		list = kept
		if b.expires.After(now) {
			list = append(list, b)
		}
	}
	if len(list) > maxBindings {
		list = list[len(list)-maxBindings:]
	}
	if save != nil {
		if err := save(list); err != nil {
			return false, err
		}
	}
	r.mu.Lock()
	if len(list) == 0 {
		delete(r.bindings, ext)
	} else {
		r.bindings[ext] = list
	}
	r.mu.Unlock()
	return true, nil
}

// clear removes every binding of an extension, after save (when not nil) has stored that.
func (r *registrar) clear(ext string, save func([]binding) error) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if save != nil {
		if err := save(nil); err != nil {
			return err
		}
	}
	r.mu.Lock()
	delete(r.bindings, ext)
	r.mu.Unlock()
	return nil
}

// reload replaces the bindings held by those fetch returns (from the store), with no change
// in between; on an error nothing changes.
func (r *registrar) reload(fetch func() ([]binding, error)) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	list, err := fetch()
	if err != nil {
		return err
	}
	r.loadLocked(list)
	return nil
}

// loadLocked takes the bindings the store holds, in place of any held; wmu is held.
func (r *registrar) loadLocked(list []binding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.bindings)
	for _, b := range list {
		r.bindings[b.ext] = append(r.bindings[b.ext], b)
	}
}

// count reports how many extensions have live bindings.
func (r *registrar) count(now time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for ext := range r.bindings {
		if len(r.liveLocked(ext, now)) > 0 {
			n++
		}
	}
	return n
}

// sameContact compares contacts as RFC 3261 §19.1.4 would for our purpose: scheme, user,
// host and port (a phone re-registering keeps these; parameters may vary).
func sameContact(a, b sip.Uri) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && a.User == b.User && strings.EqualFold(a.Host, b.Host) &&
		a.Port == b.Port
}

// onRegister handles REGISTER sip:<host> with To: sip:<extension>@<host>.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	to := req.To()
	if to == nil || to.Address.User == "" || req.CSeq() == nil || req.CallID() == nil {
		s.respond(tx, req, 400, "Bad Request: To has no extension")
		return
	}
	ext := to.Address.User
	if !s.authenticate(req, tx, ext, 401) {
		return
	}
	now := time.Now()
	expires := s.cfg.DefaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || n < 0 {
			s.respond(tx, req, 400, "Bad Request: Expires")
			return
		}
		expires = n
	}
	contacts := req.GetHeaders("Contact")
	path, err := addressList(headerValues(req, "Path"))
	if err != nil {
		s.respond(tx, req, 400, "Bad Request: Path")
		return
	}
	var adds []binding
	for _, h := range contacts {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			c = &sip.ContactHeader{Params: sip.NewParams()}
			if _, err := sip.ParseAddressValue(h.Value(), &c.Address, &c.Params); err != nil {
				s.respond(tx, req, 400, "Bad Request: Contact")
				return
			}
		}
		if c.Address.Wildcard || strings.TrimSpace(h.Value()) == "*" {
			// remove every binding (RFC 3261 §10.3 step 6): alone, and only with Expires: 0
			if expires != 0 || len(contacts) != 1 {
				s.respond(tx, req, 400, "Bad Request: * needs Expires: 0 and no other contact")
				return
			}
			if err := s.reg.clear(ext, s.saveBindings(ext)); err != nil {
				s.log.Error("sip: the registration could not be stored; refused", "extension", ext, "err", err)
				s.respond(tx, req, 500, "Server Internal Error: registration not stored")
				return
			}
			s.log.Info("phone unregistered", "extension", ext, "from", req.Source())
			s.registerOK(req, tx, ext, now)
			return
		}
		if c.Address.Host == "" {
			s.respond(tx, req, 400, "Bad Request: Contact")
			return
		}
		exp := expires
		if e, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(e)
			if err != nil || n < 0 {
				s.respond(tx, req, 400, "Bad Request: Contact expires")
				return
			}
			exp = n
		}
		if exp != 0 && exp < s.cfg.MinExpires {
			res := sip.NewResponseFromRequest(req, 423, reasonPhrase(423), nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(s.cfg.MinExpires)))
			s.send(tx, res)
			return
		}
		exp = min(exp, s.cfg.MaxExpires)
		adds = append(adds, binding{ext: ext, contact: *c.Address.Clone(), source: req.Source(), transport: strings.ToUpper(req.Transport()),
			expires: now.Add(time.Duration(exp) * time.Second), callID: req.CallID().Value(), cseq: req.CSeq().SeqNo, path: path})
	}
	if len(adds) > 0 {
		switch ok, err := s.reg.update(ext, adds, now, s.saveBindings(ext)); {
		case err != nil:
			s.log.Error("sip: the registration could not be stored; refused", "extension", ext, "err", err)
			s.respond(tx, req, 500, "Server Internal Error: registration not stored")
			return
		case !ok:
			s.respond(tx, req, 500, "Server Internal Error: out of order REGISTER")
			return
		}
	}
	if len(adds) > 0 {
		s.log.Debug("phone registered", "extension", ext, "contact", adds[len(adds)-1].contact.String(), "from", req.Source(),
			"transport", req.Transport(), "path", pathValue(path))
	}
	s.registerOK(req, tx, ext, now)
}

// registerOK answers with every current binding and its remaining time (§10.3 step 8); a
// REGISTER without Contact is a query and gets the same answer. A REGISTER that came through
// proxies adding Path, from a phone that says it supports path, has the Path it stored echoed
// (RFC 3327 §5.3; one that does not say so is not told, as Kamailio's "lazy" mode).
func (s *Server) registerOK(req *sip.Request, tx sip.ServerTransaction, ext string, now time.Time) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if p := headerValues(req, "Path"); len(p) > 0 && has(headerTokens(req, "Supported", "k"), "path") {
		for _, v := range p {
			res.AppendHeader(sip.NewHeader("Path", v))
		}
	}
	for _, b := range s.reg.all(ext, now) {
		left := int(b.expires.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(sip.NewHeader("Contact", "<"+b.contact.String()+">;expires="+strconv.Itoa(left)))
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	s.send(tx, res)
}

// Registrations reports how many extensions have a registered phone.
func (s *Server) Registrations() int { return s.reg.count(time.Now()) }

// Registered reports whether an extension has a registered phone.
func (s *Server) Registered(ext string) bool {
	_, ok := s.reg.lookup(ext, time.Now())
	return ok
}

// headerValues lists the values of every occurrence of a header.
func headerValues(m headered, name string) []string {
	var out []string
	for _, h := range m.GetHeaders(name) {
		if v := strings.TrimSpace(h.Value()); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// addressList reads a list of name-addrs as Path and Route carry them: any number of header
// values, each a comma-separated list of <URI>s (commas inside <…> or quotes are the URI's).
func addressList(values []string) ([]sip.Uri, error) {
	var out []sip.Uri
	for _, v := range values {
		for _, part := range splitAddresses(v) {
			var u sip.Uri
			p := sip.NewParams()
			if _, err := sip.ParseAddressValue(part, &u, &p); err != nil {
				return nil, fmt.Errorf("address %q: %w", part, err)
			}
			if u.Host == "" {
				return nil, fmt.Errorf("address %q has no host", part)
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// splitAddresses splits a header value at the commas between its addresses.
func splitAddresses(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			if p := strings.TrimSpace(v[start:i]); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	if p := strings.TrimSpace(v[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

// pathValue writes a route set as one Path or Route header value.
func pathValue(list []sip.Uri) string {
	parts := make([]string, len(list))
	for i, u := range list {
		parts[i] = "<" + u.String() + ">"
	}
	return strings.Join(parts, ", ")
}
