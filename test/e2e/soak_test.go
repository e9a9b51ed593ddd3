package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	_ "modernc.org/sqlite"

	"ringdesk/test/e2e/peers"
)

// soakSite: three agents whose phones answer by themselves, back to 대기 a second after each
// call, so that calls keep flowing while the process is killed.
func soakSite(trunkPort int) string {
	return fmt.Sprintf(`services:
  - id: support
    name: 고객지원
    cti: true
    recall_seconds: 10
    no_answer: ready
    after_call_seconds: 1
    numbers:
      - { number: "%s", queue: "100", greeting: none }
    caller_ids:
      - { number: "%s", status: registered }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee, park] }
agents:
  - { login: kim, name: 김상담, password: agent-pw, services: [support], extension: "1001", sip_password: kim-sip, auto_accept: true }
  - { login: lee, name: 이상담, password: agent-pw, services: [support], extension: "1002", sip_password: lee-sip, auto_accept: true }
  - { login: park, name: 박상담, password: agent-pw, services: [support], extension: "1003", sip_password: park-sip, auto_accept: true }
trunks:
  - { id: carrier, host: 127.0.0.1, port: %d, allow: ["127.0.0.1/32"], prefix: "9" }
`, did, callerID, trunkPort)
}

// process is a ringdesk serve that the soak kills and starts again on the same data.
type process struct {
	t          *testing.T
	dir        string
	sip, http  int
	rtp        int
	base       string
	cmd        *exec.Cmd
	done       chan struct{}
	log        *bytes.Buffer
	firstStart bool
}

