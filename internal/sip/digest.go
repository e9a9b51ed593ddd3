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
	"strings"
	"time"

	"github.com/icholy/digest"
)

// nonces are stateless: a timestamp and its HMAC, so any request can be checked without a
// table, and an old one is recognised as stale (the phone retries with a fresh one).
type nonces struct {
	key [32]byte
	ttl time.Duration
}

func newNonces() *nonces {
	n := &nonces{ttl: 5 * time.Minute}
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

// challenge is a WWW-Authenticate / Proxy-Authenticate value offering MD5 and SHA-256.
func (n *nonces) challenges(realm string, now time.Time, stale bool) []string {
	var out []string
	// MD5 only: phones that meet a challenge they cannot answer give up on all of them
	// (baresip 1.0 fails REGISTER when a SHA-256 challenge is listed at all). The SHA-256
	// secret is stored and verified, ready for sites whose phones all speak RFC 7616.
	for _, alg := range []string{"MD5"} {
		c := fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=%s, qop="auth"`, realm, n.make(now), alg)
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

// verify checks a request's credentials (RFC 2617 / 7616) against the stored HA1.
func verify(creds *digest.Credentials, method string, sec secrets) bool {
	var ha1 string
	var h func(string) string
	switch strings.ToUpper(creds.Algorithm) {
	case "", "MD5":
		ha1, h = sec.md5, md5hex
	case "SHA-256":
		ha1, h = sec.sha256, sha256hex
	default:
		return false
	}
	if ha1 == "" {
		return false
	}
	ha2 := h(method + ":" + creds.URI)
	var want string
	switch creds.QOP {
	case "auth":
		want = h(strings.Join([]string{ha1, creds.Nonce, fmt.Sprintf("%08x", creds.Nc), creds.Cnonce, "auth", ha2}, ":"))
	case "":
		want = h(ha1 + ":" + creds.Nonce + ":" + ha2)
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(creds.Response))) == 1
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
