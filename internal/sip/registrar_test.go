package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"ringdesk/internal/auth"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
)

func TestRegisterRefusals(t *testing.T) {
	e := newEnv(t)
	kim := siptest.NewPhone(t, e.addr, "1001", "s1p")
	// no credentials: a challenge, for MD5 only by default
	res, err := kim.RegisterRequest("1001", "", func(r *sip.Request) {
		r.AppendHeader(sip.NewHeader("Contact", "<sip:1001@127.0.0.1:5999>"))
	})
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("no credentials: %v %v, want 401", res, err)
	}
	chals := res.GetHeaders("WWW-Authenticate")
	if len(chals) != 1 || !strings.Contains(chals[0].Value(), `realm="ringdesk"`) || !strings.Contains(chals[0].Value(), "algorithm=MD5") {
		t.Fatalf("challenge %v", chals)
	}
	// a wrong password and an unknown extension look alike: 403 after the challenge
	if code, _ := kim.RegisterAs("1001", "wrong", 600); code != 403 {
		t.Fatalf("wrong password: %d, want 403", code)
	}
	if code, _ := kim.RegisterAs("1999", "s1p", 600); code != 403 {
		t.Fatalf("unknown extension: %d, want 403", code)
	}
	// another extension's password does not do
	if code, _ := kim.RegisterAs("1002", "s1p", 600); code != 403 {
		t.Fatalf("1002 with 1001's password: %d, want 403", code)
	}
	if e.s.Registered("1001") || e.s.Registered("1999") || e.s.Registrations() != 0 {
		t.Fatal("registered after refusals")
	}
	// too short an interval
	res, _ = kim.RegisterRequest("1001", "s1p", func(r *sip.Request) {
		r.AppendHeader(sip.NewHeader("Contact", "<sip:1001@127.0.0.1:5999>"))
		r.AppendHeader(sip.NewHeader("Expires", "10"))
	})
	if res.StatusCode != 423 || res.GetHeader("Min-Expires") == nil || res.GetHeader("Min-Expires").Value() != "60" {
		t.Fatalf("too brief: %v, want 423 with Min-Expires: 60", res.StartLine())
	}
	// a * with an expiry is malformed
	res, _ = kim.RegisterRequest("1001", "s1p", func(r *sip.Request) {
		r.AppendHeader(sip.NewHeader("Contact", "*"))
		r.AppendHeader(sip.NewHeader("Expires", "60"))
	})
	if res.StatusCode != 400 {
		t.Fatalf("* with Expires: 60: %d, want 400", res.StatusCode)
	}
}

