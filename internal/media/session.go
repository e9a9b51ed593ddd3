package media

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Session is one call leg's RTP on its own UDP socket: what was negotiated with the far end
// (SDP), where its packets really come from (symmetric RTP), our outgoing stream (one SSRC,
// continuous sequence numbers and timestamps whatever feeds it) and the traffic counters.
// It implements Endpoint.
//
// The packet paths never wait for negotiation: the negotiated state is an immutable snapshot
// swapped whole (copy on write), so receiving a packet costs one atomic load, not a lock.
type Session struct {
	m     *Manager
	sock  *rtpSocket
	ctl   *net.UDPConn // RTCP, on the port above
	port  int
	local netip.AddrPort
	t0    time.Time // the stream clock's origin (monotonic)
	// schedOff is t0 on the scheduler's clock
	schedOff int64
	keep     *player // the filler (fill.go); guarded by m.mu

	mu      sync.Mutex // serialises negotiation and sink changes; never held for I/O
	sdpID   uint64
	sdpVer  uint64
	peer    atomic.Pointer[peerState]
	sinks   atomic.Pointer[sinks]
	tx      sender   // the outgoing stream
	rx      receiver // the incoming stream; the reader goroutine's alone
	rc      control  // RTCP
	counted counters
	ctlDone chan struct{} // closed when the RTCP reader has returned
}

// peerState is what the far end negotiated and where its packets come from.
type peerState struct {
	codec   Codec    // what we send and what OnAudio delivers
	alt     [2]Codec // other G.711 formats its description listed, which it may also send
	nalt    int
	dtmf    int            // its telephone-event payload type, -1 if none
	remote  netip.AddrPort // from its SDP; invalid until known
	latched netip.AddrPort // where its packets come from (symmetric RTP); invalid until one arrives
	vouched netip.Addr     // an address the signalling layer vouches for (ExpectSource)
	hold    bool           // it does not want our audio (sendonly, inactive, c=0.0.0.0)
	// nullHold: c=0.0.0.0, "send me nothing", not even RTCP
	nullHold bool
	// where its RTCP goes by its SDP (a=rtcp, else the port above its RTP), and where it
	// comes from
	ctlRemote, ctlLatched netip.AddrPort
	closed                bool
}

// dest is where our packets go: the learned source, else the address in the SDP.
func (p *peerState) dest() netip.AddrPort {
	if p.latched.IsValid() {
		return p.latched
	}
	return p.remote
}

// sinks are where the far end's audio and events go.
type sinks struct {
	audio func(payload []byte)
	dtmf  func(digit string)
	event func(payload []byte, ts uint32, marker bool) // a bridge relaying RFC 4733 events
}

// LocalAddr is where the session receives, as put in its SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Codec implements Endpoint.
func (s *Session) Codec() Codec { return s.peer.Load().codec }

// Remote is where the session sends: the source its packets come from once one arrived,
// before that the address in the far end's SDP.
func (s *Session) Remote() netip.AddrPort { return s.peer.Load().dest() }

// ExpectSource vouches for ip as the far end's: until the session has latched, packets from
// ip on any port may latch it, besides those from the exact address its SDP names. The SIP
// layer calls it with a phone's signalling source address when the phone is behind NAT (its
// SDP names a private address it cannot be reached at). Anyone else's packets are counted as
// Foreign and dropped, so that nobody can take a leg's audio by sending to its port first.
// An invalid ip withdraws the vouching.
func (s *Session) ExpectSource(ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peer.Load()
	if p.closed {
		return
	}
	n := *p
	n.vouched = ip.Unmap()
	s.peer.Store(&n)
}

// Held reports whether the far end's last description put us on hold.
func (s *Session) Held() bool { return s.peer.Load().hold }

// OnAudio implements Endpoint.
func (s *Session) OnAudio(f func(payload []byte)) {
	s.setSinks(func(k *sinks) { k.audio = f })
}

// OnDTMF sets where the far end's RFC 4733 digits are reported: once per event, however
// often the event's packets are repeated. It is called from the session's reader goroutine
// and must not block.
func (s *Session) OnDTMF(f func(digit string)) {
	s.setSinks(func(k *sinks) { k.dtmf = f })
}

// OnEvents implements EventSource: where the far end's RFC 4733 event packets go (a bridge).
func (s *Session) OnEvents(f func(payload []byte, ts uint32, marker bool)) {
	s.setSinks(func(k *sinks) { k.event = f })
}

