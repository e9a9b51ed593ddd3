package figures

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"ringdesk/internal/clock"
	"ringdesk/internal/events"
	"ringdesk/internal/fault"
)

// PublishEvery is the least time between two stats.queue events of one queue.
const PublishEvery = time.Second

// Publisher keeps wallboards current: it watches the event bus and, when something that moves
// a service's queue figures happens (a call queued, offered, answered or gone; an agent's
// state; the configuration), computes the service's queues again and publishes a stats.queue
// event for each queue whose figures changed — at most once every PublishEvery per queue, a
// burst of calls making one event, not hundreds. It runs in its own goroutine, outside the
// engine's loops, and reads what the engine and the store hold like any other reader.
type Publisher struct {
	src   *Source
	bus   *events.Bus
	log   *slog.Logger
	every time.Duration
	// wanted says whether anyone may receive a service's events now; nil: always. Nobody
	// watching, nothing is computed.
	wanted func(service string) bool

	wake chan struct{}
	sync chan chan struct{}
}

// NewPublisher builds a publisher; Run starts it.
func NewPublisher(src *Source, bus *events.Bus, log *slog.Logger, wanted func(service string) bool) *Publisher {
	if log == nil {
		log = slog.Default()
	}
	return &Publisher{src: src, bus: bus, log: log, every: PublishEvery, wanted: wanted,
		wake: make(chan struct{}, 1), sync: make(chan chan struct{})}
}

// quiet are the events that move no queue figure.
var quiet = map[string]bool{
	events.StatsQueue: true, events.AgentNotice: true, events.TicketCreated: true, events.TicketUpdated: true,
	events.CallRinging: true, events.CallHeld: true, events.CallResumed: true, events.CallCustomerHeld: true,
	events.CallCustomerResumed: true, events.CallConsult: true, "cti.snapshot": true,
}

// pubState is what the running publisher remembers.
type pubState struct {
	dirty map[string]bool
	last  map[string]time.Time                // service → when its queues were last computed
	sent  map[string]map[string]RealtimeQueue // service → queue → as last published
	timer clock.Timer                         // the next due computation, if armed
	due   time.Time
}

// Run publishes until ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	sub := p.bus.Subscribe(events.Filter{All: true}, 4096)
	defer func() { p.bus.Unsubscribe(sub) }()
	st := &pubState{dirty: map[string]bool{}, last: map[string]time.Time{}, sent: map[string]map[string]RealtimeQueue{}}
	defer func() {
		if st.timer != nil {
			st.timer.Stop()
		}
	}()
	midnight := p.armMidnight()
	defer func() { midnight.Stop() }()
	take := func(m *events.Message) {
		switch {
		case quiet[m.Type]:
		case m.Type == events.SiteChanged || m.Service == "":
			p.allDirty(st)
		default:
			st.dirty[m.Service] = true
		}
	}
	// drain takes what the bus has delivered so far; a subscription the bus cut off (it fell
	// behind) is renewed, and then anything may have changed.
	drain := func() {
		for {
			select {
			case m, ok := <-sub.C:
				if !ok {
					sub = p.bus.Subscribe(events.Filter{All: true}, 4096)
					p.allDirty(st)
					continue
				}
				take(m)
			default:
				return
			}
		}
	}
	for {
		var done chan struct{}
		select {
		case <-ctx.Done():
			return
		case m, ok := <-sub.C:
			if !ok {
				sub = p.bus.Subscribe(events.Filter{All: true}, 4096)
				p.allDirty(st)
				break
			}
			take(m)
			drain()
		case <-p.wake:
			st.timer, st.due = nil, time.Time{}
			drain()
		case <-midnightC(midnight):
			// today's figures start again from nothing
			midnight = p.armMidnight()
			p.allDirty(st)
		case done = <-p.sync:
			drain()
		}
		p.flush(ctx, st)
		if done != nil {
			close(done)
		}
	}
}

// Sync returns once every event published before it was called has been taken into account
// and what was due has been published (for tests driven by a fake clock).
func (p *Publisher) Sync() {
	done := make(chan struct{})
	p.sync <- done
	<-done
}

func (p *Publisher) allDirty(st *pubState) {
	for id := range p.src.Dir.Index().Services {
		st.dirty[id] = true
	}
}

// flush computes the dirty services whose turn has come, and arms a wake-up for the others.
func (p *Publisher) flush(ctx context.Context, st *pubState) {
	now := p.src.Clock.Now()
	var next time.Time
	for svc := range st.dirty {
		if p.wanted != nil && !p.wanted(svc) {
			delete(st.dirty, svc)
			delete(st.sent, svc) // whoever watches next gets every queue afresh
			continue
		}
		if due := st.last[svc].Add(p.every); now.Before(due) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		delete(st.dirty, svc)
		st.last[svc] = now
		p.publish(ctx, st, svc, now)
	}
	if !next.IsZero() && (st.timer == nil || next.Before(st.due)) {
		if st.timer != nil {
			st.timer.Stop()
		}
		st.due = next
		st.timer = p.src.Clock.AfterFunc(next.Sub(p.src.Clock.Now()), p.kick)
		// time may have moved on while the timer was armed, and a timer set against a later
		// now fires late; a wake-up costs nothing when nothing is due yet
		if !p.src.Clock.Now().Before(next) {
			p.kick()
		}
	}
}

func (p *Publisher) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// publish sends a stats.queue event for each queue of svc whose figures differ from what was
// last sent (the oldest wait aside: it grows by itself, and a wallboard counts it on from
// oldest_since).
func (p *Publisher) publish(ctx context.Context, st *pubState, svc string, now time.Time) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := p.src.RealtimeQueues(qctx, svc)
	if err != nil {
		if fault.KindOf(err) == fault.Moved {
			return // another cluster node serves it and publishes its figures; they reach us
		}
		if fault.KindOf(err) != fault.NotFound {
			p.log.Warn("real-time figures not computed", "service", svc, "err", err)
			st.dirty[svc] = true // try again on the next turn
		} else {
			delete(st.sent, svc) // the service is gone
		}
		return
	}
	sent := st.sent[svc]
	if sent == nil {
		sent = map[string]RealtimeQueue{}
		st.sent[svc] = sent
	}
	for _, r := range rows {
		if old, ok := sent[r.Queue]; ok && sameFigures(old, r) {
			continue
		}
		sent[r.Queue] = r
		p.bus.Publish(events.Event{Type: events.StatsQueue, At: now, Service: svc, Data: r})
	}
}

func sameFigures(a, b RealtimeQueue) bool {
	a.OldestWaitSeconds, b.OldestWaitSeconds = 0, 0
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// midnightTimer fires at the next local midnight.
type midnightTimer struct {
	c chan struct{}
	t clock.Timer
}

func (m *midnightTimer) Stop() { m.t.Stop() }

func midnightC(m *midnightTimer) <-chan struct{} { return m.c }

func (p *Publisher) armMidnight() *midnightTimer {
	now := p.src.Clock.Now()
	l := now.In(p.src.Location())
	next := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, l.Location())
	m := &midnightTimer{c: make(chan struct{}, 1)}
	m.t = p.src.Clock.AfterFunc(next.Sub(now), func() { m.c <- struct{}{} })
	return m
}
