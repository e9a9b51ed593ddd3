package sip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"ringdesk/internal/auth"
)

// nonces are stateless to check: a timestamp, a random part and an HMAC over both and the
// address the challenge went to, so any request can be checked without a table that an
// attacker could fill, an old one is recognised as stale (the phone retries at once with a
// fresh one instead of asking its user for a password), and one captured and sent from
// elsewhere is not ours at all.
//
// What they cannot say statelessly is which nonce counts (nc) a phone has already used: that
// is recorded, once a request on the nonce has proved the password, in a bounded table. A
// request that proves nothing records nothing, so only holders of a password can add entries;
// when the table is full the oldest half is dropped and every nonce issued up to the newest of
// those becomes stale (a phone is challenged once more; a replay of it is refused), so that
// forgetting a count never lets its nonce be replayed.
type nonces struct {
	key [32]byte
	ttl time.Duration

	mu    sync.Mutex
	uses  map[string]*nonceUse
	floor int64 // unix nanoseconds: nonces issued at or before it are stale
}

// nonceUse is what a nonce's requests have used: the highest nc and a window of the 64 below.
type nonceUse struct {
	issued int64
	max    uint32
	seen   uint64 // bit i: nc max-i was used
}

// maxNonceUses bounds the table of counts: ~100 bytes each. A site's phones use a nonce or two
// each per lifetime (5 minutes), so this is thousands of phones' worth.
const maxNonceUses = 1 << 14

// newNonces makes nonces signed with key, or with a random key when key is empty. Servers
// given the same key take each other's nonces: in a cluster a phone's retry with credentials
// may reach another node than the one that challenged it (a 302 to the owner).
func newNonces(ttl time.Duration, key ...[]byte) *nonces {
	n := &nonces{ttl: ttl, uses: map[string]*nonceUse{}}
	if len(key) > 0 && len(key[0]) > 0 {
		n.key = sha256.Sum256(key[0])
	} else {
		rand.Read(n.key[:])
	}
	return n
}

const nonceBytes = 8 + 8 + 16 // issued, random, MAC

func (n *nonces) mac(b []byte, src string) []byte {
	m := hmac.New(sha256.New, n.key[:])
	m.Write(b[:16])
	m.Write([]byte(src))
	return m.Sum(nil)[:16]
}

// make is a nonce for a challenge sent to src (nonceSource of the request's source).
func (n *nonces) make(now time.Time, src string) string {
	b := make([]byte, nonceBytes)
	binary.BigEndian.PutUint64(b, uint64(now.UnixNano()))
	rand.Read(b[8:16])
	copy(b[16:], n.mac(b, src))
	return base64.RawURLEncoding.EncodeToString(b)
}

// check reports whether a nonce is ours and was given to src, when it was issued, and whether
// it has expired.
func (n *nonces) check(nonce, src string, now time.Time) (issued int64, ours, stale bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceBytes || !hmac.Equal(n.mac(b, src), b[16:]) {
		return 0, false, false
	}
	issued = int64(binary.BigEndian.Uint64(b))
	at := time.Unix(0, issued)
	n.mu.Lock()
	floor := n.floor
	n.mu.Unlock()
	return issued, true, now.Sub(at) > n.ttl || at.After(now.Add(time.Minute)) || issued <= floor
}

// use records nc as used on a nonce (checked ours, issued when said) and reports whether it
// was free: each count is accepted once, in any order within 64 of the highest seen, so that
// a phone that reuses a nonce with increasing counts keeps working while a replay does not.
// nc 0 is a request without qop: its nonce may be used once.
func (n *nonces) use(nonce string, issued int64, nc uint32, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if issued <= n.floor {
		return false
	}
	u := n.uses[nonce]
	if u == nil {
		if len(n.uses) >= maxNonceUses {
			n.shed(now)
			if issued <= n.floor {
				return false
			}
		}
		n.uses[nonce] = &nonceUse{issued: issued, max: nc, seen: 1}
		return true
	}
	switch {
	case nc > u.max:
		if d := nc - u.max; d >= 64 {
			u.seen = 0
		} else {
			u.seen <<= d
		}
		u.max, u.seen = nc, u.seen|1
		return true
	case u.max-nc >= 64 || u.seen&(1<<(u.max-nc)) != 0:
		return false
	}
	u.seen |= 1 << (u.max - nc)
	return true
}

// shed forgets the counts of expired nonces and, if the table is still three quarters full,
// those of the older half, raising the floor past them.
func (n *nonces) shed(now time.Time) {
	expired := now.Add(-n.ttl - time.Minute).UnixNano()
	for k, u := range n.uses {
		if u.issued < expired {
			delete(n.uses, k)
		}
	}
	if len(n.uses) < maxNonceUses*3/4 {
		return
	}
	times := make([]int64, 0, len(n.uses))
	for _, u := range n.uses {
		times = append(times, u.issued)
	}
	slices.Sort(times)
	cut := times[len(times)/2]
	for k, u := range n.uses {
		if u.issued <= cut {
			delete(n.uses, k)
		}
	}
	n.floor = max(n.floor, cut)
}

