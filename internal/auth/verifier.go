package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/crypto/argon2"

	"ringdesk/internal/clock"
)

// Verifier checks login passwords a few at a time. Each argon2id check takes 19 MiB and tens
// of milliseconds of a core; run for every request at once, a hundred guesses took 2 GB. With at
// most one check per core, the rest wait a moment in a short line or are told to come back.
//
// It also makes every check cost the same: an unknown login, an account without a password or
// a stored hash that cannot be read is checked against a dummy hash made with the parameters
// new passwords get, so how long an answer takes does not tell which accounts exist.
type Verifier struct {
	clock clock.Clock
	slots chan struct{} // one per check running
	line  chan struct{} // one per request running or waiting
	wait  time.Duration
	dummy phc
}

// ErrBusy says the server is checking as many passwords as it can; try again after RetryAfter.
type ErrBusy struct{ RetryAfter time.Duration }

func (e *ErrBusy) Error() string {
	return fmt.Sprintf("too many logins at once; try again in %d s", int64((e.RetryAfter+time.Second-1)/time.Second))
}

// NewVerifier runs at most concurrent checks at once (runtime.GOMAXPROCS when 0 or less).
// Up to 32 requests per check wait, each at most two seconds, for their turn: with a check
// taking 20–40 ms, a full line is through in about a second, so a morning's logins all wait
// a moment rather than being turned away, while a flood is turned away at once.
func NewVerifier(c clock.Clock, concurrent int) (*Verifier, error) {
	if concurrent <= 0 {
		concurrent = runtime.GOMAXPROCS(0)
	}
	pw, err := RandomPassword()
	if err != nil {
		return nil, err
	}
	h, err := HashPassword(pw)
	if err != nil {
		return nil, err
	}
	dummy, err := parsePHC(h)
	if err != nil {
		return nil, err
	}
	return &Verifier{clock: c, slots: make(chan struct{}, concurrent), line: make(chan struct{}, concurrent*33),
		wait: 2 * time.Second, dummy: dummy}, nil
}

// Verify reports whether pw matches hash, an argon2id PHC string ("" for an unknown login or
// an account without a password: it then costs the same and fails). It returns an *ErrBusy
// when no check could start in time, and ctx's error when the client went away first.
func (v *Verifier) Verify(ctx context.Context, hash, pw string) (bool, error) {
	select {
	case v.line <- struct{}{}:
	default:
		return false, &ErrBusy{RetryAfter: time.Second}
	}
	defer func() { <-v.line }()
	select {
	case v.slots <- struct{}{}:
	default:
		expired := make(chan struct{})
		t := v.clock.AfterFunc(v.wait, func() { close(expired) })
		defer t.Stop()
		select {
		case v.slots <- struct{}{}:
		case <-expired:
			return false, &ErrBusy{RetryAfter: time.Second}
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	defer func() { <-v.slots }()
	return v.check(hash, pw), nil
}

func (v *Verifier) check(hash, pw string) bool {
	if pw == "" || len(pw) > MaxPasswordLen {
		return false
	}
	h, err := parsePHC(hash)
	real := err == nil
	if !real {
		h = v.dummy
	}
	got := argon2.IDKey([]byte(pw), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1 && real
}
