package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"

	"ringdesk/internal/auth"
	"ringdesk/internal/events"
	"ringdesk/internal/store"
)

// A wallboard token lets a television on the wall show one service's wallboard without anyone
// logging in on it: a manager of the service makes one and opens the URL it comes with. The
// token reads GET /api/v1/stats/realtime of its service and that service's stats.queue events
// on the event socket — nothing else: every other endpoint looks for a session and finds none.

// wallboardPrefix starts every wallboard token. '.' is not in the base64url alphabet of session
// tokens, so the two can never be mistaken for one another.
const wallboardPrefix = "wb."

func (s *Server) createWallboardToken(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	svc := r.PathValue("id")
	if !p.CanManageService(svc) {
		return errorf(403, "forbidden", "서비스 %s의 관리자만 월보드 토큰을 만들 수 있습니다", svc)
	}
	if _, ok := s.site().Services[svc]; !ok {
		return errorf(404, "not_found", "서비스 %s이(가) 없습니다", svc)
	}
	if r.ContentLength > 0 {
		var empty struct{}
		if err := decode(w, r, &empty); err != nil {
			return err
		}
	}
	raw, _, err := auth.NewToken()
	if err != nil {
		return err
	}
	token := wallboardPrefix + raw
	now := s.clock.Now()
	if err := s.st.Wallboards().Create(r.Context(), store.WallboardToken{TokenHash: auth.HashToken(token), Service: svc,
		CreatedBy: p.Login, CreatedAt: now}); err != nil {
		return err
	}
	// the token rides in the fragment: a browser never sends that part to a server or a proxy log
	u := "/wallboard?service=" + url.QueryEscape(svc) + "#token=" + token
	writeJSON(w, 201, map[string]any{"token": token, "url": u, "service": svc, "created_at": now.UTC()})
	return nil
}

func (s *Server) deleteWallboardTokens(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	svc := r.PathValue("id")
	if !p.CanManageService(svc) {
		return errorf(403, "forbidden", "서비스 %s의 관리자만 월보드 토큰을 없앨 수 있습니다", svc)
	}
	n, err := s.st.Wallboards().DeleteService(r.Context(), svc)
	if err != nil {
		return err
	}
	s.sockets.recheck() // the wallboards showing it close now, not at the next re-check
	writeJSON(w, 200, map[string]any{"revoked": n})
	return nil
}

// wallboardTokenOf is the wallboard token a request carries, "" for none: the bearer token, or
// access_token in the query (RFC 6750 §2.3), because a browser's WebSocket cannot send headers.
// Session tokens are never read from the query.
func wallboardTokenOf(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && strings.HasPrefix(t, wallboardPrefix) {
		return t
	}
	if t := r.URL.Query().Get("access_token"); strings.HasPrefix(t, wallboardPrefix) {
		return t
	}
	return ""
}

// orWallboard serves an endpoint to an account as usual, or to a wallboard token with wb.
func (s *Server) orWallboard(h handler, wb func(w http.ResponseWriter, r *http.Request, t store.WallboardToken) error) http.HandlerFunc {
	account := s.api(h)
	return func(w http.ResponseWriter, r *http.Request) {
		raw := wallboardTokenOf(r)
		if raw == "" {
			account(w, r)
			return
		}
		t, err := s.st.Wallboards().Get(r.Context(), auth.HashToken(raw))
		if errors.Is(err, store.ErrNotFound) {
			err = errorf(401, "unauthorized", "월보드 토큰이 없거나 취소되었습니다. 관리자에게 새 주소를 받으세요")
		} else if err == nil {
			if _, ok := s.site().Services[t.Service]; !ok {
				err = errorf(401, "unauthorized", "월보드의 서비스 %s이(가) 더 이상 없습니다", t.Service)
			} else {
				err = wb(w, r, t)
			}
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) wallboardRealtime(w http.ResponseWriter, r *http.Request, t store.WallboardToken) error {
	if svc := r.URL.Query().Get("service"); svc != "" && svc != t.Service {
		return errorf(403, "forbidden", "이 월보드 토큰은 서비스 %s만 볼 수 있습니다", t.Service)
	}
	rt, err := s.fig.Realtime(r.Context(), t.Service)
	if err != nil {
		return err
	}
	writeJSON(w, 200, rt)
	return nil
}

// wallboardStillAllowed re-checks a wallboard's socket: its token must still be there, and
// its service.
func (s *Server) wallboardStillAllowed(k *eventSocket) error {
	if _, ok := s.site().Services[k.wallboard]; !ok {
		return errSessionEnded
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.st.Wallboards().Get(ctx, k.tokenHash); errors.Is(err, store.ErrNotFound) {
		return errSessionEnded
	}
	return nil
}

// wallboardEvents is the event socket of a wallboard: its service's stats.queue events, the
// first of each queue at once (the figures as they are when it connects), then each change.
func (s *Server) wallboardEvents(w http.ResponseWriter, r *http.Request, t store.WallboardToken) error {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil // Accept has answered the client
	}
	c.SetReadLimit(4 << 10)
	defer c.CloseNow()
	sub := s.bus.Subscribe(events.Filter{Services: map[string]bool{t.Service: true}}, 1024)
	defer s.bus.Unsubscribe(sub)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	k := &eventSocket{tokenHash: t.TokenHash, wallboard: t.Service, end: cancel}
	remove := s.addSocket(k)
	defer remove()
	if err := s.stillAllowed(k); err != nil {
		cancel(err)
	}
	send := func(msg []byte) error {
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, msg)
	}
	qctx, qcancel := context.WithTimeout(r.Context(), 10*time.Second)
	rows, err := s.fig.RealtimeQueues(qctx, t.Service)
	qcancel()
	if err == nil {
		for _, q := range rows {
			b, _ := json.Marshal(events.Event{Type: events.StatsQueue, At: s.clock.Now().UTC(), Service: t.Service, Data: q})
			if send(b) != nil {
				return nil
			}
		}
	}
	go func() {
		defer cancel(nil)
		for { // a wallboard only listens; reading notices when it goes
			if _, _, err := c.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case m, ok := <-sub.C:
			if !ok {
				c.Close(websocket.StatusTryAgainLater, "fell behind; reconnect")
				return nil
			}
			if m.Type != events.StatsQueue || m.Service != t.Service {
				continue
			}
			if err := send(m.JSON); err != nil {
				return nil
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := c.Ping(pctx)
			pcancel()
			if err != nil {
				return nil
			}
		case <-ctx.Done():
			if context.Cause(ctx) == errSessionEnded {
				c.Close(closeSessionEnded, "wallboard token revoked")
			} else {
				c.Close(websocket.StatusNormalClosure, "")
			}
			return nil
		}
	}
}

// wallboardPage is GET /wallboard: the console's page, which shows the wallboard.
func (s *Server) wallboardPage(w http.ResponseWriter, r *http.Request) {
	if s.console == nil {
		http.NotFound(w, r)
		return
	}
	s.console.ServeHTTP(w, r)
}
