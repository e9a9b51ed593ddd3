// Package security_test attacks the real ringdesk binary on loopback, the way issue 9's
// attacks were made, and checks two things each time: the attack fails, and the legitimate
// user it was aimed at is still served. Each test says what it did on the code before the fix.
package security_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ringdesk/test/proc"
)

// binary is built once, without the race detector: several attacks measure the process's
// memory and timing, which the detector multiplies.
var binary string

func TestMain(m *testing.M) {
	bin, remove, err := proc.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = bin
	code := m.Run()
	remove()
	os.Exit(code)
}

// site has one phone service, an agent with a browser softphone (so CTI needs no registered
// phone), and managers who are the targets of the session attacks.
const site = `services:
  - id: support
    name: 고객지원
    cti: true
    groups:
      - { id: tier1, name: 1차 상담 }
    queues:
      - { number: "100", name: 일반문의, members: [kim] }
agents:
  - { login: kim, name: 김상담, password: kim-pw, services: [support], groups: [tier1], phone: browser }
  - { login: boss, name: 박팀장, password: boss-pw, role: manager, services: [support], groups: [tier1], phone: browser }
  - { login: boss2, name: 최팀장, password: boss-pw, role: manager, services: [support], groups: [tier1] }
  - { login: boss3, name: 정팀장, password: boss-pw, role: manager, services: [support], groups: [tier1] }
  - { login: boss4, name: 강팀장, password: boss-pw, role: manager, services: [support], groups: [tier1] }
  - { login: boss5, name: 조팀장, password: boss-pw, role: manager, services: [support], groups: [tier1] }
`

const adminPassword = "admin-pw"

func start(t *testing.T, args ...string) *proc.Server {
	t.Helper()
	return proc.Start(t, binary, proc.Options{Site: site, AdminPassword: adminPassword, Args: args})
}

// from is an HTTP client whose connections come from source, an address of 127.0.0.0/8:
// another machine, as far as the server can tell.
func from(source string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 200}}
}

// reply is an answer as a test looks at it.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body)) }

// call sends a request; body is JSON-encoded unless it is already a string or bytes, and JSON
// bodies say so. header adds or overrides headers ("Authorization": "Bearer …").
func call(t *testing.T, c *http.Client, method, url string, body any, header map[string]string) reply {
	t.Helper()
	r, err := try(c, method, url, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func try(c *http.Client, method, url string, body any, header map[string]string) (reply, error) {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// login logs in over c and returns the bearer token; it fails the test unless the answer is 200.
func login(t *testing.T, c *http.Client, base, user, password string) string {
	t.Helper()
	r := call(t, c, "POST", base+"/api/v1/session", map[string]string{"login": user, "password": password}, nil)
	if r.Status != 200 {
		t.Fatalf("%s cannot log in: %s", user, r)
	}
	var out struct{ Token string }
	json.Unmarshal(r.Body, &out)
	return out.Token
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// memory reads a figure in kB (VmRSS, VmHWM) of a process from /proc and returns bytes.
func memory(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc to measure memory: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// dirSize is the bytes of every file under dir: the database and its write-ahead log.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
