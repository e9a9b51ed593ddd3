// Package proc runs the real ringdesk binary for tests that drive it from outside, the way an
// operator and an attacker meet it: it builds the binary once, starts `ringdesk serve` with a
// site file on free loopback ports, and stops the process by its PID when the test ends.
package proc

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// Build compiles ringdesk/cmd/ringdesk into a fresh directory; remove it with the returned
// function. Extra go build flags (e.g. -race) go in flags.
func Build(flags ...string) (binary string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "ringdesk-bin")
	if err != nil {
		return "", nil, err
	}
	binary = filepath.Join(dir, "ringdesk")
	args := append(append([]string{"build"}, flags...), "-o", binary, "ringdesk/cmd/ringdesk")
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building ringdesk: %w", err)
	}
	return binary, func() { os.RemoveAll(dir) }, nil
}

// Options say how to start a server.
type Options struct {
	Site  string            // the site file, applied with --apply
	Files map[string][]byte // more files beside it (prompts), by relative path
	Args  []string          // more serve flags
	Env   []string          // more environment, NAME=value
	// AdminPassword is the first administrator's; "admin-pw" when empty.
	AdminPassword string
	// TLS: the server was given certificates and speaks HTTPS, and SIP over TLS on a port of
	// its own (SIPS).
	TLS bool
}

// Server is a running ringdesk process.
type Server struct {
	t       testing.TB
	Dir     string // the test's directory: site file, data
	Base    string // http(s)://127.0.0.1:port
	HTTP    string // 127.0.0.1:port
	SIP     string
	SIPS    string // SIP over TLS, when Options.TLS
	PID     int
	DataDir string
	log     *syncBuffer
	cmd     *exec.Cmd
	done    chan struct{}
}

// Start runs `ringdesk serve --apply site.yaml` and waits until it answers its health check.
// The process is stopped (SIGINT, then SIGKILL after ten seconds) when the test ends.
func Start(t testing.TB, binary string, o Options) *Server {
	t.Helper()
	dir := t.TempDir()
	for name, b := range o.Files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"serve", "--data", filepath.Join(dir, "data")}
	if o.Site != "" {
		if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(o.Site), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--apply", filepath.Join(dir, "site.yaml"))
	}
	httpPort, sipPort, rtp := peers.Port(t), peers.Port(t), peers.Ports(t, 40)
	s := &Server{t: t, Dir: dir, DataDir: filepath.Join(dir, "data"), HTTP: fmt.Sprintf("127.0.0.1:%d", httpPort),
		SIP: fmt.Sprintf("127.0.0.1:%d", sipPort), log: &syncBuffer{}, done: make(chan struct{})}
	scheme := "http"
	if o.TLS {
		scheme = "https"
	}
	s.Base = scheme + "://" + s.HTTP
	args = append(args, "--http", s.HTTP, "--sip", s.SIP, "--rtp-ports", fmt.Sprintf("%d-%d", rtp, rtp+39))
	if o.TLS {
		s.SIPS = fmt.Sprintf("127.0.0.1:%d", peers.Port(t))
		args = append(args, "--sips", s.SIPS)
	}
	args = append(args, o.Args...)
	pw := o.AdminPassword
	if pw == "" {
		pw = "admin-pw"
	}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Env = append(append(slices.Clone(os.Environ()), "RINGDESK_ADMIN_PASSWORD="+pw), o.Env...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.PID = s.cmd.Process.Pid
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("ringdesk output (last 6000 bytes):\n%s", tail(s.Output(), 6000))
		}
	})
	probe := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // only asks whether it is up
	}}
	defer probe.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := probe.Get(s.Base + "/api/v1/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("ringdesk exited at start:\n%s", s.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ringdesk did not come up within 30 s:\n%s", s.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop interrupts the process and waits for it to exit (killing it after ten seconds).
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Output is everything the process printed so far.
func (s *Server) Output() string { return s.log.String() }

// WaitOutput waits until the process has printed want, or the timeout passes, and says
// whether it did. The health check answers before the server finishes logging that it
// serves, so a test reading the start-up lines waits for them here.
func (s *Server) WaitOutput(want string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.Output(), want) {
		if time.Now().After(deadline) || s.Exited() {
			return strings.Contains(s.Output(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// Run runs the binary with args to completion (a command that is not serve, or a serve that
// must refuse to start) and returns its combined output and exit code.
func Run(t testing.TB, binary string, timeout time.Duration, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(slices.Clone(os.Environ()), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("ringdesk %v did not finish within %v:\n%s", args, timeout, out.String())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// syncBuffer is the process's output, written by exec's copier while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
