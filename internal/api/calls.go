package api

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/tickets"
)

// The call history (GET /api/v1/calls): every call record of the services a manager
// supervises, newest first, searchable by period, number, agent, queue and outcome, paged with
// a cursor, and exported as CSV.

// callRecord is one call as the history shows it: the fields of a ticket's calls, with the
// ticket it is linked to (null: none), and the names of its agent and queue.
type callRecord struct {
	tickets.Call        // its ticket_id is left empty (omitted): shown as ticket
	Ticket       *int64 `json:"ticket"`
	AgentName    string `json:"agent_name,omitempty"`
	QueueName    string `json:"queue_name,omitempty"`
}

// outcomes are the values ?outcome= takes.
var outcomes = []string{tickets.OutcomeAnswered, tickets.OutcomeAbandoned, tickets.OutcomeFailed, tickets.OutcomeInternal}

// maxCallExport bounds one CSV export; a longer period is exported in parts.
const maxCallExport = 50_000

var phoneRe = regexp.MustCompile(`^\+?[0-9]{1,32}$`)

// phoneParam reads a number as people write it: 010-1234-5678, 02 123 4567, (02) 1234-5678.
func phoneParam(v string) (string, error) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '.', '(', ')':
			return -1
		}
		return r
	}, v)
	if !phoneRe.MatchString(n) {
		return "", fieldError(400, "phone", "phone(전화번호)은 숫자와 하이픈(-)으로만 쓰세요")
	}
	return n, nil
}

// callCursor is where a page ends: the start and id of its last call, opaque to clients.
func callCursor(c tickets.Call) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.StartedAt.UnixMicro(), 10) + ":" + c.ID))
}

func parseCallCursor(v string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return time.Time{}, "", false
	}
	us, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", false
	}
	return time.UnixMicro(n), id, true
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	f := tickets.CallFilter{Agent: q.Get("agent"), Queue: q.Get("queue"), Outcome: q.Get("outcome"), Limit: 100}
	if svc := q.Get("service"); svc != "" {
		if !p.CanManageService(svc) {
			return errorf(403, "forbidden", "서비스 %s의 관리자만 통화 이력을 볼 수 있습니다", svc)
		}
		f.Services = []string{svc}
	} else {
		for _, svc := range s.site().Site.Services {
			if p.CanManageService(svc.ID) {
				f.Services = append(f.Services, svc.ID)
			}
		}
		if len(f.Services) == 0 {
			return errorf(403, "forbidden", "관리자만 통화 이력을 볼 수 있습니다")
		}
	}
	loc := s.fig.Location()
	var err error
	if f.From, _, err = timeParam(r, "from", loc, false); err != nil {
		return err
	}
	if f.To, _, err = timeParam(r, "to", loc, true); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		e := errorf(422, "invalid_range", "끝나는 때는 시작하는 때보다 뒤여야 합니다")
		e.Field = "to"
		return e
	}
	if v := q.Get("phone"); v != "" {
		if f.Phone, err = phoneParam(v); err != nil {
			return err
		}
	}
	if f.Outcome != "" && !slices.Contains(outcomes, f.Outcome) {
		return fieldError(400, "outcome", "outcome(결과)은 "+strings.Join(outcomes, ", ")+" 중 하나여야 합니다")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fieldError(400, "limit", "limit은 1에서 1000 사이여야 합니다")
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		at, id, ok := parseCallCursor(v)
		if !ok {
			return fieldError(400, "before", "before는 이전 응답의 next 값이어야 합니다")
		}
		f.Before, f.BeforeID = at, id
	}
	csv, err := format(r)
	if err != nil {
		return err
	}
	if csv {
		return s.exportCalls(w, r, f, loc)
	}
	list, err := s.st.Calls().List(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]callRecord, 0, len(list))
	for _, c := range list {
		out = append(out, s.record(c))
	}
	var next *string
	if len(list) == f.Limit {
		c := callCursor(list[len(list)-1])
		next = &c
	}
	writeJSON(w, 200, map[string]any{"calls": out, "next": next})
	return nil
}