func TestRegisterBindings(t *testing.T) {
	e := newEnv(t)
	kim := siptest.NewPhone(t, e.addr, "1001", "s1p")
	contact := func(port string, params string) func(r *sip.Request) {
		return func(r *sip.Request) {
			r.AppendHeader(sip.NewHeader("Contact", "<sip:1001@127.0.0.1:"+port+">"+params))
		}
	}
	if code, err := kim.Register(600); err != nil || code != 200 {
		t.Fatalf("register: %d %v", code, err)
	}
	if !e.s.Registered("1001") || e.s.Registrations() != 1 {
		t.Fatal("not registered")
	}
	// a second binding, with its own expiry in the contact; the answer lists both
	res, err := kim.RegisterRequest("1001", "s1p", contact("6001", ";expires=120"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("second binding: %v %v", res, err)
	}
	if got := res.GetHeaders("Contact"); len(got) != 2 || !strings.Contains(got[1].Value(), ":6001>;expires=120") {
		t.Fatalf("answer lists %v, want both bindings, the new one last with expires=120", got)
	}
	// calls ring the newest binding
	if b, _ := e.s.reg.lookup("1001", time.Now()); b.contact.Port != 6001 {
		t.Fatalf("rings %s, want the newest contact", b.contact.String())
	}
	// a query (no Contact) lists them too
	res, _ = kim.RegisterRequest("1001", "s1p", func(*sip.Request) {})
	if res.StatusCode != 200 || len(res.GetHeaders("Contact")) != 2 {
		t.Fatalf("query: %v", res)
	}
	// removing one binding leaves the other
	res, _ = kim.RegisterRequest("1001", "s1p", contact("6001", ";expires=0"))
	if res.StatusCode != 200 || len(res.GetHeaders("Contact")) != 1 {
		t.Fatalf("remove one: %v", res)
	}
	// an expiry above the maximum is cut down
	res, _ = kim.RegisterRequest("1001", "s1p", contact("6002", ";expires=99999"))
	if c := res.GetHeaders("Contact"); len(c) != 2 || !strings.HasSuffix(c[1].Value(), "expires=3600") {
		t.Fatalf("long expiry: %v, want it cut to 3600", c)
	}
	// * removes everything
	res, _ = kim.RegisterRequest("1001", "s1p", func(r *sip.Request) {
		r.AppendHeader(sip.NewHeader("Contact", "*"))
		r.AppendHeader(sip.NewHeader("Expires", "0"))
	})
	if res.StatusCode != 200 || e.s.Registered("1001") {
		t.Fatalf("* : %d, still registered %v", res.StatusCode, e.s.Registered("1001"))
	}
	// and Expires: 0 on the phone's own contact unregisters it
	kim.MustRegister()
	if code, _ := kim.Unregister(); code != 200 || e.s.Registered("1001") {
		t.Fatalf("unregister: %d, still registered %v", code, e.s.Registered("1001"))
	}
	// over TCP as well
	lee := siptest.NewPhone(t, e.addr, "1002", "s2p", siptest.Options{Transport: "TCP"})
	lee.MustRegister()
	if b, _ := e.s.reg.lookup("1002", time.Now()); b.transport != "TCP" || !strings.Contains(b.contact.String(), "transport=tcp") {
		t.Fatalf("TCP binding %+v", b)
	}
}

func TestRegistrationExpires(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MinExpires = 1 })
	kim := siptest.NewPhone(t, e.addr, "1001", "s1p")
	if code, _ := kim.Register(1); code != 200 || !e.s.Registered("1001") {
		t.Fatalf("register for 1 s: %d", code)
	}
	time.Sleep(1100 * time.Millisecond)
	if e.s.Registered("1001") || e.s.Registrations() != 0 {
		t.Fatal("still registered after its expiry")
	}
}

// TestRegisterOutOfOrder: a REGISTER overtaken by a later one of the same Call-ID changes
// nothing (RFC 3261 §10.3 step 7).
func TestRegisterOutOfOrder(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	b := func(cseq uint32, exp time.Duration) binding {
		return binding{contact: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 7000}, callID: "c",
			cseq: cseq, expires: now.Add(exp)}
	}
	update := func(b binding) bool {
		ok, err := e.s.reg.update("1001", []binding{b}, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !update(b(5, time.Minute)) {
		t.Fatal("first")
	}
	if update(b(4, 0)) {
		t.Fatal("an older CSeq removed the binding")
	}
	if !e.s.Registered("1001") {
		t.Fatal("binding lost")
	}
	if !update(b(6, 0)) || e.s.Registered("1001") {
		t.Fatal("a newer CSeq could not remove it")
	}
}

// TestRegisterDigestSHA256: with SHA-256 offered, the challenge lists it first and a phone
// that answers it is checked against the SHA-256 secret.
func TestRegisterDigestSHA256(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DigestSHA256 = true })
	kim := siptest.NewPhone(t, e.addr, "1001", "s1p")
	res, _ := kim.RegisterRequest("1001", "", func(r *sip.Request) {})
	chals := res.GetHeaders("WWW-Authenticate")
	if len(chals) != 2 || !strings.Contains(chals[0].Value(), "SHA-256") || !strings.Contains(chals[1].Value(), "MD5") {
		t.Fatalf("challenges %v, want SHA-256 then MD5", chals)
	}
	for _, alg := range []string{"SHA-256", "MD5"} {
		for _, c := range []struct {
			password string
			want     int
		}{{"s1p", 200}, {"wrong", 403}} {
			res := registerDigest(t, kim, "1001", c.password, alg, "")
			if res.StatusCode != c.want {
				t.Errorf("%s with %q: %d, want %d", alg, c.password, res.StatusCode, c.want)
			}
		}
	}
	// the stored secrets are HA1 values: a site that only has the SHA-256 one still works
	// a copy: the server's handlers may still be reading the configuration it was given
	st := *e.site
	st.Agents = append([]site.Agent(nil), e.site.Agents...)
	st.Agents[0].SIPHA1 = ""
	e.s.SetSite(&st)
	if res := registerDigest(t, kim, "1001", "s1p", "MD5", ""); res.StatusCode != 403 {
		t.Fatalf("MD5 without its secret: %d, want 403", res.StatusCode)
	}
	if res := registerDigest(t, kim, "1001", "s1p", "SHA-256", ""); res.StatusCode != 200 {
		t.Fatalf("SHA-256: %d", res.StatusCode)
	}
}

