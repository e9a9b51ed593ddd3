package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
)

func TestVerifierChecks(t *testing.T) {
	v, err := NewVerifier(clocktest.New(), 2)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := HashPassword("change-me")
	ctx := context.Background()
	for _, c := range []struct {
		hash, pw string
		want     bool
	}{
		{h, "change-me", true},
		{h, "change-mE", false},
		{"", "change-me", false},        // unknown login
		{"garbage", "change-me", false}, // unreadable hash
		{h, "", false},
	} {
		if got, err := v.Verify(ctx, c.hash, c.pw); err != nil || got != c.want {
			t.Errorf("Verify(%.20q, %q) = %v, %v; want %v", c.hash, c.pw, got, err, c.want)
		}
	}
	// the dummy hash is not a way in, whatever the password
	if v.check("", "") || v.check("x", "") {
		t.Fatal("the dummy verified")
	}
}

// An unknown login costs an argon2id check with the parameters of a real one.
//
// Fails before issue 9: an unknown login was answered without hashing anything (0.6 ms against
// 43 ms), which told who has an account.
func TestVerifierUnknownLoginCostsTheSame(t *testing.T) {
	v, err := NewVerifier(clocktest.New(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if v.dummy.memory != argonMemory || v.dummy.time != argonTime || v.dummy.threads != argonThreads || len(v.dummy.key) != argonKeyLen {
		t.Fatalf("the dummy hash's parameters %+v differ from a new password's", v.dummy)
	}
	h, _ := HashPassword("change-me")
	timeOf := func(hash string) time.Duration {
		best := time.Hour
		for range 3 {
			begin := time.Now()
			v.Verify(context.Background(), hash, "wrong")
			best = min(best, time.Since(begin))
		}
		return best
	}
	known, unknown := timeOf(h), timeOf("")
	if unknown < known/2 {
		t.Fatalf("an unknown login takes %v, a known one %v", unknown, known)
	}
}

// No more than the allowed checks run at once; a request waits its turn for a while, then is
// told to come back; the line itself is bounded.
//
// Fails before issue 9: every login ran its argon2id at once (19 MiB each).
func TestVerifierGatesChecks(t *testing.T) {
	clk := clocktest.New()
	v, err := NewVerifier(clk, 2)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := HashPassword("change-me")
	ctx := context.Background()
	// two checks are running
	v.slots <- struct{}{}
	v.slots <- struct{}{}
	type result struct {
		ok  bool
		err error
	}
	waiting := make(chan result, 1)
	go func() {
		ok, err := v.Verify(ctx, h, "change-me")
		waiting <- result{ok, err}
	}()
	for clk.Pending() == 0 { // the request has taken its place in line
		time.Sleep(time.Millisecond)
	}
	<-v.slots // one check ends: the waiting request runs
	if r := <-waiting; !r.ok || r.err != nil {
		t.Fatalf("the waiting request: %v %v", r.ok, r.err)
	}

	v.slots <- struct{}{} // both busy again
	go func() {
		ok, err := v.Verify(ctx, h, "change-me")
		waiting <- result{ok, err}
	}()
	for clk.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	clk.Advance(2 * time.Second)
	r := <-waiting
	var busy *ErrBusy
	if !errors.As(r.err, &busy) || busy.RetryAfter != time.Second || r.ok {
		t.Fatalf("after waiting two seconds: %v %v, want ErrBusy", r.ok, r.err)
	}
	if busy.Error() != "too many logins at once; try again in 1 s" {
		t.Fatalf("message %q", busy)
	}

	// a full line refuses at once, without waiting
	for range cap(v.line) {
		v.line <- struct{}{}
	}
	if _, err := v.Verify(ctx, h, "change-me"); !errors.As(err, &busy) {
		t.Fatalf("with the line full: %v, want ErrBusy", err)
	}
	for range cap(v.line) {
		<-v.line
	}
	<-v.slots
	<-v.slots
	// a client that goes away stops waiting
	v.slots <- struct{}{}
	v.slots <- struct{}{}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := v.Verify(cctx, h, "change-me"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled request: %v", err)
	}
}