func (p *process) start() {
	p.t.Helper()
	args := []string{"serve", "--data", filepath.Join(p.dir, "data"), "--http", fmt.Sprintf("127.0.0.1:%d", p.http),
		"--sip", fmt.Sprintf("127.0.0.1:%d", p.sip), "--rtp-ports", fmt.Sprintf("%d-%d", p.rtp, p.rtp+199)}
	if p.firstStart {
		args = append(args, "--apply", filepath.Join(p.dir, "site.yaml"))
		p.firstStart = false
	}
	p.log = &bytes.Buffer{}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(os.Environ(), "RINGDESK_ADMIN_PASSWORD="+adminPassword)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(p.cmd, p.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(p.base + "/api/v1/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("ringdesk exited at start:\n%s", p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("ringdesk did not come up:\n%s", lastBytes(p.log.String(), 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill is kill -9: no goodbye, no flush.
func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// api calls the API as admin; it returns the status (0 when the connection failed) and body.
func (p *process) api(token, method, path string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (p *process) token(login, password string) string {
	p.t.Helper()
	code, b := p.api("", "POST", "/api/v1/session", map[string]string{"login": login, "password": password})
	if code != 200 {
		p.t.Fatalf("login %s: %d %s", login, code, b)
	}
	var out struct{ Token string }
	json.Unmarshal(b, &out)
	return out.Token
}

// acked is what the server acknowledged before it was killed: none of it may be missing
// afterwards.
type acked struct {
	mu        sync.Mutex
	tickets   map[int64]bool // announced by ticket.created
	notes     map[int64][]string
	favorites int // the highest favourites version whose PUT got 200
}

// TestKillNineSoak kills the server with SIGKILL at random moments while SIPp calls come in
// and the API writes, a few times over, and checks after each restart: the database is
// sound, nothing acknowledged is missing, no call is left open, and every agent can go 대기.
// Before the group commit ran synchronous=FULL, an acknowledged write could be lost on power
// loss; before the engine recorded CTI sessions, agents came back logged out.
func TestKillNineSoak(t *testing.T) {
	peers.Require(t, "sipp", "baresip")
	t.Parallel()
	trunk := peers.Port(t)
	p := &process{t: t, dir: t.TempDir(), sip: peers.Port(t), http: peers.Port(t), rtp: peers.Ports(t, 200), firstStart: true}
	p.base = fmt.Sprintf("http://127.0.0.1:%d", p.http)
	os.WriteFile(filepath.Join(p.dir, "site.yaml"), []byte(soakSite(trunk)), 0o644)
	p.start()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("ringdesk output:\n%s", lastBytes(p.log.String(), 6000))
		}
	})
	for _, a := range []struct{ ext, pw string }{{"1001", "kim-sip"}, {"1002", "lee-sip"}, {"1003", "park-sip"}} {
		ph := peers.StartPhone(t, peers.PhoneConfig{Source: "sine:440",
			AOR: fmt.Sprintf("sip:%s@127.0.0.1:%d", a.ext, p.sip), Account: fmt.Sprintf(";auth_pass=%s;regint=60;answermode=auto;audio_codecs=PCMU", a.pw)})
		ph.WaitRegistered(10 * time.Second)
	}
	ack := &acked{tickets: map[int64]bool{}, notes: map[int64][]string{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	const cycles = 3
	for cycle := 0; cycle < cycles; cycle++ {
		admin := p.token("admin", adminPassword)
		agents := map[string]string{}
		for _, login := range []string{"kim", "lee", "park"} {
			agents[login] = p.token(login, "agent-pw")
			// the first time they log in; after a restart they are back at 기본 by themselves
			if cycle == 0 {
				if code, b := p.api(agents[login], "POST", "/api/v1/cti/login", map[string]string{"service": "support"}); code != 200 {
					t.Fatalf("CTI login %s: %d %s", login, code, b)
				}
			}
			if code, b := p.api(agents[login], "PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}); code != 200 {
				t.Fatalf("cycle %d: %s cannot go 대기: %d %s", cycle, login, code, b)
			}
		}
		ack.mu.Lock()
		ticketsBefore := len(ack.tickets)
		ack.mu.Unlock()
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(3)
		go func() { defer wg.Done(); watchTickets(ctx, p, admin, ack) }()
		go func() { defer wg.Done(); writeNotes(ctx, p, admin, ack, cycle) }()
		go func() { defer wg.Done(); writeSettings(ctx, p, admin, ack) }()
		_, stopSIPp := peers.SIPpStoppable(t, 60*time.Second, "-sn", "uac", fmt.Sprintf("127.0.0.1:%d", p.sip), "-s", did,
			"-i", "127.0.0.1", "-p", peers.Itoa(trunk), "-r", "4", "-l", "6", "-m", "200", "-d", "1500")
		// let the load run, then kill at a random moment once a call has been answered
		deadline := time.Now().Add(time.Duration(3000+rng.IntN(4000)) * time.Millisecond)
		for time.Now().Before(deadline) || func() bool { ack.mu.Lock(); defer ack.mu.Unlock(); return len(ack.tickets) == ticketsBefore }() && time.Now().Before(deadline.Add(20*time.Second)) {
			time.Sleep(50 * time.Millisecond)
		}
		p.kill()
		stop()
		wg.Wait()
		stopSIPp() // its calls died with the server
		ack.mu.Lock()
		if len(ack.tickets) == ticketsBefore {
			ack.mu.Unlock()
			t.Fatalf("cycle %d: no call was answered before the kill: the phones did not stay registered across the restart, or calls stopped flowing", cycle)
		}
		t.Logf("cycle %d: killed with %d tickets, %d notes, favourites v%d acknowledged so far", cycle, len(ack.tickets),
			countNotes(ack), ack.favorites)
		ack.mu.Unlock()

		checkDatabase(t, filepath.Join(p.dir, "data", "ringdesk.db"), ack, cycle)
		p.start()
		admin = p.token("admin", adminPassword)
		if n := openCalls(t, filepath.Join(p.dir, "data", "ringdesk.db")); n != 0 {
			t.Fatalf("cycle %d: %d calls left open after the restart", cycle, n)
		}
		checkAcknowledged(t, p, admin, ack, cycle)
		for _, login := range []string{"kim", "lee", "park"} {
			tok := p.token(login, "agent-pw")
			code, b := p.api(tok, "GET", "/api/v1/cti", nil)
			var v struct{ State string }
			json.Unmarshal(b, &v)
			if code != 200 || v.State != "default" {
				t.Fatalf("cycle %d: %s after the restart: %d %s, want logged back in at default", cycle, login, code, b)
			}
		}
	}
	t.Logf("soak: %d kills; %d tickets, %d notes, favourites v%d acknowledged and all found after each restart",
		cycles, len(ack.tickets), countNotes(ack), ack.favorites)
	if len(ack.tickets) == 0 {
		t.Fatal("no call was answered during the soak: it tested nothing")
	}
}

func countNotes(a *acked) int {
	n := 0
	for _, l := range a.notes {
		n += len(l)
	}
	return n
}

// watchTickets records every ticket the server announced.
func watchTickets(ctx context.Context, p *process, token string, ack *acked) {
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.base, "http")+"/api/v1/events",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		var ev struct {
			Type string `json:"type"`
			Data struct {
				Ticket int64 `json:"ticket"`
			} `json:"data"`
		}
		if json.Unmarshal(msg, &ev) == nil && ev.Type == "ticket.created" && ev.Data.Ticket != 0 {
			ack.mu.Lock()
			ack.tickets[ev.Data.Ticket] = true
			ack.mu.Unlock()
		}
	}
}

// writeNotes adds notes to the announced tickets; a note is acknowledged by its 200.
func writeNotes(ctx context.Context, p *process, token string, ack *acked, cycle int) {
	for i := 0; ctx.Err() == nil; i++ {
		ack.mu.Lock()
		var ids []int64
		for id := range ack.tickets {
			ids = append(ids, id)
		}
		ack.mu.Unlock()
		if len(ids) == 0 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
		id := ids[i%len(ids)]
		note := fmt.Sprintf("soak %d-%d", cycle, i)
		if code, _ := p.api(token, "PATCH", fmt.Sprintf("/api/v1/tickets/%d", id), map[string]string{"note": note}); code == 200 {
			ack.mu.Lock()
			ack.notes[id] = append(ack.notes[id], note)
			ack.mu.Unlock()
		}
	}
}

// writeSettings changes the service's favourites again and again, numbering each version.
func writeSettings(ctx context.Context, p *process, token string, ack *acked) {
	for ctx.Err() == nil {
		ack.mu.Lock()
		v := ack.favorites + 1
		ack.mu.Unlock()
		body := []map[string]string{{"name": fmt.Sprintf("v%d", v), "number": "100"}}
		code, b := p.api(token, "PUT", "/api/v1/services/support/favorites", body)
		switch {
		case code == 200:
			ack.mu.Lock()
			ack.favorites = max(ack.favorites, v)
			ack.mu.Unlock()
		case code != 0 && ctx.Err() == nil:
			p.t.Errorf("favourites v%d refused: %d %s", v, code, b)
			return
		}
	}
}

// checkDatabase opens the killed server's database as it was left: it must be sound.
func checkDatabase(t *testing.T, path string, ack *acked, cycle int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("cycle %d: integrity_check: %q %v", cycle, res, err)
	}
}

