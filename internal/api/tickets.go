package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/events"
	"ringdesk/internal/tickets"
)

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	f := tickets.Filter{Status: tickets.Status(q.Get("status")), Phone: plainNumber(q.Get("phone")), Assignee: q.Get("assignee"), Limit: 50}
	if svc := q.Get("service"); svc != "" {
		if err := requireService(p, svc); err != nil {
			return err
		}
		f.Services = []string{svc}
	} else {
		f.Services = s.visibleServices(p)
	}
	if f.Status != "" && !tickets.ValidStatus(f.Status) {
		return errorf(400, "invalid_field", "status must be one of new, open, pending, solved, closed")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return errorf(400, "invalid_field", "limit must be 1..500")
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return errorf(400, "invalid_field", "before must be a ticket id")
		}
		f.BeforeID = n
	}
	switch q.Get("callback") {
	case "":
	case "true":
		return s.listMissed(w, r, f, q.Get("limit") != "")
	default:
		return fieldError(400, "callback", "callback은 true로만 쓸 수 있습니다 (콜백 필요 티켓 목록)")
	}
	list := []tickets.Ticket{}
	if len(f.Services) > 0 {
		var err error
		if list, err = s.st.Tickets().List(r.Context(), f); err != nil {
			return err
		}
	}
	out := make([]ticketSummary, 0, len(list))
	for _, t := range list {
		out = append(out, summarize(t))
	}
	writeJSON(w, 200, map[string]any{"tickets": out})
	return nil
}

// ticketSummary is a ticket in a list: without its notes and calls.
type ticketSummary struct {
	ID        int64          `json:"id"`
	Service   string         `json:"service"`
	Subject   string         `json:"subject"`
	Status    tickets.Status `json:"status"`
	Assignee  string         `json:"assignee"`
	Phone     string         `json:"phone"`
	Callback  bool           `json:"callback"` // 콜백 필요
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	// In the missed-call list (callback=true): when the caller last gave up waiting, how long
	// the caller had waited, and how many of the ticket's calls were missed.
	MissedAt    *time.Time `json:"missed_at,omitempty"`
	WaitSeconds *float64   `json:"wait_seconds,omitempty"`
	MissedCalls int        `json:"missed_calls,omitempty"`
}

