package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, h, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q is not 32 bytes of base64url: %v", tok, err)
		}
		sum := sha256.Sum256([]byte(tok))
		if h != hex.EncodeToString(sum[:]) || HashToken(tok) != h {
			t.Fatalf("hash of %q: %s", tok, h)
		}
		if seen[tok] {
			t.Fatal("a token repeated")
		}
		seen[tok] = true
	}
}

func TestRandomPassword(t *testing.T) {
	a, err := RandomPassword()
	b, _ := RandomPassword()
	if err != nil || len(a) != 20 || a == b {
		t.Fatalf("%q %q %v", a, b, err)
	}
	if _, err := HashPassword(a); err != nil {
		t.Fatalf("a generated password is not usable: %v", err)
	}
}
