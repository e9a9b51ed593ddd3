package figures

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"ringdesk/internal/store"
)

// Prometheus sees the same numbers as the wallboard: gauges of each queue now (from the
// engine) and counters of its calls since the event log began. The counters are sums over the
// log, not counts kept beside it: the days before today are added up once and kept (the log is
// only appended to, so they cannot change), today's are read again when they are older than
// CountersTTL. A scrape every few seconds costs one small query.

// CountersTTL is how stale today's part of the counters may be.
const CountersTTL = 5 * time.Second

type queueKey struct{ service, queue string }

type queueCount struct{ offered, answered, abandoned int }

func (c *queueCount) add(s store.EventSum) {
	switch s.Kind {
	case store.EventQueued:
		c.offered += s.Count
	case store.EventAnswered:
		c.answered += s.Count
	case store.EventAbandoned:
		c.abandoned += s.Count
	}
}

// Counters keeps the per-queue totals /metrics shows.
type Counters struct {
	src *Source

	mu      sync.Mutex
	cut     time.Time                // earlier covers what happened before cut
	known   map[string]bool          // services whose history before cut is in earlier
	earlier map[queueKey]*queueCount // before cut
	today   map[queueKey]*queueCount // from cut to todayAt
	todayAt time.Time                // zero: to be read
	sums    func(ctx context.Context, service string, from, to time.Time) ([]store.EventSum, error)
}

// NewCounters returns the counters of src's event log.
func NewCounters(src *Source) *Counters {
	c := &Counters{src: src, known: map[string]bool{}, earlier: map[queueKey]*queueCount{}}
	c.sums = func(ctx context.Context, service string, from, to time.Time) ([]store.EventSum, error) {
		return src.Store.Events().Sums(ctx, service, from, to, "queue")
	}
	return c
}

func addSums(m map[queueKey]*queueCount, service string, sums []store.EventSum) {
	for _, s := range sums {
		if s.Key == "" {
			continue // an outbound call: no queue
		}
		k := queueKey{service, s.Key}
		if m[k] == nil {
			m[k] = &queueCount{}
		}
		m[k].add(s)
	}
}

// totals returns every queue's counts since the log began, by service then queue.
func (c *Counters) totals(ctx context.Context) (map[queueKey]queueCount, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.src.Clock.Now()
	services := c.src.Dir.Index().Services
	// whole UTC days move into earlier; any fixed boundary would do, the log is the same
	cut := now.UTC().Truncate(24 * time.Hour)
	if cut.After(c.cut) {
		for svc := range c.known {
			sums, err := c.sums(ctx, svc, c.cut, cut)
			if err != nil {
				return nil, err
			}
			addSums(c.earlier, svc, sums)
		}
		c.cut, c.todayAt = cut, time.Time{}
	}
	for svc := range services {
		if !c.known[svc] { // a service seen for the first time: all its history
			sums, err := c.sums(ctx, svc, time.Time{}, c.cut)
			if err != nil {
				return nil, err
			}
			addSums(c.earlier, svc, sums)
			c.known[svc] = true
			c.todayAt = time.Time{}
		}
	}
	if c.todayAt.IsZero() || now.Sub(c.todayAt) >= CountersTTL {
		today := map[queueKey]*queueCount{}
		for svc := range c.known {
			sums, err := c.sums(ctx, svc, c.cut, through(now))
			if err != nil {
				return nil, err
			}
			addSums(today, svc, sums)
		}
		c.today, c.todayAt = today, now
	}
	out := map[queueKey]queueCount{}
	for _, m := range []map[queueKey]*queueCount{c.earlier, c.today} {
		for k, v := range m {
			if _, ok := services[k.service]; !ok {
				continue // a service removed since: its queues are no longer shown
			}
			t := out[k]
			t.offered += v.offered
			t.answered += v.answered
			t.abandoned += v.abandoned
			out[k] = t
		}
	}
	// every configured queue has its counters, 0 before its first call
	for id, svc := range services {
		for _, q := range svc.Queues {
			k := queueKey{id, q.Number}
			out[k] = out[k]
		}
	}
	return out, nil
}

// WriteMetrics writes the per-queue gauges and counters in the Prometheus text format.
func (c *Counters) WriteMetrics(ctx context.Context, w io.Writer) error {
	x := c.src.Dir.Index()
	ids := make([]string, 0, len(x.Services))
	for id := range x.Services {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	type gauge struct {
		labels string
		q      RealtimeQueue
	}
	var live []gauge
	for _, id := range ids {
		svc := x.Services[id]
		_, queues, err := c.src.live(x, svc)
		if err != nil {
			continue // the engine has not started the service yet
		}
		for _, q := range queues {
			live = append(live, gauge{labels(id, q.Queue), q})
		}
	}
	totals, err := c.totals(ctx)
	if err != nil {
		return err
	}
	keys := make([]queueKey, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b queueKey) int {
		return cmp.Or(cmp.Compare(a.service, b.service), cmp.Compare(a.queue, b.queue))
	})

	var b strings.Builder
	head := func(name, typ, help string) { fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ) }
	head("ringdesk_queue_waiting", "gauge", "Calls waiting in the queue, not yet offered to an agent.")
	for _, g := range live {
		fmt.Fprintf(&b, "ringdesk_queue_waiting{%s} %d\n", g.labels, g.q.Waiting)
	}
	head("ringdesk_queue_oldest_wait_seconds", "gauge", "How long the longest-waiting call of the queue has waited (0 with none).")
	for _, g := range live {
		fmt.Fprintf(&b, "ringdesk_queue_oldest_wait_seconds{%s} %g\n", g.labels, g.q.OldestWaitSeconds)
	}
	head("ringdesk_queue_agents", "gauge", "Members of the queue logged in to CTI, by what they do.")
	for _, g := range live {
		a := g.q.Agents
		for _, st := range []struct {
			name string
			n    int
		}{{"ready", a.Ready}, {"on_call", a.OnCall}, {"after_call", a.AfterCall}, {"not_ready", a.NotReady}} {
			fmt.Fprintf(&b, "ringdesk_queue_agents{%s,state=\"%s\"} %d\n", g.labels, st.name, st.n)
		}
	}
	for _, m := range []struct {
		name, help string
		v          func(queueCount) int
	}{
		{"ringdesk_queue_offered_total", "Calls that entered the queue (docs/metrics.md: offered).", func(c queueCount) int { return c.offered }},
		{"ringdesk_queue_answered_total", "Calls of the queue an agent answered.", func(c queueCount) int { return c.answered }},
		{"ringdesk_queue_abandoned_total", "Callers who hung up while waiting in the queue, short abandons included.", func(c queueCount) int { return c.abandoned }},
	} {
		head(m.name, "counter", m.help)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s{%s} %d\n", m.name, labels(k.service, k.queue), m.v(totals[k]))
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func labels(service, queue string) string {
	return `service="` + escapeLabel(service) + `",queue="` + escapeLabel(queue) + `"`
}

// escapeLabel writes a label value as the Prometheus text format wants it: backslash, double
// quote and line feed escaped, everything else (Korean too) as it is.
func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}
