package peers

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kamailio is a Kamailio proxy run for one test, in the foreground, stopped when the test ends.
type Kamailio struct {
	Addr string // host:port it listens on (UDP)
	log  *syncWriter
}

// StartKamailio writes a config from a template, with @LISTEN@ replaced by the address it is
// given and every other placeholder by fill, checks it and runs kamailio until the test ends.
func StartKamailio(t testing.TB, template string, fill map[string]string) *Kamailio {
	t.Helper()
	Require(t, "kamailio")
	b, err := os.ReadFile(template)
	must(t, err)
	k := &Kamailio{Addr: fmt.Sprintf("127.0.0.1:%d", Port(t)), log: &syncWriter{}}
	conf := strings.ReplaceAll(string(b), "@LISTEN@", k.Addr)
	for from, to := range fill {
		conf = strings.ReplaceAll(conf, from, to)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "kamailio.cfg")
	must(t, os.WriteFile(file, []byte(conf), 0o644))
	if out, err := exec.Command("kamailio", "-c", "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("kamailio config: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "kamailio", "-f", file, "-DD", "-E", "-Y", dir, "-m", "32", "-M", "8")
	cmd.Stdout, cmd.Stderr = k.log, k.log
	must(t, cmd.Start())
	// SIGTERM lets the main process stop its children
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("kamailio log:\n%s", tail([]byte(k.log.String()), 4000))
		}
	})
	// ready once its port is taken
	deadline := time.Now().Add(10 * time.Second)
	for !listening(k.Addr) {
		if time.Now().After(deadline) {
			t.Fatalf("kamailio did not start:\n%s", k.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return k
}

// listening reports whether something holds the UDP port (binding it fails).
func listening(addr string) bool {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// Log is what kamailio has written so far.
func (k *Kamailio) Log() string { return k.log.String() }

// syncWriter is a process's output, read while it writes.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
