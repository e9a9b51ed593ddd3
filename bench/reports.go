package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"ringdesk/internal/clock"
	"ringdesk/internal/directory"
	"ringdesk/internal/figures"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
)

// benchReports: with a month of a busy service in the embedded SQLite database — 1,000,000
// calls' event-log entries and the state changes of the 100 agents who took them — how long do
// the reports take, as GET /api/v1/stats/queues and /stats/agents compute them (rows and their
// JSON)? The 15-minute report of a day is what a supervisor opens most.
func benchReports(o opts) (*result, error) {
	calls, reps := 1_000_000, 20
	if o.quick {
		calls, reps = 100_000, 5
	}
	const days, agents, queues = 30, 100, 4
	res := &result{name: "reports", title: fmt.Sprintf("Reports: %d calls over %d days in SQLite, %d agents, %d queues", calls, days, agents, queues),
		command: "go run ./bench -only reports", target: "a 15-minute report (queue and agent rows of one 15-minute interval) p99 < 200 ms"}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ringdesk-bench-reports")
	if err != nil {
		return nil, err
	}
	// RINGDESK_BENCH_KEEP=1 leaves the filled database for a closer look (sqlite3, EXPLAIN)
	if os.Getenv("RINGDESK_BENCH_KEEP") == "" {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "reports: the database stays in", dir)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "ringdesk.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	seoul, _ := site.LoadTimezone("Asia/Seoul")
	first := time.Date(2026, 10, 1, 0, 0, 0, 0, seoul)
	t0 := time.Now()
	rows, err := fillMonth(ctx, st, first, days, calls, agents, queues)
	if err != nil {
		return nil, err
	}
	fill := time.Since(t0)
	fmt.Fprintf(os.Stderr, "reports: %d rows stored in %v\n", rows, fill.Round(time.Second))
	d, err := directory.Open(ctx, st.Site(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	src := &figures.Source{Store: st, Dir: d, Clock: clock.Real{}}
	day := func(i int) figures.Range {
		from := first.AddDate(0, 0, i)
		return figures.Range{Service: "support", From: from, To: from.AddDate(0, 0, 1), Interval: "15m"}
	}
	month := figures.Range{Service: "support", From: first, To: first.AddDate(0, 0, days), Interval: "day"}
	// a quarter of an hour in the busy part of a day (10:00-17:00), as a supervisor asks for
	// the last one
	quarter := func(i int) figures.Range {
		from := first.AddDate(0, 0, i%days).Add(10*time.Hour + time.Duration(i%28)*15*time.Minute)
		return figures.Range{Service: "support", From: from, To: from.Add(15 * time.Minute), Interval: "15m"}
	}
	timed := func(f func() (any, error)) (time.Duration, error) {
		t := time.Now()
		v, err := f()
		if err == nil {
			_, err = json.Marshal(v)
		}
		return time.Since(t), err
	}
	type measure struct {
		what string
		reps int
		f    func(i int) (any, error)
	}
	measures := []measure{
		{"queue rows, one 15-minute interval", reps, func(i int) (any, error) { return src.QueueReport(ctx, quarter(i)) }},
		{"agent rows, one 15-minute interval", reps, func(i int) (any, error) { return src.AgentReport(ctx, quarter(i)) }},
		{"queue rows, 15 min, one day", reps, func(i int) (any, error) { return src.QueueReport(ctx, day(i%days)) }},
		{"agent rows, 15 min, one day", reps, func(i int) (any, error) { return src.AgentReport(ctx, day(i%days)) }},
		{"queue rows, a month by day", 3, func(int) (any, error) { return src.QueueReport(ctx, month) }},
		{"agent rows, a month by day", 3, func(int) (any, error) { return src.AgentReport(ctx, month) }},
	}
	// RINGDESK_BENCH_PROFILE=FILE writes a CPU profile of the report runs
	if f := os.Getenv("RINGDESK_BENCH_PROFILE"); f != "" {
		pf, err := os.Create(f)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		pprof.StartCPUProfile(pf)
		defer pprof.StopCPUProfile()
	}
	loadStart := loadAvg()
	for run := 0; run < o.runs; run++ {
		for _, m := range measures {
			var ds []time.Duration
			for i := 0; i < m.reps; i++ {
				dur, err := timed(func() (any, error) { return m.f(rand.IntN(days) + i) })
				if err != nil {
					return nil, fmt.Errorf("%s: %w", m.what, err)
				}
				ds = append(ds, dur)
			}
			res.add(m.what+", p50", "ms", false, ms(percentile(ds, 50)))
			res.add(m.what+", p99", "ms", false, ms(percentile(ds, 99)))
		}
	}
	res.add("stored event-log entries and state changes", "rows", false, float64(rows))
	res.add("filling, in transactions of 50,000 rows", "rows/s", false, float64(rows)/fill.Seconds())
	q, a := res.value("queue rows, one 15-minute interval, p99"), res.value("agent rows, one 15-minute interval, p99")
	dq, da := res.value("queue rows, 15 min, one day, p99"), res.value("agent rows, 15 min, one day, p99")
	res.verdict = verdict(q < 200 && a < 200, fmt.Sprintf("a 15-minute report: queues p99 %.1f ms, agents p99 %.1f ms "+
		"(a whole day in 15-minute rows: queues p99 %.1f ms, agents p99 %.1f ms)", q, a, dq, da))
	res.notes = append(res.notes, fmt.Sprintf("Each call is queued, offered, answered and handled by one of the agents (about 90 %%), "+
		"or abandoned after its wait (about 10 %%, a third of them short), between 08:00 and 20:00 in Asia/Seoul; each agent's "+
		"day is a login, then offered → ringing → on call → after-call → ready for each of its calls, then a logout. Reports "+
		"run through internal/figures as the API's handlers do, JSON encoding included: a day's %d times per run on random days, "+
		"the month's 3 times.", reps))
	res.notes = append(res.notes, "The event log is added up from covering indexes on (service, 15-minute bucket, queue or agent, "+
		"kind, …) in index order, without a sort; the state history is read from one on (service, at, agent, id, to_state, reason). "+
		"A report is read a local day at a time, a day of 15-minute rows in quarters, as many parts at once as there are processors. "+
		"What is left is SQLite stepping through about 160,000 index entries of each log per busy day, and the agent report's "+
		"state changes crossing into Go.")
	res.notes = append(res.notes, "Load average of the machine (shared with other work) when the reports began and ended: "+
		loadStart+" and "+loadAvg()+".")
	return res, nil
}

// fillMonth writes a month of a service's calls straight through the store, in large
// transactions, and says how many rows it wrote.
func fillMonth(ctx context.Context, st store.Store, first time.Time, days, calls, agents, queues int) (int, error) {
	s := &site.Site{Timezone: "Asia/Seoul", Services: []site.Service{{ID: "support", Name: "고객지원", CTI: true}}}
	svc := &s.Services[0]
	for q := 0; q < queues; q++ {
		svc.Queues = append(svc.Queues, site.Queue{Number: fmt.Sprint(100 + q), Name: fmt.Sprintf("큐 %d", q+1), Strategy: site.StrategyLongestIdle})
	}
	for i := 0; i < agents; i++ {
		login := fmt.Sprintf("agent%03d", i)
		s.Agents = append(s.Agents, site.Agent{Login: login, Name: fmt.Sprintf("상담원 %d", i), Role: site.RoleAgent,
			Services: []string{"support"}, Extension: fmt.Sprint(2000 + i), Phone: site.PhoneSIP})
		q := &svc.Queues[i%queues]
		q.Members = append(q.Members, login)
	}
	if err := st.Site().Save(ctx, s); err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	answeredPerDay := calls * 9 / 10 / days / agents
	abandonedPerDay := calls/days - answeredPerDay*agents
	var evs []store.CallEvent
	var changes []store.StateChange
	rows := 0
	flush := func(force bool) error {
		if len(evs)+len(changes) < 50_000 && !force {
			return nil
		}
		// a transaction of 50,000 rows into big indexes may take longer than the store's
		// default bound on a call without a deadline of its own (10 s) on a busy machine
		tctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		err := st.InTx(tctx, func(tx store.Store) error {
			for _, e := range evs {
				if err := tx.Events().Append(tctx, e); err != nil {
					return err
				}
			}
			for _, c := range changes {
				if err := tx.States().Record(tctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		rows += len(evs) + len(changes)
		evs, changes = evs[:0], changes[:0]
		return err
	}
	n := 0
	secs := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Second }
	for d := 0; d < days; d++ {
		open := first.AddDate(0, 0, d).Add(8 * time.Hour)
		for i := 0; i < agents; i++ {
			login := s.Agents[i].Login
			queue := svc.Queues[i%queues].Number
			state := func(at time.Time, from, to string) {
				changes = append(changes, store.StateChange{Agent: login, Service: "support", From: from, To: to, At: at})
			}
			t := open.Add(secs(0, 300))
			state(t, "logged_out", "default")
			state(t.Add(10*time.Second), "default", "ready")
			t = t.Add(10 * time.Second)
			for c := 0; c < answeredPerDay; c++ {
				n++
				id := fmt.Sprintf("C%07d", n)
				offer := t.Add(secs(1, 60))
				wait := float64(secs(0, 40)/time.Second) + 5
				answer := offer.Add(5 * time.Second)
				talk, acw := secs(30, 150), secs(5, 25)
				end, done := answer.Add(talk), answer.Add(talk+acw)
				ev := func(kind string, at time.Time, who string) store.CallEvent {
					return store.CallEvent{Service: "support", Queue: queue, Call: id, Agent: who, Kind: kind, At: at}
				}
				evs = append(evs, ev(store.EventQueued, answer.Add(-time.Duration(wait)*time.Second), ""), ev(store.EventOffered, offer, login))
				a := ev(store.EventAnswered, answer, login)
				a.Wait, a.WithinSL = wait, wait <= 20
				h := ev(store.EventHandled, done, login)
				h.Talk, h.AfterCall = talk.Seconds(), acw.Seconds()
				e := ev(store.EventEnded, end, "")
				e.Detail = "normal"
				evs = append(evs, a, e, h)
				state(offer, "ready", "offered")
				state(offer.Add(2*time.Second), "offered", "ringing")
				state(answer, "ringing", "on_call")
				state(end, "on_call", "after_call")
				state(done, "after_call", "ready")
				t = done
			}
			state(t.Add(time.Minute), "ready", "logged_out")
			if err := flush(false); err != nil {
				return rows, err
			}
		}
		for c := 0; c < abandonedPerDay; c++ {
			n++
			id := fmt.Sprintf("C%07d", n)
			at := open.Add(secs(0, 12*3600))
			wait := float64(secs(0, 90) / time.Second)
			q := svc.Queues[rng.IntN(queues)].Number
			gone := at.Add(time.Duration(wait) * time.Second)
			evs = append(evs, store.CallEvent{Service: "support", Queue: q, Call: id, Kind: store.EventQueued, At: at},
				store.CallEvent{Service: "support", Queue: q, Call: id, Kind: store.EventAbandoned, At: gone, Wait: wait, Short: wait < 5},
				store.CallEvent{Service: "support", Queue: q, Call: id, Kind: store.EventEnded, At: gone, Detail: "normal"})
		}
	}
	return rows, flush(true)
}

// loadAvg is the machine's one-minute load average, for the notes.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}
