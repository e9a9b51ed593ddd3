package auth

import (
	"fmt"
	"sync"
	"time"

	"ringdesk/internal/clock"
)

// Limiter slows password guessing: after too many failures for one login, or from one client
// address, further attempts are refused for a while. State is in memory: a restart forgives.
type Limiter struct {
	clock    clock.Clock
	mu       sync.Mutex
	fails    map[string]*window
	perLogin int
	perAddr  int
	span     time.Duration
	lockout  time.Duration
}

type window struct {
	start  time.Time
	count  int
	locked time.Time // refused until then
}

// NewLimiter allows 10 failures a login and 50 an address within 10 minutes, then refuses for
// 5 minutes.
func NewLimiter(c clock.Clock) *Limiter {
	return &Limiter{clock: c, fails: map[string]*window{}, perLogin: 10, perAddr: 50, span: 10 * time.Minute, lockout: 5 * time.Minute}
}

// ErrThrottled says when to try again.
type ErrThrottled struct{ RetryAfter time.Duration }

func (e *ErrThrottled) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %d s", int(e.RetryAfter.Seconds()+0.5))
}

// Allow reports whether an attempt may be made.
func (l *Limiter) Allow(login, addr string) error {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{"login:" + login, "addr:" + addr} {
		if w := l.fails[k]; w != nil && now.Before(w.locked) {
			return &ErrThrottled{RetryAfter: w.locked.Sub(now)}
		}
	}
	return nil
}

// Failure records a failed attempt.
func (l *Limiter) Failure(login, addr string) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.note("login:"+login, l.perLogin, now)
	l.note("addr:"+addr, l.perAddr, now)
	if len(l.fails) > 100000 { // bound memory under a spray of made-up logins
		for k, w := range l.fails {
			if now.Sub(w.start) > l.span && now.After(w.locked) {
				delete(l.fails, k)
			}
		}
	}
}

func (l *Limiter) note(key string, max int, now time.Time) {
	w := l.fails[key]
	if w == nil || now.Sub(w.start) > l.span {
		w = &window{start: now}
		l.fails[key] = w
	}
	w.count++
	if w.count >= max {
		w.locked = now.Add(l.lockout)
		w.count = 0
		w.start = now
	}
}

// Success forgets a login's failures.
func (l *Limiter) Success(login, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, "login:"+login)
}
