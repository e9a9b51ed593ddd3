package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHashPasswordForm(t *testing.T) {
	h, err := HashPassword("change-me")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash form: %s", h)
	}
	p, err := parsePHC(h)
	if err != nil || len(p.salt) != 16 || len(p.key) != 32 {
		t.Fatalf("our own hash does not parse back: %v %+v", err, p)
	}
	h2, _ := HashPassword("change-me")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, pw := range []string{"change-me", "비밀번호", strings.Repeat("x", MaxPasswordLen)} {
		h, err := HashPassword(pw)
		if err != nil || !VerifyPassword(h, pw) {
			t.Errorf("%.20q does not verify against its own hash: %v", pw, err)
		}
	}
}

func TestHashPasswordRefuses(t *testing.T) {
	for _, pw := range []string{"", strings.Repeat("x", MaxPasswordLen+1)} {
		if _, err := HashPassword(pw); !errors.Is(err, ErrBadPassword) {
			t.Errorf("%d-byte password: got %v, want ErrBadPassword", len(pw), err)
		}
	}
}

// Hashes made by the Argon2 reference implementation (phc-winner-argon2, src/test.c), with
// parameters other than ours: proof that we interoperate and read parameters from the hash.
func TestVerifyReferenceHashes(t *testing.T) {
	for _, c := range []struct {
		hash, pw string
		want     bool
	}{
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "password", true},
		{"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", "password", true},
		{"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "password", true},
		{"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "passwore", false},
		// padded base64, as some encoders write it
		{"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4=", "password", true},
		// the same key under other parameters must not verify
		{"$argon2id$v=19$m=256,t=3,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "password", false},
	} {
		if got := VerifyPassword(c.hash, c.pw); got != c.want {
			t.Errorf("VerifyPassword(%s, %q) = %v, want %v", c.hash, c.pw, got, c.want)
		}
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	good := "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	if !VerifyPassword(good, "password") {
		t.Fatal("the reference hash must verify for the cases below to mean anything")
	}
	for _, bad := range []string{
		"",
		"plain",
		"$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012", // bcrypt
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "$v=19", "", 1),
		strings.Replace(good, "m=256", "m=0256", 1),
		strings.Replace(good, "m=256", "m=4", 1),          // below 8 KiB per lane
		strings.Replace(good, "m=256", "m=4294967295", 1), // would allocate 4 TiB
		strings.Replace(good, "t=2", "t=0", 1),
		strings.Replace(good, "t=2", "t=1000", 1),
		strings.Replace(good, "p=1", "p=0", 1),
		strings.Replace(good, "p=1", "p=256", 1),
		strings.Replace(good, "m=256,t=2,p=1", "t=2,m=256,p=1", 1),
		strings.Replace(good, "m=256,t=2,p=1", "m=256,t=2", 1),
		strings.Replace(good, "c29tZXNhbHQ", "c29t", 1), // 3-byte salt
		strings.Replace(good, "c29tZXNhbHQ", "!!!", 1),
		good[:len(good)-30], // short key
		good + "$",
	} {
		if VerifyPassword(bad, "password") {
			t.Errorf("verified against malformed %q", bad)
		}
	}
	h, _ := HashPassword("change-me")
	for _, pw := range []string{"", "change-mE", "change-me ", strings.Repeat("x", MaxPasswordLen+1)} {
		if VerifyPassword(h, pw) {
			t.Errorf("%.20q verified against the hash of change-me", pw)
		}
	}
}

// TestHashCost reports what one hash costs with our parameters (go test -v -run HashCost);
// BenchmarkHashPassword measures it properly.
func TestHashCost(t *testing.T) {
	const n = 5
	start := time.Now()
	for range n {
		if _, err := HashPassword("change-me"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("argon2id m=%d KiB t=%d p=%d: %.1f ms per hash", argonMemory, argonTime, argonThreads,
		float64(time.Since(start).Microseconds())/1000/n)
}

func BenchmarkHashPassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashPassword("change-me"); err != nil {
			b.Fatal(err)
		}
	}
}
