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

func TestLimiterPerLogin(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	for i := range 10 {
		if err := l.Allow("kim", "10.0.0.1"); err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		l.Failure("kim", "10.0.0.1")
	}
	// the login is locked whatever the address
	if got := retryAfter(t, l.Allow("kim", "10.0.0.2")); got != 5*time.Minute {
		t.Fatalf("retry after %v, want 5m", got)
	}
	if err := l.Allow("lee", "10.0.0.1"); err != nil {
		t.Fatalf("another login from the same address: %v", err)
	}
	clk.Advance(2 * time.Minute)
	err := l.Allow("kim", "10.0.0.1")
	if got := retryAfter(t, err); got != 3*time.Minute {
		t.Fatalf("retry after %v, want 3m", got)
	}
	if err.Error() != "too many failed logins; try again in 180 s" {
		t.Fatalf("message %q", err)
	}
	clk.Advance(3 * time.Minute)
	if err := l.Allow("kim", "10.0.0.1"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	// the count started again: one more failure does not lock
	l.Failure("kim", "10.0.0.1")
	if err := l.Allow("kim", "10.0.0.1"); err != nil {
		t.Fatalf("one failure after a lockout: %v", err)
	}
}

func TestLimiterWindowForgets(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	for range 9 {
		l.Failure("kim", "10.0.0.1")
	}
	clk.Advance(10 * time.Minute) // the window is over: those nine no longer count
	l.Failure("kim", "10.0.0.1")
	if err := l.Allow("kim", "10.0.0.1"); err != nil {
		t.Fatalf("failures from an old window counted: %v", err)
	}
}

func TestLimiterSuccessForgetsTheLoginOnly(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	for range 9 {
		l.Failure("kim", "10.0.0.1")
	}
	l.Success("kim", "10.0.0.1")
	l.Failure("kim", "10.0.0.1")
	if err := l.Allow("kim", "10.0.0.1"); err != nil {
		t.Fatalf("a success did not reset the login: %v", err)
	}
	// the address's count survives a success: 50 failures across logins lock it
	l2 := NewLimiter(clk)
	for i := range 50 {
		if i == 25 {
			l2.Success("mine", "10.9.9.9")
		}
		if err := l2.Allow(fmt.Sprint("user", i), "10.9.9.9"); err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		l2.Failure(fmt.Sprint("user", i), "10.9.9.9")
	}
	if retryAfter(t, l2.Allow("someone-else", "10.9.9.9")) != 5*time.Minute {
		t.Fatal("the address was not locked after 50 failures")
	}
	if err := l2.Allow("someone-else", "10.0.0.7"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func TestLimiterRetryAfterIsTheLonger(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	for i := range 50 {
		l.Failure(fmt.Sprint("user", i), "10.0.0.1") // locks the address at t=0
	}
	clk.Advance(time.Minute)
	for range 10 {
		l.Failure("kim", "10.0.0.2") // locks kim at t=1m
	}
	if got := retryAfter(t, l.Allow("kim", "10.0.0.1")); got != 5*time.Minute {
		t.Fatalf("retry after %v, want kim's 5m rather than the address's 4m", got)
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	clk := clocktest.New()
	l := NewLimiter(clk)
	for range 10 {
		l.Failure("victim", "10.0.0.1") // a lockout, which must survive pruning
	}
	for i := range maxTracked {
		l.Failure(fmt.Sprint("spray", i), fmt.Sprint("10.1.", i/250, ".", i%250))
	}
	l.mu.Lock()
	n := len(l.fails)
	l.mu.Unlock()
	if n > maxTracked+2 {
		t.Fatalf("%d windows tracked, bound %d", n, maxTracked)
	}
	if l.Allow("victim", "10.0.0.9") == nil {
		t.Fatal("pruning dropped a lockout")
	}
}
