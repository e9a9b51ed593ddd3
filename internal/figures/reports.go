package figures

import (
	"context"
	"errors"
	"strconv"
	"time"

	"ringdesk/internal/fault"
	"ringdesk/internal/stats"
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
		return nil, fault.New(fault.Invalid, "invalid_range", "끝(to)은 시작(from)보다 뒤여야 합니다")
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
		return nil, fault.New(fault.Invalid, "invalid_interval", "단위(interval)는 15m, hour, day 중 하나여야 합니다")
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
	sums, err := s.Store.Events().Sums(ctx, r.Service, r.From, r.To, "queue")
	if err != nil {
		return nil, err
	}
	return stats.Queues(sums, ivs, queues), nil
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
// service (by login; agents the range's history names but the configuration no longer lists
// follow), or of the one agent asked for. Time after now is not counted.
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
	sums, err := s.Store.Events().Sums(ctx, r.Service, r.From, r.To, "agent")
	if err != nil {
		return nil, err
	}
	states, err := s.Store.States().Range(ctx, r.Service, logins(agents), r.From, r.To)
	if err != nil {
		return nil, err
	}
	if r.Only == "" {
		agents = withHistory(agents, sums, states)
	}
	return stats.Agents(sums, states, ivs, agents, s.Clock.Now()), nil
}
