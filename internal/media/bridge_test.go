package media

import (
	"bytes"
	"sort"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/telephony"
)

// Two phones on different laws hear each other: each hears the other's tone, not its own.
func TestBridgeBothWaysWithTranscoding(t *testing.T) {
	m := testManager(t, 31000, 31100)
	a, b := newPeer(t, PCMU), newPeer(t, PCMA)
	sa, sb := connect(t, m, a, -1), connect(t, m, b, -1)
	m.Bridge(sa, sb)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.sendTone(sa.LocalAddr(), 440, time.Second) }()
	go func() { defer wg.Done(); b.sendTone(sb.LocalAddr(), 880, time.Second) }()
	wg.Wait()
	eventually(t, "all frames across", func() bool { return len(a.audible()) == 50 && len(b.audible()) == 50 })
	if x := a.samples(); !dominates(x, 880, 440) {
		t.Errorf("the PCMU phone heard %.0f Hz, want 880 from the PCMA phone", zeroCrossingHz(x))
	}
	if x := b.samples(); !dominates(x, 440, 880) {
		t.Errorf("the PCMA phone heard %.0f Hz, want 440 from the PCMU phone", zeroCrossingHz(x))
	}
	for _, p := range b.packets() {
		if p.hdr.PayloadType != 8 {
			t.Fatalf("the PCMA phone got payload type %d", p.hdr.PayloadType)
		}
	}
	if st := sa.Stats(); st.PacketsIn != 50 || st.PacketsOut < 50 || st.Lost != 0 {
		t.Errorf("stats %+v", st)
	}
}

// On the same law the bridge passes the bytes as they are, and adds no delay worth the name.
func TestBridgeForwardsAtOnce(t *testing.T) {
	m := testManager(t, 31100, 31200)
	a, b := newPeer(t, PCMU), newPeer(t, PCMU)
	sa, sb := connect(t, m, a, -1), connect(t, m, b, -1)
	m.Bridge(sa, sb)
	const n = 100
	sent := make([]time.Time, n)
	for i := range n {
		payload := bytes.Repeat([]byte{byte(i)}, 160)
		sent[i] = time.Now()
		a.send(sa.LocalAddr(), 0, false, uint32(i*160), payload)
		time.Sleep(5 * time.Millisecond)
	}
	eventually(t, "all frames across", func() bool { return len(b.audible()) == n })
	var delays []time.Duration
	for i, p := range b.audible() {
		if !bytes.Equal(p.pay, bytes.Repeat([]byte{byte(i)}, 160)) {
			t.Fatalf("frame %d changed on the way", i)
		}
		delays = append(delays, p.at.Sub(sent[i]))
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	t.Logf("loopback through the bridge: median %v, p90 %v, max %v", delays[n/2], delays[n*9/10], delays[n-1])
	if delays[n*9/10] > 2*time.Millisecond {
		t.Errorf("p90 delay %v through the bridge, want well under a frame", delays[n*9/10])
	}
}

// Re-bridging a leg leaves nothing stale behind: its old partner stops hearing it, and
// changing what the old partner hears does not cut the new bridge.
func TestRebridgeLeavesNoStaleRoutes(t *testing.T) {
	m := testManager(t, 31200, 31300)
	a, b, c := newPeer(t, PCMU), newPeer(t, PCMU), newPeer(t, PCMU)
	sa, sb, sc := connect(t, m, a, -1), connect(t, m, b, -1), connect(t, m, c, -1)
	m.Bridge(sa, sb)
	m.Bridge(sa, sc) // a consult: a now talks to c
	m.Play(sb, telephony.AudioHold, true, nil)
	b.reset()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.sendTone(sa.LocalAddr(), 440, 400*time.Millisecond) }()
	go func() { defer wg.Done(); c.sendTone(sc.LocalAddr(), 880, 400*time.Millisecond) }()
	wg.Wait()
	time.Sleep(50 * time.Millisecond)
	if x := c.samples(); !dominates(x, 440, 880, 660) {
		t.Errorf("c heard %.0f Hz, want a's 440", zeroCrossingHz(x))
	}
	if x := a.samples(); !dominates(x[len(x)/2:], 880, 440, 660) {
		t.Errorf("a heard %.0f Hz, want c's 880", zeroCrossingHz(x))
	}
	if x := b.samples(); !dominates(x, 660, 440) {
		t.Errorf("b heard %.0f Hz, want hold music", zeroCrossingHz(x))
	}
	m.Detach(sa)
	m.Detach(sb)
	m.Detach(sc)
	m.mu.Lock()
	left := len(m.nodes)
	m.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d routes left after detaching everyone", left)
	}
}

