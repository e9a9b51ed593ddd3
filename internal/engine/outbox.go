package engine

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"ringdesk/internal/events"
	"ringdesk/internal/fault"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
)

// A turn of a loop only computes: it changes the loop's memory and appends what must happen
// to its outbox — store writes, telephony commands, events. Once the turn is over the outbox
// goes down a pipeline shared by every loop: the writes of every turn waiting are committed
// in one transaction (group commit); only then are the turn's events published and its
// telephony commands handed, in order, to a dispatcher goroutine that carries them out, and
// only then is a command that made the turn answered. Nothing a loop calls can wait on a
// socket or a disk, and a telephony adapter that stalls holds up its own commands only.

// write is one store write of a turn, run inside the pipeline's transaction.
type write func(ctx context.Context, tx store.Store) error

// effect is something to do once the turn's writes are durable: an event (published at once,
// and dropped when the writes could not be stored: nothing is announced that was not kept),
// or a telephony command (carried out by the dispatcher even then: a call goes on when the
// disk is full).
type effect struct {
	f     func()
	event bool
}

// turn is one loop turn's outbox.
type turn struct {
	writes  []write
	effects []effect
	undo    []func()     // run when the writes are not stored (a ticket reference set in a write)
	waiters []chan error // commands waiting for the turn to be durable and its effects out
	failed  bool         // the writes could not be stored
}

func (t *turn) empty() bool {
	return len(t.writes) == 0 && len(t.effects) == 0 && len(t.waiters) == 0
}

// commitDeadline bounds one group commit, retries on a busy database included.
const commitDeadline = 5 * time.Second

// pipeline commits turns' writes and releases their effects, in the order the turns came.
type pipeline struct {
	st  store.Store
	log *slog.Logger

	in  chan *turn    // from the loops
	out chan []func() // telephony commands of committed turns, to the dispatcher

	mu     sync.RWMutex // held to send on in, and to close it
	closed bool
	done   chan struct{} // closed when the dispatcher has released everything

	commits, failures, batched, submitted atomic.Uint64
}

func newPipeline(st store.Store, log *slog.Logger) *pipeline {
	p := &pipeline{st: st, log: log, in: make(chan *turn, 1<<16), out: make(chan []func(), 1<<16), done: make(chan struct{})}
	go p.commit()
	go p.dispatch()
	return p
}

// submit hands a finished turn to the pipeline. It waits only when the pipeline is 65,536
// turns behind, which means the store has stalled for a long while: back-pressure then. A turn
// submitted after stop is answered as refused.
func (p *pipeline) submit(t *turn) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		for _, w := range t.waiters {
			w <- stopping()
		}
		return
	}
	p.submitted.Add(1)
	p.in <- t
}

// stop releases what was submitted and ends the goroutines.
func (p *pipeline) stop() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.in)
	}
	p.mu.Unlock()
	<-p.done
}

// commit takes every turn waiting, commits their writes together and passes them on.
func (p *pipeline) commit() {
	defer close(p.out)
	batch := make([]*turn, 0, 256)
	for t := range p.in {
		batch = append(batch[:0], t)
	gather:
		for len(batch) < cap(batch) {
			select {
			case t, ok := <-p.in:
				if !ok {
					break gather
				}
				batch = append(batch, t)
			default:
				break gather
			}
		}
		p.store(batch)
		for _, t := range batch {
			p.release(t)
		}
	}
}

// release publishes a committed turn's events, queues its telephony commands and answers the
// commands waiting for it.
func (p *pipeline) release(t *turn) {
	var cmds []func()
	for _, e := range t.effects {
		switch {
		case !e.event:
			cmds = append(cmds, e.f)
		case !t.failed:
			e.f()
		}
	}
	if len(cmds) > 0 {
		p.out <- cmds
	}
	for _, w := range t.waiters {
		w <- nil
	}
}

// store commits the batch's writes in one transaction. When that fails, each turn is tried
// on its own, so that one bad write does not cost the others; a turn whose writes still fail
// is marked failed, its undo run and its waiters told.
func (p *pipeline) store(batch []*turn) {
	n := 0
	for _, t := range batch {
		n += len(t.writes)
	}
	if n == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitDeadline)
	defer cancel()
	err := p.write(ctx, batch)
	p.commits.Add(1)
	p.batched.Add(uint64(len(batch)))
	if err == nil {
		return
	}
	p.log.Warn("group commit failed; committing turn by turn", "turns", len(batch), "err", err)
	for _, t := range batch {
		if len(t.writes) == 0 {
			continue
		}
		tctx, tcancel := context.WithTimeout(context.Background(), commitDeadline)
		err := p.write(tctx, []*turn{t})
		tcancel()
		if err != nil {
			p.failures.Add(1)
			p.log.Error("a turn's writes could not be stored; its announcements are dropped", "writes", len(t.writes), "err", err)
			for _, u := range t.undo {
				u()
			}
			t.failed = true
			t.waiters = fail(t.waiters, err)
		}
	}
}

