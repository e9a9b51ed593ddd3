package auth

import (
	"fmt"
	"sync"
	"time"

	"ringdesk/internal/clock"
)

// Limiter slows password guessing. Failures are counted per login and per client address;
// when either count reaches its limit within the window, attempts for that login (or from that
// address) are refused for the lockout period. State is in memory: a restart forgives, which
// is acceptable for a throttle whose job is to make guessing slow, not impossible.
//
// The per-login limit lets an attacker lock a known login out for a few minutes at a time;
// that is the usual price of stopping a distributed guess at one account, and the lockout is
// short.
type Limiter struct {
	clock clock.Clock

	mu    sync.Mutex
	fails map[string]*window

	perLogin, perAddr int
	span, lockout     time.Duration
}

type window struct {
	start  time.Time // first failure counted in this window
	count  int
	locked time.Time // attempts refused until then
}

// maxTracked bounds the memory a spray of made-up logins can make the limiter hold.
const maxTracked = 100_000

// NewLimiter allows 10 failures per login and 50 per client address within 10 minutes; the
// next attempt is then refused for 5 minutes.
func NewLimiter(c clock.Clock) *Limiter {
	return &Limiter{clock: c, fails: map[string]*window{}, perLogin: 10, perAddr: 50,
		span: 10 * time.Minute, lockout: 5 * time.Minute}
}

// ErrThrottled refuses an attempt and says when to try again (for a Retry-After header).
type ErrThrottled struct{ RetryAfter time.Duration }

func (e *ErrThrottled) Error() string {
	secs := int64((e.RetryAfter + time.Second - 1) / time.Second) // never "try again in 0 s"
	return fmt.Sprintf("too many failed logins; try again in %d s", secs)
}

// Allow reports whether an attempt to log in as login from addr may be made now: nil, or an
// *ErrThrottled with the longer of the two remaining lockouts.
func (l *Limiter) Allow(login, addr string) error {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range []string{loginKey(login), addrKey(addr)} {
		if w := l.fails[k]; w != nil && now.Before(w.locked) {
			wait = max(wait, w.locked.Sub(now))
		}
	}
	if wait > 0 {
		return &ErrThrottled{RetryAfter: wait}
	}
	return nil
}

// Failure records a failed attempt.
func (l *Limiter) Failure(login, addr string) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.note(loginKey(login), l.perLogin, now)
	l.note(addrKey(addr), l.perAddr, now)
	if len(l.fails) > maxTracked {
		l.prune(now)
	}
}

// Success forgets a login's failures. The address's count stays: one valid account must not
// let its holder reset the counter while guessing others' passwords from the same machine.
func (l *Limiter) Success(login, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, loginKey(login))
}

func loginKey(login string) string { return "login\x00" + login }
func addrKey(addr string) string   { return "addr\x00" + addr }

func (l *Limiter) note(key string, limit int, now time.Time) {
	w := l.fails[key]
	if w == nil {
		w = &window{start: now}
		l.fails[key] = w
	} else if now.Sub(w.start) >= l.span {
		w.start, w.count = now, 0 // the window has passed: start counting afresh
	}
	w.count++
	if w.count >= limit {
		w.locked = now.Add(l.lockout)
		w.start, w.count = now, 0
	}
}

// prune drops windows that are over and not locked; if the map is still too big (all of it
// recent), it drops arbitrary unlocked windows down to nine tenths of the bound, so that the
// cost of pruning is paid once per many failures. Lockouts are never dropped.
func (l *Limiter) prune(now time.Time) {
	for k, w := range l.fails {
		if now.Sub(w.start) >= l.span && !now.Before(w.locked) {
			delete(l.fails, k)
		}
	}
	for k, w := range l.fails {
		if len(l.fails) <= maxTracked*9/10 {
			break
		}
		if !now.Before(w.locked) {
			delete(l.fails, k)
		}
	}
}
