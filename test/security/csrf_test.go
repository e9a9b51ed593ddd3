package security_test

import (
	"net/http"
	"strings"
	"testing"
)

// Login CSRF: a page on another site posts the attacker's credentials to /session as a form
// (text/plain or urlencoded need no CORS preflight), so the victim's browser ends up logged in
// as the attacker and whatever they type lands in the attacker's account.
//
// Fails on today's code: the text/plain post was answered 200 with a session cookie.
func TestLoginCSRFFails(t *testing.T) {
	s := start(t)
	c := from("127.0.0.1")
	creds := `{"login":"kim","password":"kim-pw"}`
	for _, attempt := range []struct {
		name   string
		header map[string]string
	}{
		{"text/plain form from another site", map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example"}},
		{"text/plain without Origin", map[string]string{"Content-Type": "text/plain"}},
		{"urlencoded form", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}},
		{"JSON from another origin", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}},
		{"JSON from another site per Sec-Fetch-Site", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}},
		{"JSON from an opaque origin", map[string]string{"Content-Type": "application/json", "Origin": "null"}},
	} {
		r := call(t, c, "POST", s.Base+"/api/v1/session", creds, attempt.header)
		if r.Status == 200 || r.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: %s, cookie %q; want refused", attempt.name, r, r.Header.Get("Set-Cookie"))
		}
	}

	// the console (same origin, as a browser sends it) and a script without Origin log in
	r := call(t, c, "POST", s.Base+"/api/v1/session", creds, map[string]string{"Content-Type": "application/json",
		"Origin": s.Base, "Sec-Fetch-Site": "same-origin"})
	if r.Status != 200 {
		t.Fatalf("the console's own login: %s", r)
	}
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("cookie %q is Secure over plain HTTP: the browser would never send it back", cookie)
	}
	login(t, c, s.Base, "kim", "kim-pw")

	// a cookie write still needs our origin
	jar := &http.Client{Transport: c.Transport}
	req, _ := http.NewRequest("POST", s.Base+"/api/v1/cti/login", strings.NewReader(`{"service":"support"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
	res, err := jar.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("a cross-site cookie write: %d, want 403", res.StatusCode)
	}
}
