// Package cluster runs two Ringdesk nodes on one PostgreSQL behind Kamailio (deploy/kamailio)
// on loopback, with baresip desk phones and a SIPp carrier, and kills one node.
package cluster

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to read the leases

	"ringdesk/test/e2e/peers"
	"ringdesk/test/proc"
)

const (
	supportDID = "0212345678"
	salesDID   = "0215550000"
)

const site = `services:
  - id: support
    name: 고객지원
    cti: true
    after_call_seconds: 1
    numbers:
      - { number: "` + supportDID + `", queue: "100", greeting: none }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee] }
  - id: sales
    name: 영업
    cti: true
    numbers:
      - { number: "` + salesDID + `", queue: "200", greeting: none }
    queues:
      - { number: "200", name: 영업문의, members: [han] }
agents:
  - { login: kim, name: 김상담, password: agent-pw, services: [support], extension: "1001", sip_password: kim-sip, auto_accept: true }
  - { login: lee, name: 이상담, password: agent-pw, services: [support], extension: "1002", sip_password: lee-sip, auto_accept: true }
  - { login: park, name: 박상담, password: agent-pw, services: [support], extension: "1003", sip_password: park-sip }
  - { login: han, name: 한영업, password: agent-pw, services: [sales], extension: "1009", sip_password: han-sip, auto_accept: true }
trunks:
  - { id: carrier, host: 127.0.0.1, port: 9, allow: ["127.0.0.1/32"] }
`

// database makes a fresh database on the PostgreSQL named by RINGDESK_TEST_POSTGRES.
func database(t *testing.T) (string, *sql.DB) {
	admin := os.Getenv("RINGDESK_TEST_POSTGRES")
	if admin == "" {
		if os.Getenv("RINGDESK_E2E_REQUIRE") != "" {
			t.Fatal("RINGDESK_TEST_POSTGRES is not set (scripts/postgres-test-server.sh start prints one)")
		}
		t.Skip("RINGDESK_TEST_POSTGRES is not set: start one with scripts/postgres-test-server.sh start")
	}
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("ringdesk_cluster_%d", rand.Uint32())
	if _, err := adb.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		adb.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		adb.Close()
	})
	return u.String(), db
}

// owner is the node holding a service's unexpired lease, "" for none.
func owner(t *testing.T, db *sql.DB, svc string) string {
	var node string
	err := db.QueryRow(`SELECT node FROM service_leases WHERE service = $1 AND expires_at > $2`, svc, time.Now().UnixMicro()).Scan(&node)
	if err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return node
}

// client is someone logged in to one node's API.
type client struct {
	t     *testing.T
	base  string
	token string
}

func login(t *testing.T, n *proc.Server, user, password string) *client {
	c := &client{t: t, base: n.Base}
	var out struct{ Token string }
	c.do("POST", "/api/v1/session", map[string]string{"login": user, "password": password}, 200, &out)
	c.token = out.Token
	return c
}

// on is the same session against another node (sessions live in the database).
func (c *client) on(n *proc.Server) *client { return &client{t: c.t, base: n.Base, token: c.token} }

func (c *client) do(method, path string, body any, want int, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if want != 0 && res.StatusCode != want {
		c.t.Fatalf("%s %s%s: %d %s, want %d", method, c.base, path, res.StatusCode, b, want)
	}
	if out != nil {
		json.Unmarshal(b, out)
	}
	return res.StatusCode
}

type view struct {
	State   string `json:"state"`
	Service string `json:"service"`
	Call    *struct {
		ID     string `json:"id"`
		Ticket int64  `json:"ticket"`
	} `json:"call"`
}

func (c *client) view() view {
	var v view
	c.do("GET", "/api/v1/cti", nil, 200, &v)
	return v
}

