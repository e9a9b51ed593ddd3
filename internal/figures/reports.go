package figures

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"time"

	"ringdesk/internal/fault"
	"ringdesk/internal/stats"
	"ringdesk/internal/store"
)

// Range is what a report covers: a service's figures over [From, To), one row per interval
// (15m, hour or day) and queue or agent; Only narrows it to one queue or one agent.
type Range struct {
	Service  string
	From, To time.Time
	Interval string
	Only     string
}

// Intervals names the report intervals, finest first.
var Intervals = []string{"15m", "hour", "day"}

// intervals splits the range in the site's zone, with a refusal a person can read.
func intervals(r Range, loc *time.Location) ([]stats.Interval, error) {
	if !r.From.Before(r.To) {
		return nil, fault.New(fault.Invalid, "invalid_range", "끝나는 때는 시작하는 때보다 뒤여야 합니다")
	}
	ivs, err := stats.Intervals(r.From, r.To, r.Interval, loc)
	if errors.Is(err, stats.ErrInterval) {
		for _, name := range Intervals {
			if name == r.Interval {
				return nil, fault.New(fault.Invalid, "range_too_long",
					"기간이 너무 깁니다: 한 번에 {max}개 구간까지 볼 수 있습니다. 기간을 줄이거나 더 긴 단위(hour, day)를 고르세요",
					"max", strconv.Itoa(stats.MaxIntervals))
			}
		}
		return nil, fault.New(fault.Invalid, "invalid_interval", "단위는 15분(15m), 1시간(hour), 1일(day) 중 하나여야 합니다")
	}
	if err != nil {
		return nil, err
	}
	// every row's times in the site's zone, so that the JSON reads as the wall clock did
	for i := range ivs {
		ivs[i].From, ivs[i].To = ivs[i].From.In(loc), ivs[i].To.In(loc)
	}
	return ivs, nil
}

// QueueReport is the queue figures of a range: for each interval, a row per queue of the
// service (in the configuration's order), or of the one queue asked for.
func (s *Source) QueueReport(ctx context.Context, r Range) ([]stats.QueueRow, error) {
	_, svc, loc, err := s.service(r.Service)
	if err != nil {
		return nil, err
	}
	ivs, err := intervals(r, loc)
	if err != nil {
		return nil, err
	}
	queues := queueInfos(svc)
	if r.Only != "" {
		queues = onlyQueue(queues, r.Only)
		if len(queues) == 0 {
			return nil, fault.New(fault.NotFound, "not_found", "서비스 {service}에 큐 {queue}이(가) 없습니다", "service", r.Service, "queue", r.Only)
		}
	}
	return inParts(ctx, ivs, loc, func(ctx context.Context, part []stats.Interval) ([]stats.QueueRow, error) {
		sums, err := s.Store.Events().Sums(ctx, r.Service, part[0].From, part[len(part)-1].To, "queue")
		if err != nil {
			return nil, err
		}
		return stats.Queues(sums, part, queues), nil
	})
}

// inParts computes a report's rows part by part (see parts), a few parts at once, and
// returns them in the intervals' order.
func inParts[T any](ctx context.Context, ivs []stats.Interval, loc *time.Location,
	rows func(ctx context.Context, part []stats.Interval) ([]T, error)) ([]T, error) {
	ctx, cancel := context.WithTimeout(ctx, ReportDeadline)
	defer cancel()
	ps := parts(ivs, loc)
	results := make([][]T, len(ps))
	errs := make([]error, len(ps))
	sem := make(chan struct{}, min(runtime.GOMAXPROCS(0), 4))
	var wg sync.WaitGroup
	for i, part := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if results[i], errs[i] = rows(ctx, part); errs[i] != nil {
				cancel() // the report fails: the other parts need not finish
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []T
	for _, r := range results {
		out = append(out, r...)
	}
	return out, nil
}

// ReportDeadline bounds one report: a month of a busy service is read in seconds, not minutes.
const ReportDeadline = 2 * time.Minute

// parts cuts the intervals into runs within one local day each, and a day of 15-minute or
// hourly rows into quarters. A report is read part by part: a month then holds no more in
// memory, and asks no more of the store in one query, than a day does (a busy day is a
// hundred thousand entries of each log); and the parts of a day are read at once, on as many
// of the store's connections as there are processors.
func parts(ivs []stats.Interval, loc *time.Location) [][]stats.Interval {
	var out [][]stats.Interval
	day := func(t time.Time) [3]int {
		y, m, d := t.In(loc).Date()
		return [3]int{y, int(m), d}
	}
	for i := 0; i < len(ivs); {
		j := i + 1
		for j < len(ivs) && day(ivs[j].From) == day(ivs[i].From) {
			j++
		}
		run := ivs[i:j]
		size := max((len(run)+3)/4, 1)
		for len(run) > 0 {
			n := min(size, len(run))
			out = append(out, run[:n])
			run = run[n:]
		}
		i = j
	}
	return out
}

func onlyQueue(queues []stats.QueueInfo, number string) []stats.QueueInfo {
	for _, q := range queues {
		if q.Number == number {
			return []stats.QueueInfo{q}
		}
	}
	return nil
}

// AgentReport is the agent figures of a range: for each interval, a row per agent of the
// service (by login; after them, in the part of the range whose history names them, agents
// the configuration no longer lists), or of the one agent asked for. Time after now is not
// counted.
func (s *Source) AgentReport(ctx context.Context, r Range) ([]stats.AgentRow, error) {
	x, _, loc, err := s.service(r.Service)
	if err != nil {
		return nil, err
	}
	ivs, err := intervals(r, loc)
	if err != nil {
		return nil, err
	}
	agents := serviceAgents(x, r.Service)
	if r.Only != "" {
		a, ok := x.Agents[r.Only]
		if !ok {
			// an agent since removed is still in the history
			agents = []stats.AgentInfo{{Login: r.Only, Name: r.Only}}
		} else {
			agents = []stats.AgentInfo{{Login: a.Login, Name: a.Name}}
		}
	}
	now := s.Clock.Now()
	return inParts(ctx, ivs, loc, func(ctx context.Context, part []stats.Interval) ([]stats.AgentRow, error) {
		sums, states, err := s.agentHistory(ctx, r.Service, logins(agents), part[0].From, part[len(part)-1].To)
		if err != nil {
			return nil, err
		}
		listed := agents
		if r.Only == "" {
			listed = withHistory(agents, sums, states)
		}
		return stats.Agents(sums, states, part, listed, now), nil
	})
}

// agentHistory reads the event log added up by agent and the state history of a range. The
// two are read at once, on two of the store's connections: on a busy day each is a scan of a
// hundred thousand index entries.
func (s *Source) agentHistory(ctx context.Context, service string, agents []string, from, to time.Time) ([]store.EventSum, []store.StateChange, error) {
	var sums []store.EventSum
	var sumErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		sums, sumErr = s.Store.Events().Sums(ctx, service, from, to, "agent")
	}()
	states, err := s.Store.States().Range(ctx, service, agents, from, to)
	<-done
	return sums, states, errors.Join(sumErr, err)
}
