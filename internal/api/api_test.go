package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"ringdesk/internal/auth"
	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/events"
	"ringdesk/internal/provision"
	"ringdesk/internal/recording"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
	"ringdesk/internal/telephony/telephonytest"
)

const did = "0212345678"

// testSite is a small contact center: one phone service, one without phone, agents of each
// role.
func testSite(t testing.TB) *site.Site {
	hash := func(pw string) string {
		h, err := auth.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	pw := hash("pw-secret")
	ag := func(login, ext string, role site.Role, services ...string) site.Agent {
		a := site.Agent{Login: login, Name: strings.ToUpper(login), Role: role, Services: services, Groups: []string{"tier1"},
			Extension: ext, Phone: site.PhoneSIP, PasswordHash: pw, SIPHA1: auth.SIPHA1(ext, "sip")}
		if ext == "" {
			a.Phone, a.SIPHA1, a.Groups = "", "", nil
		}
		return a
	}
	return &site.Site{
		Services: []site.Service{{
			ID: "support", Name: "고객지원", CTI: true, RecallSeconds: 30, NoAnswer: site.NoAnswerBreak,
			HangupAnnouncement: site.Announcement{Text: "폭언 등으로 상담을 종료합니다."},
			Numbers:            []site.Number{{Number: did, Queue: "100", Greeting: "none"}},
			CallerIDs: []site.CallerID{{Number: "0212345678", Status: site.CallerIDRegistered},
				{Number: "0299998888", Status: site.CallerIDRequested}},
			Favorites: []site.Favorite{{Name: "기술지원", Number: "200"}},
			Groups:    []site.Group{{ID: "tier1", Name: "1차 상담"}},
			Queues: []site.Queue{{Number: "100", Name: "일반문의", Strategy: site.StrategyLongestIdle, Members: []string{"kim", "lee"}},
				{Number: "200", Name: "기술", Strategy: site.StrategyLongestIdle, Members: []string{"lee"}}},
		}, {ID: "sales", Name: "영업", CTI: false, Groups: []site.Group{{ID: "tier1", Name: "영업1"}}}},
		Agents: []site.Agent{
			ag("kim", "1001", site.RoleAgent, "support"),
			ag("lee", "1002", site.RoleAgent, "support"),
			ag("han", "1009", site.RoleAgent, "sales"),
			ag("boss", "1010", site.RoleManager, "support"),
			ag("root", "", site.RoleAdmin),
		},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: 5070, Allow: []string{"127.0.0.1/32"}, Prefix: "9"}},
	}
}

type env struct {
	t    *testing.T
	path string
	st   store.Store
	net  *telephonytest.Network
	eng  *engine.Engine
	srv  *httptest.Server
	api  *Server
	clk  *clocktest.Fake
	// trunks, when set before start, is what the API is told of the trunks' health
	trunks TrunkMonitor
	// console, when set before start, serves the console's pages
	console http.Handler
	// phones, when set before start, tells the API which extensions are registered
	phones PhoneDirectory
	// builtin, when set before start, serves the built-in audio
	builtin func(ref string) ([]byte, bool)
	// files keep recordings, in the test's folder
	files *recording.Files
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t) }

// newEnvWith is newEnv with settings made before the start.
func newEnvWith(t *testing.T, opts ...func(*env)) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "ringdesk.db")}
	for _, o := range opts {
		o(e)
	}
	st, err := sqlite.Open(context.Background(), e.path)
	if err != nil {
		t.Fatal(err)
	}
	fixture := testSite(t)
	provision.Defaults(fixture)
	if probs := provision.ValidateSite(fixture); len(probs) > 0 {
		t.Fatalf("the test site is not valid: %v", provision.Problems(probs))
	}
	if err := st.Site().Save(context.Background(), fixture); err != nil {
		t.Fatal(err)
	}
	st.Close()
	e.start()
	return e
}