// A re-INVITE that moves one leg to the other law takes effect with its next packet.
func TestCodecChangeWhileBridged(t *testing.T) {
	m := testManager(t, 31300, 31400)
	a, b := newPeer(t, PCMU), newPeer(t, PCMA)
	sa, sb := connect(t, m, a, -1), connect(t, m, b, -1)
	m.Bridge(sa, sb)
	a.sendTone(sa.LocalAddr(), 440, 100*time.Millisecond)
	eventually(t, "PCMA frames", func() bool { return len(b.audible()) == 5 })
	b.codec = PCMU
	if _, _, err := sb.Reoffer(phoneSDP(b, []Codec{PCMU}, -1, sendrecv)); err != nil {
		t.Fatal(err)
	}
	b.reset()
	a.sendTone(sa.LocalAddr(), 440, 300*time.Millisecond)
	eventually(t, "PCMU frames", func() bool { return len(b.audible()) == 15 })
	for _, p := range b.packets() {
		if p.hdr.PayloadType != 0 {
			t.Fatalf("payload type %d after the switch to PCMU", p.hdr.PayloadType)
		}
	}
	if x := b.samples(); !dominates(x, 440, 880) {
		t.Errorf("heard %.0f Hz after the switch", zeroCrossingHz(x))
	}
}

// Many calls at once, every one bridged with audio both ways: nothing is lost and every
// phone hears its own partner.
func TestManyBridgedCallsLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const calls = 250 // 500 sessions
	m := testManager(t, 32000, 34000)
	type call struct {
		a, b   *rtpPeer
		sa, sb *Session
	}
	cs := make([]call, calls)
	for i := range cs {
		c := call{a: newPeer(t, PCMU), b: newPeer(t, PCMA)}
		c.sa, c.sb = connect(t, m, c.a, -1), connect(t, m, c.b, -1)
		m.Bridge(c.sa, c.sb)
		cs[i] = c
	}
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(2)
		go func() { defer wg.Done(); c.a.sendTone(c.sa.LocalAddr(), 440, time.Second) }()
		go func() { defer wg.Done(); c.b.sendTone(c.sb.LocalAddr(), 880, time.Second) }()
	}
	wg.Wait()
	// what is still queued (the race detector slows the relay down) arrives within seconds
	want := uint64(calls * 2 * 50)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var in uint64
		for _, c := range cs {
			in += c.sa.Stats().PacketsIn + c.sb.Stats().PacketsIn
		}
		if in >= want {
			break
		}
	}
	time.Sleep(100 * time.Millisecond) // and is sent on
	var in, lost, heard uint64
	for i, c := range cs {
		for _, s := range []*Session{c.sa, c.sb} {
			st := s.Stats()
			in += st.PacketsIn
			lost += st.Lost
		}
		heard += uint64(len(c.a.packets()) + len(c.b.packets()))
		if i%25 == 0 && (!dominates(c.a.samples(), 880, 440) || !dominates(c.b.samples(), 440, 880)) {
			t.Errorf("call %d: the phones do not hear each other's tones", i)
		}
	}
	t.Logf("%d sessions: %d packets in, %d lost, %d delivered", 2*calls, in, lost, heard)
	if in < want || heard < want || lost > 0 {
		t.Fatalf("%d packets in and %d delivered of %d, %d lost", in, heard, want, lost)
	}
}
