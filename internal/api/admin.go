package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"ringdesk/internal/auth"
	"ringdesk/internal/events"
	"ringdesk/internal/provision"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/wav"
)

// edit changes the configuration: load what is stored, let f change it, validate the whole
// site with the same rules as provisioning, save, and tell the engine and the SIP layer.
// Nothing is saved when f or validation fails.
func (s *Server) edit(ctx context.Context, by string, f func(st *site.Site) error) (*site.Site, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, err := s.st.Site().Load(ctx)
	if err != nil {
		return nil, err
	}
	if err := f(cur); err != nil {
		return nil, err
	}
	provision.Defaults(cur)
	if probs := provision.ValidateSiteByKey(cur); len(probs) > 0 {
		return nil, provision.Problems(probs)
	}
	if err := s.st.Site().Save(ctx, cur); err != nil {
		return nil, err
	}
	x, err := s.dir.Reload(ctx)
	if err != nil {
		return nil, err
	}
	s.bus.Publish(events.Event{Type: events.SiteChanged, At: s.clock.Now(), Data: map[string]string{"by": by}})
	return x.Site, nil
}

// publicSite is the configuration without secrets.
func publicSite(st *site.Site) *site.Site {
	out := *st
	out.Agents = make([]site.Agent, len(st.Agents))
	for i, a := range st.Agents {
		out.Agents[i] = publicAgent(a)
	}
	out.Trunks = make([]site.Trunk, len(st.Trunks))
	for i, t := range st.Trunks {
		t.Password = ""
		out.Trunks[i] = t
	}
	return &out
}

func publicAgent(a site.Agent) site.Agent {
	a.Password, a.SIPPassword = "", ""
	a.PasswordHash, a.SIPHA1, a.SIPHA1SHA256 = "", "", ""
	if a.Services == nil {
		a.Services = []string{}
	}
	if a.Groups == nil {
		a.Groups = []string{}
	}
	return a
}

func (s *Server) getSite(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	writeJSON(w, 200, publicSite(s.site().Site))
	return nil
}

func (s *Server) findService(st *site.Site, id string) (*site.Service, error) {
	for i := range st.Services {
		if st.Services[i].ID == id {
			return &st.Services[i], nil
		}
	}
	return nil, errorf(404, "not_found", "service %q does not exist", id)
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	out := []site.Service{}
	for _, svc := range s.site().Site.Services {
		if p.CanSeeService(svc.ID) {
			out = append(out, svc)
		}
	}
	writeJSON(w, 200, map[string]any{"services": out})
	return nil
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id := r.PathValue("id")
	if err := requireService(p, id); err != nil {
		return err
	}
	svc, err := s.findService(s.site().Site, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, svc)
	return nil
}

// putService creates or replaces a whole service (administrators).
func (s *Server) putService(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	var svc site.Service
	if err := decode(w, r, &svc); err != nil {
		return err
	}
	id := r.PathValue("id")
	if svc.ID == "" {
		svc.ID = id
	}
	if svc.ID != id {
		return errorf(400, "invalid_field", "the body's id %q differs from the path's %q", svc.ID, id)
	}
	status := 200
	saved, err := s.edit(r.Context(), p.Login, func(st *site.Site) error {
		for i := range st.Services {
			if st.Services[i].ID == id {
				st.Services[i] = svc
				return nil
			}
		}
		status = 201
		st.Services = append(st.Services, svc)
		return nil
	})
	if err != nil {
		return err
	}
	out, _ := s.findService(saved, id)
	writeJSON(w, status, out)
	return nil
}

