package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
)

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var th *ErrThrottled
	if !errors.As(err, &th) {
		t.Fatalf("got %v, want *ErrThrottled", err)
	}
	return th.RetryAfter
}

// fail makes n failed attempts, each reserved and settled in turn.
func fail(t *testing.T, l *Limiter, login, source string, n int) {
	t.Helper()
	for i := range n {
		a, err := l.Reserve(login, source)
		if err != nil {
			t.Fatalf("%s from %s, attempt %d: %v", login, source, i+1, err)
		}
		a.Failed()
	}
}

func allowed(t *testing.T, l *Limiter, login, source string) *Attempt {
	t.Helper()
	a, err := l.Reserve(login, source)
	if err != nil {
		t.Fatalf("%s from %s refused: %v", login, source, err)
	}
	return a
}

// A stranger's guesses lock the stranger out of the account, not its owner elsewhere.
//
// Fails before issue 9: the count was per login, so ten failures from anywhere locked the
// owner out too.
func TestLimiterLocksThePairNotTheLogin(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	fail(t, l, "admin", "203.0.113.9", 5)
	if got := retryAfter(t, fail1(l, "admin", "203.0.113.9")); got != time.Minute {
		t.Fatalf("retry after %v, want 1m", got)
	}
	allowed(t, l, "admin", "198.51.100.1").Succeeded() // the owner at the office
	allowed(t, l, "kim", "203.0.113.9").Cancel()       // other logins from there: the source's own limit
	clk.Advance(40 * time.Second)
	if got := retryAfter(t, fail1(l, "admin", "203.0.113.9")); got != 20*time.Second {
		t.Fatalf("retry after %v, want 20s", got)
	}
	err := fail1(l, "admin", "203.0.113.9")
	if err.Error() != "too many failed logins; try again in 20 s" {
		t.Fatalf("message %q", err)
	}
	clk.Advance(20 * time.Second)
	allowed(t, l, "admin", "203.0.113.9").Failed() // the lockout is over; the count starts again
	allowed(t, l, "admin", "203.0.113.9").Cancel()
}

// fail1 reserves once and reports the refusal, settling a granted attempt as a failure.
func fail1(l *Limiter, login, source string) error {
	a, err := l.Reserve(login, source)
	if err == nil {
		a.Failed()
	}
	return err
}

// Each lockout of a key is twice the last, up to an hour, and a day without one starts over:
// fail2ban's bantime.increment.
func TestLimiterLockoutsGrow(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		fail(t, l, "admin", "203.0.113.9", 5)
		if got := retryAfter(t, fail1(l, "admin", "203.0.113.9")); got != w {
			t.Fatalf("lockout %d lasts %v, want %v", i+1, got, w)
		}
		clk.Advance(w)
	}
	clk.Advance(24 * time.Hour)
	fail(t, l, "admin", "203.0.113.9", 5)
	if got := retryAfter(t, fail1(l, "admin", "203.0.113.9")); got != time.Minute {
		t.Fatalf("after a quiet day the lockout is %v, want 1m again", got)
	}
}

// Attempts are counted when they start. A burst of simultaneous guesses gets as many checks as
// there are failures left, and the rest are refused at once.
//
// Fails before issue 9: the limiter was asked before the check and told after it, so a
// hundred simultaneous guesses all passed Allow.
func TestLimiterCountsAttemptsBeforeTheCheck(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	var inFlight []*Attempt
	refused := 0
	for range 100 {
		a, err := l.Reserve("admin", "203.0.113.9")
		if err != nil {
			if got := retryAfter(t, err); got != InFlightRetry {
				t.Fatalf("refused while in flight: retry after %v, want %v", got, InFlightRetry)
			}
			refused++
			continue
		}
		inFlight = append(inFlight, a)
	}
	if len(inFlight) != 5 || refused != 95 {
		t.Fatalf("%d reserved, %d refused; want 5 and 95", len(inFlight), refused)
	}
	for _, a := range inFlight {
		a.Failed()
		a.Failed() // settling twice counts once
	}
	if got := retryAfter(t, fail1(l, "admin", "203.0.113.9")); got != time.Minute {
		t.Fatalf("after the five failed: retry after %v, want 1m", got)
	}
}

// Succeeded forgets the pair; Cancel (the check never ran) does not count; the source's
// failures survive a success.
func TestLimiterSettling(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	fail(t, l, "kim", "10.0.0.1", 4)
	allowed(t, l, "kim", "10.0.0.1").Succeeded()
	fail(t, l, "kim", "10.0.0.1", 4) // four more: the success reset the pair
	for range 10 {
		allowed(t, l, "kim", "10.0.0.1").Cancel() // busy server: never checked, never counted
	}
	allowed(t, l, "kim", "10.0.0.1").Cancel()

	// 30 failures across logins lock the address, whatever the successes between
	l2 := NewLimiter(clk)
	for i := range 30 {
		if i == 15 {
			allowed(t, l2, "mine", "10.9.9.9").Succeeded()
		}
		fail(t, l2, fmt.Sprint("user", i), "10.9.9.9", 1)
	}
	if retryAfter(t, fail1(l2, "someone-else", "10.9.9.9")) != time.Minute {
		t.Fatal("the address was not locked after 30 failures")
	}
	allowed(t, l2, "someone-else", "10.0.0.7").Cancel()
}

func TestLimiterWindowForgets(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	fail(t, l, "kim", "10.0.0.1", 4)
	clk.Advance(15 * time.Minute) // those four no longer count
	fail(t, l, "kim", "10.0.0.1", 4)
	allowed(t, l, "kim", "10.0.0.1").Cancel()
}

func TestLimiterRetryAfterIsTheLonger(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	fail(t, l, "kim", "10.0.0.1", 5) // the pair is locked until 1m
	clk.Advance(10 * time.Second)
	for i := range 25 {
		fail(t, l, fmt.Sprint("user", i), "10.0.0.1", 1) // the source's 30th failure: locked until 1m10s
	}
	if got := retryAfter(t, fail1(l, "kim", "10.0.0.1")); got != time.Minute {
		t.Fatalf("retry after %v, want the source's 1m rather than the pair's 50s", got)
	}
}

// An IPv6 subscriber picks addresses from a /64 at will: the /64 is the source.
func TestLimiterCountsAnIPv6SubnetAsOneSource(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	for i := range 5 {
		fail(t, l, "admin", fmt.Sprintf("2001:db8:1:2::%x", i+1), 1)
	}
	retryAfter(t, fail1(l, "admin", "2001:db8:1:2:ffff::1"))
	allowed(t, l, "admin", "2001:db8:1:3::1").Cancel()
	fail(t, l, "kim", "::ffff:192.0.2.1", 5) // a v4-mapped address is the IPv4 one
	retryAfter(t, fail1(l, "kim", "192.0.2.1"))
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	fail(t, l, "victim", "10.0.0.1", 5) // a lockout, which must survive pruning
	for i := range maxTracked + 100 {
		fail(t, l, fmt.Sprint("spray", i), fmt.Sprint("10.1.", i/250, ".", i%250), 1)
	}
	l.mu.Lock()
	n := len(l.keys)
	l.mu.Unlock()
	if n > maxTracked+2 {
		t.Fatalf("%d records tracked, bound %d", n, maxTracked)
	}
	retryAfter(t, fail1(l, "victim", "10.0.0.1"))
}
