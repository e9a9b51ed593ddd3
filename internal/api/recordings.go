package api

import (
	"errors"
	"io/fs"
	"net/http"
	"strings"

	"ringdesk/internal/auth"
	"ringdesk/internal/engine"
	"ringdesk/internal/fault"
	"ringdesk/internal/store"
	"ringdesk/internal/tickets"
)

// Recordings are played by the call's agent, the service's managers and administrators;
// every play and download goes to the recording's access log, which managers and
// administrators read. A browser's player asks for ranges as it seeks: only a request from
// the start (no Range, or bytes=0-) is a new play and is logged.

func recordingNotFound() error {
	return fault.New(fault.NotFound, "not_found", "녹음이 없습니다")
}

// recordingFor loads a recording and checks that p may play it.
func (s *Server) recordingFor(r *http.Request, p *auth.Principal) (store.Recording, error) {
	rec, err := s.st.Recordings().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return rec, recordingNotFound()
	}
	if err != nil {
		return rec, err
	}
	if p.IsAdmin() || p.CanManageService(rec.Service) || rec.Agent == p.Login {
		return rec, nil
	}
	if c, err := s.st.Calls().Get(r.Context(), rec.Call); err == nil && c.Agent == p.Login {
		return rec, nil
	}
	return rec, fault.New(fault.Forbidden, "forbidden", "이 녹음은 통화한 상담원과 서비스 관리자만 들을 수 있습니다")
}

func (s *Server) getRecording(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	rec, err := s.recordingFor(r, p)
	if err != nil {
		return err
	}
	if s.recs == nil {
		return fault.New(fault.Unavailable, "unavailable", "녹음 저장소가 설정되지 않았습니다")
	}
	body, mod, err := s.recs.Open(r.Context(), rec)
	if errors.Is(err, fs.ErrNotExist) {
		return fault.New(fault.NotFound, "recording_missing", "녹음 파일이 없습니다")
	}
	if err != nil {
		return err
	}
	defer body.Close()
	download := r.URL.Query().Get("download") == "1"
	if rng := r.Header.Get("Range"); r.Method == http.MethodGet && (rng == "" || strings.HasPrefix(rng, "bytes=0-")) {
		action := "play"
		if download {
			action = "download"
		}
		a := store.RecordingAccess{Recording: rec.ID, Login: p.Login, Action: action, At: s.clock.Now(), Source: s.clientIP(r)}
		if err := s.st.Recordings().LogAccess(r.Context(), a); err != nil {
			return err // nothing is played that is not logged
		}
	}
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Cache-Control", "private, no-store")
	disp := "inline"
	if download {
		disp = "attachment"
	}
	h.Set("Content-Disposition", disp+`; filename="`+rec.ID+`.wav"`)
	http.ServeContent(w, r, rec.ID+".wav", mod, body)
	return nil
}

func (s *Server) recordingAccessLog(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	rec, err := s.recordingFor(r, p)
	if err != nil {
		return err
	}
	if !p.IsAdmin() && !p.CanManageService(rec.Service) {
		return fault.New(fault.Forbidden, "forbidden", "녹음 접근 기록은 서비스 관리자만 볼 수 있습니다")
	}
	list, err := s.st.Recordings().AccessLog(r.Context(), rec.ID, 500)
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"recording": rec.ID, "access": list})
	return nil
}

// attachRecordings puts each call's recording in a ticket's calls.
func (s *Server) attachRecordings(r *http.Request, calls []tickets.Call) error {
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.ID
	}
	by, err := s.st.Recordings().ForCalls(r.Context(), ids)
	if err != nil {
		return err
	}
	for i, c := range calls {
		if rec, ok := by[c.ID]; ok {
			calls[i].Recording = &tickets.RecordingRef{ID: rec.ID, Seconds: rec.Seconds, PausedSeconds: rec.PausedSeconds}
		}
	}
	return nil
}

// ctiRecording is POST /api/v1/cti/recording/{pause,resume,start}.
func (s *Server) ctiRecording(action engine.RecordingAction) handler {
	return s.noBody(func(login string) error { return s.eng.Recording(login, action) })
}

// monitorCall is POST (join), PUT (switch) and DELETE (leave) /api/v1/calls/{id}/monitor.
func (s *Server) monitorCall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id := r.PathValue("id")
	c, err := s.st.Calls().Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !p.CanSeeService(c.Service) {
		return fault.New(fault.NotFound, "call_not_found", "진행 중인 통화가 없습니다")
	}
	if err != nil {
		return err
	}
	if !p.CanManageService(c.Service) {
		return fault.New(fault.Forbidden, "forbidden", "통화 모니터링은 서비스 관리자만 할 수 있습니다")
	}
	if r.Method == http.MethodDelete {
		if err := s.eng.StopMonitor(c.Service, id, p.Login); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	var req struct {
		Mode engine.MonitorMode `json:"mode"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var v engine.MonitorView
	if r.Method == http.MethodPost {
		v, err = s.eng.Monitor(c.Service, id, p.Login, req.Mode)
	} else {
		v, err = s.eng.SwitchMonitor(c.Service, id, p.Login, req.Mode)
	}
	if err != nil {
		return err
	}
	writeJSON(w, 200, v)
	return nil
}
