package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/site"
)

func TestPasswords(t *testing.T) {
	h, err := HashPassword("change-me")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash form: %s", h)
	}
	if !VerifyPassword(h, "change-me") || VerifyPassword(h, "change-mE") || VerifyPassword(h, "") {
		t.Fatal("verify")
	}
	h2, _ := HashPassword("change-me")
	if h2 == h {
		t.Fatal("no salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA", "plain", "$bcrypt$x", "$argon2id$v=18$m=19456,t=2,p=1$AAAA$AAAA"} {
		if VerifyPassword(bad, "change-me") {
			t.Errorf("verified against %q", bad)
		}
	}
	if _, err := HashPassword(""); !errors.Is(err, ErrBadPassword) {
		t.Fatal("empty password hashed")
	}
	if _, err := HashPassword(strings.Repeat("x", 1025)); !errors.Is(err, ErrBadPassword) {
		t.Fatal("over-long password hashed")
	}
}

func TestSIPSecrets(t *testing.T) {
	// RFC 2617 §3.5: Mufasa in testrealm@host.com with "Circle Of Life"
	if got := ha1MD5("Mufasa", "testrealm@host.com", "Circle Of Life"); got != "939e7578ed9e3c518a452acee763bce9" {
		t.Fatalf("HA1 %s", got)
	}
	if SIPHA1("Mufasa", "Circle Of Life") != ha1MD5("Mufasa", SIPRealm, "Circle Of Life") {
		t.Fatal("SIPHA1 must use the registrar's realm")
	}
	if SIPHA1("1001", "a") == SIPHA1("1002", "a") || len(SIPHA1SHA256("1001", "a")) != 64 {
		t.Fatal("HA1 depends on the user; SHA-256 form is 64 hex digits")
	}
}

func TestTokens(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, hb, _ := NewToken()
	if a == b || ha == hb || HashToken(a) != ha || len(a) < 40 {
		t.Fatal("tokens")
	}
}

func TestPrincipal(t *testing.T) {
	agent := PrincipalOf(&site.Agent{Login: "kim", Role: site.RoleAgent, Services: []string{"support"}})
	mgr := PrincipalOf(&site.Agent{Login: "boss", Role: site.RoleManager, Services: []string{"support"}})
	admin := PrincipalOf(&site.Agent{Login: "root", Role: site.RoleAdmin})
	cases := []struct {
		p           Principal
		svc         string
		see, manage bool
	}{
		{agent, "support", true, false},
		{agent, "sales", false, false},
		{mgr, "support", true, true},
		{mgr, "sales", false, false},
		{admin, "anything", true, true},
	}
	for _, c := range cases {
		if c.p.CanSeeService(c.svc) != c.see || c.p.CanManageService(c.svc) != c.manage {
			t.Errorf("%s on %s: see %v manage %v", c.p.Login, c.svc, c.p.CanSeeService(c.svc), c.p.CanManageService(c.svc))
		}
	}
}

func TestLimiter(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	for i := 0; i < 9; i++ {
		if err := l.Allow("kim", "1.2.3.4"); err != nil {
			t.Fatalf("attempt %d refused", i)
		}
		l.Failure("kim", "1.2.3.4")
	}
	if err := l.Allow("kim", "1.2.3.4"); err != nil {
		t.Fatal("tenth attempt refused")
	}
	l.Failure("kim", "1.2.3.4")
	var th *ErrThrottled
	if err := l.Allow("kim", "5.6.7.8"); !errors.As(err, &th) || th.RetryAfter != 5*time.Minute {
		t.Fatalf("after 10 failures: %v", err)
	}
	if err := l.Allow("lee", "1.2.3.4"); err != nil {
		t.Fatal("another login from the same address throttled too early")
	}
	clk.Advance(5 * time.Minute)
	if err := l.Allow("kim", "1.2.3.4"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	l.Success("kim", "1.2.3.4")
}
