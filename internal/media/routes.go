package media

import (
	"ringdesk/internal/telephony"
)

// node is what one endpoint hears and where its own audio goes. It hears one thing at a time:
// a player, another endpoint's audio forwarded packet by packet (from), or a mix of several
// endpoints' audio paced every 20 ms (mix). Its audio goes to one endpoint forwarded packet
// by packet at most (to), and to any number of taps: the inputs of mixes and recordings.
type node struct {
	player *player
	from   Endpoint // the endpoint whose audio this one hears
	mix    *mixer   // the mix this one hears
	to     Endpoint // the endpoint that hears this one
	fwd    *forwarder
	taps   []*tap // fed by this endpoint's audio
}

// Play makes e hear a, replacing what it heard; what e's own audio feeds is untouched. A play
// that does not loop calls done once when it has been heard to the end, unless it is
// replaced, or e is detached or closed, first. Audio that cannot be loaded is logged and
// replaced by a moment of silence, so a flow waiting for done goes on.
//
// Built-in audio starts at once. A stored prompt is loaded (once, then cached) in the
// background, so Play never waits for the store.
func (m *Manager) Play(e Endpoint, a telephony.Audio, loop bool, done func()) {
	if e == nil {
		return
	}
	p := newPlayer(m, e, loop, done)
	m.mu.Lock()
	due := m.stopHearingLocked(e)
	m.nodeLocked(e).player = p
	m.keepFedLocked(e)
	m.mu.Unlock()
	if c, ok := m.cachedClip(a); ok {
		p.clip = c
		m.sched.add(p, due)
		return
	}
	go func() {
		p.clip = m.loadClip(a)
		if p.state.Load() == playing {
			m.sched.add(p, due)
		}
	}()
}

// Silence makes e hear silence frames: a phone that hears nothing at all may take the call
// for dead and hang up.
func (m *Manager) Silence(e Endpoint) { m.Play(e, telephony.AudioSilence, true, nil) }

// Bridge makes a and b hear each other, replacing what each heard. Audio is forwarded as
// each packet arrives (no buffering), transcoded when the two legs use different laws; RFC
// 4733 events go across too when the sending leg reports them and the receiving one
// negotiated telephone-event. An RTP session whose partner falls silent hears silence frames
// instead of nothing (fill.go), from then until it is detached, as does one played to.
func (m *Manager) Bridge(a, b Endpoint) {
	if a == nil || b == nil || a == b {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopHearingLocked(a)
	m.stopHearingLocked(b)
	m.linkLocked(a, b)
	m.linkLocked(b, a)
	m.keepFedLocked(a)
	m.keepFedLocked(b)
}

// Detach stops whatever e hears and whatever e feeds: it hears nothing and nobody hears it.
// Mixes and recordings it fed go on without it (silence where it was).
func (m *Manager) Detach(e Endpoint) {
	if e == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopHearingLocked(e)
	m.stopFillLocked(e)
	if n := m.nodes[e]; n != nil {
		if n.to != nil {
			m.unlinkLocked(e, n.to)
		}
		for _, t := range n.taps {
			t.detached()
		}
		n.taps = nil
	}
	delete(m.nodes, e)
	e.OnAudio(nil)
	if es, ok := e.(EventSource); ok {
		es.OnEvents(nil)
	}
}

// forgetPlayer drops p from its endpoint's node once the endpoint has gone away.
func (m *Manager) forgetPlayer(p *player) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := m.nodes[p.e]; n != nil && n.player == p {
		n.player = nil
		m.tidyLocked(p.e)
	}
}

func (m *Manager) nodeLocked(e Endpoint) *node {
	n := m.nodes[e]
	if n == nil {
		n = &node{}
		m.nodes[e] = n
	}
	return n
}

// tidyLocked forgets an endpoint that hears nothing and feeds nothing, so that ended legs are
// not kept alive by the map.
func (m *Manager) tidyLocked(e Endpoint) {
	if n := m.nodes[e]; n != nil && n.player == nil && n.from == nil && n.mix == nil && n.to == nil && len(n.taps) == 0 {
		delete(m.nodes, e)
	}
}

