package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

// post sends a login with the given headers and returns the response (body closed).
func (e *env) post(body string, header map[string]string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/session", strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// A page on another site cannot log the visitor's browser in: /session takes JSON only, which
// a form cannot send, and a browser's word that the request is cross-site is believed.
//
// Fails before issue 9: a text/plain post with a JSON body was answered 200 with a cookie.
func TestLoginRefusesCrossSiteAndNonJSON(t *testing.T) {
	e := newEnv(t)
	creds := `{"login":"kim","password":"pw-secret"}`
	for _, c := range []struct {
		header map[string]string
		want   int
	}{
		{map[string]string{"Content-Type": "text/plain"}, 415},
		{map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, 415},
		{map[string]string{}, 415},
		{map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, 403},
		{map[string]string{"Content-Type": "application/json", "Origin": "null"}, 403},
		{map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site", "Origin": e.srv.URL}, 403},
		{map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, 403},
		// the console, and scripts
		{map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, 200},
		{map[string]string{"Content-Type": "application/json", "Origin": e.srv.URL}, 200},
		{map[string]string{"Content-Type": "application/json"}, 200},
	} {
		res := e.post(creds, c.header)
		if res.StatusCode != c.want {
			t.Errorf("%v: %d, want %d", c.header, res.StatusCode, c.want)
		}
		if cookie := res.Header.Get("Set-Cookie"); (cookie != "") != (c.want == 200) {
			t.Errorf("%v: cookie %q", c.header, cookie)
		}
	}
}

// Refusals say when to come back.
func TestLoginThrottleSaysRetryAfter(t *testing.T) {
	e := newEnv(t)
	var last *http.Response
	for range 6 {
		last = e.post(`{"login":"kim","password":"wrong"}`, map[string]string{"Content-Type": "application/json"})
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") != "60" {
		t.Fatalf("the sixth wrong password: %d, Retry-After %q; want 429 and 60", last.StatusCode, last.Header.Get("Retry-After"))
	}
}

// Concurrent guesses at one account from one address get a handful of checks; the rest are
// refused before any hashing.
//
// Fails before issue 9: all twenty were checked and answered 401.
func TestLoginCountsConcurrentGuesses(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			res := e.post(`{"login":"kim","password":"wrong"}`, map[string]string{"Content-Type": "application/json"})
			mu.Lock()
			codes[res.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[401] > 5 || codes[401]+codes[429] != 20 {
		t.Fatalf("answers %v; want at most 5 checked (401) and the rest 429", codes)
	}
}
