package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"ringdesk/internal/events"
)

// watched is an event socket whose end, and its close code, the test can see.
type watched struct {
	t      *testing.T
	ch     chan events.Event
	closed chan struct{}
	status websocket.StatusCode
}

func (c *client) watch() *watched {
	c.e.t.Helper()
	return dialEvents(c.e.t, c.e.srv.URL, c.token)
}

func dialEvents(t *testing.T, base, token string) *watched {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/events",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatal(err)
	}
	w := &watched{t: t, ch: make(chan events.Event, 1000), closed: make(chan struct{}), status: -1}
	go func() {
		defer close(w.closed)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				w.status = websocket.CloseStatus(err)
				return
			}
			var ev events.Event
			if json.Unmarshal(b, &ev) == nil {
				w.ch <- ev
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	w.next("cti.snapshot", "")
	return w
}

func (w *watched) next(typ, agent string) events.Event {
	w.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-w.ch:
			if ev.Type == typ && (agent == "" || ev.Agent == agent) {
				return ev
			}
		case <-w.closed:
			w.t.Fatalf("closed (%d) waiting for %s of %q", w.status, typ, agent)
		case <-deadline:
			w.t.Fatalf("no %s of %q", typ, agent)
		}
	}
}

// ends waits for the server to close the socket with the given code.
func (w *watched) ends(code websocket.StatusCode) {
	w.t.Helper()
	select {
	case <-w.closed:
		if w.status != code {
			w.t.Fatalf("closed with %d, want %d", w.status, code)
		}
	case <-time.After(5 * time.Second):
		w.t.Fatal("the socket is still open")
	}
}

// kimMoves makes kim change state in support: an event kim's managers are shown.
func kimMoves(kim *client, to string) {
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": to}, 200, nil)
}

// Every change that takes away what authorised a socket ends it, at once, with a code that
// tells the console what to do.
//
// Fails before issue 9: the sockets kept streaming after each change.
func TestSocketsFollowTheAccount(t *testing.T) {
	e := newEnv(t)
	root, kim := e.login("root"), e.login("kim")
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	manager := map[string]any{"name": "BOSS", "role": "manager", "services": []string{"support"}, "groups": []string{"tier1"},
		"extension": "1010", "phone": "sip"}

	// a demoted manager's socket closes; its next socket is filtered as an agent's
	boss := e.login("boss")
	w := boss.watch()
	kimMoves(kim, "ready")
	w.next("agent.state", "kim")
	demoted := map[string]any{}
	for k, v := range manager {
		demoted[k] = v
	}
	demoted["role"] = "agent"
	root.must("PUT", "/api/v1/agents/boss", demoted, 200, nil)
	w.ends(closePermissionsChanged)
	w = boss.watch()
	boss.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	w.next("agent.state", "boss")
	kimMoves(kim, "break")
	boss.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
	// boss's change came after kim's: had kim's been shown, it would be first
	if ev := w.next("agent.state", ""); ev.Agent != "boss" {
		t.Fatalf("a demoted manager was shown %s of %s", ev.Type, ev.Agent)
	}

	// a password change ends the account's sessions and their sockets
	w = boss.watch()
	withPassword := map[string]any{"password": "new-secret"}
	for k, v := range demoted {
		withPassword[k] = v
	}
	root.must("PUT", "/api/v1/agents/boss", withPassword, 200, nil)
	w.ends(closeSessionEnded)

	// logout ends that session's sockets, not the account's others
	desk, laptop := e.login("lee"), e.login("lee")
	wd, wl := desk.watch(), laptop.watch()
	desk.must("DELETE", "/api/v1/session", nil, 204, nil)
	wd.ends(closeSessionEnded)
	kim.must("POST", "/api/v1/cti/logout", nil, 200, nil)
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	laptop.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	wl.next("agent.state", "lee")

	// deletion
	han := e.login("han")
	w = han.watch()
	root.must("DELETE", "/api/v1/agents/han", nil, 204, nil)
	w.ends(closeSessionEnded)
}

// A session ended by another process (`ringdesk user passwd`, another node) is noticed by the
// periodic re-check.
func TestSocketsNoticeSessionsEndedElsewhere(t *testing.T) {
	e := newEnv(t)
	kim := e.login("kim")
	w := kim.watch()
	if err := e.st.Sessions().DeleteLogin(context.Background(), "kim"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.clk.Advance(recheckEvery)
		select {
		case <-w.closed:
			if w.status != closeSessionEnded {
				t.Fatalf("closed with %d", w.status)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the socket outlived its session")
		}
	}
}

// The server's request timeouts (internal/server sets them) must not reach the event socket,
// which lives for hours: net/http lifts a connection's deadlines when it is hijacked, and this
// holds the socket to that.
func TestSocketsOutliveRequestTimeouts(t *testing.T) {
	e := newEnv(t)
	handler := e.srv.Config.Handler
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	kim := e.login("kim")
	w := dialEvents(t, srv.URL, kim.token)
	time.Sleep(600 * time.Millisecond) // well past both deadlines
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	w.next("agent.state", "kim")
}

// The re-check loop stops when the last socket closes, and starts again with the next.
func TestSocketRecheckLoopStops(t *testing.T) {
	e := newEnv(t)
	kim := e.login("kim")
	w := kim.watch()
	kim.must("DELETE", "/api/v1/session", nil, 204, nil)
	w.ends(closeSessionEnded)
	api := e.srv.Config.Handler.(*Server)
	deadline := time.Now().Add(5 * time.Second)
	for {
		api.sockets.recheck()
		api.sockets.mu.Lock()
		running := api.sockets.running
		api.sockets.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the re-check loop still runs with no socket open")
		}
		time.Sleep(10 * time.Millisecond)
	}
	kim = e.login("kim")
	w = kim.watch()
	if err := e.st.Sessions().DeleteLogin(context.Background(), "kim"); err != nil {
		t.Fatal(err)
	}
	// a configuration change picked up from the store (as the watcher does) re-checks at once
	st, err := e.st.Site().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st.Services[0].Name += "!"
	if err := e.st.Site().Save(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if _, err := api.dir.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.ends(closeSessionEnded)
}