func openCalls(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM calls WHERE ended_at IS NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkAcknowledged looks for everything acknowledged through the restarted server's API.
func checkAcknowledged(t *testing.T, p *process, admin string, ack *acked, cycle int) {
	t.Helper()
	ack.mu.Lock()
	defer ack.mu.Unlock()
	for id := range ack.tickets {
		code, b := p.api(admin, "GET", fmt.Sprintf("/api/v1/tickets/%d", id), nil)
		if code != 200 {
			t.Fatalf("cycle %d: announced ticket %d is gone: %d %s", cycle, id, code, b)
		}
		var tk struct {
			Notes []struct{ Body string } `json:"notes"`
			Calls []struct{ ID string }   `json:"calls"`
		}
		json.Unmarshal(b, &tk)
		have := map[string]bool{}
		for _, n := range tk.Notes {
			have[n.Body] = true
		}
		for _, n := range ack.notes[id] {
			if !have[n] {
				t.Fatalf("cycle %d: acknowledged note %q of ticket %d is gone", cycle, n, id)
			}
		}
		if len(tk.Calls) == 0 {
			t.Fatalf("cycle %d: ticket %d lost its call record", cycle, id)
		}
	}
	code, b := p.api(admin, "GET", "/api/v1/services/support", nil)
	var svc struct {
		Favorites []struct{ Name string } `json:"favorites"`
	}
	json.Unmarshal(b, &svc)
	if code != 200 {
		t.Fatalf("cycle %d: service after the restart: %d %s", cycle, code, b)
	}
	var v int
	if len(svc.Favorites) > 0 {
		fmt.Sscanf(svc.Favorites[0].Name, "v%d", &v)
	}
	if v < ack.favorites {
		t.Fatalf("cycle %d: favourites are v%d, but v%d was acknowledged", cycle, v, ack.favorites)
	}
}
