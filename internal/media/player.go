package media

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// frameSamples is 20 ms at 8 kHz.
const frameSamples = 160

// A player's life: playing until it is stopped (replaced, detached, its endpoint closed) or,
// for a clip that does not loop, finished at its end. Only finishing calls done.
const (
	playing int32 = iota
	stopped
	finished
)

// deadSends is how many frames in a row an endpoint may refuse before its player gives up on
// it (a browser leg that ended without being detached).
const deadSends = 50

// player sends a clip to one endpoint, a frame each time its shard says so.
type player struct {
	m    *Manager
	e    Endpoint
	clip *clip // set before the player is scheduled
	loop bool
	done func()
	keep *Session // set for a session's filler (fill.go), which has no clip
	// job, when set, is paced instead of a clip: a mix (mix.go) or a recording (record.go).
	// It reports false when it has ended.
	job   func() bool
	state atomic.Int32
	due   atomic.Int64 // the next frame's deadline on the scheduler's clock; 0 until scheduled
	sent  atomic.Int64 // the deadline of the last frame sent; 0 before the first
	// tickDue is the deadline the shard is sending for; only the shard's goroutine uses it
	tickDue int64

	mu    sync.Mutex // held while a frame is made and sent, so that stop waits for it
	pos   int        // next sample of the clip
	first bool
	fails int
	frame [frameSamples]byte
}

func newPlayer(m *Manager, e Endpoint, loop bool, done func()) *player {
	return &player{m: m, e: e, loop: loop, done: done, first: true}
}

// stop ends the player unless it has ended already; once stop returns it sends nothing more
// and done is never called. It returns when the player's next frame would have been due (0
// if it was never scheduled), for a player taking over the endpoint.
func (p *player) stop() int64 {
	p.mu.Lock()
	p.state.CompareAndSwap(playing, stopped)
	p.mu.Unlock()
	if sent := p.sent.Load(); sent != 0 {
		return sent + int64(framePeriod)
	}
	return p.due.Load()
}

// tick sends the next frame, or finishes the player at the end of its clip.
func (p *player) tick() {
	p.mu.Lock()
	if p.state.Load() != playing {
		p.mu.Unlock()
		return
	}
	if p.keep != nil {
		if !p.keep.fill() {
			p.state.Store(stopped)
		}
		p.mu.Unlock()
		return
	}
	if p.job != nil {
		if !p.job() {
			p.state.Store(stopped)
		}
		p.mu.Unlock()
		return
	}
	frame, ok := p.next()
	if !ok {
		p.state.Store(finished)
		p.mu.Unlock()
		if p.done != nil {
			go p.done() // the shard paces other players; the callback may take its time
		}
		return
	}
	err := p.e.Send(frame, p.first)
	p.first = false
	p.sent.Store(p.tickDue)
	if err == nil {
		p.fails = 0
		p.mu.Unlock()
		return
	}
	p.fails++
	gone := errors.Is(err, net.ErrClosed) || p.fails >= deadSends
	if gone {
		p.state.Store(stopped)
	}
	p.mu.Unlock()
	if gone {
		go p.m.forgetPlayer(p)
	}
}

// next returns the next frame in the endpoint's codec, or false at the end of a clip that
// does not loop. The last frame of a clip is padded with silence.
func (p *player) next() ([]byte, bool) {
	codec := p.e.Codec()
	enc := p.clip.encoded(codec)
	if p.pos >= len(enc) {
		if !p.loop {
			return nil, false
		}
		p.pos = 0
	}
	if p.pos+frameSamples <= len(enc) {
		f := enc[p.pos : p.pos+frameSamples]
		p.pos += frameSamples
		return f, true
	}
	n := copy(p.frame[:], enc[p.pos:])
	p.pos = len(enc)
	for n < frameSamples {
		if p.loop {
			k := copy(p.frame[n:], enc)
			p.pos = k
			n += k
			continue
		}
		p.frame[n] = silenceByte(codec)
		n++
	}
	return p.frame[:], true
}

// clip is decoded audio, shared by every player of it, with its G.711 encodings made once.
type clip struct {
	samples []int16
	laws    [2]struct {
		once sync.Once
		b    []byte
	}
}

func newClip(samples []int16) *clip {
	if len(samples) == 0 {
		samples = make([]int16, frameSamples)
	}
	return &clip{samples: samples}
}

// encoded returns the clip in c's law.
func (cl *clip) encoded(c Codec) []byte {
	l := &cl.laws[0]
	if c.Name == "PCMA" {
		l = &cl.laws[1]
	}
	l.once.Do(func() { l.b = Encode(c, make([]byte, 0, len(cl.samples)), cl.samples) })
	return l.b
}