func (s *Server) deleteService(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	id := r.PathValue("id")
	if live, err := s.eng.Live(id); err == nil && (live.Calls > 0 || len(live.Agents) > 0) {
		e := errorf(409, "in_use", "service %s has %d live call(s) and %d agent(s) logged in to CTI", id, live.Calls, len(live.Agents))
		e.Params = map[string]string{"service": id, "calls": fmt.Sprint(live.Calls), "agents": fmt.Sprint(len(live.Agents))}
		return e
	}
	_, err := s.edit(r.Context(), p.Login, func(st *site.Site) error {
		if _, err := s.findService(st, id); err != nil {
			return err
		}
		svcs := st.Services[:0]
		for _, x := range st.Services {
			if x.ID != id {
				svcs = append(svcs, x)
			}
		}
		st.Services = svcs
		for i := range st.Agents {
			st.Agents[i].Services = without(st.Agents[i].Services, id)
			if ps := st.Agents[i].PhoneServices; ps != nil {
				st.Agents[i].PhoneServices = site.Phones(without(*ps, id)...)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(204)
	return nil
}

func without(list []string, x string) []string {
	out := []string{}
	for _, v := range list {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// editService changes one service; managers of the service may make the changes allowed
// below, administrators any.
func (s *Server) editService(w http.ResponseWriter, r *http.Request, p *auth.Principal, adminOnly bool, f func(svc *site.Service) error) error {
	id := r.PathValue("id")
	if adminOnly {
		if err := requireAdmin(p); err != nil {
			return err
		}
	} else if err := requireManager(p, id); err != nil {
		return err
	}
	saved, err := s.edit(r.Context(), p.Login, func(st *site.Site) error {
		svc, err := s.findService(st, id)
		if err != nil {
			return err
		}
		return f(svc)
	})
	if err != nil {
		return err
	}
	out, _ := s.findService(saved, id)
	writeJSON(w, 200, out)
	return nil
}

// putCallerIDs replaces the 발신번호 list: its order is the display order. Only an
// administrator may mark a number registered (등록 완료).
func (s *Server) putCallerIDs(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var list []site.CallerID
	if err := decode(w, r, &list); err != nil {
		return err
	}
	for i := range list {
		list[i].Number = plainNumber(list[i].Number)
	}
	return s.editService(w, r, p, false, func(svc *site.Service) error {
		if !p.IsAdmin() {
			was := map[string]site.CallerIDStatus{}
			for _, c := range svc.CallerIDs {
				was[c.Number] = c.Status
			}
			for _, c := range list {
				if c.Status == site.CallerIDRegistered && was[c.Number] != site.CallerIDRegistered {
					return approveForbidden(c.Number)
				}
			}
		}
		svc.CallerIDs = nonNilSlice(list)
		return nil
	})
}

// addCallerID registers a new number as requested (등록 요청), appended to the list.
func (s *Server) addCallerID(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var c site.CallerID
	if err := decode(w, r, &c); err != nil {
		return err
	}
	c.Number = plainNumber(c.Number)
	if c.Status == "" {
		c.Status = site.CallerIDRequested
	}
	if c.Status == site.CallerIDRegistered && !p.IsAdmin() {
		return approveForbidden(c.Number)
	}
	return s.editService(w, r, p, false, func(svc *site.Service) error {
		for _, x := range svc.CallerIDs {
			if x.Number == c.Number {
				e := errorf(409, "conflict", "caller ID %s is already listed", c.Number)
				e.Field, e.Params = "number", map[string]string{"number": c.Number}
				return e
			}
		}
		svc.CallerIDs = append(svc.CallerIDs, c)
		return nil
	})
}

// patchCallerID changes a number's status (approve: registered) or moves it to a position.
func (s *Server) patchCallerID(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Status   *site.CallerIDStatus `json:"status"`
		Position *int                 `json:"position"` // 0-based place in the list
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	number := plainNumber(r.PathValue("number"))
	if req.Status != nil && *req.Status == site.CallerIDRegistered && !p.IsAdmin() {
		return approveForbidden(number)
	}
	return s.editService(w, r, p, false, func(svc *site.Service) error {
		idx := -1
		for i, x := range svc.CallerIDs {
			if x.Number == number {
				idx = i
			}
		}
		if idx < 0 {
			return errorf(404, "not_found", "caller ID %s is not listed", number)
		}
		if req.Status != nil {
			svc.CallerIDs[idx].Status = *req.Status
		}
		if req.Position != nil {
			pos := *req.Position
			if pos < 0 || pos >= len(svc.CallerIDs) {
				e := errorf(422, "invalid_field", "position must be 0..%d", len(svc.CallerIDs)-1)
				e.Field = "position"
				return e
			}
			c := svc.CallerIDs[idx]
			list := append(append([]site.CallerID{}, svc.CallerIDs[:idx]...), svc.CallerIDs[idx+1:]...)
			list = append(list[:pos], append([]site.CallerID{c}, list[pos:]...)...)
			svc.CallerIDs = list
		}
		return nil
	})
}

func (s *Server) deleteCallerID(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	number := plainNumber(r.PathValue("number"))
	return s.editService(w, r, p, false, func(svc *site.Service) error {
		out := svc.CallerIDs[:0]
		found := false
		for _, x := range svc.CallerIDs {
			if x.Number == number {
				found = true
				continue
			}
			out = append(out, x)
		}
		if !found {
			return errorf(404, "not_found", "caller ID %s is not listed", number)
		}
		svc.CallerIDs = out
		return nil
	})
}

func (s *Server) putFavorites(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var list []site.Favorite
	if err := decode(w, r, &list); err != nil {
		return err
	}
	for i := range list {
		list[i].Number = plainNumber(list[i].Number)
	}
	return s.editService(w, r, p, false, func(svc *site.Service) error { svc.Favorites = nonNilSlice(list); return nil })
}

func (s *Server) putGroups(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var list []site.Group
	if err := decode(w, r, &list); err != nil {
		return err
	}
	return s.editService(w, r, p, true, func(svc *site.Service) error { svc.Groups = nonNilSlice(list); return nil })
}

func (s *Server) putQueues(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var list []site.Queue
	if err := decode(w, r, &list); err != nil {
		return err
	}
	return s.editService(w, r, p, true, func(svc *site.Service) error { svc.Queues = nonNilSlice(list); return nil })
}

// putRecording sets a service's call recording. Only an administrator may: what is recorded
// and for how long is a matter of the site's policy and law, not of one service.
func (s *Server) putRecording(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var rec site.Recording
	if err := decode(w, r, &rec); err != nil {
		return err
	}
	return s.editService(w, r, p, true, func(svc *site.Service) error { svc.Recording = rec; return nil })
}

func (s *Server) putNumbers(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var list []site.Number
	if err := decode(w, r, &list); err != nil {
		return err
	}
	for i := range list {
		list[i].Number = plainNumber(list[i].Number)
	}
	return s.editService(w, r, p, true, func(svc *site.Service) error { svc.Numbers = nonNilSlice(list); return nil })
}

// maxAudio bounds an uploaded prompt: ten minutes of 8 kHz 16-bit audio.
const maxAudio = 10 << 20

// uploadRate is the slowest an authorised upload may arrive: the server's read timeout is
// sized for small JSON bodies, so an upload gets longer in proportion to its size.
const uploadRate = 16 << 10 // bytes per second

// putAudio uploads the service's hold audio (kind hold) or 강성종료 announcement (kind hangup)
// as an 8 kHz mono WAV body. Who may upload, to which service, and how much is decided before
// a byte of the body is read: a refused upload costs the server nothing but its headers.
func (s *Server) putAudio(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	kind := r.PathValue("kind")
	if kind != "hold" && kind != "hangup" && kind != "recording" {
		return errorf(404, "not_found", "audio kind must be hold, hangup or recording")
	}
	id := r.PathValue("id")
	if err := requireManager(p, id); err != nil {
		return err
	}
	if _, err := s.findService(s.site().Site, id); err != nil {
		return err
	}
	if r.ContentLength > maxAudio {
		return audioTooLarge()
	}
	size := r.ContentLength
	if size < 0 {
		size = maxAudio // chunked: as long as the largest it may be
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(30*time.Second + time.Duration(size/uploadRate)*time.Second))
	data, err := readLimited(http.MaxBytesReader(w, r.Body, maxAudio), r.ContentLength, maxAudio)
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return audioTooLarge()
		}
		return errorf(400, "invalid_body", "the upload was cut off: %v", err)
	}
	if _, err := wav.Decode(data); err != nil {
		return errorf(422, "invalid_audio", "%v", err)
	}
	a := store.Audio{Name: r.URL.Query().Get("name"), Data: data}
	if a.Name == "" {
		a.Name = kind + ".wav"
	}
	if err := s.st.Audio().Put(r.Context(), &a); err != nil {
		return err
	}
	return s.editService(w, r, p, false, func(svc *site.Service) error {
		switch kind {
		case "hold":
			svc.HoldAudio = a.ID
		case "recording":
			svc.Recording.Announce = a.ID
		default:
			svc.HangupAnnouncement.Audio = a.ID
		}
		return nil
	})
}

// readLimited reads a body of at most limit bytes (the reader enforces the limit) into one
// buffer sized from the declared length, or grown as it arrives but never past the limit, so
// that no upload holds more memory than the largest it may be.
func readLimited(r io.Reader, declared, limit int64) ([]byte, error) {
	size := int64(64 << 10)
	if declared >= 0 {
		size = declared + 1 // room to see the end without growing
	}
	buf := make([]byte, 0, min(size, limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, &http.MaxBytesError{Limit: limit}
			}
			grown := make([]byte, len(buf), min(int64(cap(buf))*2, limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (s *Server) deleteAudio(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	kind := r.PathValue("kind")
	if kind != "hold" && kind != "hangup" && kind != "recording" {
		return errorf(404, "not_found", "audio kind must be hold, hangup or recording")
	}
	return s.editService(w, r, p, false, func(svc *site.Service) error {
		switch kind {
		case "hold":
			svc.HoldAudio = ""
		case "recording":
			svc.Recording.Announce = ""
		default:
			svc.HangupAnnouncement.Audio = ""
		}
		return nil
	})
}

func (s *Server) getAudio(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ref := r.PathValue("ref")
	if strings.HasPrefix(ref, "builtin:") {
		// the built-in prompts are the same for everyone: any account may listen
		if s.builtin != nil {
			if b, ok := s.builtin(ref); ok {
				w.Header().Set("Content-Type", "audio/wav")
				w.Header().Set("Cache-Control", "private, max-age=3600")
				// a listener who stops the preview closes the connection mid-body: the
				// status is already sent, so there is nothing to answer and nothing failed
				w.Write(b)
				return nil
			}
		}
		return errorf(404, "not_found", "%s is not built-in audio", ref)
	}
	if !strings.HasPrefix(ref, "sha256:") {
		return errorf(404, "not_found", "only stored (sha256:…) or built-in (builtin:…) audio can be fetched")
	}
	// only audio some visible service uses
	used := false
	for _, svc := range s.site().Site.Services {
		if p.CanSeeService(svc.ID) && (svc.HoldAudio == ref || svc.HangupAnnouncement.Audio == ref || svc.Recording.Announce == ref) {
			used = true
		}
		for _, n := range svc.Numbers {
			if p.CanSeeService(svc.ID) && n.Greeting == ref {
				used = true
			}
		}
	}
	if !used && !p.IsAdmin() {
		return errorf(404, "not_found", "not found")
	}
	a, err := s.st.Audio().Get(r.Context(), ref)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	w.Write(a.Data) // as above: a closed connection is the listener's choice
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	out := []site.Agent{}
	for _, a := range s.site().Site.Agents {
		visible := p.IsAdmin() || a.Login == p.Login
		colleague := false
		for _, svc := range a.Services {
			visible = visible || p.CanManageService(svc)
			colleague = colleague || p.CanSeeService(svc)
		}
		switch {
		case visible:
			out = append(out, publicAgent(a))
		case colleague:
			// an agent sees its colleagues by name (a ticket's assignee, a transfer's target),
			// and nothing of their CTI settings
			out = append(out, publicAgent(site.Agent{Login: a.Login, Name: a.Name, Role: a.Role, Services: a.Services}))
		}
	}
	writeJSON(w, 200, map[string]any{"agents": out})
	return nil
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	login := r.PathValue("login")
	a, ok := s.site().Agents[login]
	if !ok {
		return errorf(404, "not_found", "agent %q does not exist", login)
	}
	visible := p.IsAdmin() || a.Login == p.Login
	for _, svc := range a.Services {
		visible = visible || p.CanManageService(svc)
	}
	if !visible {
		return errorf(404, "not_found", "agent %q does not exist", login)
	}
	writeJSON(w, 200, publicAgent(*a))
	return nil
}

// putAgent creates or replaces an account with its CTI 상담원 정보. password and sip_password
// are hashed; omitted, the stored ones are kept.
func (s *Server) putAgent(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	var a site.Agent
	if err := decode(w, r, &a); err != nil {
		return err
	}
	login := r.PathValue("login")
	if a.Login == "" {
		a.Login = login
	}
	if a.Login != login {
		return errorf(400, "invalid_field", "the body's login %q differs from the path's %q", a.Login, login)
	}
	old, exists := s.site().Agents[login]
	hadSecret := exists && (old.SIPHA1 != "" || old.SIPHA1SHA256 != "")
	if hadSecret && a.Extension != old.Extension && a.Extension != "" && a.SIPPassword == "" {
		// the stored secret was made from the old extension: kept, it would fail every REGISTER
		e := errorf(422, "invalid_field", "a new extension needs its sip_password: the digest secret depends on it")
		e.Field = "sip_password"
		return e
	}
	if !exists && a.Password == "" {
		e := errorf(422, "invalid_field", "a new account needs a password")
		e.Field = "password"
		return e
	}
	newPassword := a.Password != "" // Hash clears it
	if err := provision.Hash(&a); err != nil {
		return errorf(422, "invalid_field", "%v", err)
	}
	status := 200
	if !exists {
		status = 201
	}
	saved, err := s.edit(r.Context(), p.Login, func(st *site.Site) error {
		for i := range st.Agents {
			if st.Agents[i].Login == login {
				if a.PasswordHash == "" {
					a.PasswordHash = st.Agents[i].PasswordHash
				}
				if a.SIPHA1 == "" && a.SIPHA1SHA256 == "" && a.Extension == st.Agents[i].Extension {
					a.SIPHA1, a.SIPHA1SHA256 = st.Agents[i].SIPHA1, st.Agents[i].SIPHA1SHA256
				}
				st.Agents[i] = a
				return nil
			}
		}
		st.Agents = append(st.Agents, a)
		return nil
	})
	if err != nil {
		return err
	}
	if newPassword && exists {
		_ = s.st.Sessions().DeleteLogin(r.Context(), login) // a new password ends old sessions
		s.sockets.recheck()                                 // and their event sockets
	}
	for _, x := range saved.Agents {
		if x.Login == login {
			writeJSON(w, status, publicAgent(x))
		}
	}
	return nil
}

func (s *Server) deleteAgent(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	login := r.PathValue("login")
	if login == p.Login {
		e := errorf(409, "in_use", "you cannot delete your own account")
		e.Params = map[string]string{"agent": login, "self": "true"}
		return e
	}
	if svc, in := s.eng.Session(login); in {
		e := errorf(409, "in_use", "agent %s is logged in to CTI in %s", login, svc)
		e.Params = map[string]string{"agent": login, "service": svc}
		return e
	}
	_, err := s.edit(r.Context(), p.Login, func(st *site.Site) error {
		found := false
		out := st.Agents[:0]
		for _, a := range st.Agents {
			if a.Login == login {
				found = true
				continue
			}
			out = append(out, a)
		}
		if !found {
			return errorf(404, "not_found", "agent %q does not exist", login)
		}
		st.Agents = out
		for i := range st.Services {
			for j := range st.Services[i].Queues {
				st.Services[i].Queues[j].Members = without(st.Services[i].Queues[j].Members, login)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = s.st.Sessions().DeleteLogin(r.Context(), login)
	s.sockets.recheck()
	w.WriteHeader(204)
	return nil
}

// trunkState is a trunk as GET /api/v1/trunks shows it: its settings and its health.
type trunkState struct {
	site.Trunk
	Status     string     `json:"status,omitempty"`      // up | down
	LastAnswer *time.Time `json:"last_answer,omitempty"` // null: it never answered a probe
	RTTMs      *float64   `json:"rtt_ms,omitempty"`      // the last answer's round trip
}

func (s *Server) listTrunks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	var health map[string]TrunkHealth
	if s.trunks != nil {
		health = s.trunks.TrunkHealth()
	}
	list := []trunkState{}
	for _, t := range publicSite(s.site().Site).Trunks {
		ts := trunkState{Trunk: t}
		if h, ok := health[t.ID]; ok {
			ts.Status = "down"
			if h.Up {
				ts.Status = "up"
			}
			if !h.LastAnswer.IsZero() {
				at, ms := h.LastAnswer.UTC(), float64(h.RTT.Microseconds())/1000
				ts.LastAnswer, ts.RTTMs = &at, &ms
			}
		}
		list = append(list, ts)
	}
	writeJSON(w, 200, map[string]any{"trunks": list})
	return nil
}

func (s *Server) putTrunk(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	var t site.Trunk
	if err := decode(w, r, &t); err != nil {
		return err
	}
	id := r.PathValue("id")
	if t.ID == "" {
		t.ID = id
	}
	if t.ID != id {
		return errorf(400, "invalid_field", "the body's id %q differs from the path's %q", t.ID, id)
	}
	if t.Port == 0 {
		t.Port = 5060
	}
	status := 200
	saved, err := s.edit(r.Context(), p.Login, func(st *site.Site) error {
		for i := range st.Trunks {
			if st.Trunks[i].ID == id {
				if t.Password == "" && t.Username == st.Trunks[i].Username {
					t.Password = st.Trunks[i].Password
				}
				st.Trunks[i] = t
				return nil
			}
		}
		status = 201
		st.Trunks = append(st.Trunks, t)
		return nil
	})
	if err != nil {
		return err
	}
	for _, x := range publicSite(saved).Trunks {
		if x.ID == id {
			writeJSON(w, status, x)
		}
	}
	return nil
}

func (s *Server) deleteTrunk(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err := s.edit(r.Context(), p.Login, func(st *site.Site) error {
		out := st.Trunks[:0]
		found := false
		for _, t := range st.Trunks {
			if t.ID == id {
				found = true
				continue
			}
			out = append(out, t)
		}
		if !found {
			return errorf(404, "not_found", "trunk %q does not exist", id)
		}
		st.Trunks = out
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(204)
	return nil
}

// approveForbidden refuses a manager's approval of a caller ID (등록 완료 is the
// administrator's to give).
func approveForbidden(number string) *apiError {
	e := errorf(403, "forbidden", "only an administrator can approve caller ID %s", number)
	e.Params = map[string]string{"action": "approve", "number": number}
	return e
}

func audioTooLarge() *apiError {
	e := errorf(413, "too_large", "audio larger than %d bytes", maxAudio)
	e.Params = map[string]string{"max_mb": fmt.Sprint(maxAudio >> 20)}
	return e
}
