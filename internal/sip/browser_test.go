package sip

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ringdesk/internal/media"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// browserEP is a browser softphone's media as the bridge sees it: it counts what it is sent.
type browserEP struct {
	sent    atomic.Int64
	mu      sync.Mutex
	onAudio func([]byte)
}

func (b *browserEP) Codec() media.Codec { return media.PCMU }
func (b *browserEP) Send(payload []byte, marker bool) error {
	b.sent.Add(1)
	return nil
}
func (b *browserEP) OnAudio(f func([]byte)) {
	b.mu.Lock()
	b.onAudio = f
	b.mu.Unlock()
}

// browsers plays the webrtc package's part: a console that answers at once.
type browsers struct {
	s   *Server
	mu  sync.Mutex
	eps map[telephony.LegID]*browserEP
}

func (b *browsers) Place(id telephony.LegID, login, from, display string) {
	ep := &browserEP{}
	b.mu.Lock()
	b.eps[id] = ep
	b.mu.Unlock()
	go func() {
		b.s.BrowserReport(telephony.Event{Leg: id, Kind: telephony.Ringing})
		b.s.BrowserReport(telephony.Event{Leg: id, Kind: telephony.Answered})
	}()
}

// end is the browser hanging up: like webrtc, it forgets the leg before reporting.
func (b *browsers) end(id telephony.LegID) {
	b.mu.Lock()
	delete(b.eps, id)
	b.mu.Unlock()
	b.s.BrowserReport(telephony.Event{Leg: id, Kind: telephony.HungUp, Cause: telephony.CauseNormal})
}

func (b *browsers) Hangup(id telephony.LegID) {
	b.mu.Lock()
	delete(b.eps, id)
	b.mu.Unlock()
}

func (b *browsers) Endpoint(id telephony.LegID) (media.Endpoint, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ep, ok := b.eps[id]
	return ep, ok
}

// TestBrowserLegLeavesTheBridgeWhenItEnds: a browser softphone bridged to a customer hears
// the customer; once it hangs up, the customer's audio is no longer forwarded to it.
func TestBrowserLegLeavesTheBridgeWhenItEnds(t *testing.T) {
	e := newEnv(t)
	b := &browsers{s: e.s, eps: map[telephony.LegID]*browserEP{}}
	e.s.SetBrowserLegs(b)
	e.h.answering(e.s)
	cust, err := siptest.NewTrunk(t, e.addr).DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	in := e.h.call(t, 1)
	e.s.Place("web-1", telephony.Target{Kind: telephony.TargetBrowser, Agent: "kim", CallerID: "0101"})
	e.h.wait(t, "web-1", telephony.Answered)
	ep, _ := b.Endpoint("web-1")
	e.s.Bridge(in.Leg, "web-1")
	deadline := time.Now().Add(5 * time.Second)
	for ep.(*browserEP).sent.Load() < 10 {
		if time.Now().After(deadline) {
			t.Fatal("the browser never heard the customer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.end("web-1")
	e.h.wait(t, "web-1", telephony.HungUp)
	time.Sleep(100 * time.Millisecond)
	n := ep.(*browserEP).sent.Load()
	time.Sleep(300 * time.Millisecond)
	if m := ep.(*browserEP).sent.Load(); m != n {
		t.Fatalf("the ended browser leg was still sent %d frames", m-n)
	}
	cust.Hangup()
	e.clean()
}
