package security_test

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// A crowd of wrong passwords at once. Each guess is counted before its password is checked,
// so a burst at one account from one address gets a handful of answers and 429 for the rest;
// a burst spread over many addresses and accounts is checked a few at a time, so memory stays
// flat (argon2id takes 19 MiB per check).
//
// Fails on today's code (before issue 9): all 100 guesses at admin were answered 401, none 429,
// and the process's peak memory grew by about 1.9 GB.
func TestLoginGuessesInParallelAreCountedBeforeHashing(t *testing.T) {
	s := start(t)
	before := memory(t, s.PID, "VmHWM")

	burst := func(n int, who func(i int) (source, user string)) []reply {
		var wg sync.WaitGroup
		out := make([]reply, n)
		gate := make(chan struct{})
		for i := range n {
			source, user := who(i)
			c := from(source)
			wg.Go(func() {
				<-gate
				r, err := try(c, "POST", s.Base+"/api/v1/session", map[string]string{"login": user, "password": "guess-" + strconv.Itoa(i)}, nil)
				if err != nil {
					r = reply{Status: -1, Body: []byte(err.Error())}
				}
				out[i] = r
			})
		}
		close(gate)
		wg.Wait()
		return out
	}
	count := func(rs []reply, status int) int {
		return len(slices.DeleteFunc(slices.Clone(rs), func(r reply) bool { return r.Status != status }))
	}

	// one address, one account
	rs := burst(100, func(int) (string, string) { return "127.0.0.1", "admin" })
	for _, r := range rs {
		if r.Status != 401 && r.Status != 429 && r.Status != 503 {
			t.Fatalf("a guess was answered %s", r)
		}
		if r.Status != 401 && r.Header.Get("Retry-After") == "" {
			t.Errorf("a refusal without Retry-After: %s", r)
			break
		}
	}
	if n := count(rs, 401); n > 10 {
		t.Errorf("%d of 100 simultaneous guesses at admin from one address were checked; want a handful", n)
	}
	if n := count(rs, 429); n < 90 {
		t.Errorf("%d of 100 simultaneous guesses were refused with 429, want at least 90", n)
	}

	// a hundred addresses, a hundred accounts: the throttle lets each through, the gate on
	// password checks keeps them few at a time
	rs = burst(100, func(i int) (string, string) { return fmt.Sprintf("127.0.1.%d", i+1), fmt.Sprintf("user%d", i) })
	for _, r := range rs {
		if r.Status != 401 && r.Status != 503 {
			t.Fatalf("a guess from its own address was answered %s, want 401 or 503", r)
		}
		if r.Status == 503 && r.Header.Get("Retry-After") == "" {
			t.Fatalf("503 without Retry-After: %s", r)
		}
	}
	t.Logf("spread burst: %d checked (401), %d told to come back (503)", count(rs, 401), count(rs, 503))

	grew := memory(t, s.PID, "VmHWM") - before
	t.Logf("peak memory grew by %d MiB", grew>>20)
	if grew > 300<<20 {
		t.Errorf("peak memory grew by %d MiB under 200 concurrent logins; want the checks gated (a few × 19 MiB)", grew>>20)
	}

	// the owner, at their own address, is not held up by any of it
	login(t, from("127.0.0.2"), s.Base, "admin", adminPassword)
}

// Someone who knows the administrator's login keeps guessing from their machine. They are
// throttled; the owner, at another address, logs in as usual.
//
// Fails on today's code: ten wrong tries from anywhere locked admin out everywhere for five
// minutes (429 for the owner's right password).
func TestAStrangerCannotLockTheOwnerOut(t *testing.T) {
	s := start(t)
	stranger := from("127.0.0.1")
	checked, refused := 0, 0
	var retry string
	for i := range 30 {
		r := call(t, stranger, "POST", s.Base+"/api/v1/session", map[string]string{"login": "admin", "password": fmt.Sprint("guess", i)}, nil)
		switch r.Status {
		case 401:
			checked++
		case 429:
			refused++
			retry = r.Header.Get("Retry-After")
		default:
			t.Fatalf("guess %d: %s", i, r)
		}
	}
	if checked > 10 || refused == 0 {
		t.Errorf("30 guesses: %d checked, %d refused; want the stranger stopped after a handful", checked, refused)
	}
	if secs, err := strconv.Atoi(retry); err != nil || secs < 1 {
		t.Errorf("Retry-After %q on the stranger's refusals", retry)
	}
	// the owner at the office
	login(t, from("127.0.0.2"), s.Base, "admin", adminPassword)
	// and the stranger's other guesses from the same machine are refused too (per address)
	r := call(t, stranger, "POST", s.Base+"/api/v1/session", map[string]string{"login": "kim", "password": "guess"}, nil)
	if r.Status != 401 && r.Status != 429 {
		t.Fatalf("a guess at another account: %s", r)
	}
}

// Whether an account exists must not show in how long the answer takes.
//
// Fails on today's code: a known login was answered in about 43 ms and an unknown one in
// 0.6 ms, because only a known one had its password hashed.
func TestAnUnknownLoginTakesAsLongAsAKnownOne(t *testing.T) {
	s := start(t)
	timeOf := func(i int, user string) time.Duration {
		// each try from its own address, so that the throttle does not answer instead
		c := from(fmt.Sprintf("127.0.2.%d", i+1))
		// a first request opens the connection, so that only the login is timed
		call(t, c, "GET", s.Base+"/api/v1/health", nil, nil)
		begin := time.Now()
		r := call(t, c, "POST", s.Base+"/api/v1/session", map[string]string{"login": user, "password": "wrong-password"}, nil)
		took := time.Since(begin)
		if r.Status != 401 {
			t.Fatalf("%s: %s", user, r)
		}
		return took
	}
	var known, unknown []time.Duration
	for i := range 16 {
		if i%2 == 0 {
			known = append(known, timeOf(i, "kim"))
		} else {
			unknown = append(unknown, timeOf(i, fmt.Sprint("nobody", i)))
		}
	}
	slices.Sort(known)
	slices.Sort(unknown)
	k, u := known[len(known)/2], unknown[len(unknown)/2]
	t.Logf("median answer: known login %v, unknown login %v", k, u)
	if k < 5*time.Millisecond {
		t.Fatalf("a known login's wrong password took %v: the password is not being hashed?", k)
	}
	if u < k/2 {
		t.Errorf("an unknown login is answered in %v, a known one in %v: which accounts exist shows", u, k)
	}
}
