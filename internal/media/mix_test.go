package media

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// hears reports whether x carries every frequency of want at least ten times as strongly as
// each of not.
func hears(x []int16, want []float64, not ...float64) bool {
	if len(x) < 1600 {
		return false
	}
	for _, w := range want {
		pw := goertzel(x, w)
		for _, n := range not {
			if pw < 10*goertzel(x, n) {
				return false
			}
		}
		if pw == 0 {
			return false
		}
	}
	return true
}

// talk makes each peer send its tone to its session for d, all at once.
func talk(d time.Duration, tones map[*rtpPeer]struct {
	s  *Session
	hz float64
}) {
	var wg sync.WaitGroup
	for p, x := range tones {
		wg.Add(1)
		go func() { defer wg.Done(); p.sendTone(x.s.LocalAddr(), x.hz, d) }()
	}
	wg.Wait()
}

type toneOf = struct {
	s  *Session
	hz float64
}

// The three ways a supervisor joins a call, built from bridges and mixes as the engine does:
// listening hears both parties and is heard by neither; whispering is heard by the agent
// only; barging makes a three-way call. Each party's ears are checked by what it received.
func TestMixListenWhisperBarge(t *testing.T) {
	m := testManager(t, 31300, 31400)
	c, a, s := newPeer(t, PCMU), newPeer(t, PCMA), newPeer(t, PCMU)
	sc, sa, ss := connect(t, m, c, -1), connect(t, m, a, -1), connect(t, m, s, -1)
	tones := map[*rtpPeer]toneOf{c: {sc, 660}, a: {sa, 440}, s: {ss, 880}}
	reset := func() { c.reset(); a.reset(); s.reset() }

	// listen
	m.Bridge(sc, sa)
	m.Mix(ss, []Endpoint{sc, sa})
	reset()
	talk(time.Second, tones)
	time.Sleep(100 * time.Millisecond)
	if x := s.samples(); !hears(x, []float64{660, 440}, 880) {
		t.Errorf("listening, the supervisor heard 660 %.2g, 440 %.2g, 880 %.2g: want both parties", goertzel(x, 660), goertzel(x, 440), goertzel(x, 880))
	}
	if x := c.samples(); !hears(x, []float64{440}, 880, 660) {
		t.Errorf("listening, the customer heard %.0f Hz, want the agent's 440 alone", zeroCrossingHz(x))
	}
	if x := a.samples(); !hears(x, []float64{660}, 880, 440) {
		t.Errorf("listening, the agent heard %.0f Hz, want the customer's 660 alone", zeroCrossingHz(x))
	}

	// whisper
	m.Mix(sa, []Endpoint{sc, ss})
	reset()
	talk(time.Second, tones)
	time.Sleep(100 * time.Millisecond)
	if x := a.samples(); !hears(x, []float64{660, 880}, 440) {
		t.Errorf("whispered to, the agent heard 660 %.2g, 880 %.2g, 440 %.2g", goertzel(x, 660), goertzel(x, 880), goertzel(x, 440))
	}
	if x := c.samples(); !hears(x, []float64{440}, 880, 660) {
		t.Errorf("during a whisper the customer heard %.0f Hz, want the agent's 440 alone", zeroCrossingHz(x))
	}

	// barge
	m.Mix(sc, []Endpoint{sa, ss})
	reset()
	talk(time.Second, tones)
	time.Sleep(100 * time.Millisecond)
	if x := c.samples(); !hears(x, []float64{440, 880}, 660) {
		t.Errorf("in a three-way call the customer heard 440 %.2g, 880 %.2g, 660 %.2g", goertzel(x, 440), goertzel(x, 880), goertzel(x, 660))
	}
	if x := s.samples(); !hears(x, []float64{660, 440}, 880) {
		t.Errorf("in a three-way call the supervisor heard 660 %.2g, 440 %.2g, 880 %.2g", goertzel(x, 660), goertzel(x, 440), goertzel(x, 880))
	}

	// leaving: a bridge again, and the supervisor's leg hears nothing of the call
	m.Bridge(sc, sa)
	m.Silence(ss)
	reset()
	talk(time.Second, tones)
	time.Sleep(100 * time.Millisecond)
	if len(s.audible()) != 0 {
		t.Errorf("after leaving, the supervisor still heard %d frames", len(s.audible()))
	}
	if x := c.samples(); !hears(x, []float64{440}, 880) {
		t.Errorf("after the supervisor left the customer heard %.0f Hz", zeroCrossingHz(x))
	}
}

