package peers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIPp runs a SIPp scenario to completion (bounded by timeout) and returns its output; a
// non-zero exit (a failed call) is an error.
func SIPp(t testing.TB, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	Require(t, "sipp")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	all := append([]string{"-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "err.log"),
		"-trace_logs", "-log_file", filepath.Join(dir, "log.txt")}, args...)
	cmd := exec.CommandContext(ctx, "sipp", all...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	logs, _ := os.ReadFile(filepath.Join(dir, "log.txt"))
	errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
	text := string(logs) + string(errs)
	if err != nil {
		return text, fmt.Errorf("sipp %s: %v\n%s", strings.Join(args, " "), err, tail([]byte(text+out.String()), 3000))
	}
	return text, nil
}

// SIPpBackground starts SIPp (a UAS, say) and returns a function that waits for it to exit.
func SIPpBackground(t testing.TB, timeout time.Duration, args ...string) func() (string, error) {
	t.Helper()
	wait, _ := SIPpStoppable(t, timeout, args...)
	return wait
}

// SIPpStoppable is SIPpBackground that also returns a function stopping SIPp, as a carrier
// that goes away (or a scenario that serves until told to stop, run without -m).
func SIPpStoppable(t testing.TB, timeout time.Duration, args ...string) (wait func() (string, error), stop func()) {
	t.Helper()
	Require(t, "sipp")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	all := append([]string{"-nostdin", "-trace_err", "-error_file", filepath.Join(dir, "err.log"),
		"-trace_logs", "-log_file", filepath.Join(dir, "log.txt")}, args...)
	cmd := exec.CommandContext(ctx, "sipp", all...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cancel(); err := <-done; done <- err })
	stop = func() {
		// SIGUSR1 ends SIPp gracefully: its logs are written out
		cmd.Process.Signal(syscall.SIGUSR1)
		select {
		case err := <-done:
			done <- err
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			err := <-done
			done <- err
		}
	}
	return func() (string, error) {
		err := <-done
		done <- err
		logs, _ := os.ReadFile(filepath.Join(dir, "log.txt"))
		errs, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		text := string(logs) + string(errs)
		if err != nil {
			return text, fmt.Errorf("sipp: %v\n%s", err, tail([]byte(text+out.String()), 3000))
		}
		return text, nil
	}, stop
}

// Scenario copies a scenario file with placeholders filled in, and returns its path.
func Scenario(t testing.TB, file string, fill map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range fill {
		s = strings.ReplaceAll(s, k, v)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(file))
	must(t, os.WriteFile(p, []byte(s), 0o644))
	return p
}

// Itoa is strconv.Itoa, for building command lines.
func Itoa(n int) string { return strconv.Itoa(n) }