func (s *Session) setSinks(change func(*sinks)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peer.Load().closed {
		return
	}
	k := *s.sinks.Load()
	change(&k)
	s.sinks.Store(&k)
}

// Offer is our SDP offer for an outgoing leg: PCMU, PCMA and telephone-event, 20 ms frames.
func (s *Session) Offer() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sdpVer++
	return ourSDP{id: s.sdpID, version: s.sdpVer, addr: s.local, codecs: []Codec{PCMU, PCMA},
		dtmf: dtmfPT, direction: sendrecv}.marshal()
}

// Answer negotiates an incoming offer and returns our answer: the first codec in the offer's
// list that we speak, under the offer's payload type, and telephone-event when offered. An
// offer without PCMU or PCMA fails with ErrNoCodec (488); one that cannot be parsed with
// ErrBadSDP. A refused offer changes nothing.
func (s *Session) Answer(offer []byte) ([]byte, error) {
	r, err := parseSDP(offer)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyLocked(r, r.formats[0])
	return s.answerLocked(r), nil
}

// Accept takes the far end's answer to our Offer. It may list both laws; the first is the
// one we send, and we take either from it.
func (s *Session) Accept(answer []byte) error {
	r, err := parseSDP(answer)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyLocked(r, r.formats[0])
	return nil
}

// Reoffer negotiates an offer that arrived inside the dialog (re-INVITE or UPDATE): a new
// address, codec or direction. hold reports whether the far end has put the call on hold
// (a=sendonly, a=inactive or c=0.0.0.0); the answer mirrors its direction. The codec in use is
// kept while the offer still lists it, so a hold does not make bridged legs start
// transcoding. A refused offer changes nothing.
func (s *Session) Reoffer(offer []byte) (answer []byte, hold bool, err error) {
	r, err := parseSDP(offer)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	codec := r.formats[0]
	cur := s.peer.Load().codec
	for _, f := range r.formats {
		if f.Name == cur.Name {
			codec = f
			break
		}
	}
	s.applyLocked(r, codec)
	return s.answerLocked(r), r.hold(), nil
}

// applyLocked makes a negotiated description current; s.mu is held.
func (s *Session) applyLocked(r *remoteMedia, codec Codec) {
	n := *s.peer.Load()
	if n.closed {
		return
	}
	n.codec, n.dtmf, n.nalt = codec, r.dtmf, 0
	for _, f := range r.formats {
		if f != codec && n.nalt < len(n.alt) {
			n.alt[n.nalt] = f
			n.nalt++
		}
	}
	// A new address in the SDP means the far end moved (a transfer, a new device): learn its
	// source again. c=0.0.0.0 only says "do not send", so the old address is kept for resume.
	if r.addr.IsValid() && (r.addr != n.remote || r.rtcpAddr() != n.ctlRemote) {
		n.remote, n.ctlRemote = r.addr, r.rtcpAddr()
		n.latched, n.ctlLatched = netip.AddrPort{}, netip.AddrPort{}
	}
	n.hold, n.nullHold = r.hold(), !r.addr.IsValid()
	s.peer.Store(&n)
}

func (s *Session) answerLocked(r *remoteMedia) []byte {
	p := s.peer.Load()
	s.sdpVer++
	return ourSDP{id: s.sdpID, version: s.sdpVer, addr: s.local, proto: r.proto, codecs: []Codec{p.codec},
		dtmf: p.dtmf, direction: r.answerDirection(), lines: r.lines, audio: r.audio}.marshal()
}

// Close stops the session: it is detached from whatever it heard or fed, its socket is
// closed and its port returned to the pool. Closing twice is harmless.
func (s *Session) Close() error {
	s.mu.Lock()
	p := s.peer.Load()
	if p.closed {
		s.mu.Unlock()
		return nil
	}
	n := *p
	n.closed = true
	s.peer.Store(&n)
	s.sinks.Store(&sinks{})
	s.mu.Unlock()
	s.m.Detach(s)
	s.stopControl()
	s.sock.stop()
	// A send that loaded the peer state before it was closed has finished once the lock is
	// free, and none starts after: nothing writes to the socket once it is closed (its number
	// may be another socket's by then).
	s.tx.mu.Lock()
	s.tx.mu.Unlock()
	err := s.sock.close()
	s.ctl.Close()
	<-s.ctlDone
	s.m.ports.release(s.port)
	s.m.sessionClosed(s)
	return err
}