func summarize(t tickets.Ticket) ticketSummary {
	return ticketSummary{ID: t.ID, Service: t.Service, Subject: t.Subject, Status: t.Status, Assignee: t.Assignee,
		Phone: t.Phone, Callback: t.Callback, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// listMissed is the missed-call list (부재중): the tickets marked 콜백 필요, each with the caller's
// number and when the caller last gave up, the most recent first.
func (s *Server) listMissed(w http.ResponseWriter, r *http.Request, f tickets.Filter, limited bool) error {
	if f.BeforeID != 0 {
		return fieldError(400, "before", "부재중 목록(callback=true)은 before 없이 limit으로 가져옵니다")
	}
	if !limited {
		f.Limit = 100
	}
	f.Callback = true
	out := []ticketSummary{}
	if len(f.Services) > 0 {
		list, err := s.st.Tickets().List(r.Context(), f)
		if err != nil {
			return err
		}
		for _, t := range list {
			sum := summarize(t)
			calls, err := s.st.Calls().ListForTicket(r.Context(), t.ID)
			if err != nil {
				return err
			}
			for _, c := range calls {
				if c.Outcome != tickets.OutcomeAbandoned {
					continue
				}
				sum.MissedCalls++
				at := c.StartedAt
				if c.EndedAt != nil {
					at = *c.EndedAt
				}
				if sum.MissedAt == nil || at.After(*sum.MissedAt) {
					wait := c.WaitSeconds
					sum.MissedAt, sum.WaitSeconds = &at, &wait
				}
			}
			out = append(out, sum)
		}
	}
	when := func(t ticketSummary) time.Time {
		if t.MissedAt != nil {
			return *t.MissedAt
		}
		return t.UpdatedAt
	}
	sort.SliceStable(out, func(i, j int) bool { return when(out[i]).After(when(out[j])) })
	writeJSON(w, 200, map[string]any{"tickets": out})
	return nil
}

// visibleServices lists the services whose tickets p may see.
func (s *Server) visibleServices(p *auth.Principal) []string {
	var out []string
	for _, svc := range s.site().Site.Services {
		if p.CanSeeService(svc.ID) {
			out = append(out, svc.ID)
		}
	}
	return out
}

func (s *Server) ticketFor(r *http.Request, p *auth.Principal) (tickets.Ticket, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return tickets.Ticket{}, errorf(400, "invalid_field", "ticket id must be a positive number")
	}
	t, err := s.st.Tickets().Get(r.Context(), id)
	if err != nil {
		return t, err
	}
	if !p.CanSeeService(t.Service) {
		return t, errorf(404, "not_found", "not found") // do not reveal other services' tickets
	}
	return t, nil
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	t, err := s.ticketFor(r, p)
	if err != nil {
		return err
	}
	// the caller's earlier tickets: those made before this one (ids grow with time), not the
	// ones that came after it
	earlier := []ticketSummary{}
	if t.Phone != "" {
		list, err := s.st.Tickets().List(r.Context(), tickets.Filter{Services: []string{t.Service}, Phone: t.Phone, BeforeID: t.ID, Limit: 20})
		if err != nil {
			return err
		}
		for _, x := range list {
			earlier = append(earlier, summarize(x))
		}
	}
	if t.Notes == nil {
		t.Notes = []tickets.Note{}
	}
	if t.Calls == nil {
		t.Calls = []tickets.Call{}
	}
	for i := range t.Calls {
		if t.Calls[i].Transfers == nil {
			t.Calls[i].Transfers = []tickets.Transfer{}
		}
	}
	if err := s.attachRecordings(r, t.Calls); err != nil {
		return err
	}
	writeJSON(w, 200, struct {
		tickets.Ticket
		Earlier []ticketSummary `json:"earlier"`
	}{t, earlier})
	return nil
}

func (s *Server) patchTicket(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	t, err := s.ticketFor(r, p)
	if err != nil {
		return err
	}
	var req struct {
		Status   *string `json:"status"`
		Subject  *string `json:"subject"`
		Note     string  `json:"note"`
		Assignee *string `json:"assignee"`
		Callback *bool   `json:"callback"` // false: the customer was called back some other way
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u := tickets.Update{Subject: req.Subject, Note: req.Note, Author: p.Login, Callback: req.Callback}
	if req.Status != nil {
		st := tickets.Status(*req.Status)
		u.Status = &st
	}
	if req.Assignee != nil {
		if *req.Assignee != "" {
			a, ok := s.site().Agents[*req.Assignee]
			if !ok || !contains(a.Services, t.Service) {
				e := errorf(422, "invalid_field", "assignee %q is not an agent of %s", *req.Assignee, t.Service)
				e.Field, e.Params = "assignee", map[string]string{"assignee": *req.Assignee, "service": t.Service}
				return e
			}
		}
		u.Assignee = req.Assignee
	}
	if err := u.Validate(); err != nil {
		e := errorf(422, "invalid_field", "%v", err)
		e.Field, _, _ = strings.Cut(err.Error(), ":") // status, subject or note
		return e
	}
	if u.Status == nil && u.Subject == nil && u.Assignee == nil && u.Callback == nil && u.Note == "" {
		return errorf(400, "invalid_field", "nothing to change: give status, subject, assignee, callback or note")
	}
	nt, err := s.st.Tickets().Update(r.Context(), t.ID, u, s.clock.Now())
	if err != nil {
		return err
	}
	data := map[string]any{"ticket": nt.ID, "by": p.Login}
	if u.Callback != nil {
		data["callback"] = nt.Callback // the missed-call lists drop or add it
	}
	s.bus.Publish(events.Event{Type: events.TicketUpdated, At: s.clock.Now(), Service: nt.Service, Agent: nt.Assignee,
		Data: data})
	if nt.Notes == nil {
		nt.Notes = []tickets.Note{}
	}
	if nt.Calls == nil {
		nt.Calls = []tickets.Call{}
	}
	writeJSON(w, 200, nt)
	return nil
}
