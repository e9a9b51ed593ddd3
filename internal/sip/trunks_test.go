package sip

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
	"ringdesk/internal/telephony"
)

// twoTrunks points trunks "first" and "second" at two addresses.
func twoTrunks(e *env, first, second int, firstHost ...string) {
	st := testSite(0)
	host := "127.0.0.1"
	if len(firstHost) > 0 {
		host = firstHost[0]
	}
	st.Trunks = []site.Trunk{
		{ID: "first", Host: host, Port: first, Allow: []string{"127.0.0.1/32"}, Prefix: "9"},
		{ID: "second", Host: "127.0.0.1", Port: second, Allow: []string{"127.0.0.1/32"}, Prefix: "9"},
	}
	e.s.SetSite(st)
}

func viaTrunks(n string) telephony.Target {
	return telephony.Target{Kind: telephony.TargetTrunk, Trunk: "first", Fallback: []string{"second"}, Number: n, CallerID: "0212345678"}
}

// TestFallbackOn503NotOnBusy: a call the first trunk answers 503 goes on to the next; busy,
// decline and not found are the called party's answer and end the call there.
func TestFallbackOn503NotOnBusy(t *testing.T) {
	e := newEnv(t)
	first := siptest.NewTrunk(t, e.addr)
	second := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true})
	twoTrunks(e, first.Port(), second.Port())
	first.RejectWith(503)
	e.s.Place("via-503", viaTrunks("0101"))
	e.h.wait(t, "via-503", telephony.Answered)
	if len(first.Invites()) != 1 || len(second.Invites()) != 1 {
		t.Fatalf("INVITEs: first %d, second %d", len(first.Invites()), len(second.Invites()))
	}
	e.s.Hangup("via-503", telephony.CauseNormal)
	for _, c := range []struct {
		code  int
		cause telephony.Cause
	}{{486, telephony.CauseBusy}, {603, telephony.CauseDeclined}, {404, telephony.CauseNotFound}} {
		first.RejectWith(c.code)
		id := telephony.LegID("via-" + reasonPhrase(c.code))
		e.s.Place(id, viaTrunks("0102"))
		if ev := e.h.wait(t, id, telephony.Failed); ev.Code != c.code || ev.Cause != c.cause {
			t.Fatalf("%d: %+v", c.code, ev)
		}
		if n := len(second.Invites()); n != 1 {
			t.Fatalf("after %d the second trunk was tried too", c.code)
		}
	}
	// the last trunk's 503 is the call's
	first.RejectWith(503)
	second.RejectWith(503)
	e.s.Place("all-503", viaTrunks("0103"))
	if ev := e.h.wait(t, "all-503", telephony.Failed); ev.Code != 503 {
		t.Fatalf("both trunks 503: %+v", ev)
	}
	e.clean()
}

// silentPeer is a UDP socket that takes SIP and answers nothing, unless told to answer
// OPTIONS; it counts the INVITEs that reach it.
type silentPeer struct {
	conn    *net.UDPConn
	answer  atomic.Bool
	invites atomic.Int32
	options atomic.Int32
	wg      sync.WaitGroup
}

func newSilentPeer(t *testing.T) *silentPeer {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &silentPeer{conn: c}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			msg, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
			req, ok := msg.(*sip.Request)
			if err != nil || !ok {
				continue
			}
			switch req.Method {
			case sip.INVITE:
				p.invites.Add(1)
			case sip.OPTIONS:
				p.options.Add(1)
				if p.answer.Load() {
					c.WriteToUDP([]byte(reply(req, 200, "peer", nil).String()), from)
				}
			}
		}
	}()
	t.Cleanup(func() { c.Close(); p.wg.Wait() })
	return p
}

func (p *silentPeer) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// TestFallbackWhenUnreachableOrSilent: a trunk whose host cannot be resolved, or that sends
// nothing back within 8*T1, is passed over for the next.
func TestFallbackWhenUnreachableOrSilent(t *testing.T) {
	e := newEnv(t)
	second := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true})
	silent := newSilentPeer(t)
	twoTrunks(e, silent.port(), second.Port())
	began := time.Now()
	e.s.Place("past-silence", viaTrunks("0101"))
	e.h.wait(t, "past-silence", telephony.Answered)
	if silent.invites.Load() == 0 || time.Since(began) < 8*testT1 {
		t.Fatalf("the silent trunk was not tried first (%d INVITEs, answered after %v)", silent.invites.Load(), time.Since(began))
	}
	e.s.Hangup("past-silence", telephony.CauseNormal)
	twoTrunks(e, 5060, second.Port(), "no-such-carrier.invalid")
	e.s.Place("past-dns", viaTrunks("0102"))
	e.h.wait(t, "past-dns", telephony.Answered)
	e.s.Hangup("past-dns", telephony.CauseNormal)
	e.clean()
}

// waitTrunk waits until probing says a trunk is up (or down).
func waitTrunk(t *testing.T, s *Server, id string, up bool) TrunkStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, ts := range s.TrunkStatus() {
			if ts.Trunk == id && ts.Up == up {
				return ts
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("trunk %s never became up=%v: %+v", id, up, s.TrunkStatus())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProbesMarkTrunksDownAndUp: each trunk is sent OPTIONS every probe interval; one that
// stops answering is down after two misses and calls skip it; its first answer makes it up
// again, with the time of the answer and the round trip.
func TestProbesMarkTrunksDownAndUp(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TrunkProbe, c.TrunkProbeTimeout = 150*time.Millisecond, 300*time.Millisecond })
	first := newSilentPeer(t)
	first.answer.Store(true)
	second := siptest.NewTrunk(t, e.addr, siptest.Options{AutoAnswer: true})
	twoTrunks(e, first.port(), second.Port())
	up := waitTrunk(t, e.s, "first", true)
	deadline := time.Now().Add(5 * time.Second)
	for up.LastAnswer.IsZero() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		up = e.s.TrunkStatus()[0]
	}
	if up.LastAnswer.IsZero() || up.RTT <= 0 || time.Since(up.LastAnswer) > 5*time.Second {
		t.Fatalf("an answering trunk: %+v", up)
	}
	first.answer.Store(false)
	waitTrunk(t, e.s, "first", false)
	if probes := first.options.Load(); probes < 3 {
		t.Fatalf("down after %d probes", probes)
	}
	e.s.Place("skips-down", viaTrunks("0101"))
	e.h.wait(t, "skips-down", telephony.Answered)
	if n := first.invites.Load(); n != 0 {
		t.Fatalf("a trunk known to be down was sent %d INVITEs", n)
	}
	e.s.Hangup("skips-down", telephony.CauseNormal)
	first.answer.Store(true)
	if again := waitTrunk(t, e.s, "first", true); !again.LastAnswer.After(up.LastAnswer) {
		t.Fatalf("up again without a new answer: %+v", again)
	}
	e.clean()
}
