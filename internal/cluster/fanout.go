package cluster

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"ringdesk/internal/events"
)

// channel is the PostgreSQL notification channel the nodes' events travel on.
const channel = "ringdesk_events"

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit.
const maxPayload = 7800

// Fanout carries the events published on this node's bus to every other node's bus, and
// theirs to ours, through PostgreSQL's LISTEN/NOTIFY: the API and the WebSocket of any node
// show the whole site. Delivery is at most once, like the bus's own: a consumer that needs
// the truth reads it back (the console reloads its views on reconnecting).
type Fanout struct {
	url, node string
	bus       *events.Bus
	log       *slog.Logger
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// wire is one notification: some of a node's events, as the bus encoded them.
type wire struct {
	Node   string            `json:"n"`
	Events []json.RawMessage `json:"e"`
}

// StartFanout connects twice to the database at url (one connection listens, one notifies)
// and carries events until Close.
func StartFanout(ctx context.Context, url, node string, bus *events.Bus, log *slog.Logger) (*Fanout, error) {
	if log == nil {
		log = slog.Default()
	}
	f := &Fanout{url: url, node: node, bus: bus, log: log}
	listen, err := f.listen(ctx)
	if err != nil {
		return nil, err
	}
	notify, err := pgx.Connect(ctx, url)
	if err != nil {
		listen.Close(ctx)
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	sub := bus.Subscribe(events.Filter{All: true}, 16384)
	f.wg.Add(2)
	go func() { defer f.wg.Done(); f.receive(rctx, listen) }()
	go func() { defer f.wg.Done(); f.send(rctx, notify, sub) }()
	return f, nil
}

func (f *Fanout) listen(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.Connect(ctx, f.url)
	if err != nil {
		return nil, err
	}
	if _, err := c.Exec(ctx, "LISTEN "+channel); err != nil {
		c.Close(ctx)
		return nil, err
	}
	return c, nil
}

// receive publishes the other nodes' events here, reconnecting when the connection drops.
func (f *Fanout) receive(ctx context.Context, c *pgx.Conn) {
	defer func() {
		if c != nil {
			c.Close(context.Background())
		}
	}()
	for ctx.Err() == nil {
		if c == nil {
			var err error
			if c, err = f.listen(ctx); err != nil {
				f.log.Warn("cluster: events from other nodes: cannot listen; retrying", "err", err)
				c = nil
				sleep(ctx, time.Second)
				continue
			}
		}
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() == nil {
				f.log.Warn("cluster: events from other nodes: connection lost; reconnecting", "err", err)
				c.Close(context.Background())
				c = nil
			}
			continue
		}
		var w wire
		if err := json.Unmarshal([]byte(n.Payload), &w); err != nil || w.Node == f.node {
			continue
		}
		for _, raw := range w.Events {
			var ev events.Event
			if json.Unmarshal(raw, &ev) != nil {
				continue
			}
			ev.Origin = w.Node
			f.bus.Publish(ev)
		}
	}
}

// send notifies this node's own events, as many in one notification as fit.
func (f *Fanout) send(ctx context.Context, c *pgx.Conn, sub *events.Subscription) {
	defer func() {
		f.bus.Unsubscribe(sub)
		if c != nil {
			c.Close(context.Background())
		}
	}()
	var batch []json.RawMessage
	size := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		payload, _ := json.Marshal(wire{Node: f.node, Events: batch})
		batch, size = batch[:0], 0
		for attempt := 0; ctx.Err() == nil && attempt < 2; attempt++ {
			if c == nil {
				var err error
				if c, err = pgx.Connect(ctx, f.url); err != nil {
					c = nil
					f.log.Warn("cluster: events to other nodes: cannot connect; some are lost", "err", err)
					return
				}
			}
			if _, err := c.Exec(ctx, "SELECT pg_notify($1, $2)", channel, string(payload)); err == nil {
				return
			} else if ctx.Err() == nil {
				f.log.Warn("cluster: events to other nodes: notify failed", "err", err)
				c.Close(context.Background())
				c = nil
			}
		}
	}
	for {
		var m *events.Message
		var ok bool
		select {
		case <-ctx.Done():
			return
		case m, ok = <-sub.C:
		}
		if !ok { // cut off for falling behind: start again from now
			f.log.Warn("cluster: events to other nodes fell behind; some were not sent")
			sub = f.bus.Subscribe(events.Filter{All: true}, 16384)
			continue
		}
		for m != nil {
			if m.Origin == "" && len(m.JSON) < maxPayload-64 {
				if size+len(m.JSON) > maxPayload-64 {
					flush()
				}
				batch = append(batch, json.RawMessage(m.JSON))
				size += len(m.JSON) + 1
			}
			select {
			case m, ok = <-sub.C:
				if !ok {
					m = nil
					sub = f.bus.Subscribe(events.Filter{All: true}, 16384)
				}
			default:
				m = nil
			}
		}
		flush()
	}
}

// Close stops carrying events.
func (f *Fanout) Close() {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