// start opens the store and runs engine and API over it (again, after stop: a restart).
func (e *env) start() {
	t := e.t
	ctx := context.Background()
	st, err := sqlite.Open(ctx, e.path)
	if err != nil {
		t.Fatal(err)
	}
	e.st, e.net, e.clk = st, telephonytest.New(), clocktest.New()
	bus := events.NewBus()
	dir, err := directory.Open(ctx, st.Site(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.eng, err = engine.New(engine.Config{Clock: e.clk, Store: st, Directory: dir, Bus: bus, Phone: e.net})
	if err != nil {
		t.Fatal(err)
	}
	e.net.SetHandler(e.eng)
	if err := e.eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if e.files, err = recording.Open(recording.Config{Dir: filepath.Join(filepath.Dir(e.path), "recordings"), Store: st}); err != nil {
		t.Fatal(err)
	}
	api, err := New(ctx, Config{Engine: e.eng, Store: st, Directory: dir, Bus: bus, Clock: e.clk, Trunks: e.trunks,
		Phones: e.phones, BuiltinAudio: e.builtin, Console: e.console, Recordings: e.files})
	if err != nil {
		t.Fatal(err)
	}
	e.api = api
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.stop)
}

func (e *env) stop() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	e.api.Close()
	e.eng.Close()
	e.st.Close()
	e.srv = nil
}

// client is a logged-in user of the API.
type client struct {
	e     *env
	token string
	login string
}

func (e *env) login(login string) *client {
	e.t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	c := &client{e: e, login: login}
	c.must("POST", "/api/v1/session", map[string]string{"login": login, "password": "pw-secret"}, 200, &out)
	if out.Token == "" {
		e.t.Fatal("no token")
	}
	c.token = out.Token
	return c
}

// do sends a request and returns the status and body.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.e.t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, c.e.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (c *client) must(method, path string, body any, want int, out any) {
	c.e.t.Helper()
	got, b := c.do(method, path, body)
	if got != want {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// fails expects an error status and code.
func (c *client) fails(method, path string, body any, status int, code string) map[string]any {
	c.e.t.Helper()
	got, b := c.do(method, path, body)
	var out struct {
		Error map[string]any `json:"error"`
	}
	_ = json.Unmarshal(b, &out)
	if got != status || out.Error["code"] != code {
		c.e.t.Fatalf("%s %s: got %d %s, want %d %s", method, path, got, b, status, code)
	}
	return out.Error
}

func (c *client) state() engine.View {
	c.e.t.Helper()
	c.e.eng.Flush()
	var v engine.View
	c.must("GET", "/api/v1/cti", nil, 200, &v)
	return v
}

func (c *client) wantState(s string) engine.View {
	c.e.t.Helper()
	v := c.state()
	if string(v.State) != s {
		c.e.t.Fatalf("%s: state %s, want %s", c.login, v.State, s)
	}
	return v
}

// ws opens the event stream.
func (c *client) ws() *wsClient {
	c.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(c.e.srv.URL, "http") + "/api/v1/events"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + c.token}}})
	if err != nil {
		c.e.t.Fatal(err)
	}
	w := &wsClient{t: c.e.t, c: conn, ch: make(chan events.Event, 1000)}
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				close(w.ch)
				return
			}
			var ev events.Event
			if json.Unmarshal(b, &ev) == nil {
				w.ch <- ev
			}
		}
	}()
	c.e.t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	return w
}

type wsClient struct {
	t  *testing.T
	c  *websocket.Conn
	ch chan events.Event
}

// next waits for an event of the given type.
func (w *wsClient) next(typ string) events.Event {
	w.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-w.ch:
			if !ok {
				w.t.Fatalf("stream closed waiting for %s", typ)
			}
			if ev.Type == typ {
				return ev
			}
		case <-deadline:
			w.t.Fatalf("no %s event", typ)
		}
	}
}

