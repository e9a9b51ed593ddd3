package api

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"ringdesk/internal/auth"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

// An event socket is authorised once, when it opens, but it may stream for hours. It must end
// when what authorised it ends: its session is logged out or expires, the account's password
// changes (which ends its sessions), the account is deleted, or its role or services change
// (it reconnects and is filtered afresh). Those changes are made here (the API's own edits),
// by `ringdesk user passwd` or `ringdesk apply` in another process, or by another node: so each
// socket is re-checked against the store on every configuration change this process applies,
// and every second besides, which catches sessions ended elsewhere.

// recheckEvery bounds how long a socket outlives a session ended by another process.
const recheckEvery = time.Second

// Close codes the console acts on: 4401, log in again; policy violation, reconnect (and be
// filtered by the new permissions).
const (
	closeSessionEnded          websocket.StatusCode = 4401
	closePermissionsChanged                         = websocket.StatusPolicyViolation
	closeSessionEndedReason                         = "session ended; log in again"
	closePermissionsChangedMsg                      = "permissions changed; reconnect"
)

var (
	errSessionEnded       = errors.New(closeSessionEndedReason)
	errPermissionsChanged = errors.New(closePermissionsChangedMsg)
	// errOtherNode: the agent's CTI session is now served by another cluster node, whose
	// socket the agent needs (the browser softphone): reconnecting gets it (nodeforward.go)
	errOtherNode = errors.New("served by another node; reconnect")
)

// eventSocket is what a socket was authorised with.
type eventSocket struct {
	tokenHash string
	login     string
	role      site.Role
	services  []string
	password  string // the account's password hash when the socket opened
	// wallboard is the service of a wallboard token's socket ("" for an account's): it gets
	// that service's stats.queue events and nothing else.
	wallboard string
	end       context.CancelCauseFunc
}

// socketSet holds the open sockets. Its re-check loop runs only while there are any.
type socketSet struct {
	mu      sync.Mutex
	open    map[*eventSocket]struct{}
	running bool
	kick    chan struct{} // a re-check is wanted now
}

func newSocketSet() *socketSet {
	return &socketSet{open: map[*eventSocket]struct{}{}, kick: make(chan struct{}, 1)}
}

// add registers a socket and starts the re-check loop if it is not running.
func (s *Server) addSocket(k *eventSocket) (remove func()) {
	set := s.sockets
	set.mu.Lock()
	set.open[k] = struct{}{}
	start := !set.running
	set.running = true
	set.mu.Unlock()
	if start {
		go s.recheckLoop()
	}
	return func() {
		set.mu.Lock()
		delete(set.open, k)
		set.mu.Unlock()
	}
}

// watching reports whether an open socket may receive a service's stats.queue events: a
// manager's or an administrator's, or a wallboard of the service. The publisher computes
// nothing for a service nobody watches.
func (set *socketSet) watching(service string) bool {
	set.mu.Lock()
	defer set.mu.Unlock()
	for k := range set.open {
		if k.wallboard != "" {
			if k.wallboard == service {
				return true
			}
			continue
		}
		p := auth.Principal{Login: k.login, Role: k.role, Services: k.services}
		if p.CanManageService(service) {
			return true
		}
	}
	return false
}

// recheck asks for every socket to be re-checked now.
func (set *socketSet) recheck() {
	select {
	case set.kick <- struct{}{}:
	default: // one is already due
	}
}

// endSession ends the sockets of one session at once (logout).
func (set *socketSet) endSession(tokenHash string) {
	set.mu.Lock()
	defer set.mu.Unlock()
	for k := range set.open {
		if k.tokenHash == tokenHash {
			k.end(errSessionEnded)
		}
	}
}

// endLogin ends the sockets of one account at once, for why.
func (set *socketSet) endLogin(login string, why error) {
	set.mu.Lock()
	defer set.mu.Unlock()
	for k := range set.open {
		if k.login == login && k.wallboard == "" {
			k.end(why)
		}
	}
}

func (s *Server) recheckLoop() {
	set := s.sockets
	for {
		t := s.clock.AfterFunc(recheckEvery, set.recheck)
		<-set.kick
		t.Stop()
		set.mu.Lock()
		if len(set.open) == 0 {
			set.running = false
			set.mu.Unlock()
			return
		}
		list := make([]*eventSocket, 0, len(set.open))
		for k := range set.open {
			list = append(list, k)
		}
		set.mu.Unlock()
		for _, k := range list {
			if err := s.stillAllowed(k); err != nil {
				k.end(err)
			}
		}
	}
}

// stillAllowed re-checks a socket: nil, or why it must close. A store that cannot answer
// closes nothing; the next re-check asks again.
func (s *Server) stillAllowed(k *eventSocket) error {
	if k.wallboard != "" {
		return s.wallboardStillAllowed(k)
	}
	a, ok := s.site().Agents[k.login]
	if !ok || a.PasswordHash != k.password {
		return errSessionEnded
	}
	if a.Role != k.role || !slices.Equal(a.Services, k.services) {
		return errPermissionsChanged
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sess, err := s.st.Sessions().Get(ctx, k.tokenHash)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.clock.Now().Before(sess.ExpiresAt)) {
		return errSessionEnded
	}
	return nil
}

// mayReceive decides, for each event as it is sent, whether the account may see it now: the
// bus filter was fixed when the socket opened, this follows the configuration in force.
func (s *Server) mayReceive(login, typ, service, agent string) bool {
	a, ok := s.site().Agents[login]
	if !ok {
		return false
	}
	p := auth.Principal{Login: a.Login, Role: a.Role, Services: a.Services}
	if events.IsTicket(typ) && p.CanSeeService(service) {
		return true // a service's tickets are everyone's in it
	}
	return p.IsAdmin() || agent == login || (service != "" && p.CanManageService(service))
}
