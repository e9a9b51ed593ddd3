package api

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, 200, map[string]string{"status": "ok"})
	return nil
}

// account is how an account is shown: never with secrets.
type account struct {
	Login      string         `json:"login"`
	Name       string         `json:"name"`
	Role       site.Role      `json:"role"`
	Services   []string       `json:"services"`
	Phone      []string       `json:"phone_services"` // services where the agent has the 전화 permission
	Groups     []string       `json:"groups"`
	Extension  string         `json:"extension,omitempty"`
	PhoneKind  site.PhoneKind `json:"phone,omitempty"`
	AutoAccept bool           `json:"auto_accept"`
}

func (s *Server) accountOf(a *site.Agent) account {
	acc := account{Login: a.Login, Name: a.Name, Role: a.Role, Services: nonNil(a.Services), Groups: nonNil(a.Groups),
		Extension: a.Extension, PhoneKind: a.Phone, AutoAccept: a.AutoAccept, Phone: []string{}}
	for _, svc := range s.site().Site.Services {
		if svc.CTI && a.HasPhone(svc.ID) {
			acc.Phone = append(acc.Phone, svc.ID)
		}
	}
	return acc
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func contains(list []string, x string) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// login is POST /api/v1/session. It takes JSON only and refuses another site's page: a form
// on any site could otherwise post an attacker's credentials and log the visitor's browser in
// as the attacker (login CSRF). The attempt is counted before the password is checked, and the
// check waits its turn (see auth.Limiter and auth.Verifier).
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if !isJSON(r) {
		return errorf(415, "unsupported_media_type", "send the login as application/json")
	}
	if requestSite(r) == otherSite {
		return errorf(403, "forbidden", "cross-site request refused")
	}
	var req struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Login == "" || req.Password == "" {
		return errorf(400, "invalid_credentials", "login and password are required")
	}
	ip := s.clientIP(r)
	attempt, err := s.limiter.Reserve(req.Login, ip)
	var throttled *auth.ErrThrottled
	if errors.As(err, &throttled) {
		w.Header().Set("Retry-After", strconv.FormatInt(throttled.Seconds(), 10))
		return errorf(429, "too_many_attempts", "%v", err)
	}
	if err != nil {
		return err
	}
	a, known := s.site().Agents[req.Login]
	hash := ""
	if known {
		hash = a.PasswordHash
	}
	ok, err := s.verifier.Verify(r.Context(), hash, req.Password)
	if err != nil {
		// not checked: the server was busy, or the client stopped waiting (then nobody reads
		// this answer, and it is no error of ours to log)
		attempt.Cancel()
		retry := time.Second
		var busy *auth.ErrBusy
		if errors.As(err, &busy) {
			retry = busy.RetryAfter
		}
		w.Header().Set("Retry-After", strconv.FormatInt(int64(retry/time.Second), 10))
		return errorf(503, "busy", "too many logins at once; try again in %d s", int64(retry/time.Second))
	}
	if !ok {
		attempt.Failed()
		// one line per checked failure, for an operator's fail2ban; the throttle bounds them
		s.log.Warn("login failed", "login", req.Login, "client", ip)
		return errorf(401, "invalid_credentials", "wrong login or password")
	}
	attempt.Succeeded()
	token, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if err := s.st.Sessions().Create(r.Context(), store.Session{TokenHash: hash, Login: a.Login, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}); err != nil {
		return err
	}
	http.SetCookie(w, s.sessionCookie(r, token, int(s.ttl.Seconds())))
	writeJSON(w, 200, map[string]any{"token": token, "agent": s.accountOf(a), "expires_at": now.Add(s.ttl).UTC()})
	return nil
}

// sessionCookie is the console's session: never readable by scripts, never sent with another
// site's requests, and Secure whenever the browser reached us over TLS (directly or through a
// trusted proxy) — but not otherwise, or a browser on plain HTTP would never send it back.
func (s *Server) sessionCookie(r *http.Request, token string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.overTLS(r), MaxAge: maxAge}
}

// isJSON reports whether the body is declared application/json.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	a, ok := s.site().Agents[p.Login]
	if !ok {
		return errorf(401, "unauthorized", "the account no longer exists")
	}
	writeJSON(w, 200, map[string]any{"agent": s.accountOf(a)})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	token := ""
	if c, err := r.Cookie(cookieName); err == nil {
		token = c.Value
	}
	if hv := r.Header.Get("Authorization"); hv != "" {
		token = hv[len("Bearer "):]
	}
	hash := auth.HashToken(token)
	if err := s.st.Sessions().Delete(r.Context(), hash); err != nil {
		return err
	}
	s.sockets.endSession(hash)
	http.SetCookie(w, s.sessionCookie(r, "", -1))
	w.WriteHeader(204)
	return nil
}