// tracked is how many nonces have counts recorded (tests).
func (n *nonces) tracked() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.uses)
}

// nonceSource is what a nonce is bound to: the address a request came from, without its port
// (a phone may answer from another port), an IPv6 address by its /64.
func nonceSource(source string) string {
	a, err := netip.ParseAddrPort(source)
	if err != nil {
		return hostOnly(source)
	}
	ip := a.Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}

// challenges are the WWW-Authenticate / Proxy-Authenticate values to send, most preferred
// first (RFC 8760 §2.4). SHA-256 is offered only to phones known to cope (sha): a phone that
// meets a challenge it cannot answer may give up on all of them (baresip 1.0 fails REGISTER
// when a SHA-256 challenge is listed at all), so MD5 alone is the default. Both stored
// secrets are verified whichever challenge was sent.
func (n *nonces) challenges(realm, src string, now time.Time, stale, sha bool) []string {
	algs := []string{"MD5"}
	if sha {
		algs = []string{"SHA-256", "MD5"}
	}
	nonce := n.make(now, src)
	out := make([]string, 0, len(algs))
	for _, alg := range algs {
		c := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=%s, qop="auth"`, realm, nonce, alg)
		if stale {
			c += ", stale=true"
		}
		out = append(out, c)
	}
	return out
}

// offersSHA256 says whether a request's user agent is offered SHA-256 ahead of MD5: every one
// with Config.DigestSHA256, else those whose User-Agent begins with one of
// Config.DigestSHA256Agents.
func (s *Server) offersSHA256(req *sip.Request) bool {
	if s.cfg.DigestSHA256 {
		return true
	}
	h := req.GetHeader("User-Agent")
	if h == nil {
		return false
	}
	ua := strings.ToLower(strings.TrimSpace(h.Value()))
	for _, p := range s.cfg.DigestSHA256Agents {
		if p = strings.ToLower(strings.TrimSpace(p)); p == "*" || (p != "" && strings.HasPrefix(ua, p)) {
			return true
		}
	}
	return false
}

// secrets are what we hold of a user: the HA1 values, never the password.
type secrets struct {
	md5, sha256 string
}

// verify checks a request's credentials (RFC 2617 / RFC 7616) against the stored HA1: the
// stored secret is HA1 itself, so only HA2 and the response are computed here.
func verify(creds *digest.Credentials, method string, sec secrets) bool {
	var ha1 string
	var h func() hash.Hash
	switch strings.ToUpper(creds.Algorithm) {
	case "", "MD5":
		ha1, h = sec.md5, md5.New
	case "SHA-256":
		ha1, h = sec.sha256, sha256.New
	default:
		return false
	}
	if ha1 == "" {
		return false
	}
	hx := func(s string) string {
		d := h()
		d.Write([]byte(s))
		return hex.EncodeToString(d.Sum(nil))
	}
	ha2 := hx(method + ":" + creds.URI)
	var want string
	switch creds.QOP {
	case "auth":
		want = hx(strings.Join([]string{ha1, creds.Nonce, fmt.Sprintf("%08x", creds.Nc), creds.Cnonce, "auth", ha2}, ":"))
	case "":
		want = hx(ha1 + ":" + creds.Nonce + ":" + ha2)
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(creds.Response))) == 1
}

// sameTarget reports whether a digest's uri names the request's Request-URI (RFC 3261
// §22.4, RFC 7616 §3.4.6): otherwise an answer captured for one number could call another.
// Scheme, user, host and port must agree (no port is the scheme's default); parameters may
// differ, as phones write them differently in the two places.
func sameTarget(digestURI string, ruri sip.Uri) bool {
	var u sip.Uri
	if err := sip.ParseUri(strings.TrimSpace(digestURI), &u); err != nil {
		return false
	}
	port := func(u sip.Uri) int {
		switch {
		case u.Port != 0:
			return u.Port
		case strings.EqualFold(u.Scheme, "sips"):
			return 5061
		}
		return 5060
	}
	return strings.EqualFold(u.Scheme, ruri.Scheme) && u.User == ruri.User && strings.EqualFold(u.Host, ruri.Host) &&
		port(u) == port(ruri)
}

// authenticate checks a request's digest credentials for user, the identity it claims (the
// To of a REGISTER, the From of an INVITE); status is 401 (REGISTER) or 407 (INVITE). On
// failure it has answered, or deliberately not, and returns false:
//
//   - no credentials, or a nonce that is not ours (or was given to another address): a
//     fresh challenge;
//   - a source or an (extension, source) pair locked out for failed attempts (Kamailio's
//     pike and fail2ban in one): no answer at all, the password unchecked;
//   - a wrong password, another extension's credentials, an unknown extension: 403 alike, so
//     that nobody learns which extensions exist; each counts towards a lockout, counted
//     before it is checked;
//   - a right answer for another Request-URI, on an expired nonce, or with a nonce count
//     already used (a replay): a fresh challenge — stale=true where a phone should simply
//     retry — and never service.
func (s *Server) authenticate(req *sip.Request, tx sip.ServerTransaction, user string, status int) bool {
	authHdr, chalHdr := "Authorization", "WWW-Authenticate"
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
	if err != nil || creds.Nc < 0 || (creds.QOP != "" && creds.Nc == 0) {
		s.refuse(tx, req, 400, "Bad Request: malformed "+authHdr)
		return false
	}
	issued, ours, stale := s.nonces.check(creds.Nonce, nonceSource(req.Source()), now)
	if !ours {
		s.challenge(req, tx, status, chalHdr, now, false)
		return false
	}
	attempt, err := s.guard.Reserve(user, hostOnly(req.Source()))
	if err != nil {
		s.lockedOut(req, user, err)
		return false
	}
	sec, known := s.secrets(user)
	if creds.Username != user || creds.Realm != auth.SIPRealm || !known || !verify(creds, string(req.Method), sec) {
		attempt.Failed()
		s.counters.authFailures.Add(1)
		s.log.Warn("sip authentication failed", "extension", user, "method", string(req.Method),
			"source", hostOnly(req.Source()), "user_agent", userAgent(req))
		s.refuse(tx, req, 403, "")
		return false
	}
	switch {
	case !sameTarget(creds.URI, req.Recipient):
		attempt.Cancel()
		s.counters.replays.Add(1)
		s.noteReplay(req, user, "digest uri is not the Request-URI")
		s.challenge(req, tx, status, chalHdr, now, false)
		return false
	case stale:
		attempt.Cancel()
		s.challenge(req, tx, status, chalHdr, now, true)
		return false
	case !s.nonces.use(creds.Nonce, issued, uint32(creds.Nc), now):
		attempt.Cancel()
		s.counters.replays.Add(1)
		s.noteReplay(req, user, "nonce count already used")
		s.challenge(req, tx, status, chalHdr, now, true)
		return false
	}
	attempt.Succeeded()
	s.trustConnection(req)
	return true
}

// lockedOut drops a request whose source is locked out, saying so in the log once in a while.
func (s *Server) lockedOut(req *sip.Request, user string, err error) {
	s.counters.throttled.Add(1)
	src := hostOnly(req.Source())
	if ok, dropped := s.logBudget.allow("locked "+src, time.Now()); ok {
		var wait time.Duration
		if th, ok := err.(*auth.ErrThrottled); ok {
			wait = th.RetryAfter
		}
		s.log.Warn("sip: ignoring requests from a source locked out after failed authentication", "source", src,
			"extension", user, "retry_after", wait.Round(time.Second), "ignored_since_last_said", dropped)
	}
}

// noteReplay says, now and then, that a right answer was used where it does not belong.
func (s *Server) noteReplay(req *sip.Request, user, why string) {
	src := hostOnly(req.Source())
	if ok, dropped := s.logBudget.allow("replay "+src, time.Now()); ok {
		s.log.Warn("sip: replayed credentials challenged again", "why", why, "extension", user, "source", src,
			"method", string(req.Method), "unsaid_since_last", dropped)
	}
}

func userAgent(req *sip.Request) string {
	if h := req.GetHeader("User-Agent"); h != nil {
		return truncate(h.Value(), 80)
	}
	return ""
}

func (s *Server) challenge(req *sip.Request, tx sip.ServerTransaction, status int, header string, now time.Time, stale bool) {
	res := sip.NewResponseFromRequest(req, status, reasonPhrase(status), nil)
	for _, c := range s.nonces.challenges(auth.SIPRealm, nonceSource(req.Source()), now, stale, s.offersSHA256(req)) {
		res.AppendHeader(sip.NewHeader(header, c))
	}
	s.sendOnce(tx, req, res)
}

// answerChallenge adds credentials for a carrier's 401/407 challenge to a request we send.
func answerChallenge(req *sip.Request, res *sip.Response, user, password string) error {
	chalHdr, authHdr := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		chalHdr, authHdr = "Proxy-Authenticate", "Proxy-Authorization"
	}
	var chal *digest.Challenge
	for _, h := range res.GetHeaders(chalHdr) {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			continue
		}
		if a := strings.ToUpper(c.Algorithm); a == "" || a == "MD5" || a == "SHA-256" {
			chal = c
			break
		}
	}
	if chal == nil {
		return fmt.Errorf("no digest challenge we can answer in %d", res.StatusCode)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: req.Recipient.Addr(),
		Username: user, Password: password, Count: 1})
	if err != nil {
		return err
	}
	req.RemoveHeader(authHdr)
	req.AppendHeader(sip.NewHeader(authHdr, cred.String()))
	return nil
}
