package sip

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"ringdesk/internal/media"
	"ringdesk/internal/sip/siptest"
)

// startServer starts a server of its own (not newEnv's) with ctx as Start's context.
func startServer(t *testing.T, ctx context.Context) (*Server, *script) {
	t.Helper()
	lo, hi := rtpRange()
	m, err := media.NewManager(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: lo, PortMax: hi, Logger: testLogger()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	h := newScript()
	s, err := New(Config{Listen: "127.0.0.1:0", TrunkProbe: -1}, h, m, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	s.SetSite(testSite(0))
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s, h
}

// returns fails the test unless f returns within d.
func returns(t *testing.T, what string, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// TestCloseWhenStartContextEnds: Start serves until its context ends; ending it closes the
// server, and a Close called at the same time (what `ringdesk serve` does on SIGINT) returns
// too. Fails before the fix: the goroutine watching the context waited in Close for the very
// WaitGroup it was counted in, and every other Close waited for it, for ever.
func TestCloseWhenStartContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, h := startServer(t, ctx)
	h.answering(s)
	call, err := siptest.NewTrunk(t, s.Addr()).DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	returns(t, "Close after the context ended", 10*time.Second, func() { s.Close() })
	if !call.WaitEnded(5*time.Second) || !call.ByeReceived() {
		t.Fatal("the caller got no BYE")
	}
	returns(t, "a second Close", time.Second, func() { s.Close() })
}

// TestDrainRefusesNewCallsOnly: a draining server answers new INVITEs 503 without asking the
// engine, while calls already up go on; Shutdown then ends them with BYE within its context.
func TestDrainRefusesNewCallsOnly(t *testing.T) {
	s, h := startServer(t, context.Background())
	h.answering(s)
	trunk := siptest.NewTrunk(t, s.Addr())
	up, err := trunk.DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	s.Drain()
	if _, err := trunk.DialFrom("0212345678", "0102"); siptest.CodeOf(err) != 503 {
		t.Fatalf("a new call while draining: %v, want 503", err)
	}
	h.mu.Lock()
	n := len(h.inbound)
	h.mu.Unlock()
	if n != 1 {
		t.Fatalf("the engine heard %d calls, want only the first", n)
	}
	if up.Ended() {
		t.Fatal("draining ended a call already up")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	returns(t, "Shutdown", 5*time.Second, func() { s.Shutdown(ctx) })
	if !up.WaitEnded(time.Second) || !up.ByeReceived() {
		t.Fatal("the call up got no BYE")
	}
}
