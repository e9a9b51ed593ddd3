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
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"ringdesk/internal/auth"
)

// nonces are stateless: a timestamp and its HMAC, so any request can be checked without a
// table that an attacker could fill, and an old one is recognised as stale (the phone retries
// at once with a fresh one instead of asking its user for a password).
type nonces struct {
	key [32]byte
	ttl time.Duration
}

func newNonces(ttl time.Duration) *nonces {
	n := &nonces{ttl: ttl}
	rand.Read(n.key[:])
	return n
}

func (n *nonces) make(now time.Time) string {
	b := make([]byte, 8+16)
	binary.BigEndian.PutUint64(b, uint64(now.UnixNano()))
	m := hmac.New(sha256.New, n.key[:])
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil)[:16])
	return base64.RawURLEncoding.EncodeToString(b)
}

// check reports whether a nonce is ours, and whether it has expired.
func (n *nonces) check(nonce string, now time.Time) (ours, stale bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 {
		return false, false
	}
	m := hmac.New(sha256.New, n.key[:])
	m.Write(b[:8])
	if !hmac.Equal(m.Sum(nil)[:16], b[8:]) {
		return false, false
	}
	at := time.Unix(0, int64(binary.BigEndian.Uint64(b)))
	return true, now.Sub(at) > n.ttl || at.After(now.Add(time.Minute))
}

// challenges are the WWW-Authenticate / Proxy-Authenticate values to send, most preferred
// first (RFC 8760 §2.4). SHA-256 is offered only when configured: phones that meet a
// challenge they cannot answer may give up on all of them (baresip 1.0 fails REGISTER when a
// SHA-256 challenge is listed at all), so MD5 alone is the safe default. Both stored secrets
// are verified whichever challenge was sent.
func (n *nonces) challenges(realm string, now time.Time, stale, sha bool) []string {
	algs := []string{"MD5"}
	if sha {
		algs = []string{"SHA-256", "MD5"}
	}
	nonce := n.make(now)
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

// authenticate checks a request's digest credentials for user; status is 401 (REGISTER) or
// 407 (INVITE). On failure it has answered — a challenge when there are no credentials or
// the nonce is not ours, stale=true when a good answer came with an expired nonce, 403 for a
// wrong password or an unknown user alike, so that nobody learns which extensions exist —
// and returns false.
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
	if err != nil {
		s.respond(tx, req, 400, "Bad Request: malformed "+authHdr)
		return false
	}
	ours, stale := s.nonces.check(creds.Nonce, now)
	if !ours {
		s.challenge(req, tx, status, chalHdr, now, false)
		return false
	}
	sec, known := s.secrets(user)
	if creds.Username != user || creds.Realm != auth.SIPRealm || !known || !verify(creds, string(req.Method), sec) {
		s.respond(tx, req, 403, "")
		return false
	}
	if stale {
		s.challenge(req, tx, status, chalHdr, now, true)
		return false
	}
	return true
}

func (s *Server) challenge(req *sip.Request, tx sip.ServerTransaction, status int, header string, now time.Time, stale bool) {
	res := sip.NewResponseFromRequest(req, status, reasonPhrase(status), nil)
	for _, c := range s.nonces.challenges(auth.SIPRealm, now, stale, s.cfg.DigestSHA256) {
		res.AppendHeader(sip.NewHeader(header, c))
	}
	s.send(tx, res)
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
