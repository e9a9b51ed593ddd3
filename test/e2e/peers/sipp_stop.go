package peers

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// SIPpStoppable starts SIPp and returns a function that stops it at once (SIGKILL) and waits
// for it: for load that must end when the server under it dies.
func SIPpStoppable(t testing.TB, timeout time.Duration, args ...string) (stop func()) {
	t.Helper()
	Require(t, "sipp")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, "sipp", append([]string{"-nostdin", "-trace_err", "-error_file", dir + "/err.log"},
		args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop = func() {
		cancel()
		<-done
		if t.Failed() {
			errs, _ := os.ReadFile(dir + "/err.log")
			t.Logf("sipp %v:\n%s", args, tail(errs, 3000))
		}
	}
	t.Cleanup(stop)
	return stop
}
