package api

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/auth"
	"ringdesk/internal/engine"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

// The CTI endpoints act as the agent the caller is logged in as.

func (s *Server) ctiView(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := s.eng.Where(p.Login); err != nil {
		return err // served by another node: asked there
	}
	writeJSON(w, 200, s.view(p.Login))
	return nil
}

// ok answers a successful command with the agent's state after it.
func (s *Server) ok(w http.ResponseWriter, p *auth.Principal) error {
	writeJSON(w, 200, s.view(p.Login))
	return nil
}

// ctiView is the engine's view of an agent with what the API knows besides: whether the
// agent's desk phone is registered. An agent whose phone is off is offered calls that ring
// nothing and is moved to 휴식 at the recall time; the widget warns first.
type ctiView struct {
	engine.View
	Phone *phoneStatus `json:"phone,omitempty"`
}

type phoneStatus struct {
	Kind       site.PhoneKind `json:"kind"`
	Extension  string         `json:"extension,omitempty"`
	Registered bool           `json:"registered"`
}

func (s *Server) view(login string) ctiView {
	v := ctiView{View: s.eng.View(login)}
	if a, ok := s.site().Agents[login]; ok && s.phones != nil && a.Phone == site.PhoneSIP && a.Extension != "" {
		v.Phone = &phoneStatus{Kind: a.Phone, Extension: a.Extension, Registered: s.phones.Registered(a.Extension)}
	}
	return v
}

func (s *Server) ctiLogin(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Service string `json:"service"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Service == "" {
		e := errorf(400, "invalid_field", "service is required")
		e.Field = "service"
		return e
	}
	if err := s.eng.Login(p.Login, req.Service); err != nil {
		return err
	}
	return s.ok(w, p)
}

func (s *Server) ctiLogout(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := s.eng.Logout(p.Login); err != nil {
		return err
	}
	return s.ok(w, p)
}

func (s *Server) ctiState(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.eng.SetState(p.Login, agent.State(req.State), req.Reason); err != nil {
		return err
	}
	return s.ok(w, p)
}

// noBody runs a command that takes no body (an empty body or {} is accepted).
func (s *Server) noBody(f func(login string) error) handler {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		if r.ContentLength > 0 {
			var empty struct{}
			if err := decode(w, r, &empty); err != nil {
				return err
			}
		}
		if err := f(p.Login); err != nil {
			return err
		}
		return s.ok(w, p)
	}
}

func (s *Server) ctiAccept(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.Accept)(w, r, p)
}
func (s *Server) ctiReject(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.Reject)(w, r, p)
}
func (s *Server) ctiHold(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.Hold)(w, r, p)
}
func (s *Server) ctiUnhold(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.Unhold)(w, r, p)
}
func (s *Server) ctiConsultComplete(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.CompleteConsult)(w, r, p)
}
func (s *Server) ctiConsultCancel(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.CancelConsult)(w, r, p)
}
func (s *Server) ctiForcedHangup(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.ForcedHangup)(w, r, p)
}
func (s *Server) ctiHangup(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.noBody(s.eng.Hangup)(w, r, p)
}

// ctiDial is 걸기. With a ticket (걸기 back from the missed-call list) the answered call joins
// that ticket and clears its 콜백 필요; the number may then be left out: the ticket's is called.
func (s *Server) ctiDial(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Number   string `json:"number"`
		CallerID string `json:"caller_id"`
		Ticket   int64  `json:"ticket"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Ticket != 0 {
		svc, in := s.eng.Session(p.Login)
		if !in {
			return errorf(409, "invalid_state", "CTI 로그인이 필요합니다")
		}
		t, err := s.st.Tickets().Get(r.Context(), req.Ticket)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !p.CanSeeService(t.Service)) {
			e := errorf(404, "not_found", "티켓 %d이(가) 없습니다", req.Ticket)
			e.Field = "ticket"
			return e
		}
		if err != nil {
			return err
		}
		if t.Service != svc {
			e := errorf(422, "ticket_other_service", "티켓 %d은(는) 지금 근무 중인 서비스의 티켓이 아닙니다", req.Ticket)
			e.Field = "ticket"
			return e
		}
		if req.Number == "" {
			req.Number = t.Phone
		}
	}
	if err := s.eng.DialFor(p.Login, plainNumber(req.Number), plainNumber(req.CallerID), req.Ticket); err != nil {
		return err
	}
	return s.ok(w, p)
}

func (s *Server) ctiConsult(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Target string `json:"target"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.eng.Consult(p.Login, plainNumber(req.Target)); err != nil {
		return err
	}
	return s.ok(w, p)
}

func (s *Server) ctiAfterCall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Action string `json:"action"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.eng.AfterCall(p.Login, req.Action); err != nil {
		return err
	}
	return s.ok(w, p)
}

func (s *Server) ctiReadyAgents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := s.eng.ReadyAgents(p.Login, r.URL.Query().Get("group"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"agents": nonNilSlice(list)})
	return nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ctiSettings is what the widget needs of the agent's service: the registered caller IDs in
