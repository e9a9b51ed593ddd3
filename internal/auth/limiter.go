package auth

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"ringdesk/internal/clock"
)

// Limiter slows password guessing the way fail2ban does, keyed so that a stranger cannot lock
// an owner out:
//
//   - per (login, source): a handful of failures locks that login from that source only, so
//     the owner at another address still logs in;
//   - per source: more failures across logins lock the source, so one password tried against
//     every account is slowed as well.
//
// There is deliberately no key on the login alone: it would let anyone keep any account locked.
// A guesser with many addresses is slowed by the cost of each check (argon2id, a few at a time,
// see Verifier), not stopped; SECURITY.md says so.
//
// An attempt counts when it is reserved, before its password is checked, and is settled when
// the check is done: a burst of simultaneous guesses gets no more checks than the limit, where
// counting afterwards let every one of them through. Each lockout of a key lasts twice the
// previous one (1 minute, 2, 4, … up to an hour); a key's lockouts are forgotten after a day
// without one. State is in memory: a restart forgives, which is acceptable for a throttle whose
// job is to make guessing slow.
type Limiter struct {
	clock clock.Clock
	mu    sync.Mutex
	keys  map[string]*record

	pairLimit, sourceLimit int
	window                 time.Duration // failures older than this are forgotten
	firstLock, maxLock     time.Duration
	forgive                time.Duration // lockouts older than this no longer lengthen the next
}

// record is what is known about one key.
type record struct {
	start   time.Time // the first failure counted in the current window
	fails   int       // failures in the window
	pending int       // attempts reserved and not yet settled
	strikes int       // lockouts so far
	locked  time.Time // refused until then; the end of the last lockout afterwards
}

// maxTracked bounds the memory a spray of made-up logins and addresses can make the limiter hold.
const maxTracked = 100_000

// InFlightRetry is what a client is told when its attempts are all being checked right now.
const InFlightRetry = time.Second

// NewLimiter allows 5 failures per login and source and 30 per source within 15 minutes; the
// next attempt is then refused for a minute, and each later lockout of the same key for twice
// as long as the one before, up to an hour.
func NewLimiter(c clock.Clock) *Limiter {
	return &Limiter{clock: c, keys: map[string]*record{}, pairLimit: 5, sourceLimit: 30,
		window: 15 * time.Minute, firstLock: time.Minute, maxLock: time.Hour, forgive: 24 * time.Hour}
}

// ErrThrottled refuses an attempt and says when to try again (for a Retry-After header).
type ErrThrottled struct{ RetryAfter time.Duration }

func (e *ErrThrottled) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %d s", e.Seconds())
}

// Seconds is RetryAfter rounded up: never "try again in 0 s".
func (e *ErrThrottled) Seconds() int64 { return int64((e.RetryAfter + time.Second - 1) / time.Second) }

// Attempt is a reserved login attempt. Exactly one of Failed, Succeeded or Cancel settles it;
// later calls do nothing.
type Attempt struct {
	l         *Limiter
	pair, src string
	settled   bool
}

// Reserve counts an attempt to log in as login from source (an IP address) before its password
// is checked. It returns the attempt to settle, or an *ErrThrottled with the longer of the two
// waits when the pair or the source is locked or has as many attempts in flight as it has
// failures left.
func (l *Limiter) Reserve(login, source string) (*Attempt, error) {
	now := l.clock.Now()
	src := sourceKey(source)
	pair := "pair\x00" + login + "\x00" + src
	src = "src\x00" + src
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range []struct {
		key   string
		limit int
	}{{pair, l.pairLimit}, {src, l.sourceLimit}} {
		r := l.keys[k.key]
		if r == nil {
			continue
		}
		l.expire(r, now)
		switch {
		case now.Before(r.locked):
			wait = max(wait, r.locked.Sub(now))
		case r.fails+r.pending >= k.limit:
			wait = max(wait, InFlightRetry)
		}
	}
	if wait > 0 {
		return nil, &ErrThrottled{RetryAfter: wait}
	}
	if len(l.keys) >= maxTracked {
		l.prune(now)
	}
	for _, k := range []string{pair, src} {
		r := l.keys[k]
		if r == nil {
			r = &record{}
			l.keys[k] = r
		}
		r.pending++
	}
	return &Attempt{l: l, pair: pair, src: src}, nil
}

