package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/figures"
	"ringdesk/internal/stats"
)

// The figures (docs/metrics.md): the real-time view of a service and its reports over a range,
// for the managers of the service and administrators.

// managedService reads ?service= and checks that p supervises it.
func managedService(r *http.Request, p *auth.Principal) (string, error) {
	svc := r.URL.Query().Get("service")
	if svc == "" {
		return "", fieldError(400, "service", "service(서비스)를 지정하세요")
	}
	if !p.CanManageService(svc) {
		return "", errorf(403, "forbidden", "서비스 %s의 관리자만 볼 수 있습니다", svc)
	}
	return svc, nil
}

func fieldError(status int, field, msg string) *apiError {
	e := errorf(status, "invalid_field", "%s", msg)
	e.Field = field
	return e
}

func (s *Server) statsRealtime(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	svc, err := managedService(r, p)
	if err != nil {
		return err
	}
	rt, err := s.fig.Realtime(r.Context(), svc)
	if err != nil {
		return err
	}
	writeJSON(w, 200, rt)
	return nil
}

// timeParam reads a time given as RFC 3339 or as a local date (YYYY-MM-DD in the site's
// zone). A date that ends a range (end) means the end of that day: to=2026-11-24 takes in
// the whole 24th.
func timeParam(r *http.Request, name string, loc *time.Location, end bool) (time.Time, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, false, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		if end {
			d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		}
		return d, true, nil
	}
	return time.Time{}, false, fieldError(400, name,
		name+"은(는) 2026-11-24 같은 날짜나 2026-11-24T09:00:00+09:00 같은 시각(RFC 3339)이어야 합니다")
}

// rangeParams reads from and to: from defaults to the start of today, to to now.
func (s *Server) rangeParams(r *http.Request) (from, to time.Time, err error) {
	loc := s.fig.Location()
	now := s.clock.Now()
	from, ok, err := timeParam(r, "from", loc, false)
	if err != nil {
		return from, to, err
	}
	if !ok {
		from = stats.Today(now, loc).From
	}
	to, ok, err = timeParam(r, "to", loc, true)
	if err != nil {
		return from, to, err
	}
	if !ok {
		to = now
	}
	return from, to, nil
}

// format reads ?format=: json (the default) or csv.
func format(r *http.Request) (csv bool, err error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	}
	return false, fieldError(400, "format", "format은 json 또는 csv여야 합니다")
}

// reportParams reads a report's range, interval and filter (the query parameter only names it).
func (s *Server) reportParams(r *http.Request, p *auth.Principal, only string) (figures.Range, bool, error) {
	var rg figures.Range
	svc, err := managedService(r, p)
	if err != nil {
		return rg, false, err
	}
	q := r.URL.Query()
	rg = figures.Range{Service: svc, Interval: q.Get("interval"), Only: q.Get(only)}
	if rg.Interval == "" {
		rg.Interval = "15m"
	}
	if !slices.Contains(figures.Intervals, rg.Interval) {
		return rg, false, fieldError(400, "interval", "interval(단위)은 "+strings.Join(figures.Intervals, ", ")+" 중 하나여야 합니다")
	}
	if rg.From, rg.To, err = s.rangeParams(r); err != nil {
		return rg, false, err
	}
	csv, err := format(r)
	return rg, csv, err
}

// report is the JSON of a report: the rows with what they cover.
type report[T any] struct {
	Service  string    `json:"service"`
	Timezone string    `json:"timezone"`
	Interval string    `json:"interval"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Rows     []T       `json:"rows"`
}

func (s *Server) statsQueues(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	rg, csv, err := s.reportParams(r, p, "queue")
	if err != nil {
		return err
	}
	rows, err := s.fig.QueueReport(r.Context(), rg)
	if err != nil {
		return err
	}
	loc := s.fig.Location()
	if csv {
		return writeCSV(w, reportFile("queues", rg, loc), queueColumns(loc), rows)
	}
	writeJSON(w, 200, report[stats.QueueRow]{Service: rg.Service, Timezone: loc.String(), Interval: rg.Interval,
		From: rg.From.In(loc), To: rg.To.In(loc), Rows: rows})
	return nil
}

func (s *Server) statsAgents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	rg, csv, err := s.reportParams(r, p, "agent")
	if err != nil {
		return err
	}
	rows, err := s.fig.AgentReport(r.Context(), rg)
	if err != nil {
		return err
	}
	loc := s.fig.Location()
	if csv {
		return writeCSV(w, reportFile("agents", rg, loc), agentColumns(loc), rows)
	}
	writeJSON(w, 200, report[stats.AgentRow]{Service: rg.Service, Timezone: loc.String(), Interval: rg.Interval,
		From: rg.From.In(loc), To: rg.To.In(loc), Rows: rows})
	return nil
}

// reportFile names a download: ringdesk-queues-support-20261124-0900.csv.
func reportFile(kind string, rg figures.Range, loc *time.Location) string {
	return "ringdesk-" + kind + "-" + rg.Service + "-" + rg.From.In(loc).Format("20060102-1504") + ".csv"
}
