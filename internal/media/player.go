package media

import (
	"runtime"
	"sync"
	"time"
)

// frameSamples is 20 ms at 8 kHz.
const frameSamples = 160

// clip is decoded audio.
type clip struct{ samples []int16 }

// player sends a clip to an endpoint, a frame every 20 ms.
type player struct {
	e     Endpoint
	clip  *clip
	pos   int
	loop  bool
	done  func()
	first bool
	shard *shard
	frame [frameSamples]byte
	pcm   [frameSamples]int16
}

// next fills the next frame; it reports false when a non-looping clip has ended.
func (p *player) next() ([]byte, bool) {
	s := p.clip.samples
	if len(s) == 0 {
		s = silenceClip.samples
	}
	if p.pos >= len(s) {
		if !p.loop {
			return nil, false
		}
		p.pos = 0
	}
	n := copy(p.pcm[:], s[p.pos:])
	p.pos += n
	for n < frameSamples {
		if p.loop {
			k := copy(p.pcm[n:], s)
			p.pos = k
			n += k
		} else {
			p.pcm[n] = 0
			n++
		}
	}
	return Encode(p.e.Codec(), p.frame[:0], p.pcm[:]), true
}

// scheduler paces every player from a few goroutines (one per processor), each serving many
// players on absolute 20 ms deadlines, so thousands of players cost a few wake-ups, and
// lateness does not accumulate.
type scheduler struct {
	shards []*shard
	mu     sync.Mutex
	next   int
}

type shard struct {
	mu      sync.Mutex
	players map[*player]struct{}
	wake    chan struct{}
	quit    chan struct{}
}

func newScheduler() *scheduler {
	s := &scheduler{}
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		sh := &shard{players: map[*player]struct{}{}, wake: make(chan struct{}, 1), quit: make(chan struct{})}
		s.shards = append(s.shards, sh)
		go sh.run()
	}
	return s
}

func (s *scheduler) add(p *player) {
	s.mu.Lock()
	sh := s.shards[s.next%len(s.shards)]
	s.next++
	s.mu.Unlock()
	sh.mu.Lock()
	p.shard = sh
	sh.players[p] = struct{}{}
	sh.mu.Unlock()
	select {
	case sh.wake <- struct{}{}:
	default:
	}
}

func (s *scheduler) remove(p *player) {
	if sh := p.shard; sh != nil {
		sh.mu.Lock()
		delete(sh.players, p)
		sh.mu.Unlock()
	}
}

func (s *scheduler) stop() {
	for _, sh := range s.shards {
		close(sh.quit)
	}
}

type send struct {
	p     *player
	frame []byte
	ended bool
}

func (sh *shard) run() {
	var due []send
	for {
		sh.mu.Lock()
		idle := len(sh.players) == 0
		sh.mu.Unlock()
		if idle {
			select {
			case <-sh.wake:
			case <-sh.quit:
				return
			}
		}
		deadline := time.Now()
		for {
			due = due[:0]
			sh.mu.Lock()
			for p := range sh.players {
				frame, ok := p.next()
				if !ok {
					delete(sh.players, p)
				}
				due = append(due, send{p, frame, !ok})
			}
			n := len(sh.players)
			sh.mu.Unlock()
			for _, d := range due {
				if d.ended {
					if d.p.done != nil {
						go d.p.done()
					}
					continue
				}
				_ = d.p.e.Send(d.frame, d.p.first)
				d.p.first = false
			}
			if n == 0 {
				break
			}
			deadline = deadline.Add(20 * time.Millisecond)
			wait := time.Until(deadline)
			if wait < -100*time.Millisecond {
				deadline = time.Now() // fell far behind (a stalled machine): start afresh
				wait = 0
			}
			select {
			case <-time.After(wait):
			case <-sh.quit:
				return
			}
		}
	}
}
