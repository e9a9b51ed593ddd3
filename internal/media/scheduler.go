package media

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

const (
	framePeriod = 20 * time.Millisecond
	// frameEarly lets a shard send a frame this much before its deadline, so that players
	// whose deadlines fall close together share one wake-up.
	frameEarly = 500 * time.Microsecond
	// maxLag is how far a player may fall behind (a stalled machine) before its deadlines
	// start afresh; frames are then skipped, never sent in a burst to catch up.
	maxLag = 100 * time.Millisecond
)

// scheduler paces every player (and every session's filler, see fill.go) from a few goroutines (shards, one per processor). Each shard
// keeps its players in a heap ordered by their next deadline and sleeps until the earliest:
// thousands of players cost a wake-up every fraction of a millisecond, not a goroutine and a
// ticker each. Deadlines are absolute (start + k·20 ms), so lateness never accumulates into
// drift. Players start whenever they are asked to, so their frames spread over the 20 ms
// rather than leaving in one burst.
type scheduler struct {
	epoch  time.Time
	shards []*shard
	next   atomic.Uint32
	wg     sync.WaitGroup
}

type shard struct {
	s          *scheduler
	mu         sync.Mutex
	heap       []*player // by due
	sleepUntil int64     // when run next looks at the heap (math.MaxInt64: idle)
	wake       chan struct{}
	quit       chan struct{}
	batch      []*player // the players due in one round; run's alone
}

func newScheduler(n int) *scheduler {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	// The epoch is a moment in the past so that a deadline is never zero ("not scheduled").
	s := &scheduler{epoch: time.Now().Add(-time.Second)}
	for range n {
		sh := &shard{s: s, wake: make(chan struct{}, 1), quit: make(chan struct{}), sleepUntil: math.MaxInt64}
		s.shards = append(s.shards, sh)
		s.wg.Add(1)
		go sh.run()
	}
	return s
}

// now is the scheduler's clock: monotonic nanoseconds since the epoch.
func (s *scheduler) now() int64 { return int64(time.Since(s.epoch)) }

// add starts pacing p. Its first frame is due at due, or at once when that has passed (a
// player replacing another on the same endpoint takes over its deadlines, so the far end's
// frames stay 20 ms apart; one that comes later starts at once, never with a burst).
func (s *scheduler) add(p *player, due int64) {
	if now := s.now(); due < now {
		due = now
	}
	sh := s.shards[int(s.next.Add(1))%len(s.shards)]
	sh.mu.Lock()
	p.due.Store(due)
	sh.push(p)
	wake := due < sh.sleepUntil
	sh.mu.Unlock()
	if wake {
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
}

// nextGridTick is the next instant on the scheduler's 20 ms grid. Jobs that need no phase of
// their own (recordings) start on it, so that all of them share a shard's wake-up each frame
// instead of each waking it at a moment of its own.
func (s *scheduler) nextGridTick() int64 {
	now := s.now()
	return (now + int64(framePeriod) - 1) / int64(framePeriod) * int64(framePeriod)
}

// stop ends every shard and waits for them.
func (s *scheduler) stop() {
	for _, sh := range s.shards {
		close(sh.quit)
	}
	s.wg.Wait()
}

func (sh *shard) run() {
	defer sh.s.wg.Done()
	// The shard's timer is never Reset while it is pending or stopped: the runtime then marks
	// it modified, and a modified timer makes the next timer check scan every timer of the
	// processor (sip transactions, calls' offer timers: tens of thousands at 1,000 calls/s).
	// Woken early, the shard keeps its timer when the deadline is unchanged and otherwise
	// drops it for a new one; only a timer that has fired is Reset.
	var timer *time.Timer
	var armed int64 // the deadline timer is pending for; 0 when it has fired
	for {
		now := sh.s.now()
		batch := sh.batch[:0]
		sh.mu.Lock()
		for len(sh.heap) > 0 {
			p := sh.heap[0]
			if p.state.Load() != playing {
				sh.pop()
				continue
			}
			due := p.due.Load()
			if due > now+int64(frameEarly) {
				break
			}
			if p.keep != nil {
				// a filler wakes when its session would have gone silent; while frames
				// keep coming it only moves its deadline on
				if next := p.keep.fillDue(); next > now+int64(frameEarly) {
					p.due.Store(next)
					sh.down(0)
					continue
				}
			}
			batch = append(batch, p)
			p.tickDue = due
			due += int64(framePeriod)
			if due < now-int64(maxLag) {
				due = now + int64(framePeriod)
			}
			p.due.Store(due)
			sh.down(0)
		}
		sh.sleepUntil = math.MaxInt64
		if len(sh.heap) > 0 {
			sh.sleepUntil = sh.heap[0].due.Load()
		}
		until := sh.sleepUntil
		sh.mu.Unlock()

		for i, p := range batch {
			p.tick()
			batch[i] = nil
		}
		sh.batch = batch

		if until == math.MaxInt64 {
			select {
			case <-sh.wake:
			case <-sh.quit:
				return
			}
			continue
		}
		if wait := time.Duration(until - sh.s.now()); wait > 0 {
			switch {
			case timer == nil:
				timer = time.NewTimer(wait)
			case armed == 0:
				timer.Reset(wait)
			case armed != until:
				timer.Stop()
				timer = time.NewTimer(wait)
			}
			armed = until
			select {
			case <-timer.C:
				armed = 0
			case <-sh.wake:
			case <-sh.quit:
				timer.Stop()
				return
			}
		}
	}
}

// The heap: a binary min-heap of players by due, written out so that the hot loop has no
// interface calls.

func (sh *shard) push(p *player) {
	sh.heap = append(sh.heap, p)
	sh.up(len(sh.heap) - 1)
}

func (sh *shard) pop() {
	n := len(sh.heap) - 1
	sh.heap[0] = sh.heap[n]
	sh.heap[n] = nil
	sh.heap = sh.heap[:n]
	if n > 0 {
		sh.down(0)
	}
}

func (sh *shard) up(i int) {
	h := sh.heap
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].due.Load() <= h[i].due.Load() {
			return
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
}

func (sh *shard) down(i int) {
	h := sh.heap
	for {
		least := i
		if l := 2*i + 1; l < len(h) && h[l].due.Load() < h[least].due.Load() {
			least = l
		}
		if r := 2*i + 2; r < len(h) && h[r].due.Load() < h[least].due.Load() {
			least = r
		}
		if least == i {
			return
		}
		h[least], h[i] = h[i], h[least]
		i = least
	}
}