// Failed settles the attempt as a wrong password: it counts against the pair and the source,
// and a key that reaches its limit is locked.
func (a *Attempt) Failed() {
	a.settle(func(l *Limiter, now time.Time) {
		l.fail(a.pair, l.pairLimit, now)
		l.fail(a.src, l.sourceLimit, now)
	})
}

// Succeeded settles the attempt as the right password: the pair's failures and lockouts are
// forgotten (its owner has proved who they are). The source's stay: one valid account must not
// let its holder reset the count while guessing others' passwords from the same machine.
func (a *Attempt) Succeeded() {
	a.settle(func(l *Limiter, now time.Time) {
		if r := l.release(a.pair); r != nil {
			*r = record{pending: r.pending}
			l.drop(a.pair, r)
		}
		if r := l.release(a.src); r != nil {
			l.drop(a.src, r)
		}
	})
}

// Cancel settles an attempt whose password was never checked (the server was too busy): it
// does not count.
func (a *Attempt) Cancel() {
	a.settle(func(l *Limiter, now time.Time) {
		for _, k := range []string{a.pair, a.src} {
			if r := l.release(k); r != nil {
				l.drop(k, r)
			}
		}
	})
}

func (a *Attempt) settle(f func(l *Limiter, now time.Time)) {
	if a == nil || a.settled {
		return
	}
	a.settled = true
	now := a.l.clock.Now()
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	f(a.l, now)
}

// release ends a key's reservation; the record may have been pruned under pressure.
func (l *Limiter) release(key string) *record {
	r := l.keys[key]
	if r != nil && r.pending > 0 {
		r.pending--
	}
	return r
}

// drop forgets a record that holds nothing any more.
func (l *Limiter) drop(key string, r *record) {
	if r.pending == 0 && r.fails == 0 && r.strikes == 0 {
		delete(l.keys, key)
	}
}

func (l *Limiter) fail(key string, limit int, now time.Time) {
	r := l.release(key)
	if r == nil {
		r = &record{}
		l.keys[key] = r
	}
	l.expire(r, now)
	if r.fails == 0 {
		r.start = now
	}
	r.fails++
	if r.fails < limit {
		return
	}
	if !r.locked.IsZero() && now.Sub(r.locked) >= l.forgive {
		r.strikes = 0 // the last lockout was long ago: start small again
	}
	d := l.maxLock
	if r.strikes < 16 {
		d = min(l.firstLock<<r.strikes, l.maxLock)
	}
	r.strikes++
	r.locked = now.Add(d)
	r.fails = 0
}

// expire forgets failures whose window is over.
func (l *Limiter) expire(r *record, now time.Time) {
	if r.fails > 0 && now.Sub(r.start) >= l.window {
		r.fails = 0
	}
}

// prune drops records that no longer matter: nothing in flight, not locked, no failures in the
// window, no recent lockout. If the map is still too big (a spray of fresh keys), it drops
// records that are not locked and have nothing in flight, down to nine tenths of the bound, so
// the cost of pruning is paid once per many attempts. Lockouts are never dropped.
func (l *Limiter) prune(now time.Time) {
	for k, r := range l.keys {
		l.expire(r, now)
		if r.pending == 0 && r.fails == 0 && !now.Before(r.locked) && (r.strikes == 0 || now.Sub(r.locked) >= l.forgive) {
			delete(l.keys, k)
		}
	}
	for k, r := range l.keys {
		if len(l.keys) <= maxTracked*9/10 {
			break
		}
		if r.pending == 0 && !now.Before(r.locked) {
			delete(l.keys, k)
		}
	}
}

// sourceKey is what a source is counted as: its IP address, or for IPv6 its /64, since one
// subscriber is given a whole /64 to pick addresses from.
func sourceKey(source string) string {
	a, err := netip.ParseAddr(source)
	if err != nil {
		return source
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}
