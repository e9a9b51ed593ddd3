package security_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// answers counts the final responses an attacker got, by status, once they stop coming.
func answers(p *peer, quiet, within time.Duration) map[int]int {
	deadline := time.Now().Add(within)
	last, lastChange := -1, time.Now()
	for time.Now().Before(deadline) {
		if n := p.seen(); n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > quiet {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := map[int]int{}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.got {
		if res, ok := r.msg.(*sip.Response); ok && res.StatusCode >= 200 {
			out[res.StatusCode]++
		}
	}
	return out
}

// Thousands of wrong REGISTER digests a second from one address, all on one nonce, as the
// scanners send them. Each guess is counted before it is checked: after a handful the pair
// (extension, address) is refused without an answer, and after a few dozen across extensions
// the address is; the right password does not work from there during the lockout. The real
// phone, at another address, registers throughout.
//
// Fails on today's code (before issue 9): all 3,000 guesses were checked and answered 403, and
// the right password worked from the guessing address right after.
func TestSIPPasswordGuessingIsThrottled(t *testing.T) {
	s, _ := startSIP(t)
	attacker := newPeer(t, "127.0.0.4", s.SIP)
	phone := newPeer(t, "127.0.0.2", s.SIP)
	contact := "<sip:1001@" + attacker.addr() + ">"

	first := attacker.register("1001", contact, "guess-"+tag(), 1)
	attacker.send(first)
	chal := attacker.final(first, 5*time.Second)
	if chal == nil || chal.StatusCode != 401 {
		t.Fatalf("no challenge: %v", chal)
	}
	const guesses = 3000
	began := time.Now()
	for i := range guesses {
		req := first.with("Via", fmt.Sprintf("SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", attacker.addr(), tag())).
			with("CSeq", strconv.Itoa(i+2)+" REGISTER")
		name, value := authorize(t, chal, req, "1001", "guess-"+strconv.Itoa(i), i+1)
		attacker.send(req.with(name, value))
	}
	rate := float64(guesses) / time.Since(began).Seconds()
	got := answers(attacker, 2*time.Second, 30*time.Second)
	t.Logf("%d guesses at %.0f/s from one address: answered %v", guesses, rate, got)
	if got[200] != 0 {
		t.Fatalf("a wrong password was accepted: %v", got)
	}
	if got[403] > 10 {
		t.Errorf("%d guesses were checked and refused; want a handful before the address is refused", got[403])
	}

	// the right password, from the guessing address, during the lockout
	register := func(p *peer, ext string) *sip.Response {
		_, res := p.authenticated(p.register(ext, "<sip:"+ext+"@"+p.addr()+">", "reg-"+tag(), 1), ext, sipPasswords[ext])
		return res
	}
	if res := register(attacker, "1001"); res != nil && res.StatusCode == 200 {
		t.Errorf("the right password was accepted from the guessing address during its lockout")
	}
	// the phone's own address is welcome
	if res := register(phone, "1001"); res == nil || res.StatusCode != 200 {
		t.Fatalf("the phone at its own address: %v, want 200", res)
	}

	// one guess at each of many extensions: the address itself is refused after a few dozen
	spray := newPeer(t, "127.0.0.8", s.SIP)
	for i := range 200 {
		ext := strconv.Itoa(2000 + i)
		req := spray.register(ext, "<sip:"+ext+"@"+spray.addr()+">", "spray-"+tag(), 1)
		spray.send(req)
		if res := spray.final(req, 5*time.Second); res != nil && res.StatusCode == 401 {
			name, value := authorize(t, res, req, ext, "guess", 1)
			spray.send(req.with(name, value).with("CSeq", "2 REGISTER").
				with("Via", fmt.Sprintf("SIP/2.0/UDP %s;rport;branch=z9hG4bK-%s", spray.addr(), tag())))
		}
	}
	got = answers(spray, 2*time.Second, 30*time.Second)
	t.Logf("one guess at each of 200 extensions from one address: answered %v", got)
	if got[403] > 100 {
		t.Errorf("%d of 200 guesses at different extensions were checked; want the address refused after a few dozen", got[403])
	}
	if res := register(spray, "1002"); res != nil && res.StatusCode == 200 {
		t.Errorf("a right password (1002) was accepted from the spraying address during its lockout")
	}
	if res := register(phone, "1002"); res == nil || res.StatusCode != 200 {
		t.Fatalf("1002 at another address: %v, want 200", res)
	}
}
