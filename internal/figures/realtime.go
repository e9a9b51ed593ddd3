package figures

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/site"
	"ringdesk/internal/stats"
	"ringdesk/internal/store"
)

// Realtime is a service as it stands this instant, with today's figures
// (GET /api/v1/stats/realtime; docs/metrics.md, "Real time").
type Realtime struct {
	Service  string          `json:"service"`
	At       time.Time       `json:"at"`
	Timezone string          `json:"timezone"`
	Queues   []RealtimeQueue `json:"queues"`
	Agents   []RealtimeAgent `json:"agents"`
}

// RealtimeQueue is one queue now; it is also the data of a stats.queue event.
type RealtimeQueue struct {
	Queue   string `json:"queue"`
	Name    string `json:"name"`
	Waiting int    `json:"waiting"`
	// OldestWaitSeconds is how long the longest-waiting call has waited; OldestSince is when
	// it entered the queue (null with none waiting), for a wallboard that counts on by itself.
	OldestWaitSeconds float64     `json:"oldest_wait_seconds"`
	OldestSince       *time.Time  `json:"oldest_since"`
	Agents            AgentCounts `json:"agents"`
	Today             QueueToday  `json:"today"`
	// The queue's thresholds, for the wallboard's colours.
	ServiceLevelSeconds int `json:"service_level_seconds"`
	ServiceLevelTarget  int `json:"service_level_target"`
	WaitAlertSeconds    int `json:"wait_alert_seconds"`
}

// AgentCounts are a queue's members logged in to the service's CTI, by what they do.
type AgentCounts struct {
	Staffed   int `json:"staffed"`
	Ready     int `json:"ready"`
	OnCall    int `json:"on_call"`
	AfterCall int `json:"after_call"`
	NotReady  int `json:"not_ready"`
}

// QueueToday is a queue's figures since local midnight.
type QueueToday struct {
	Offered        int      `json:"offered"`
	Answered       int      `json:"answered"`
	Abandoned      int      `json:"abandoned"`
	ShortAbandoned int      `json:"short_abandoned"`
	Handled        int      `json:"handled"`
	ServiceLevel   *float64 `json:"service_level"`
	AbandonRate    *float64 `json:"abandon_rate"`
	ASA            *float64 `json:"asa_seconds"`
	AHT            *float64 `json:"aht_seconds"`
	LongestWait    float64  `json:"longest_wait_seconds"`
}

// RealtimeAgent is one agent of the service now, logged in to CTI or not.
type RealtimeAgent struct {
	Login     string       `json:"login"`
	Name      string       `json:"name"`
	Extension string       `json:"extension,omitempty"`
	State     agent.State  `json:"state"`
	Label     string       `json:"label"`
	Reason    agent.Reason `json:"reason"`
	// Seconds in the state; Since when it began (null for an agent logged out with no
	// recorded change).
	Seconds float64    `json:"seconds"`
	Since   *time.Time `json:"since"`
	Call    string     `json:"call,omitempty"`
	// Elsewhere: logged in to CTI in another service (the agent's state here is logged_out).
	Elsewhere string     `json:"elsewhere,omitempty"`
	Queues    []string   `json:"queues"`
	Today     AgentToday `json:"today"`
}

// AgentToday is an agent's figures since local midnight.
type AgentToday struct {
	Answered         int      `json:"answered"`
	Handled          int      `json:"handled"`
	TalkSeconds      float64  `json:"talk_seconds"`
	AfterCallSeconds float64  `json:"after_call_seconds"`
	StaffedSeconds   float64  `json:"staffed_seconds"`
	Occupancy        *float64 `json:"occupancy"`
}

// bucket says which count of AgentCounts a state falls in (docs/metrics.md, "Real time").
func bucket(c *AgentCounts, st agent.State) {
	c.Staffed++
	switch st {
	case agent.Ready:
		c.Ready++
	case agent.AfterCall:
		c.AfterCall++
	case agent.Default, agent.Break, agent.Work:
		c.NotReady++
	default: // offered, ringing, dialing, on_call, consulting, held
		c.OnCall++
	}
}

// live is a service's queues as the engine holds them now, without today's figures.
func (s *Source) live(x *directory.Index, svc *site.Service) (engine.Live, []RealtimeQueue, error) {
	l, err := s.Engine.Live(svc.ID)
	if err != nil {
		return l, nil, err
	}
	byLogin := map[string]agent.State{}
	for _, a := range l.Agents {
		byLogin[a.Login] = a.State
	}
	waiting := map[string][]engine.WaitingCall{}
	for _, q := range l.Queues {
		waiting[q.Number] = q.Waiting
	}
	out := make([]RealtimeQueue, 0, len(svc.Queues))
	for _, q := range svc.Queues {
		rq := RealtimeQueue{Queue: q.Number, Name: q.Name, Waiting: len(waiting[q.Number]),
			ServiceLevelSeconds: q.SLSeconds(), ServiceLevelTarget: q.SLTarget(), WaitAlertSeconds: q.WaitAlert()}
		for _, w := range waiting[q.Number] {
			if rq.OldestSince == nil || w.Since.Before(*rq.OldestSince) {
				since := w.Since
				rq.OldestSince = &since
			}
		}
		if rq.OldestSince != nil {
			rq.OldestWaitSeconds = math.Max(0, math.Floor(l.At.Sub(*rq.OldestSince).Seconds()))
		}
		for _, m := range q.Members {
			if st, ok := byLogin[m]; ok {
				bucket(&rq.Agents, st)
			}
		}
		out = append(out, rq)
	}
	return l, out, nil
}

