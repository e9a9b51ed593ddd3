package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"ringdesk/internal/auth"
	"ringdesk/internal/events"
)

// events is GET /api/v1/events: a WebSocket carrying one JSON event per message. An agent gets
// its own events, a manager those of the services it manages, an administrator all. The first
// message is a cti.snapshot of the agent's state, so a reconnecting widget shows the truth. The
// same connection carries browser-softphone signalling both ways.
func (s *Server) events(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := s.eng.Where(p.Login); err != nil && s.forward(w, r, p.Login, nil, err) {
		return nil // the node serving the agent's service holds the socket (nodeforward.go)
	}
	token, _, _ := requestToken(r)
	a, ok := s.site().Agents[p.Login]
	if !ok {
		return errorf(401, "unauthorized", "the account no longer exists")
	}
	// The server's read and write timeouts are for requests; a socket lives for hours and
	// keeps its own (pings, and a bound on each write). net/http lifts the connection's
	// deadlines when Accept hijacks it (TestSocketsOutliveRequestTimeouts holds us to that).
	// websocket.Accept refuses a handshake whose Origin is not this host: no cross-site use
	// of the session cookie.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil // Accept has answered the client
	}
	c.SetReadLimit(64 << 10)
	f := events.Filter{Agent: p.Login}
	if p.IsAdmin() {
		f.All = true
	} else {
		f.Services, f.Tickets = map[string]bool{}, map[string]bool{}
		for _, svc := range p.Services {
			if p.CanManageService(svc) {
				f.Services[svc] = true
			}
			f.Tickets[svc] = p.CanSeeService(svc)
		}
	}
	sub := s.bus.Subscribe(f, 4096)
	defer s.bus.Unsubscribe(sub)

	// ctx says why the socket must end; it is kept apart from reads and writes because a
	// websocket.Conn whose read or write context is cancelled drops the connection without
	// the close code the console acts on.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	defer c.CloseNow()
	k := &eventSocket{tokenHash: auth.HashToken(token), login: p.Login, role: p.Role, services: slices.Clone(p.Services),
		password: a.PasswordHash, end: cancel}
	remove := s.addSocket(k)
	defer remove()
	// a change made between authentication and registration has had its re-check already
	if err := s.stillAllowed(k); err != nil {
		cancel(err)
	}

	var wmu sync.Mutex
	send := func(msg []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, msg)
	}
	snap, _ := json.Marshal(events.Event{Type: "cti.snapshot", At: s.clock.Now().UTC(), Agent: p.Login, Data: s.view(p.Login)})
	if err := send(snap); err != nil {
		return nil
	}
	if s.signals != nil {
		done := s.signals.Connected(p.Login, send)
		defer done()
	}
	go func() {
		defer cancel(nil)
		for {
			_, msg, err := c.Read(context.Background()) // ends when the connection does
			if err != nil {
				return
			}
			if s.signals == nil {
				continue
			}
			if err := s.signals.Message(p.Login, msg); err != nil {
				b, _ := json.Marshal(map[string]any{"type": "error", "data": map[string]string{"message": err.Error()}})
				_ = send(b)
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
			if !s.mayReceive(p.Login, m.Type, m.Service, m.Agent) {
				continue // the configuration changed since the socket opened; it is closing
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
			switch context.Cause(ctx) {
			case errSessionEnded:
				c.Close(closeSessionEnded, closeSessionEndedReason)
			case errPermissionsChanged:
				c.Close(closePermissionsChanged, closePermissionsChangedMsg)
			case errOtherNode:
				c.Close(websocket.StatusTryAgainLater, errOtherNode.Error())
			default:
				c.Close(websocket.StatusNormalClosure, "")
			}
			return nil
		}
	}
}
