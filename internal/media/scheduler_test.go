package media

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestSchedulerPacesPlayersAddedWhileItSleeps adds players one after another, each waking a
// shard that sleeps towards another player's deadline, and expects every player to get a
// frame each 20 ms: a shard woken early must still wake for the deadline it slept towards
// and for the earlier one it was woken for. It guards the shard's timer handling, which keeps
// a pending timer rather than Reset it (a Reset pending timer costs a scan of every timer).
func TestSchedulerPacesPlayersAddedWhileItSleeps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScheduler(2)
		defer s.stop()
		const n = 40
		var ticks [n]atomic.Int64
		var late atomic.Int64 // the latest a frame went out after its deadline
		ps := make([]*player, n)
		for i := range n {
			var p *player
			p = &player{job: func() bool {
				ticks[i].Add(1)
				if d := s.now() - p.tickDue; d > late.Load() {
					late.Store(d)
				}
				return true
			}}
			ps[i] = p
			// first frames due between 1 and 19 ms from now, often before the deadline the
			// shard sleeps towards
			s.add(p, s.now()+int64(time.Duration(1+i*7%19)*time.Millisecond))
			time.Sleep(37 * time.Millisecond) // one add, one early wake-up
		}
		for i := range n {
			ticks[i].Store(0)
		}
		time.Sleep(time.Second)
		for i := range n {
			ps[i].state.Store(stopped)
		}
		if d := time.Duration(late.Load()); d > time.Millisecond {
			t.Errorf("a frame went out %v after its deadline", d)
		}
		for i := range n {
			if got := ticks[i].Load(); got < 49 || got > 51 {
				t.Errorf("player %d got %d frames in a second, want 50", i, got)
			}
		}
	})
}