// today fills each queue's figures since local midnight.
func (s *Source) today(ctx context.Context, service string, queues []RealtimeQueue, now time.Time, loc *time.Location) error {
	day := stats.Today(now, loc)
	day.To = through(now)
	sums, err := s.Store.Events().Sums(ctx, service, day.From, day.To, "queue")
	if err != nil {
		return err
	}
	infos := make([]stats.QueueInfo, len(queues))
	for i, q := range queues {
		infos[i] = stats.QueueInfo{Number: q.Queue, Name: q.Name}
	}
	for i, r := range stats.Queues(sums, []stats.Interval{day}, infos) {
		queues[i].Today = QueueToday{Offered: r.Offered, Answered: r.Answered, Abandoned: r.Abandoned,
			ShortAbandoned: r.ShortAbandoned, Handled: r.Handled, ServiceLevel: r.ServiceLevel, AbandonRate: r.AbandonRate,
			ASA: r.ASA, AHT: r.AHT, LongestWait: r.LongestWait}
	}
	return nil
}

// RealtimeQueues is every queue of a service now, with today's figures: what a stats.queue
// event carries.
func (s *Source) RealtimeQueues(ctx context.Context, service string) ([]RealtimeQueue, error) {
	x, svc, loc, err := s.service(service)
	if err != nil {
		return nil, err
	}
	l, queues, err := s.live(x, svc)
	if err != nil {
		return nil, err
	}
	if err := s.today(ctx, service, queues, l.At, loc); err != nil {
		return nil, err
	}
	return queues, nil
}

// Realtime is a service now: its queues and every agent of the service, logged in or not,
// each with today's figures.
func (s *Source) Realtime(ctx context.Context, service string) (Realtime, error) {
	x, svc, loc, err := s.service(service)
	if err != nil {
		return Realtime{}, err
	}
	l, queues, err := s.live(x, svc)
	if err != nil {
		return Realtime{}, err
	}
	now := l.At
	if err := s.today(ctx, service, queues, now, loc); err != nil {
		return Realtime{}, err
	}
	out := Realtime{Service: service, At: now.In(loc), Timezone: loc.String(), Queues: queues, Agents: []RealtimeAgent{}}

	// every agent of the service, and whoever is logged in to it besides
	agents := serviceAgents(x, service)
	live := map[string]engine.AgentSummary{}
	for _, a := range l.Agents {
		live[a.Login] = a
		if !slices.ContainsFunc(agents, func(i stats.AgentInfo) bool { return i.Login == a.Login }) {
			agents = append(agents, stats.AgentInfo{Login: a.Login, Name: a.Name})
		}
	}
	slices.SortFunc(agents, func(a, b stats.AgentInfo) int { return cmp.Compare(a.Login, b.Login) })
	day := stats.Today(now, loc)
	day.To = through(now)
	sums, states, err := s.agentHistory(ctx, service, logins(agents), day.From, day.To)
	if err != nil {
		return Realtime{}, err
	}
	last := map[string]store.StateChange{}
	for _, c := range states {
		last[c.Agent] = c // by agent then time: the last one stays
	}
	rows := stats.Agents(sums, states, []stats.Interval{day}, agents, now)
	memberOf := map[string][]string{}
	for _, q := range svc.Queues {
		for _, m := range q.Members {
			memberOf[m] = append(memberOf[m], q.Number)
		}
	}
	for i, info := range agents {
		r := rows[i]
		ra := RealtimeAgent{Login: info.Login, Name: info.Name, State: agent.LoggedOut, Queues: memberOf[info.Login],
			Today: AgentToday{Answered: r.Answered, Handled: r.Handled, TalkSeconds: r.TalkSeconds,
				AfterCallSeconds: r.AfterCallSeconds, StaffedSeconds: r.StaffedSeconds, Occupancy: r.Occupancy}}
		if ra.Queues == nil {
			ra.Queues = []string{}
		}
		if cfg, ok := x.Agents[info.Login]; ok {
			ra.Extension = cfg.Extension
		}
		if a, ok := live[info.Login]; ok {
			since := a.Since.In(loc)
			ra.State, ra.Reason, ra.Since, ra.Call = a.State, a.Reason, &since, a.Call
		} else {
			if svcNow, ok := s.Engine.Session(info.Login); ok {
				ra.Elsewhere = svcNow
			}
			if c, ok := last[info.Login]; ok && c.To == string(agent.LoggedOut) {
				since := c.At.In(loc)
				ra.Since = &since
			}
		}
		ra.Label = ra.State.Label("ko")
		if ra.State == agent.Work && ra.Reason != "" {
			ra.Label += "(" + ra.Reason.Label("ko") + ")"
		}
		if ra.Since != nil {
			ra.Seconds = math.Max(0, math.Floor(now.Sub(*ra.Since).Seconds()))
		}
		out.Agents = append(out.Agents, ra)
	}
	return out, nil
}

// through is the end of a range that takes in what happened at now itself: the store keeps
// microseconds, and an event of this very instant is today's.
func through(now time.Time) time.Time { return now.Add(time.Microsecond) }