// their order (전화 걸기), favourites and groups (호전환), the announcement text (강성종료), the
// work reasons and the recall time.
func (s *Server) ctiSettings(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	svcID := r.URL.Query().Get("service")
	if svcID == "" {
		svcID, _ = s.eng.Session(p.Login)
	}
	if svcID == "" {
		return errorf(400, "invalid_field", "service is required when not logged in to CTI")
	}
	if err := requireService(p, svcID); err != nil {
		return err
	}
	var svc *site.Service
	for i, x := range s.site().Site.Services {
		if x.ID == svcID {
			svc = &s.site().Site.Services[i]
		}
	}
	if svc == nil {
		return errorf(404, "not_found", "service %q does not exist", svcID)
	}
	callerIDs := []string{}
	for _, c := range svc.CallerIDs {
		if c.Status == site.CallerIDRegistered {
			callerIDs = append(callerIDs, c.Number)
		}
	}
	reasons := []map[string]string{}
	for _, rs := range agent.Reasons {
		reasons = append(reasons, map[string]string{"code": string(rs), "ko": rs.Label("ko"), "en": rs.Label("en")})
	}
	recall := svc.RecallSeconds
	if recall == 0 {
		recall = site.DefaultRecallSeconds
	}
	writeJSON(w, 200, map[string]any{
		"service": svc.ID, "name": svc.Name, "cti": svc.CTI, "recall_seconds": recall,
		"caller_ids": callerIDs, "favorites": nonNilSlice(svc.Favorites), "groups": nonNilSlice(svc.Groups),
		"hangup_announcement": svc.HangupAnnouncement.Text, "work_reasons": reasons,
	})
	return nil
}

// ctiHistory is the agent's own state history (for the widget's time-in-state and audits).
func (s *Server) ctiHistory(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	who := p.Login
	if q := r.URL.Query().Get("agent"); q != "" && q != p.Login {
		a, ok := s.site().Agents[q]
		if !ok {
			return errorf(404, "not_found", "agent %q does not exist", q)
		}
		allowed := p.IsAdmin()
		for _, svc := range a.Services {
			allowed = allowed || p.CanManageService(svc)
		}
		if !allowed {
			return errorf(403, "forbidden", "you may only see your own history or your services' agents")
		}
		who = q
	}
	since := time.Time{}
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return errorf(400, "invalid_field", "since must be RFC 3339")
		}
		since = t
	}
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errorf(400, "invalid_field", "limit must be 1..1000")
		}
		limit = n
	}
	list, err := s.st.States().List(r.Context(), who, since, limit)
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"changes": nonNilSlice(list)})
	return nil
}

func (s *Server) live(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	svc := r.URL.Query().Get("service")
	if svc == "" {
		return errorf(400, "invalid_field", "service is required")
	}
	if err := requireManager(p, svc); err != nil {
		return err
	}
	l, err := s.eng.Live(svc)
	if err != nil {
		return err
	}
	type agentLive struct {
		Login      string  `json:"login"`
		Name       string  `json:"name"`
		Extension  string  `json:"extension,omitempty"`
		State      string  `json:"state"`
		Label      string  `json:"label"`
		Reason     string  `json:"reason,omitempty"`
		Seconds    float64 `json:"seconds_in_state"`
		Call       string  `json:"call,omitempty"`
		Registered *bool   `json:"phone_registered,omitempty"`
	}
	out := []agentLive{}
	now := s.clock.Now()
	for _, a := range l.Agents {
		al := agentLive{Login: a.Login, Name: a.Name, Extension: a.Extension, State: string(a.State), Label: a.State.Label("ko"),
			Reason: string(a.Reason), Seconds: now.Sub(a.Since).Seconds(), Call: a.Call}
		if s.phones != nil && a.Extension != "" {
			reg := s.phones.Registered(a.Extension)
			al.Registered = &reg
		}
		out = append(out, al)
	}
	// every agent of the service is listed, logged in or not, so that a manager sees who is
	// missing (and can act on whoever is logged in)
	listed := map[string]bool{}
	for _, a := range out {
		listed[a.Login] = true
	}
	for _, a := range s.site().Site.Agents {
		if listed[a.Login] || !contains(a.Services, svc) || (a.Extension == "" && a.Phone != site.PhoneBrowser) {
			continue
		}
		al := agentLive{Login: a.Login, Name: a.Name, Extension: a.Extension, State: string(agent.LoggedOut),
			Label: agent.LoggedOut.Label("ko")}
		if s.phones != nil && a.Extension != "" {
			reg := s.phones.Registered(a.Extension)
			al.Registered = &reg
		}
		out = append(out, al)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Login < out[j].Login })
	writeJSON(w, 200, map[string]any{"service": l.Service, "at": l.At, "agents": out, "queues": l.Queues, "calls": l.Calls,
		"monitors": l.Monitors})
	return nil
}
