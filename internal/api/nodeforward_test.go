package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/events"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony/telephonytest"
)

// elsewhere is a cluster in which every service is served by one other node.
type elsewhere struct{ owner store.Node }

func (c elsewhere) Owner(string) (store.Node, bool) { return c.owner, true }

// nodeA runs a second engine and API on e's database as node "a" of a cluster in which e
// (node "b") serves every service.
func nodeA(t *testing.T, e *env) *httptest.Server {
	ctx := context.Background()
	dir, err := directory.Open(ctx, e.st.Site(), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(e.srv.URL)
	eng, err := engine.New(engine.Config{Clock: clocktest.New(), Store: e.st, Directory: dir, Bus: events.NewBus(),
		Phone: telephonytest.New(), Node: "a", Cluster: elsewhere{store.Node{Name: "b", SIP: "127.0.0.1:5062", HTTP: u.Host}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := New(ctx, Config{Engine: eng, Store: e.st, Directory: dir, Bus: events.NewBus(), Clock: clocktest.New()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() { srv.Close(); a.Close(); eng.Close() })
	return srv
}

// TestForwardToOwner: CTI commands sent to a node that does not serve the service are carried
// out by the node that does, and answered as it answers; a request already forwarded once is
// not forwarded again but answered 421 with the owner named.
func TestForwardToOwner(t *testing.T) {
	b := newEnv(t)
	a := nodeA(t, b)
	kim := b.login("kim")
	onA := func(method, path, body string, header ...string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, a.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+kim.token)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}

	if st, out := onA("POST", "/api/v1/cti/login", `{"service":"support"}`); st != 200 || out["state"] != "default" || out["service"] != "support" {
		t.Fatalf("CTI login through a: %d %v", st, out)
	}
	if svc, in := b.eng.Session("kim"); !in || svc != "support" {
		t.Fatal("kim is not logged in on b, the node serving support")
	}
	if st, out := onA("PUT", "/api/v1/cti/state", `{"state":"ready"}`); st != 200 || out["state"] != "ready" {
		t.Fatalf("대기 through a: %d %v", st, out)
	}
	if v := kim.state(); v.State != "ready" {
		t.Fatalf("kim on b: %s", v.State)
	}
	if st, out := onA("GET", "/api/v1/cti", ""); st != 200 || out["state"] != "ready" {
		t.Fatalf("kim's view through a: %d %v", st, out)
	}
	// a bad body is the owner's to refuse, with its own words
	if st, out := onA("PUT", "/api/v1/cti/state", `{"state":"sleeping"}`); st/100 != 4 || out["error"] == nil {
		t.Fatalf("a refused state through a: %d %v", st, out)
	}
	// already forwarded once (the owner moved meanwhile): told where, not sent on
	st, out := onA("PUT", "/api/v1/cti/state", `{"state":"break"}`, forwardedHeader, "127.0.0.1:1")
	e, _ := out["error"].(map[string]any)
	params, _ := e["params"].(map[string]any)
	if st != 421 || e["code"] != "other_node" || params["node"] != "b" || params["http"] == "" {
		t.Fatalf("a forwarded request for a service served elsewhere: %d %v", st, out)
	}
	if v := kim.state(); v.State != "ready" {
		t.Fatalf("kim on b after a refused request: %s", v.State)
	}
}

// TestEventSocketFollowsTheOwner: an agent whose CTI session another node serves gets that
// node's event socket through this one (the browser softphone's signalling rides on it):
// an event published only on the owner's bus arrives.
func TestEventSocketFollowsTheOwner(t *testing.T) {
	b := newEnv(t)
	a := nodeA(t, b)
	kim := b.login("kim")
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	throughA := &client{e: &env{t: t, srv: a}, token: kim.token, login: "kim"}
	ws := throughA.ws()
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil) // on b
	if ev := ws.next(events.AgentState); ev.Agent != "kim" {
		t.Fatalf("through a: %+v", ev)
	}
}

// TestLoginElsewhereMovesTheSocket: an agent's socket opened before its CTI login is local;
// the login, forwarded to the owner, closes it so that the console reconnects, and the new
// socket is the owner's.
func TestLoginElsewhereMovesTheSocket(t *testing.T) {
	b := newEnv(t)
	a := nodeA(t, b)
	kim := b.login("kim")
	throughA := &client{e: &env{t: t, srv: a}, token: kim.token, login: "kim"}
	before := throughA.ws()
	throughA.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	deadline := time.After(5 * time.Second)
	for closed := false; !closed; {
		select {
		case _, open := <-before.ch:
			closed = !open
		case <-deadline:
			t.Fatal("the socket opened before the login elsewhere stayed open")
		}
	}
	after := throughA.ws()
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil) // on b
	if ev := after.next(events.AgentState); ev.Agent != "kim" {
		t.Fatalf("through a after reconnecting: %+v", ev)
	}
}
