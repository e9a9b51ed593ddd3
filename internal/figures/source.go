package figures

import (
	"cmp"
	"slices"
	"time"

	"ringdesk/internal/clock"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/fault"
	"ringdesk/internal/site"
	"ringdesk/internal/stats"
	"ringdesk/internal/store"
)

// Source is what the figures are computed from.
type Source struct {
	Store  store.Store
	Engine *engine.Engine
	Dir    *directory.Live
	Clock  clock.Clock
}

// service returns a service of the running configuration and the site's time zone.
func (s *Source) service(id string) (*directory.Index, *site.Service, *time.Location, error) {
	x := s.Dir.Index()
	svc, ok := x.Services[id]
	if !ok {
		return nil, nil, nil, fault.New(fault.NotFound, "not_found", "서비스 {service}이(가) 없습니다", "service", id)
	}
	return x, svc, x.Site.Location(), nil
}

// Location is the zone the site counts its days in.
func (s *Source) Location() *time.Location { return s.Dir.Index().Site.Location() }

func queueInfos(svc *site.Service) []stats.QueueInfo {
	out := make([]stats.QueueInfo, 0, len(svc.Queues))
	for _, q := range svc.Queues {
		out = append(out, stats.QueueInfo{Number: q.Number, Name: q.Name})
	}
	return out
}

// serviceAgents are the accounts that work a service's phone: those of the service with CTI
// 상담원 정보 (a browser phone, or a desk phone's extension), by login.
func serviceAgents(x *directory.Index, service string) []stats.AgentInfo {
	var out []stats.AgentInfo
	for _, a := range x.Site.Agents {
		if (a.Phone == site.PhoneBrowser || a.Extension != "") && slices.Contains(a.Services, service) {
			out = append(out, stats.AgentInfo{Login: a.Login, Name: a.Name})
		}
	}
	slices.SortFunc(out, func(a, b stats.AgentInfo) int { return cmp.Compare(a.Login, b.Login) })
	return out
}

// withHistory adds to agents those the state history or the event log names in the range but
// the configuration no longer lists (moved to another service, removed), after the others:
// their time and calls stay in the report.
func withHistory(agents []stats.AgentInfo, sums []store.EventSum, states []store.StateChange) []stats.AgentInfo {
	known := map[string]bool{}
	for _, a := range agents {
		known[a.Login] = true
	}
	var extra []stats.AgentInfo
	add := func(login string) {
		if login != "" && !known[login] {
			known[login] = true
			extra = append(extra, stats.AgentInfo{Login: login, Name: login})
		}
	}
	for _, c := range states {
		add(c.Agent)
	}
	for _, x := range sums {
		add(x.Key)
	}
	slices.SortFunc(extra, func(a, b stats.AgentInfo) int { return cmp.Compare(a.Login, b.Login) })
	return append(agents, extra...)
}

func logins(agents []stats.AgentInfo) []string {
	out := make([]string, len(agents))
	for i, a := range agents {
		out[i] = a.Login
	}
	return out
}