func (s *Server) record(c tickets.Call) callRecord {
	rec := callRecord{Call: c}
	if c.TicketID != 0 {
		id := c.TicketID
		rec.Ticket, rec.Call.TicketID = &id, 0
	}
	if rec.Transfers == nil {
		rec.Transfers = []tickets.Transfer{}
	}
	x := s.site()
	if a, ok := x.Agents[c.Agent]; ok {
		rec.AgentName = a.Name
	}
	if svc, ok := x.Services[c.Service]; ok {
		for _, q := range svc.Queues {
			if q.Number == c.Queue {
				rec.QueueName = q.Name
			}
		}
	}
	return rec
}

// exportCalls writes every call the filter selects as CSV, or refuses when there are more
// than one export holds: a cut-off list would pass for the whole period.
func (s *Server) exportCalls(w http.ResponseWriter, r *http.Request, f tickets.CallFilter, loc *time.Location) error {
	var all []callRecord
	f.Limit = 5000
	for {
		list, err := s.st.Calls().List(r.Context(), f)
		if err != nil {
			return err
		}
		for _, c := range list {
			all = append(all, s.record(c))
		}
		if len(all) > maxCallExport {
			return errorf(422, "too_many_calls", "내보낼 통화가 %d건을 넘습니다. 기간을 나누어 내보내세요", maxCallExport)
		}
		if len(list) < f.Limit {
			break
		}
		last := list[len(list)-1]
		f.Before, f.BeforeID = last.StartedAt, last.ID
	}
	name := "ringdesk-calls-" + strings.Join(f.Services, "_") + "-" + s.clock.Now().In(loc).Format("20060102-1504") + ".csv"
	return writeCSV(w, name, callColumns(loc), all)
}

var outcomeLabels = map[string]string{tickets.OutcomeAnswered: "응답", tickets.OutcomeAbandoned: "포기",
	tickets.OutcomeFailed: "연결 실패", tickets.OutcomeInternal: "내선"}

var directionLabels = map[tickets.Direction]string{tickets.Inbound: "수신", tickets.Outbound: "발신", tickets.Internal: "내선"}

func callColumns(loc *time.Location) []column[callRecord] {
	type r = callRecord
	return []column[r]{
		{"시작", func(x r) string { return cTime(x.StartedAt, loc) }},
		{"방향", func(x r) string { return directionLabels[x.Direction] }},
		{"발신 번호", func(x r) string { return x.From }},
		{"수신 번호", func(x r) string { return x.To }},
		{"발신번호 표시", func(x r) string { return x.CallerID }},
		{"서비스", func(x r) string { return x.Service }},
		{"큐", func(x r) string { return x.Queue }},
		{"상담원", func(x r) string { return x.Agent }},
		{"상담원 이름", func(x r) string { return x.AgentName }},
		{"결과", func(x r) string { return outcomeLabels[x.Outcome] }},
		{"대기(초)", func(x r) string { return cNum(x.WaitSeconds) }},
		{"통화(초)", func(x r) string { return cNum(x.TalkSeconds) }},
		{"보류(초)", func(x r) string { return cNum(x.HoldSeconds) }},
		{"응답 시각", func(x r) string { return cTimePtr(x.AnsweredAt, loc) }},
		{"종료 시각", func(x r) string { return cTimePtr(x.EndedAt, loc) }},
		{"종료 원인", func(x r) string { return x.HangupCause }},
		{"종료한 쪽", func(x r) string { return x.HangupBy }},
		{"호전환", func(x r) string { return cInt(len(x.Transfers)) }},
		{"티켓", func(x r) string {
			if x.Ticket == nil {
				return ""
			}
			return strconv.FormatInt(*x.Ticket, 10)
		}},
		{"통화 ID", func(x r) string { return x.ID }},
	}
}