// capture is an endpoint that keeps what it is sent (in its law).
type capture struct {
	mu     sync.Mutex
	codec  Codec
	frames [][]byte
}

func (c *capture) Codec() Codec { return c.codec }
func (c *capture) Send(p []byte, _ bool) error {
	c.mu.Lock()
	c.frames = append(c.frames, append([]byte(nil), p...))
	c.mu.Unlock()
	return nil
}
func (c *capture) OnAudio(func([]byte)) {}

// A mix adds with saturation: two full-scale inputs clip at the top instead of wrapping round
// to a negative sample, and one frame of each input is taken every 20 ms.
func TestMixSaturatesAndPaces(t *testing.T) {
	m := testManager(t, 31400, 31500)
	out := &capture{codec: PCMU}
	in1, in2 := &capture{codec: PCMU}, &capture{codec: PCMU}
	m.Mix(out, []Endpoint{in1, in2})
	loud := Encode(PCMU, nil, func() []int16 {
		x := make([]int16, frameSamples)
		for i := range x {
			x[i] = 30000
		}
		return x
	}())
	m.mu.Lock()
	mx := m.nodes[out].mix
	m.mu.Unlock()
	began := time.Now()
	for range 50 {
		for _, tp := range mx.inputs {
			tp.push(loud)
		}
		time.Sleep(framePeriod)
	}
	m.Detach(out)
	took := time.Since(began)
	out.mu.Lock()
	frames := out.frames
	out.mu.Unlock()
	want := int(took / framePeriod)
	if len(frames) < want-10 || len(frames) > want+3 {
		t.Errorf("%d frames in %v, want about one every 20 ms (%d)", len(frames), took, want)
	}
	clipped := 0
	for _, f := range frames {
		for _, s := range Decode(PCMU, nil, f) {
			if s < 0 {
				t.Fatalf("a sum of two loud positive inputs came out negative (%d): it wrapped around", s)
			}
			if s > 32000 {
				clipped++
			}
		}
	}
	if clipped == 0 {
		t.Error("two inputs of 30000 never summed to the top of the range")
	}
}

// memSink keeps a recording in memory; it fails once it holds failAt frames, when set.
type memSink struct {
	mu      sync.Mutex
	samples []int16
	closed  bool
	failAt  int
}

func (s *memSink) WriteFrames(x []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAt > 0 && len(s.samples)/(2*frameSamples) >= s.failAt {
		return errors.New("no space left on device")
	}
	s.samples = append(s.samples, x...)
	return nil
}

func (s *memSink) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

// channel returns one channel (0 left, 1 right) of the frames in [from, to) seconds.
func (s *memSink) channel(ch int, from, to float64) []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int16
	for i := int(from * 8000); i < int(to*8000) && 2*i+ch < len(s.samples); i++ {
		out = append(out, s.samples[2*i+ch])
	}
	return out
}

// A recording holds the customer on the left and the agent on the right, and what either
// hears is not in it; a paused span is silence in both channels; the agent's side follows the
// legs it is given.
func TestRecordingChannelsPauseAndSides(t *testing.T) {
	m := testManager(t, 31500, 31600)
	c, a, b := newPeer(t, PCMU), newPeer(t, PCMA), newPeer(t, PCMU)
	sc, sa, sb := connect(t, m, c, -1), connect(t, m, a, -1), connect(t, m, b, -1)
	m.Bridge(sc, sa)
	sink := &memSink{}
	began := time.Now()
	rec := m.Record(sink, []Endpoint{sc}, []Endpoint{sa}, nil)
	at := func() float64 { return time.Since(began).Seconds() }
	talk(time.Second, map[*rtpPeer]toneOf{c: {sc, 660}, a: {sa, 440}})
	paused := at()
	rec.Pause(true)
	talk(time.Second, map[*rtpPeer]toneOf{c: {sc, 660}, a: {sa, 440}})
	resumed := at()
	rec.Pause(false)
	// a hold: the customer hears music, the agent side is nobody
	m.Play(sc, "builtin:hold", true, nil)
	rec.SetSources([]Endpoint{sc}, nil)
	talk(time.Second, map[*rtpPeer]toneOf{c: {sc, 660}, a: {sa, 440}})
	held := at()
	// a transfer: the agent's side is now b (550 Hz)
	m.Bridge(sc, sb)
	rec.SetSources([]Endpoint{sc}, []Endpoint{sb})
	talk(time.Second, map[*rtpPeer]toneOf{c: {sc, 660}, b: {sb, 550}})
	moved := at()
	rec.Stop()
	select {
	case <-rec.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the recording was not closed")
	}
	if !sink.closed {
		t.Error("the sink was not closed")
	}
	if x := sink.channel(0, 0.2, paused-0.2); !hears(x, []float64{660}, 440) {
		t.Errorf("left channel while talking: %.0f Hz, want the customer's 660", zeroCrossingHz(x))
	}
	if x := sink.channel(1, 0.2, paused-0.2); !hears(x, []float64{440}, 660) {
		t.Errorf("right channel while talking: %.0f Hz, want the agent's 440", zeroCrossingHz(x))
	}
	for ch := range 2 {
		for _, v := range sink.channel(ch, paused+0.15, resumed-0.1) {
			if v != 0 {
				t.Fatalf("channel %d holds sound while paused", ch)
			}
		}
	}
	if x := sink.channel(0, resumed+0.2, held-0.2); !hears(x, []float64{660}, 440) {
		t.Errorf("left channel on hold: %.0f Hz", zeroCrossingHz(x))
	}
	for _, v := range sink.channel(1, resumed+0.2, held-0.2) {
		if v != 0 {
			t.Fatal("the right channel holds sound during a hold: hold music or the held agent went in")
		}
	}
	if x := sink.channel(1, held+0.2, moved-0.2); !hears(x, []float64{550}, 440, 660) {
		t.Errorf("right channel after the transfer: %.0f Hz, want the target's 550", zeroCrossingHz(x))
	}
	if got := float64(rec.Frames()) * 0.02; got < moved-0.3 || got > moved+0.3 {
		t.Errorf("%.2f s recorded over %.2f s", got, moved)
	}
}

