package media

import (
	"errors"
	"net"
	"sync"
)

// A mix is what a supervisor's phone hears while listening to a call, what the agent hears
// while being whispered to, and what each party of a three-way call hears: the sum of several
// legs' audio. Unlike a bridge, which forwards each packet the moment it arrives, a mix must
// wait for its inputs: every 20 ms (on the scheduler's deadlines, scheduler.go) it takes one
// frame from each input's small buffer, silence from an input that sent nothing, adds them in
// 32 bits, clamps the sum to 16 bits (a saturating sum: two loud talkers clip rather than
// wrap around) and sends it coded in the listener's law. G.711 in, linear inside, G.711 out:
// no other transcoding. Recordings (record.go) take their inputs the same way.

const (
	// tapPrime is how much an input holds before a mix takes from it, at first and again
	// after it ran dry: packets arriving up to a frame late then cost no gap.
	tapPrime = 2 * frameSamples
	// tapDepth bounds an input's buffer (128 ms): audio beyond it (a burst after a stall)
	// drops the oldest, so a mix never falls behind the talkers it carries. A power of two, so
	// that the ring is indexed with a mask: a division per sample was a third of a
	// recording's cost in the bench's profile.
	tapDepth = 1024
	tapMask  = tapDepth - 1
)

// tap is one input of a mix or a recording: the audio one endpoint sends, decoded to linear
// samples as it arrives (on that endpoint's reader goroutine) and taken a frame at a time by
// the pacer.
type tap struct {
	src Endpoint

	mu     sync.Mutex
	ring   [tapDepth]int16
	head   int // the oldest sample
	n      int // samples held
	primed bool
}

func newTap(src Endpoint) *tap { return &tap{src: src} }

// push takes one packet's payload, in the source's law, decoding it straight into the ring
// (in two pieces where it wraps).
func (t *tap) push(payload []byte) {
	if len(payload) > tapDepth {
		payload = payload[len(payload)-tapDepth:]
	}
	c := t.src.Codec()
	n := len(payload)
	t.mu.Lock()
	defer t.mu.Unlock()
	if over := t.n + n - tapDepth; over > 0 {
		t.head = (t.head + over) & tapMask
		t.n -= over
	}
	start := (t.head + t.n) & tapMask
	first := min(n, tapDepth-start)
	Decode(c, t.ring[start:start+first], payload[:first])
	Decode(c, t.ring[:n-first], payload[first:])
	t.n += n
	if !t.primed && t.n >= tapPrime {
		t.primed = true
	}
}

// addTo adds one frame of the input to acc; an input with too little buffered adds nothing
// (silence) and waits to be primed again.
func (t *tap) addTo(acc *[frameSamples]int32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.primed {
		return
	}
	k := min(t.n, frameSamples)
	for i := 0; i < k; i++ {
		acc[i] += int32(t.ring[(t.head+i)&tapMask])
	}
	t.head = (t.head + k) & tapMask
	t.n -= k
	if t.n == 0 {
		t.primed = false
	}
}

// drain throws away one frame's worth: a paused recording must not save its inputs' audio
// for later.
func (t *tap) drain() {
	var acc [frameSamples]int32
	t.addTo(&acc)
}

// detached empties a tap whose source has gone.
func (t *tap) detached() {
	t.mu.Lock()
	t.n, t.primed = 0, false
	t.mu.Unlock()
}

// clamp turns a sum into 16-bit samples, saturating.
func clamp(dst *[frameSamples]int16, acc *[frameSamples]int32) {
	for i, v := range acc {
		dst[i] = sat16(v)
	}
}

func sat16(v int32) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}

// mixer sends one endpoint the sum of its inputs.
type mixer struct {
	out    Endpoint
	inputs []*tap
	pace   *player // its entry on the scheduler
	first  bool
	fails  int
	acc    [frameSamples]int32
	pcm    [frameSamples]int16
	frame  [frameSamples]byte
}

// Mix makes e hear the sum of what every one of sources sends (not e itself), paced every
// 20 ms, replacing what it heard; e's own audio still goes where it went. No sources is
// silence. The sources keep feeding whatever else they feed.
func (m *Manager) Mix(e Endpoint, sources []Endpoint) {
	if e == nil {
		return
	}
	mx := &mixer{out: e, first: true}
	m.mu.Lock()
	due := m.stopHearingLocked(e)
	seen := map[Endpoint]bool{e: true}
	for _, src := range sources {
		if src == nil || seen[src] {
			continue
		}
		seen[src] = true
		t := newTap(src)
		m.addTapLocked(src, t)
		mx.inputs = append(mx.inputs, t)
	}
	mx.pace = &player{m: m, e: e, job: mx.tick}
	m.nodeLocked(e).mix = mx
	m.keepFedLocked(e)
	m.mu.Unlock()
	m.sched.add(mx.pace, due)
}

// tick sends one frame of the mix; false once the listener is gone.
func (mx *mixer) tick() bool {
	mx.acc = [frameSamples]int32{}
	for _, t := range mx.inputs {
		t.addTo(&mx.acc)
	}
	clamp(&mx.pcm, &mx.acc)
	err := mx.out.Send(Encode(mx.out.Codec(), mx.frame[:0], mx.pcm[:]), mx.first)
	mx.first = false
	if err == nil {
		mx.fails = 0
		return true
	}
	mx.fails++
	return !errors.Is(err, net.ErrClosed) && mx.fails < deadSends
}