// registerDigest answers the server's challenge by hand with an algorithm, on nonce when
// given (else the challenge's).
func registerDigest(t *testing.T, ua *siptest.UA, user, password, alg, nonce string) *sip.Response {
	t.Helper()
	contact := func(r *sip.Request) { r.AppendHeader(sip.NewHeader("Contact", "<sip:1001@127.0.0.1:5999>")) }
	res, err := ua.RegisterRequest(user, "", contact)
	if err != nil {
		t.Fatal(err)
	}
	var chal *digest.Challenge
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(c.Algorithm, alg) || chal == nil {
			chal = c
		}
	}
	chal.Algorithm = alg
	if nonce != "" {
		chal.Nonce = nonce
	}
	uri := "sip:" + ua.Server
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: uri, Username: user, Password: password, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err = ua.RegisterRequest(user, "", func(r *sip.Request) {
		contact(r)
		r.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestStaleNonce: a correct answer on an expired nonce is challenged again with stale=true,
// a wrong one on an expired nonce is still refused, and a nonce that is not ours is
// challenged afresh.
func TestStaleNonce(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.NonceLifetime = 50 * time.Millisecond })
	kim := siptest.NewPhone(t, e.addr, "1001", "s1p")
	old := e.s.nonces.make(time.Now().Add(-time.Second), "127.0.0.1")
	res := registerDigest(t, kim, "1001", "s1p", "MD5", old)
	if res.StatusCode != 401 || !strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale=true") {
		t.Fatalf("stale nonce: %s %v, want 401 with stale=true", res.StartLine(), res.GetHeader("WWW-Authenticate"))
	}
	if res := registerDigest(t, kim, "1001", "wrong", "MD5", old); res.StatusCode != 403 {
		t.Fatalf("wrong password on a stale nonce: %d, want 403", res.StatusCode)
	}
	res = registerDigest(t, kim, "1001", "s1p", "MD5", "bm90LW91cnM")
	if res.StatusCode != 401 || strings.Contains(res.GetHeader("WWW-Authenticate").Value(), "stale") {
		t.Fatalf("foreign nonce: %s, want a fresh 401", res.StartLine())
	}
	// the sipgo client retries a stale challenge by itself: registering just works
	if code, _ := kim.Register(600); code != 200 {
		t.Fatalf("register: %d", code)
	}
}

func TestVerifyDigest(t *testing.T) {
	sec := secrets{md5: auth.SIPHA1("1001", "pw"), sha256: auth.SIPHA1SHA256("1001", "pw")}
	for _, alg := range []string{"MD5", "SHA-256"} {
		for _, qop := range []string{"auth", ""} {
			chal := &digest.Challenge{Realm: auth.SIPRealm, Nonce: "abc", Algorithm: alg}
			if qop != "" {
				chal.QOP = []string{qop}
			}
			cred, err := digest.Digest(chal, digest.Options{Method: "INVITE", URI: "sip:200@x", Username: "1001", Password: "pw", Count: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !verify(cred, "INVITE", sec) {
				t.Errorf("%s qop=%q: a right answer refused", alg, qop)
			}
			if verify(cred, "REGISTER", sec) {
				t.Errorf("%s qop=%q: an answer for INVITE accepted for REGISTER", alg, qop)
			}
			if verify(cred, "INVITE", secrets{md5: auth.SIPHA1("1001", "other"), sha256: auth.SIPHA1SHA256("1001", "other")}) {
				t.Errorf("%s qop=%q: accepted with another password", alg, qop)
			}
		}
	}
	cred := &digest.Credentials{Username: "1001", Realm: auth.SIPRealm, Nonce: "n", URI: "u", Response: "x", Algorithm: "SHA-512"}
	if verify(cred, "INVITE", sec) {
		t.Error("an algorithm we do not hold a secret for was accepted")
	}
}
