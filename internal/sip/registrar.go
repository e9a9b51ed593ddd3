package sip

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"ringdesk/internal/auth"
)

// binding is where a registered phone is reached.
type binding struct {
	contact   sip.Uri
	source    string // host:port the REGISTER came from (NAT: we answer there)
	transport string
	expires   time.Time
	nat       bool
}

// registrar keeps bindings in memory: phones re-register, and a restart costs one interval.
type registrar struct {
	mu       sync.Mutex
	bindings map[string][]binding // extension → newest last
}

func newRegistrar() *registrar { return &registrar{bindings: map[string][]binding{}} }

// lookup returns the newest live binding of an extension.
func (r *registrar) lookup(ext string, now time.Time) (binding, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.bindings[ext]
	for i := len(list) - 1; i >= 0; i-- {
		if now.Before(list[i].expires) {
			return list[i], true
		}
	}
	return binding{}, false
}

// from reports whether an extension has a live binding registered from source.
func (r *registrar) from(ext, source string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bindings[ext] {
		if b.source == source && now.Before(b.expires) {
			return true
		}
	}
	return false
}

func (r *registrar) set(ext string, b binding, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keep []binding
	for _, x := range r.bindings[ext] {
		if now.Before(x.expires) && x.contact.String() != b.contact.String() {
			keep = append(keep, x)
		}
	}
	if b.expires.After(now) {
		keep = append(keep, b)
	}
	if len(keep) > 5 { // a phone that changes address keeps at most a few stale bindings
		keep = keep[len(keep)-5:]
	}
	if len(keep) == 0 {
		delete(r.bindings, ext)
	} else {
		r.bindings[ext] = keep
	}
}

func (r *registrar) clear(ext string) {
	r.mu.Lock()
	delete(r.bindings, ext)
	r.mu.Unlock()
}

func (r *registrar) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bindings)
}

const (
	minExpires     = 60
	maxExpires     = 3600
	defaultExpires = 600
)

// onRegister handles REGISTER sip:<host> from sip:<extension>@<host>.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	to := req.To()
	if to == nil || to.Address.User == "" {
		s.respond(tx, req, 400, "Bad Request: To has no user")
		return
	}
	ext := to.Address.User
	if !s.authenticate(req, tx, ext, "Authorization", 401) {
		return
	}
	now := time.Now()
	expires := defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			expires = n
		}
	}
	contacts := req.GetHeaders("Contact")
	if len(contacts) == 0 {
		// a query: answer with the bindings
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		if b, ok := s.reg.lookup(ext, now); ok {
			res.AppendHeader(sip.NewHeader("Contact", "<"+b.contact.String()+">;expires="+strconv.Itoa(int(time.Until(b.expires).Seconds()))))
		}
		tx.Respond(res)
		return
	}
	var last binding
	for _, h := range contacts {
		v := strings.TrimSpace(h.Value())
		if v == "*" {
			if expires != 0 {
				s.respond(tx, req, 400, "Bad Request: * needs Expires: 0")
				return
			}
			s.reg.clear(ext)
			s.respond(tx, req, 200, "OK")
			return
		}
		c := sip.ContactHeader{Params: sip.NewParams()}
		if _, err := sip.ParseAddressValue(v, &c.Address, &c.Params); err != nil {
			s.respond(tx, req, 400, "Bad Request: Contact")
			return
		}
		exp := expires
		if e, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(e); err == nil {
				exp = n
			}
		}
		if exp != 0 && exp < minExpires {
			res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
			tx.Respond(res)
			return
		}
		if exp > maxExpires {
			exp = maxExpires
		}
		b := binding{contact: c.Address, source: req.Source(), transport: req.Transport(), expires: now.Add(time.Duration(exp) * time.Second)}
		// behind NAT when the contact names another address than the one the REGISTER came
		// from: then calls go to the source. On the same address, the contact's port wins
		// (a phone may send from one port and listen on another).
		b.nat = hostOnly(b.source) != c.Address.Host
		s.reg.set(ext, b, now)
		last = b
		expires = exp
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if expires > 0 {
		res.AppendHeader(sip.NewHeader("Contact", "<"+last.contact.String()+">;expires="+strconv.Itoa(expires)))
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	tx.Respond(res)
}

// authenticate checks a request's digest credentials for a user; on failure it has answered
// (a challenge, or 403) and returns false. status is 401 (REGISTER) or 407 (INVITE).
func (s *Server) authenticate(req *sip.Request, tx sip.ServerTransaction, user, header string, status int) bool {
	authHdr := "Authorization"
	chalHdr := "WWW-Authenticate"
	if status == 407 {
		authHdr, chalHdr = "Proxy-Authorization", "Proxy-Authenticate"
	}
	now := time.Now()
	h := req.GetHeader(authHdr)
	if h == nil {
		s.challenge(req, tx, status, chalHdr, now, false)
		return false
	}
	creds, err := digest.ParseCredentials(h.Value())
	if err != nil {
		s.respond(tx, req, 400, "Bad Request: malformed "+authHdr)
		return false
	}
	ours, stale := s.nonces.check(creds.Nonce, now)
	if !ours {
		s.challenge(req, tx, status, chalHdr, now, false)
		return false
	}
	sec, known := s.dir.Load().exts[user]
	if creds.Username != user || creds.Realm != auth.SIPRealm || !known || !verify(creds, string(req.Method), sec) {
		// do not say whether the user or the password was wrong
		s.respond(tx, req, 403, "Forbidden")
		return false
	}
	if stale {
		s.challenge(req, tx, status, chalHdr, now, true)
		return false
	}
	return true
}

func (s *Server) challenge(req *sip.Request, tx sip.ServerTransaction, status int, header string, now time.Time, stale bool) {
	res := sip.NewResponseFromRequest(req, status, reason(status), nil)
	for _, c := range s.nonces.challenges(auth.SIPRealm, now, stale) {
		res.AppendHeader(sip.NewHeader(header, c))
	}
	tx.Respond(res)
}

func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, phrase string) {
	tx.Respond(sip.NewResponseFromRequest(req, code, phrase, nil))
}

// Registrations reports how many extensions have bindings.
func (s *Server) Registrations() int { return s.reg.count() }

// Registered reports whether an extension has a live binding.
func (s *Server) Registered(ext string) bool {
	_, ok := s.reg.lookup(ext, time.Now())
	return ok
}

// hostOnly strips a port from host:port.
func hostOnly(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
