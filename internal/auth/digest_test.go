package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"testing"
)

// response is the RFC 2617/7616 digest response with qop=auth, computed from an HA1: what a
// registrar does with the stored secret.
func response(h func() hash.Hash, ha1, method, uri, nonce, nc, cnonce string) string {
	sum := func(s string) string { x := h(); x.Write([]byte(s)); return hex.EncodeToString(x.Sum(nil)) }
	return sum(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + sum(method+":"+uri))
}

// The worked examples of RFC 2617 §3.5 and RFC 7616 §3.9.1: our HA1 must be the one those
// responses are computed from.
func TestHA1AgainstTheRFCs(t *testing.T) {
	rfc2617 := ha1(md5.New(), "Mufasa", "testrealm@host.com", "Circle Of Life")
	if got := response(md5.New, rfc2617, "GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b"); got != "6629fae49393a05397450978507c4ef1" {
		t.Errorf("RFC 2617 response %s", got)
	}
	const nonce, cnonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	for _, c := range []struct {
		h    func() hash.Hash
		want string
	}{
		{md5.New, "8ca523f5e9506fed4657c9700eebdbec"},
		{sha256.New, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		secret := ha1(c.h(), "Mufasa", "http-auth@example.org", "Circle of Life")
		if got := response(c.h, secret, "GET", "/dir/index.html", nonce, "00000001", cnonce); got != c.want {
			t.Errorf("RFC 7616 response %s, want %s", got, c.want)
		}
	}
}

func TestSIPHA1UsesTheRegistrarRealm(t *testing.T) {
	if SIPHA1("1001", "s1p") != ha1(md5.New(), "1001", "ringdesk", "s1p") {
		t.Error("SIPHA1 is not MD5(user:ringdesk:password)")
	}
	if SIPHA1SHA256("1001", "s1p") != ha1(sha256.New(), "1001", "ringdesk", "s1p") {
		t.Error("SIPHA1SHA256 is not SHA-256(user:ringdesk:password)")
	}
	if SIPHA1("1001", "s1p") == SIPHA1("1002", "s1p") {
		t.Error("the secret must depend on the extension")
	}
	if len(SIPHA1("1001", "s1p")) != 32 || len(SIPHA1SHA256("1001", "s1p")) != 64 {
		t.Error("hex lengths")
	}
}