// A sink that fails (a full disk) stops the recording and says so once; the bridge it
// recorded goes on.
func TestRecordingFailureLeavesTheCallUp(t *testing.T) {
	m := testManager(t, 31600, 31700)
	c, a := newPeer(t, PCMU), newPeer(t, PCMU)
	sc, sa := connect(t, m, c, -1), connect(t, m, a, -1)
	m.Bridge(sc, sa)
	failed := make(chan error, 2)
	rec := m.Record(&memSink{failAt: 10}, []Endpoint{sc}, []Endpoint{sa}, func(err error) { failed <- err })
	talk(time.Second, map[*rtpPeer]toneOf{c: {sc, 660}, a: {sa, 440}})
	select {
	case err := <-failed:
		if rec.Failed() == nil || err == nil {
			t.Error("no reason kept for the failure")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a failing sink was not reported")
	}
	c.reset()
	talk(time.Second, map[*rtpPeer]toneOf{c: {sc, 660}, a: {sa, 440}})
	if x := c.samples(); !hears(x, []float64{440}, 660) {
		t.Errorf("after the recording failed the customer heard %.0f Hz, want the agent still", zeroCrossingHz(x))
	}
	rec.Stop()
	<-rec.Done()
	select {
	case <-failed:
		t.Error("the failure was reported twice")
	default:
	}
}

// A tap keeps what arrives in order across the ring's end, drops the oldest audio when a
// burst overfills it, and gives nothing until primed again once it ran dry.
func TestTapRing(t *testing.T) {
	src := &capture{codec: PCMA}
	tp := newTap(src)
	frame := func(v int16) []byte {
		x := make([]int16, frameSamples)
		for i := range x {
			x[i] = v
		}
		return Encode(PCMA, nil, x)
	}
	take := func() int32 {
		var acc [frameSamples]int32
		tp.addTo(&acc)
		for _, v := range acc[1:] {
			if v != acc[0] {
				t.Fatalf("a frame mixes two packets: %d and %d", acc[0], v)
			}
		}
		return acc[0]
	}
	level := func(v int16) int32 { return int32(Decode(PCMA, nil, frame(v))[0]) }
	tp.push(frame(1000))
	if got := take(); got != 0 {
		t.Fatalf("one frame held gave %d before priming, want silence", got)
	}
	queue := []int16{1000} // what the tap holds, oldest first
	for i := range 20 {    // past the ring's 1024 samples many times over, wrapping
		v := int16(100 * (i + 1))
		tp.push(frame(v))
		queue = append(queue, v)
		if i > 0 {
			if got, want := take(), level(queue[0]); got != want {
				t.Fatalf("frame %d: got %d, want %d (in order)", i, got, want)
			}
			queue = queue[1:]
		}
	}
	for i := range 10 { // a burst: 10 frames, 1600 samples, into 1024
		tp.push(frame(int16(5000 + i)))
	}
	if got, want := take(), level(2000); got == want {
		t.Fatal("after an overfilling burst the oldest audio was still there")
	}
}