func (c *client) await(state string, within time.Duration) view {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		v := c.view()
		if v.State == state {
			return v
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: state %s, want %s", c.base, v.State, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// phone is a baresip desk phone registering through the proxy, answering by itself.
func phone(t *testing.T, proxy, ext, password string) *peers.Phone {
	p := peers.StartPhone(t, peers.PhoneConfig{Source: "sine:440",
		AOR:     fmt.Sprintf("sip:%s@%s", ext, proxy),
		Account: fmt.Sprintf(";auth_pass=%s;regint=600;answermode=auto;audio_codecs=PCMU", password)})
	p.WaitRegistered(15 * time.Second)
	return p
}

func count(p *peers.Phone, typ string) int {
	n := 0
	for _, x := range p.Types() {
		if x == typ {
			n++
		}
	}
	return n
}

// TestFailover: two services on two nodes, one each; a call flows; the node serving support
// is killed with SIGKILL while one of its calls is up; within 10 s a new call on support's
// number reaches the same agent through the other node, the agent still logged in and 대기;
// the killed node's call is closed with node_lost and no ticket is lost. The killed node
// comes back and takes nothing. Either node's API shows both services and the other's events.
func TestFailover(t *testing.T) {
	peers.Require(t, "kamailio", "sipp", "baresip")
	dbURL, db := database(t)
	binary, remove, err := proc.Build()
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	began := time.Now()

	node := func(name string, apply bool) *proc.Server {
		o := proc.Options{Args: []string{"--db", dbURL, "--node", name}}
		if apply {
			o.Site = site
		}
		return proc.Start(t, binary, o)
	}
	a := node("a", true)
	b := node("b", false)
	nodes := map[string]*proc.Server{"a": a, "b": b}

	// each node takes one service once it has seen the other
	deadline := time.Now().Add(20 * time.Second)
	for owner(t, db, "support") == "" || owner(t, db, "sales") == "" {
		if time.Now().After(deadline) {
			t.Fatalf("services not served after 20 s: support %q, sales %q", owner(t, db, "support"), owner(t, db, "sales"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	supOwner, salesOwner := owner(t, db, "support"), owner(t, db, "sales")
	if supOwner == salesOwner {
		t.Fatalf("%s serves both services: each node should serve one", supOwner)
	}
	survivor := map[string]string{"a": "b", "b": "a"}[supOwner]
	killed, other := nodes[supOwner], nodes[survivor]
	t.Logf("support on %s, sales on %s", supOwner, salesOwner)

	// Kamailio in front, probing both nodes
	list := filepath.Join(t.TempDir(), "nodes.list")
	if err := os.WriteFile(list, []byte("1 sip:"+a.SIP+"\n1 sip:"+b.SIP+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := filepath.Abs("../../deploy/kamailio/ringdesk.cfg")
	k := peers.StartKamailio(t, cfg, map[string]string{"@NODES@": list, "@CARRIER@": "127.0.0.1:9"})
	kim := phone(t, k.Addr, "1001", "kim-sip")
	lee := phone(t, k.Addr, "1002", "lee-sip")

	// the agents log in through the node that does NOT serve support: forwarded to the owner
	kc := login(t, other, "kim", "agent-pw")
	lc := login(t, other, "lee", "agent-pw")
	for _, c := range []*client{kc, lc} {
		c.do("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
		c.do("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
	}
	admin := login(t, a, "admin", "admin-pw")

	// the WebSocket of the node serving sales sees support's events
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	wsURL := strings.Replace(nodes[salesOwner].Base, "http", "ws", 1) + "/api/v1/events"
	ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + admin.token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	seen := make(chan string, 1000)
	go func() {
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				close(seen)
				return
			}
			var ev struct{ Type, Service, Agent string }
			json.Unmarshal(b, &ev)
			seen <- ev.Service + " " + ev.Type + " " + ev.Agent
		}
	}()

	caller, _ := filepath.Abs("../e2e/sipp/caller_uac.xml")
	call := func(did, from string, hold time.Duration) (wait func() (string, error), stop func()) {
		sc := peers.Scenario(t, caller, map[string]string{"__FROM__": from, "__HOLD__": fmt.Sprint(hold.Milliseconds())})
		return peers.SIPpStoppable(t, 60*time.Second, k.Addr, "-sf", sc, "-s", did, "-i", "127.0.0.1",
			"-p", peers.Itoa(peers.Port(t)), "-m", "1", "-recv_timeout", "8000")
	}

	// calls to both services at once are answered, through Kamailio, whichever node it picks
	w1, _ := call(supportDID, "01011110001", 3*time.Second)
	w2, _ := call(salesDID, "01022220001", 3*time.Second)
	if _, err := w1(); err != nil {
		t.Fatalf("the call to support: %v", err)
	}
	if _, err := w2(); err != nil {
		t.Fatalf("the call to sales: %v", err)
	}
	// one of kim and lee took it; both are 대기 again after the after-call second
	kc.await("ready", 10*time.Second)
	lc.await("ready", 10*time.Second)
	for _, n := range []*proc.Server{a, b} {
		for _, svc := range []string{"support", "sales"} {
			var rt struct {
				Queues []struct{ Queue string } `json:"queues"`
			}
			admin.on(n).do("GET", "/api/v1/stats/realtime?service="+svc, nil, 200, &rt)
			if len(rt.Queues) != 1 {
				t.Errorf("%s's dashboard of %s: %+v", n.Base, svc, rt)
			}
		}
	}
	if !sawEvent(seen, "support agent.state", 5*time.Second) {
		t.Error("the WebSocket of the node serving sales never showed a support event")
	}

	// park's desk phone is behind a second Kamailio that knows only the node NOT serving
	// support, so that what follows goes through a redirect every run, whatever a hash picks.
	// park dials lee's extension: that node challenges the phone, then redirects the call to
	// the owner, which must take the credentials the first node asked for — the nodes share
	// the nonce key. Fails before the shared key: the owner answers 407 and the phone gives up.
	otherList := filepath.Join(t.TempDir(), "other.list")
	if err := os.WriteFile(otherList, []byte("1 sip:"+other.SIP+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k2 := peers.StartKamailio(t, cfg, map[string]string{"@NODES@": otherList, "@CARRIER@": "127.0.0.1:9"})
	park := phone(t, k2.Addr, "1003", "park-sip")
	login(t, other, "park", "agent-pw").do("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	parkCalls, leeCalls := count(park, "CALL_ESTABLISHED"), count(lee, "CALL_ESTABLISHED")
	park.MustDo("dial", "sip:1002@"+k2.Addr)
	lee.Wait("CALL_ESTABLISHED", leeCalls, 15*time.Second)
	park.Wait("CALL_ESTABLISHED", parkCalls, 15*time.Second)
	if !strings.Contains(k2.Log(), "call 1002 redirected") {
		t.Error("park's call was not redirected to the owner: the test did not test that")
	}
	park.MustDo("hangup", "")
	lc.await("ready", 10*time.Second)

	// kim takes a break, so the next call goes to lee; then kim is 대기 again
	kc.do("PUT", "/api/v1/cti/state", map[string]string{"state": "break"}, 200, nil)
	leeCalls = count(lee, "CALL_ESTABLISHED")
	_, stopLive := call(supportDID, "01011110002", 40*time.Second)
	defer stopLive()
	lee.Wait("CALL_ESTABLISHED", leeCalls, 15*time.Second)
	live := lc.await("on_call", 10*time.Second)
	kc.do("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
	if live.Call.Ticket == 0 {
		live = lc.await("on_call", time.Second) // the ticket's id follows the answer
	}
	note := "고객이 환불을 요청함 (before the kill)"
	lc.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", live.Call.Ticket), map[string]string{"note": note}, 200, nil)
	var before struct{ Tickets []struct{ ID int64 } }
	admin.on(other).do("GET", "/api/v1/tickets?service=support", nil, 200, &before)

	// kill -9 the node serving support
	if err := syscall.Kill(killed.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	kimCalls := count(kim, "CALL_ESTABLISHED")
	var took time.Duration
	for attempt := 1; ; attempt++ {
		wait, _ := call(supportDID, fmt.Sprintf("0103333%04d", attempt), 2*time.Second)
		_, err := wait()
		if err == nil {
			break
		}
		if time.Since(killedAt) > 20*time.Second {
			t.Fatalf("no call on support answered within 20 s of the kill: %v", err)
		}
	}
	kim.Wait("CALL_ESTABLISHED", kimCalls, 15*time.Second)
	took = time.Since(killedAt)
	t.Logf("failover: a new call reached kim %.1f s after the kill", took.Seconds())
	if took > 10*time.Second {
		t.Errorf("the new call reached kim %.1f s after the kill, want within 10 s", took.Seconds())
	}
	if o := owner(t, db, "support"); o != survivor {
		t.Fatalf("support is served by %q after the kill, want %s", o, survivor)
	}
	kc = kc.on(other)
	kc.await("ready", 10*time.Second) // back after the call and its after-call second: logged in, 대기

	var rec struct {
		Calls []struct {
			ID          string `json:"id"`
			HangupCause string `json:"hangup_cause"`
			Ticket      int64  `json:"ticket"`
		} `json:"calls"`
	}
	admin.on(other).do("GET", "/api/v1/calls?service=support", nil, 200, &rec)
	found := false
	for _, c := range rec.Calls {
		if c.ID == live.Call.ID {
			found = true
			if c.HangupCause != "node_lost" {
				t.Errorf("the call up on the killed node ended with %q, want node_lost", c.HangupCause)
			}
		}
	}
	if !found {
		t.Errorf("the call up on the killed node (%s) is not in the records: %+v", live.Call.ID, rec.Calls)
	}
	var after struct{ Tickets []struct{ ID int64 } }
	admin.on(other).do("GET", "/api/v1/tickets?service=support", nil, 200, &after)
	have := map[int64]bool{}
	for _, tk := range after.Tickets {
		have[tk.ID] = true
	}
	for _, tk := range before.Tickets {
		if !have[tk.ID] {
			t.Errorf("ticket %d was lost with the node", tk.ID)
		}
	}

	var tk struct {
		Notes []struct{ Body string }
		Calls []struct {
			ID          string `json:"id"`
			HangupCause string `json:"hangup_cause"`
		}
	}
	admin.on(other).do("GET", fmt.Sprintf("/api/v1/tickets/%d", live.Call.Ticket), nil, 200, &tk)
	if len(tk.Notes) != 1 || tk.Notes[0].Body != note || len(tk.Calls) != 1 || tk.Calls[0].HangupCause != "node_lost" {
		t.Errorf("the lost call's ticket after the kill: %+v", tk)
	}

	// the killed node comes back: it serves nothing the survivor holds
	back := node(supOwner, false)
	time.Sleep(8 * time.Second) // past its start-up grace and a few beats
	if o := owner(t, db, "support"); o != survivor {
		t.Errorf("after %s came back, support is served by %q", supOwner, o)
	}
	if o := owner(t, db, "sales"); o != salesOwner {
		t.Errorf("after %s came back, sales is served by %q", supOwner, o)
	}
	// and answers for both through forwarding
	kc.on(back).await("ready", 5*time.Second)
	t.Logf("wall time %.0f s", time.Since(began).Seconds())
}

func sawEvent(seen <-chan string, prefix string, within time.Duration) bool {
	deadline := time.After(within)
	for {
		select {
		case s, ok := <-seen:
			if !ok {
				return false
			}
			if strings.HasPrefix(s, prefix) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}
