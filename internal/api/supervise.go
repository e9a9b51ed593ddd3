package api

import (
	"net/http"

	"ringdesk/internal/agent"
	"ringdesk/internal/auth"
)

// A supervisor's hand (SPEC §9): a manager of the agent's service, or an administrator, puts
// an agent on 휴식/업무/기본/대기 or logs it out of CTI. The engine's state machine decides
// what is allowed (an agent on a call is not moved off it: 409 invalid_state), records who did
// it and tells the agent's widget (agent.forced, and a notice naming the manager).

// supervised checks that p may act on the agent in the path: 404 for an unknown agent, 403
// unless p manages the service the agent is logged in to (or, logged out, one of its services).
func (s *Server) supervised(r *http.Request, p *auth.Principal) (string, error) {
	login := r.PathValue("login")
	a, ok := s.site().Agents[login]
	if !ok {
		return "", errorf(404, "not_found", "상담원 %s이(가) 없습니다", login)
	}
	if svc, in := s.eng.Session(login); in {
		if !p.CanManageService(svc) {
			return "", errorf(403, "forbidden", "서비스 %s의 관리자만 이 상담원의 상태를 바꿀 수 있습니다", svc)
		}
		return login, nil
	}
	for _, svc := range a.Services {
		if p.CanManageService(svc) {
			return login, nil
		}
	}
	if p.IsAdmin() {
		return login, nil
	}
	return "", errorf(403, "forbidden", "이 상담원이 속한 서비스의 관리자만 상태를 바꿀 수 있습니다")
}

func (s *Server) superviseState(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	login, err := s.supervised(r, p)
	if err != nil {
		return err
	}
	var req struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.eng.Supervise(login, agent.State(req.State), req.Reason, p.Login, p.Name); err != nil {
		return err
	}
	writeJSON(w, 200, s.eng.View(login))
	return nil
}

func (s *Server) superviseLogout(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	login, err := s.supervised(r, p)
	if err != nil {
		return err
	}
	if r.ContentLength > 0 {
		var empty struct{}
		if err := decode(w, r, &empty); err != nil {
			return err
		}
	}
	if err := s.eng.SuperviseLogout(login, p.Login, p.Name); err != nil {
		return err
	}
	writeJSON(w, 200, s.eng.View(login))
	return nil
}