func TestHealthAndOpenAPI(t *testing.T) {
	e := newEnv(t)
	anon := &client{e: e}
	var h map[string]string
	anon.must("GET", "/api/v1/health", nil, 200, &h)
	if h["status"] != "ok" {
		t.Fatalf("health %v", h)
	}
	var doc map[string]any
	anon.must("GET", "/api/v1/openapi.json", nil, 200, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %v", doc["openapi"])
	}
	anon.fails("GET", "/api/v1/nothing", nil, 404, "not_found")
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	anon := &client{e: e}
	anon.fails("GET", "/api/v1/cti", nil, 401, "unauthorized")
	anon.fails("POST", "/api/v1/session", map[string]string{"login": "kim", "password": "wrong"}, 401, "invalid_credentials")
	anon.fails("POST", "/api/v1/session", map[string]string{"login": "ghost", "password": "pw-secret"}, 401, "invalid_credentials")
	anon.fails("POST", "/api/v1/session", `{"login":"kim","password":"pw-secret","extra":1}`, 400, "unknown_field")
	anon.fails("POST", "/api/v1/session", `{"login":`, 400, "invalid_json")
	bad := &client{e: e, token: "forged"}
	bad.fails("GET", "/api/v1/cti", nil, 401, "unauthorized")

	kim := e.login("kim")
	var me map[string]any
	kim.must("GET", "/api/v1/session", nil, 200, &me)

	// the cookie works for reads; a cookie write needs our origin
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	res, err := hc.Post(e.srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"login":"kim","password":"pw-secret"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("cookie login: %v %v", err, res.StatusCode)
	}
	res.Body.Close()
	res, _ = hc.Get(e.srv.URL + "/api/v1/cti")
	if res.StatusCode != 200 {
		t.Fatalf("cookie read: %d", res.StatusCode)
	}
	res.Body.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/cti/login", strings.NewReader(`{"service":"support"}`))
	req.Header.Set("Origin", "http://evil.example")
	res, _ = hc.Do(req)
	if res.StatusCode != 403 {
		t.Fatalf("cross-site cookie write: %d, want 403", res.StatusCode)
	}
	res.Body.Close()
	req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/cti/login", strings.NewReader(`{"service":"support"}`))
	req.Header.Set("Origin", e.srv.URL)
	res, _ = hc.Do(req)
	if res.StatusCode != 200 {
		t.Fatalf("same-origin cookie write: %d", res.StatusCode)
	}
	res.Body.Close()

	// logging out ends the token
	kim.must("DELETE", "/api/v1/session", nil, 204, nil)
	kim.fails("GET", "/api/v1/cti", nil, 401, "unauthorized")

	// repeated failures are throttled
	for i := 0; i < 20; i++ {
		anon.do("POST", "/api/v1/session", map[string]string{"login": "lee", "password": "nope"})
	}
	anon.fails("POST", "/api/v1/session", map[string]string{"login": "lee", "password": "pw-secret"}, 429, "too_many_attempts")
}