// write runs the turns' writes in one transaction, the logs' rows gathered (logBatch).
func (p *pipeline) write(ctx context.Context, turns []*turn) error {
	return p.st.InTx(ctx, func(tx store.Store) error {
		b := &logBatch{Store: tx}
		for _, t := range turns {
			for _, w := range t.writes {
				if err := w(ctx, b); err != nil {
					return err
				}
			}
		}
		return b.flush(ctx)
	})
}

// fail answers the waiters of a turn that could not be stored.
func fail(waiters []chan error, err error) []chan error {
	for _, w := range waiters {
		w <- fault.Wrap(err, fault.Unavailable, "unavailable", "기록을 저장하지 못했습니다. 잠시 후 다시 시도하세요")
	}
	return nil
}

// dispatch carries out telephony commands in the order the turns made them.
func (p *pipeline) dispatch() {
	defer close(p.done)
	for cmds := range p.out {
		for _, f := range cmds {
			f()
		}
	}
}

// drained returns once every turn submitted before the call is committed and its telephony
// commands carried out.
func (p *pipeline) drained() {
	done := make(chan struct{})
	p.submit(&turn{effects: []effect{{f: func() { close(done) }}}})
	select {
	case <-done:
	case <-p.done:
	}
}

// Stats reports group commit figures: commits, turns committed, turns whose writes failed.
func (p *pipeline) Stats() (commits, turns, failures uint64) {
	return p.commits.Load(), p.batched.Load(), p.failures.Load()
}

// phone is the loop's view of the telephony port: every command becomes an effect.
type phone struct{ l *loop }

var _ telephony.Telephony = phone{}

func (p phone) cmd(f func(t telephony.Telephony)) {
	t := p.l.e.phone
	p.l.emit(func() { f(t) })
}

func (p phone) Place(leg telephony.LegID, to telephony.Target) {
	p.cmd(func(t telephony.Telephony) { t.Place(leg, to) })
}
func (p phone) Answer(leg telephony.LegID) { p.cmd(func(t telephony.Telephony) { t.Answer(leg) }) }
func (p phone) Hangup(leg telephony.LegID, c telephony.Cause) {
	p.cmd(func(t telephony.Telephony) { t.Hangup(leg, c) })
}
func (p phone) Play(leg telephony.LegID, a telephony.Audio, loop bool) {
	p.cmd(func(t telephony.Telephony) { t.Play(leg, a, loop) })
}
func (p phone) Bridge(a, b telephony.LegID) { p.cmd(func(t telephony.Telephony) { t.Bridge(a, b) }) }
func (p phone) Mix(leg telephony.LegID, sources []telephony.LegID) {
	src := append([]telephony.LegID(nil), sources...)
	p.cmd(func(t telephony.Telephony) { t.Mix(leg, src) })
}
func (p phone) Record(id telephony.RecordingID, left, right []telephony.LegID) {
	l, r := append([]telephony.LegID(nil), left...), append([]telephony.LegID(nil), right...)
	p.cmd(func(t telephony.Telephony) { t.Record(id, l, r) })
}
func (p phone) PauseRecording(id telephony.RecordingID, paused bool) {
	p.cmd(func(t telephony.Telephony) { t.PauseRecording(id, paused) })
}
func (p phone) StopRecording(id telephony.RecordingID) {
	p.cmd(func(t telephony.Telephony) { t.StopRecording(id) })
}

// emit appends a telephony command to the current turn.
func (l *loop) emit(f func()) { l.t.effects = append(l.t.effects, effect{f: f}) }

// store appends a write to the current turn.
func (l *loop) store(w write) { l.t.writes = append(l.t.writes, w) }

// publish appends an event, released only once the turn's writes are stored.
func (l *loop) publish(ev events.Event) {
	if ev.At.IsZero() {
		ev.At = l.now()
	}
	bus := l.e.bus
	l.t.effects = append(l.t.effects, effect{f: func() { bus.Publish(ev) }, event: true})
}