// stopHearingLocked stops what feeds e and returns the stopped player's or mix's next
// deadline (0 if none), so that what follows can keep the far end's frames on the same 20 ms
// grid.
func (m *Manager) stopHearingLocked(e Endpoint) int64 {
	n := m.nodes[e]
	if n == nil {
		return 0
	}
	var due int64
	if n.player != nil {
		due = n.player.stop()
		n.player = nil
	}
	if n.mix != nil {
		due = n.mix.pace.stop()
		m.dropTapsLocked(n.mix.inputs)
		n.mix = nil
	}
	if n.from != nil {
		m.unlinkLocked(n.from, e)
	}
	m.tidyLocked(e)
	return due
}

// linkLocked sends from's audio (and events) to to, which must hear nothing else.
func (m *Manager) linkLocked(from, to Endpoint) {
	if fn := m.nodes[from]; fn != nil && fn.to != nil {
		m.unlinkLocked(from, fn.to) // an endpoint's audio goes to one place
	}
	fn := m.nodeLocked(from)
	fn.to, fn.fwd = to, &forwarder{from: from, to: to, first: true}
	m.nodeLocked(to).from = from
	m.wireLocked(from)
	if fs, ok := from.(EventSource); ok {
		if ts, ok := to.(EventSink); ok {
			fs.OnEvents(ts.RelayEvent)
		} else {
			fs.OnEvents(nil)
		}
	}
}

// unlinkLocked stops from's audio going to to.
func (m *Manager) unlinkLocked(from, to Endpoint) {
	if fs, ok := from.(EventSource); ok {
		fs.OnEvents(nil)
	}
	if fn := m.nodes[from]; fn != nil && fn.to == to {
		fn.to, fn.fwd = nil, nil
		m.wireLocked(from)
		m.tidyLocked(from)
	}
	if tn := m.nodes[to]; tn != nil && tn.from == from {
		tn.from = nil
		m.tidyLocked(to)
	}
}

// wireLocked sets e's audio going where its node says: the bridge partner alone takes the
// forwarder itself (the packet path of a plain bridge has nothing more on it); taps add a fan
// out in front of it.
func (m *Manager) wireLocked(e Endpoint) {
	n := m.nodes[e]
	switch {
	case n == nil || n.fwd == nil && len(n.taps) == 0:
		e.OnAudio(nil)
	case len(n.taps) == 0:
		e.OnAudio(n.fwd.audio)
	default:
		o := &outlet{fwd: n.fwd, taps: append([]*tap(nil), n.taps...)}
		e.OnAudio(o.audio)
	}
}

// addTapLocked feeds t with e's audio.
func (m *Manager) addTapLocked(e Endpoint, t *tap) {
	n := m.nodeLocked(e)
	n.taps = append(n.taps, t)
	m.wireLocked(e)
}

// dropTapsLocked stops feeding taps.
func (m *Manager) dropTapsLocked(taps []*tap) {
	for _, t := range taps {
		n := m.nodes[t.src]
		if n == nil {
			continue
		}
		for i, x := range n.taps {
			if x == t {
				n.taps = append(n.taps[:i:i], n.taps[i+1:]...)
				m.wireLocked(t.src)
				m.tidyLocked(t.src)
				break
			}
		}
	}
}

// forwarder carries one direction of a bridge. It runs on the sending leg's reader
// goroutine, one packet at a time, so its buffer needs no lock.
type forwarder struct {
	from, to Endpoint
	first    bool
	buf      [maxPayload]byte
}

func (f *forwarder) audio(payload []byte) {
	// Codecs are read per packet (an atomic load for a Session) so that a re-INVITE that
	// changes one leg's law takes effect with its next packet.
	fc, tc := f.from.Codec(), f.to.Codec()
	out := payload
	if fc.Name != tc.Name && len(payload) <= len(f.buf) {
		out = f.buf[:len(payload)]
		transcode(fc, tc, out, payload)
	}
	_ = f.to.Send(out, f.first)
	f.first = false
}

// outlet hands one endpoint's audio to its bridge partner and its taps. It is immutable: a
// change of route installs a new one.
type outlet struct {
	fwd  *forwarder
	taps []*tap
}

func (o *outlet) audio(payload []byte) {
	if o.fwd != nil {
		o.fwd.audio(payload)
	}
	for _, t := range o.taps {
		t.push(payload)
	}
}
