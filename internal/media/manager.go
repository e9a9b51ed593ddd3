package media

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"
)

// Config says where media lives.
type Config struct {
	// IP is bound by every RTP socket and advertised in SDP, so it must be a concrete
	// address the far ends can reach (not 0.0.0.0).
	IP netip.Addr
	// PortMin and PortMax bound the RTP ports. Even ports are used, each with the odd one
	// above it left for RTCP, so a range of N ports carries N/2 sessions.
	PortMin, PortMax int
	Logger           *slog.Logger
	// SessionID draws the SDP session id (o= line) of each new session; nil draws a random
	// one. Tests set it for stable golden files.
	SessionID func() uint64
	// Pacers is how many goroutines pace the players; 0 means one per processor.
	Pacers int
}

// PromptSource gives the WAV bytes of a stored prompt by its id, "sha256:<hex>". The store
// implements it; WAV files must be 8 kHz mono, 16-bit PCM, mu-law or A-law.
type PromptSource interface {
	Prompt(ctx context.Context, id string) ([]byte, error)
}

// Manager owns the RTP ports, the sessions' totals, the prompts and who hears what.
type Manager struct {
	cfg     Config
	log     *slog.Logger
	ports   *portPool
	sched   *scheduler
	prompts PromptSource
	// rtcpInterval is RFC 3550's report interval; tests shorten it
	rtcpInterval time.Duration

	clipMu sync.Mutex
	clips  map[string]*clipLoad // stored prompts, by id

	mu    sync.Mutex
	nodes map[Endpoint]*node // who hears what

	closeOnce sync.Once

	pollMu  sync.Mutex
	pollers *pollers // RTP readers, started with the first session (socket_linux.go)

	statsMu  sync.Mutex
	sessions map[*Session]struct{} // open sessions, for totals
	closed   Stats                 // what closed sessions counted
}

// NewManager prepares the media layer: the port range, the pacing goroutines and the
// built-in audio. Nothing is bound until a session is made.
func NewManager(cfg Config, prompts PromptSource) (*Manager, error) {
	if !cfg.IP.IsValid() || cfg.IP.IsUnspecified() {
		return nil, fmt.Errorf("media: a concrete IP address is needed to bind and to put in SDP (got %v)", cfg.IP)
	}
	cfg.IP = cfg.IP.Unmap()
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionID == nil {
		cfg.SessionID = func() uint64 { return rand.Uint64() >> 2 } // fits the int64 some parsers use
	}
	ports, err := newPortPool(cfg.IP, cfg.PortMin, cfg.PortMax)
	if err != nil {
		return nil, err
	}
	loadBuiltins()
	return &Manager{cfg: cfg, log: cfg.Logger, ports: ports, sched: newScheduler(cfg.Pacers), prompts: prompts,
		rtcpInterval: rtcpInterval, clips: map[string]*clipLoad{}, nodes: map[Endpoint]*node{}, sessions: map[*Session]struct{}{}}, nil
}

// NewSession opens an RTP session on a free even port drawn at random, with its RTCP on the
// port above. It sends nothing until it knows the far end's address (Answer or Accept), and
// hears nothing until told (Play, Silence, Bridge).
func (m *Manager) NewSession() (*Session, error) {
	ps, err := m.startPollers()
	if err != nil {
		return nil, err
	}
	sock, ctl, port, err := m.ports.open()
	if err != nil {
		return nil, err
	}
	s := &Session{m: m, sock: sock, ctl: ctl, port: port, local: netip.AddrPortFrom(m.cfg.IP, uint16(port)),
		t0: time.Now(), sdpID: m.cfg.SessionID(), ctlDone: make(chan struct{})}
	s.peer.Store(&peerState{codec: PCMU, dtmf: -1})
	s.sinks.Store(&sinks{})
	// RFC 3550 §5.1: random SSRC, and random initial sequence number and timestamp.
	s.tx.ssrc, s.tx.seq, s.tx.ts = rand.Uint32(), uint16(rand.Uint32()), rand.Uint32()
	s.tx.firstSeq = s.tx.seq + 1
	s.schedOff = int64(s.t0.Sub(m.sched.epoch))
	m.statsMu.Lock()
	m.sessions[s] = struct{}{}
	m.statsMu.Unlock()
	if err := sock.start(ps, s); err != nil {
		m.sessionClosed(s)
		sock.close()
		ctl.Close()
		m.ports.release(port)
		return nil, err
	}
	s.startControl()
	return s, nil
}

// startPollers starts the RTP readers when the first session is made, not with the manager:
// a manager that only plays to browser legs needs none.
func (m *Manager) startPollers() (*pollers, error) {
	m.pollMu.Lock()
	defer m.pollMu.Unlock()
	if m.pollers == nil {
		ps, err := newPollers()
		if err != nil {
			return nil, err
		}
		m.pollers = ps
	}
	return m.pollers, nil
}

// Totals adds up the traffic of every session, open or closed, and says how many are open.
// Jitter is the largest of the open sessions'.
func (m *Manager) Totals() (Stats, int) {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	t := m.closed
	t.Jitter = 0
	for s := range m.sessions {
		t.add(s.Stats())
	}
	return t, len(m.sessions)
}

func (m *Manager) sessionClosed(s *Session) {
	st := s.Stats()
	st.Jitter = 0
	m.statsMu.Lock()
	if _, ok := m.sessions[s]; ok {
		delete(m.sessions, s)
		m.closed.add(st)
	}
	m.statsMu.Unlock()
}

// PortsInUse reports how many RTP ports are open.
func (m *Manager) PortsInUse() int { return m.ports.inUse() }

// Close stops the players and the RTP readers. Sessions are closed by their owners, before.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.sched.stop()
		m.pollMu.Lock()
		if m.pollers != nil {
			m.pollers.stop()
		}
		m.pollMu.Unlock()
	})
	return nil
}
