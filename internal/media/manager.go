package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"ringdesk/internal/telephony"
	"ringdesk/internal/wav"
)

// Config says where media lives.
type Config struct {
	// IP is bound and advertised in SDP (a concrete address, not 0.0.0.0).
	IP netip.Addr
	// PortMin and PortMax bound the RTP ports (even ports are used).
	PortMin, PortMax int
	Logger           *slog.Logger
}

// PromptSource gives the WAV bytes of a stored prompt ("sha256:<hex>").
type PromptSource interface {
	Prompt(ctx context.Context, id string) ([]byte, error)
}

// Manager owns the RTP ports, the prompts and who hears what.
type Manager struct {
	cfg     Config
	ports   *portPool
	prompts PromptSource
	log     *slog.Logger
	sched   *scheduler

	clipMu sync.Mutex
	clips  map[string]*clip

	mu     sync.Mutex
	routes map[Endpoint]*route // what each endpoint hears

	statsMu  sync.Mutex
	sessions map[*Session]struct{} // open sessions, for totals
	closed   Stats                 // what closed sessions counted
}

// route is what one endpoint hears: another endpoint, or a player.
type route struct {
	peer   Endpoint
	player *player
}

// NewManager prepares the media layer; nothing is bound until a session is made.
func NewManager(cfg Config, prompts PromptSource) (*Manager, error) {
	if !cfg.IP.IsValid() || cfg.IP.IsUnspecified() {
		return nil, fmt.Errorf("media: a concrete IP address is needed to put in SDP (got %v)", cfg.IP)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ports, err := newPortPool(cfg.IP, cfg.PortMin, cfg.PortMax)
	if err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, ports: ports, prompts: prompts, log: cfg.Logger, sched: newScheduler(),
		clips: map[string]*clip{}, routes: map[Endpoint]*route{}, sessions: map[*Session]struct{}{}}, nil
}

// NewSession opens an RTP session on the next free even port.
func (m *Manager) NewSession() (*Session, error) {
	s, err := m.newSession()
	if err == nil {
		m.statsMu.Lock()
		m.sessions[s] = struct{}{}
		m.statsMu.Unlock()
	}
	return s, err
}

// Totals adds up the traffic of every session, open or closed, and says how many are open.
// Jitter is the largest of the open sessions'.
func (m *Manager) Totals() (Stats, int) {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	t := m.closed
	t.Jitter = 0
	for s := range m.sessions {
		st := s.Stats()
		t.PacketsIn += st.PacketsIn
		t.PacketsOut += st.PacketsOut
		t.BytesIn += st.BytesIn
		t.BytesOut += st.BytesOut
		t.Lost += st.Lost
		t.Malformed += st.Malformed
		if st.Jitter > t.Jitter {
			t.Jitter = st.Jitter
		}
	}
	return t, len(m.sessions)
}

func (m *Manager) closedSession(s *Session) {
	st := s.Stats()
	m.statsMu.Lock()
	if _, ok := m.sessions[s]; ok {
		delete(m.sessions, s)
		m.closed.PacketsIn += st.PacketsIn
		m.closed.PacketsOut += st.PacketsOut
		m.closed.BytesIn += st.BytesIn
		m.closed.BytesOut += st.BytesOut
		m.closed.Lost += st.Lost
		m.closed.Malformed += st.Malformed
	}
	m.statsMu.Unlock()
}

// PortsInUse reports how many RTP ports are open.
func (m *Manager) PortsInUse() int { return m.ports.inUse() }

// Close stops the players. Sessions are closed by their owners.
func (m *Manager) Close() error {
	m.sched.stop()
	return nil
}

// Play makes e hear a (replacing what it heard). A play that does not loop calls done once
// at its end, unless it is replaced or e is detached first.
func (m *Manager) Play(e Endpoint, a telephony.Audio, loop bool, done func()) {
	c, err := m.clip(a)
	if err != nil {
		m.log.Error("prompt cannot be played; playing silence", "audio", a, "err", err)
		c = silenceClip
	}
	p := &player{e: e, clip: c, loop: loop, done: done, first: true}
	m.mu.Lock()
	m.unrouteLocked(e)
	m.routes[e] = &route{player: p}
	m.mu.Unlock()
	m.sched.add(p)
}

// Silence makes e hear silence frames (so that phones keep their media timers happy).
func (m *Manager) Silence(e Endpoint) { m.Play(e, telephony.AudioSilence, true, nil) }

// Bridge makes a and b hear each other, transcoding when their codecs differ.
func (m *Manager) Bridge(a, b Endpoint) {
	if a == nil || b == nil || a == b {
		return
	}
	m.mu.Lock()
	m.unrouteLocked(a)
	m.unrouteLocked(b)
	m.routes[a] = &route{peer: b}
	m.routes[b] = &route{peer: a}
	a.OnAudio(forwarder(a, b))
	b.OnAudio(forwarder(b, a))
	sa, okA := a.(*Session)
	sb, okB := b.(*Session)
	if okA && okB {
		sa.onEvents(sb.forwardEvent)
		sb.onEvents(sa.forwardEvent)
	}
	m.mu.Unlock()
}

// Detach stops whatever feeds e and whatever e feeds; e hears nothing and is heard by nobody.
func (m *Manager) Detach(e Endpoint) {
	m.mu.Lock()
	m.unrouteLocked(e)
	delete(m.routes, e)
	e.OnAudio(nil)
	if s, ok := e.(*Session); ok {
		s.onEvents(nil)
	}
	for x, r := range m.routes {
		if r.peer == e {
			delete(m.routes, x)
		}
	}
	m.mu.Unlock()
}

func (m *Manager) forget(s *Session) { m.Detach(s) }

// unrouteLocked stops what feeds e: its player, or its peer's audio.
func (m *Manager) unrouteLocked(e Endpoint) {
	r := m.routes[e]
	if r == nil {
		return
	}
	if r.player != nil {
		m.sched.remove(r.player)
	}
	if r.peer != nil {
		r.peer.OnAudio(nil)
		if s, ok := r.peer.(*Session); ok {
			s.onEvents(nil)
		}
	}
	delete(m.routes, e)
}

// forwarder sends what from receives to to, at once, in to's codec.
func forwarder(from, to Endpoint) func([]byte) {
	var buf [1500]byte // the callback runs on from's one reader goroutine
	first := true
	fc, tc := from.Codec(), to.Codec()
	checked := time.Now()
	return func(p []byte) {
		if time.Since(checked) > time.Second { // a re-INVITE may change a codec
			fc, tc, checked = from.Codec(), to.Codec(), time.Now()
		}
		n := copy(buf[:], p)
		transcode(fc, tc, buf[:n])
		_ = to.Send(buf[:n], first)
		first = false
	}
}

// clip returns decoded audio, loading and caching it.
func (m *Manager) clip(a telephony.Audio) (*clip, error) {
	if c := builtinClip(a); c != nil {
		return c, nil
	}
	id := string(a)
	m.clipMu.Lock()
	c := m.clips[id]
	m.clipMu.Unlock()
	if c != nil {
		return c, nil
	}
	if m.prompts == nil {
		return nil, errors.New("no prompt source")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	data, err := m.prompts.Prompt(ctx, id)
	if err != nil {
		return nil, err
	}
	w, err := wav.Decode(data)
	if err != nil {
		return nil, err
	}
	c = &clip{samples: w.Samples}
	m.clipMu.Lock()
	m.clips[id] = c
	m.clipMu.Unlock()
	return c, nil
}