func TestCTIOverHTTPAndWebSocket(t *testing.T) {
	e := newEnv(t)
	kim := e.login("kim")
	stream := kim.ws()
	snap := stream.next("cti.snapshot")
	if snap.Agent != "kim" {
		t.Fatalf("snapshot %+v", snap)
	}
	kim.fails("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 409, "invalid_state")
	kim.fails("POST", "/api/v1/cti/login", map[string]string{"service": "sales"}, 403, "cti_disabled")
	kim.fails("POST", "/api/v1/cti/login", map[string]string{"srvice": "support"}, 400, "unknown_field")
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	kim.wantState("default")
	kim.fails("PUT", "/api/v1/cti/state", map[string]string{"state": "work", "reason": "lunch"}, 422, "invalid_reason")
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": "work", "reason": "교육"}, 200, nil)
	if v := kim.wantState("work"); v.Reason != "training" {
		t.Fatalf("reason %q", v.Reason)
	}
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
	ev := stream.next("agent.state")
	for ev.Data.(map[string]any)["to"] != "ready" {
		ev = stream.next("agent.state")
	}

	// a customer calls
	cust, err := e.net.Call("01055556666", did)
	if err != nil {
		t.Fatal(err)
	}
	off := stream.next("call.offered")
	d := off.Data.(map[string]any)
	if d["from"] != "01055556666" || d["service"] != "support" || d["recall_at"] == "" {
		t.Fatalf("offer %+v", d)
	}
	v := kim.wantState("offered")
	if v.Offer == nil || v.Offer.From != "01055556666" {
		t.Fatalf("offer view %+v", v.Offer)
	}
	kim.fails("POST", "/api/v1/cti/hold", nil, 409, "invalid_state")
	kim.must("POST", "/api/v1/cti/offer/accept", nil, 200, nil)
	leg := e.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	e.net.AnswerLeg(leg)
	created := stream.next("ticket.created")
	v = kim.wantState("on_call")
	if v.Call == nil || v.Call.Ticket == 0 || fmt.Sprint(created.Data.(map[string]any)["ticket"]) != fmt.Sprint(v.Call.Ticket) {
		t.Fatalf("ticket: view %+v event %+v", v.Call, created)
	}
	kim.must("POST", "/api/v1/cti/hold", nil, 200, nil)
	stream.next("call.held")
	kim.wantState("held")
	kim.must("POST", "/api/v1/cti/unhold", nil, 200, nil)
	kim.fails("POST", "/api/v1/cti/consult", map[string]string{"target": "agent:lee"}, 422, "target_unavailable")
	kim.fails("POST", "/api/v1/cti/consult/complete", nil, 409, "invalid_state")
	kim.must("POST", "/api/v1/cti/forced-hangup", nil, 200, nil)
	kim.wantState("after_call")
	e.net.PlayDone(cust)
	stream.next("call.ended")
	kim.fails("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 409, "invalid_state")
	kim.must("POST", "/api/v1/cti/after-call", map[string]string{"action": "ready"}, 200, nil)
	kim.wantState("ready")

	// the ticket is there, with its call
	var tk struct {
		ID      int64  `json:"id"`
		Service string `json:"service"`
		Calls   []struct {
			HangupCause string `json:"hangup_cause"`
		} `json:"calls"`
		Earlier []any `json:"earlier"`
	}
	kim.must("GET", fmt.Sprintf("/api/v1/tickets/%d", v.Call.Ticket), nil, 200, &tk)
	if tk.Service != "support" || len(tk.Calls) != 1 || tk.Calls[0].HangupCause != "forced" {
		t.Fatalf("ticket %+v", tk)
	}

	// 걸기 with an unregistered caller ID is refused
	kim.fails("POST", "/api/v1/cti/dial", map[string]string{"number": "01011112222", "caller_id": "0299998888"}, 422, "invalid_caller_id")
	kim.must("POST", "/api/v1/cti/dial", map[string]string{"number": "01011112222", "caller_id": "0212345678"}, 200, nil)
	kim.wantState("dialing")
	kim.must("POST", "/api/v1/cti/hangup", nil, 200, nil)
	kim.wantState("ready")
	kim.must("POST", "/api/v1/cti/logout", nil, 200, nil)
	kim.wantState("logged_out")

	var settings struct {
		CallerIDs []string `json:"caller_ids"`
	}
	kim.must("GET", "/api/v1/cti/settings?service=support", nil, 200, &settings)
	if len(settings.CallerIDs) != 1 || settings.CallerIDs[0] != "0212345678" {
		t.Fatalf("settings caller IDs %v", settings.CallerIDs)
	}
}

func TestTicketsAccess(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	for i, svc := range []string{"support", "support", "sales"} {
		tk := ticketOf(svc, fmt.Sprint("0100000000", i), now)
		if err := e.st.Tickets().Create(context.Background(), &tk); err != nil {
			t.Fatal(err)
		}
	}
	kim, han, boss := e.login("kim"), e.login("han"), e.login("boss")
	var list struct {
		Tickets []struct {
			ID      int64  `json:"id"`
			Service string `json:"service"`
		} `json:"tickets"`
	}
	kim.must("GET", "/api/v1/tickets", nil, 200, &list)
	if len(list.Tickets) != 2 {
		t.Fatalf("kim sees %d tickets, want 2", len(list.Tickets))
	}
	kim.fails("GET", "/api/v1/tickets?service=sales", nil, 403, "forbidden")
	han.must("GET", "/api/v1/tickets", nil, 200, &list)
	if len(list.Tickets) != 1 || list.Tickets[0].Service != "sales" {
		t.Fatalf("han sees %+v", list.Tickets)
	}
	salesID := list.Tickets[0].ID
	kim.fails("GET", fmt.Sprintf("/api/v1/tickets/%d", salesID), nil, 404, "not_found")
	kim.fails("PATCH", fmt.Sprintf("/api/v1/tickets/%d", salesID), map[string]string{"status": "solved"}, 404, "not_found")
	kim.must("GET", "/api/v1/tickets?phone=01000000001", nil, 200, &list)
	if len(list.Tickets) != 1 {
		t.Fatalf("by phone: %+v", list.Tickets)
	}
	id := list.Tickets[0].ID
	kim.fails("PATCH", fmt.Sprintf("/api/v1/tickets/%d", id), map[string]string{"status": "done"}, 422, "invalid_field")
	kim.fails("PATCH", fmt.Sprintf("/api/v1/tickets/%d", id), map[string]any{"status": 3}, 400, "invalid_field")
	var got struct {
		Status string `json:"status"`
		Notes  []struct {
			Author, Body string
		} `json:"notes"`
	}
	kim.must("PATCH", fmt.Sprintf("/api/v1/tickets/%d", id), map[string]string{"status": "pending", "note": "콜백 예정"}, 200, &got)
	if got.Status != "pending" || len(got.Notes) != 1 || got.Notes[0].Author != "kim" {
		t.Fatalf("patched %+v", got)
	}
	kim.fails("GET", "/api/v1/live?service=support", nil, 403, "forbidden")
	var live struct {
		Agents []struct {
			Login string `json:"login"`
			State string `json:"state"`
		} `json:"agents"`
	}
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	boss.must("GET", "/api/v1/live?service=support", nil, 200, &live)
	// every agent of the service, logged in or not
	if fmt.Sprint(live.Agents) != "[{boss logged_out} {kim default} {lee logged_out}]" {
		t.Fatalf("live agents %v", live.Agents)
	}
}

func TestAdminEditsAndRestart(t *testing.T) {
	e := newEnv(t)
	root, boss, kim := e.login("root"), e.login("boss"), e.login("kim")
	kim.fails("PUT", "/api/v1/trunks/x", map[string]any{"host": "10.0.0.1"}, 403, "forbidden")
	// an invalid change lists its problems and saves nothing
	errBody := root.fails("PUT", "/api/v1/services/support/queues", []map[string]any{{"number": "100", "members": []string{"ghost"}}}, 422, "invalid_config")
	if errBody["details"] == nil {
		t.Fatalf("no details: %v", errBody)
	}
	var svc site.Service
	root.must("GET", "/api/v1/services/support", nil, 200, &svc)
	if len(svc.Queues) != 2 {
		t.Fatalf("queues changed by a refused edit: %+v", svc.Queues)
	}
	// 발신번호 관리: a manager registers and reorders; only an admin approves
	boss.must("POST", "/api/v1/services/support/caller-ids", map[string]string{"number": "0277776666"}, 200, nil)
	boss.fails("PATCH", "/api/v1/services/support/caller-ids/0277776666", map[string]string{"status": "registered"}, 403, "forbidden")
	root.must("PATCH", "/api/v1/services/support/caller-ids/0277776666", map[string]any{"status": "registered", "position": 0}, 200, &svc)
	if svc.CallerIDs[0].Number != "0277776666" || svc.CallerIDs[0].Status != "registered" {
		t.Fatalf("caller IDs %+v", svc.CallerIDs)
	}
	var settings struct {
		CallerIDs []string `json:"caller_ids"`
	}
	kim.must("GET", "/api/v1/cti/settings?service=support", nil, 200, &settings)
	if strings.Join(settings.CallerIDs, ",") != "0277776666,0212345678" {
		t.Fatalf("dial drop-down order %v", settings.CallerIDs)
	}
	// a new agent with CTI info; passwords are never shown
	var a map[string]any
	root.must("PUT", "/api/v1/agents/park", map[string]any{"name": "박", "password": "pw-secret", "role": "agent",
		"services": []string{"support"}, "extension": "1003", "sip_password": "s3cret", "phone": "sip"}, 201, &a)
	if _, leak := a["password"]; leak {
		t.Fatalf("password returned: %v", a)
	}
	e.login("park")
	// a ticket to survive the restart
	tk := ticketOf("support", "01099990000", time.Now())
	if err := e.st.Tickets().Create(context.Background(), &tk); err != nil {
		t.Fatal(err)
	}
	e.stop()
	e.start()
	root = e.login("root")
	root.must("GET", "/api/v1/services/support", nil, 200, &svc)
	if svc.CallerIDs[0].Number != "0277776666" {
		t.Fatalf("caller IDs after restart %+v", svc.CallerIDs)
	}
	park := e.login("park")
	park.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	root.must("GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), nil, 200, nil)
}

func TestRejectConsultAndReadyAgentsOverHTTP(t *testing.T) {
	e := newEnv(t)
	kim, lee := e.login("kim"), e.login("lee")
	for _, c := range []*client{kim, lee} {
		c.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
		c.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
		e.clk.Advance(time.Second)
	}
	var ready struct {
		Agents []struct{ Login string } `json:"agents"`
	}
	kim.must("GET", "/api/v1/cti/ready-agents?group=tier1", nil, 200, &ready)
	if len(ready.Agents) != 1 || ready.Agents[0].Login != "lee" {
		t.Fatalf("대기 상담원 확인: %+v", ready)
	}
	if _, err := e.net.Call("0101", did); err != nil {
		t.Fatal(err)
	}
	kim.wantState("offered")
	kim.must("POST", "/api/v1/cti/offer/reject", nil, 200, nil)
	kim.wantState("ready")
	lee.wantState("offered")
	lee.must("POST", "/api/v1/cti/offer/accept", nil, 200, nil)
	e.net.AnswerLeg(e.net.WaitPlaced(t, telephonytest.ToExtension("1002")))
	lee.wantState("on_call")
	lee.must("POST", "/api/v1/cti/consult", map[string]string{"target": "901099990000"}, 200, nil)
	lee.wantState("held")
	lee.fails("POST", "/api/v1/cti/unhold", nil, 409, "invalid_state")
	lee.must("POST", "/api/v1/cti/consult/cancel", nil, 200, nil)
	lee.must("POST", "/api/v1/cti/unhold", nil, 200, nil)
	lee.wantState("on_call")
	lee.must("POST", "/api/v1/cti/hangup", nil, 200, nil)
	lee.wantState("after_call")
	var hist struct {
		Changes []struct{ From, To string } `json:"changes"`
	}
	lee.must("GET", "/api/v1/cti/history", nil, 200, &hist)
	if len(hist.Changes) < 6 {
		t.Fatalf("history: %+v", hist)
	}
	kim.fails("GET", "/api/v1/cti/history?agent=lee", nil, 403, "forbidden")
}

// TestAgentSecretsChange: a new password ends the account's sessions, and a desk phone's new
// extension cannot keep the digest secret made from the old one.
func TestAgentSecretsChange(t *testing.T) {
	e := newEnv(t)
	root, kim := e.login("root"), e.login("kim")
	kim.must("GET", "/api/v1/session", nil, 200, nil)
	body := map[string]any{"name": "KIM", "role": "agent", "services": []string{"support"}, "groups": []string{"tier1"},
		"extension": "1001", "phone": "sip"}
	root.must("PUT", "/api/v1/agents/kim", body, 200, nil)
	kim.must("GET", "/api/v1/session", nil, 200, nil) // no new password: the session stays
	body["password"] = "a-new-secret"
	root.must("PUT", "/api/v1/agents/kim", body, 200, nil)
	if code, _ := kim.do("GET", "/api/v1/session", nil); code != 401 {
		t.Fatalf("the old session after a password change: %d, want 401", code)
	}
	delete(body, "password")
	for _, phone := range []string{"sip", "browser"} {
		body["extension"], body["phone"] = "1011", phone
		if e := root.fails("PUT", "/api/v1/agents/kim", body, 422, "invalid_field"); e["field"] != "sip_password" {
			t.Fatalf("%s phone, new extension without sip_password: %v", phone, e)
		}
	}
	var a site.Agent
	root.must("GET", "/api/v1/agents/kim", nil, 200, &a)
	if a.Extension != "1001" {
		t.Fatalf("a refused change was saved: extension %q", a.Extension)
	}
	body["sip_password"] = "new-sip"
	root.must("PUT", "/api/v1/agents/kim", body, 200, &a)
	if a.Extension != "1011" {
		t.Fatalf("extension %q", a.Extension)
	}
}
