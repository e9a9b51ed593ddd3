package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// The end-to-end tests run the real binary, configured with a real site file, against real
// SIP peers. TestMain builds it once.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ringdesk-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ringdesk")
	build := exec.Command("go", "build", "-race", "-o", binary, "ringdesk/cmd/ringdesk")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ringdesk:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminPassword = "e2e-admin-pw"

// instance is a running ringdesk process.
type instance struct {
	t    *testing.T
	dir  string
	SIP  int
	HTTP int
	RTP  int
	base string
	log  *syncBuffer
	args []string // extra serve flags

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// syncBuffer is the process's output, read while it writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start writes the site file (with %d placeholders filled by the trunk's port) and runs
// `ringdesk serve --apply` on fresh ports, with any extra serve flags.
func start(t *testing.T, siteYAML string, files map[string][]byte, args ...string) *instance {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(siteYAML), 0o644)
	in := &instance{t: t, dir: dir, SIP: peers.Port(t), HTTP: peers.Port(t), RTP: peers.Ports(t, 200), log: &syncBuffer{}, args: args}
	in.base = fmt.Sprintf("http://127.0.0.1:%d", in.HTTP)
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("ringdesk output:\n%s", lastBytes(in.log.String(), 6000))
		}
	})
	in.launch()
	return in
}

// launch runs serve on the instance's data directory and ports and waits until it answers.
func (in *instance) launch() {
	t := in.t
	t.Helper()
	args := append([]string{"serve", "--data", filepath.Join(in.dir, "data"), "--http", fmt.Sprintf("127.0.0.1:%d", in.HTTP),
		"--sip", fmt.Sprintf("127.0.0.1:%d", in.SIP), "--rtp-ports", fmt.Sprintf("%d-%d", in.RTP, in.RTP+199),
		"--apply", filepath.Join(in.dir, "site.yaml")}, in.args...)
	cmd := exec.Command(binary, args...)
	// the race detector's binary sleeps a second at exit unless told not to: the stop tests
	// time the exit
	cmd.Env = append(os.Environ(), "RINGDESK_ADMIN_PASSWORD="+adminPassword, "GORACE=atexit_sleep_ms=0")
	cmd.Stdout, cmd.Stderr = in.log, in.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.cmd, in.done = cmd, make(chan struct{})
	done := in.done
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(in.base + "/api/v1/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case <-done:
			t.Fatalf("ringdesk exited:\n%s", in.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ringdesk did not come up:\n%s", in.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signal sends sig and returns how long the process took to exit and its exit code; ok is
// false when it had not exited after wait (it is then killed).
func (in *instance) signal(sig os.Signal, wait time.Duration) (took time.Duration, code int, ok bool) {
	began := time.Now()
	in.cmd.Process.Signal(sig)
	select {
	case <-in.done:
		return time.Since(began), in.cmd.ProcessState.ExitCode(), true
	case <-time.After(wait):
		in.cmd.Process.Kill()
		<-in.done
		return time.Since(began), -1, false
	}
}

// stop ends the process if it still runs: SIGINT, then SIGKILL after 10 s.
func (in *instance) stop() {
	if in.cmd == nil {
		return
	}
	select {
	case <-in.done:
	default:
		in.signal(os.Interrupt, 10*time.Second)
	}
}

func lastBytes(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// client is a logged-in API user.
type client struct {
	in    *instance
	login string
	token string
}

func (in *instance) login(login, password string) *client {
	in.t.Helper()
	c := &client{in: in, login: login}
	var out struct{ Token string }
	c.do("POST", "/api/v1/session", map[string]string{"login": login, "password": password}, 200, &out)
	c.token = out.Token
	return c
}

func (c *client) do(method, path string, body any, want int, out any) string {
	c.in.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.in.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.in.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if want != 0 && res.StatusCode != want {
		c.in.t.Fatalf("%s %s %s: %d %s, want %d", c.login, method, path, res.StatusCode, b, want)
	}
	if out != nil {
		json.Unmarshal(b, out)
	}
	return string(b)
}

func (c *client) cmd(path string, body any) {
	c.in.t.Helper()
	c.do("POST", "/api/v1/cti/"+path, body, 200, nil)
}

type view struct {
	State string `json:"state"`
	Call  *struct {
		Ticket int64 `json:"ticket"`
	} `json:"call"`
}

func (c *client) await(state string) view {
	c.in.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var v view
		c.do("GET", "/api/v1/cti", nil, 200, &v)
		if v.State == state {
			return v
		}
		if time.Now().After(deadline) {
			c.in.t.Fatalf("%s is %s, want %s", c.login, v.State, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *client) ready() {
	c.do("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	c.do("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
}

// sipURI is an address at the server.
func (in *instance) sipURI(user string) string {
	return fmt.Sprintf("sip:%s@127.0.0.1:%d", user, in.SIP)
}

// agentPhone starts a baresip desk phone that registers as ext and answers by itself.
func (in *instance) agentPhone(ext, password string, hz int) *peers.Phone {
	in.t.Helper()
	p := peers.StartPhone(in.t, peers.PhoneConfig{Source: fmt.Sprintf("sine:%d", hz),
		AOR:     fmt.Sprintf("sip:%s@127.0.0.1:%d", ext, in.SIP),
		Account: fmt.Sprintf(";auth_pass=%s;regint=600;answermode=auto;audio_codecs=PCMU,PCMA", password)})
	p.WaitRegistered(10 * time.Second)
	return p
}

var _ = strings.TrimSpace
