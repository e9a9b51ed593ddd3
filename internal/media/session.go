package media

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts one session's traffic.
type Stats struct {
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64
	Lost                  uint64  // sequence numbers never seen
	Jitter                float64 // RFC 3550 interarrival jitter, milliseconds
	Malformed             uint64  // packets that were not RTP we can use
	LastIn                time.Time
}

// Session is one leg's RTP over UDP.
type Session struct {
	m     *Manager
	conn  *net.UDPConn
	port  int
	local netip.AddrPort
	sdpID uint64
	sdpV  atomic.Uint64

	mu        sync.Mutex
	codec     Codec
	dtmf      int            // the far end's telephone-event payload type, -1 if none
	remote    netip.AddrPort // from its SDP
	latched   netip.AddrPort // where its packets really come from
	mute      bool           // the far end does not want our audio (it holds us)
	closed    bool
	onAudio   func([]byte)
	onDTMF    func(string)
	onEvent   func(payload []byte, ts uint32, marker bool)
	ssrc      uint32
	seq       uint16
	ts        uint32
	lastLen   uint32
	lastSend  time.Time
	buf       [1500]byte
	fwdSrcTS  uint32 // the event being forwarded, by its source timestamp
	fwdTS     uint32 // and its timestamp in our stream
	fwdActive bool

	// receive side, touched only by the reader goroutine (and Stats, through atomics)
	pin, pout, bin, bout, lost, malformed atomic.Uint64
	jitter                                atomic.Uint64 // float64 bits, ms
	lastIn                                atomic.Int64
	haveSeq                               bool
	maxSeq                                uint16
	transit                               float64
	jit                                   float64
	lastEventTS                           uint32
	haveEvent                             bool
	done                                  chan struct{}
}

func (m *Manager) newSession() (*Session, error) {
	conn, port, err := m.ports.open()
	if err != nil {
		return nil, err
	}
	s := &Session{m: m, conn: conn, port: port, local: netip.AddrPortFrom(m.cfg.IP, uint16(port)),
		sdpID: rand.Uint64() >> 1, codec: PCMU, dtmf: -1,
		ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32(), done: make(chan struct{})}
	go s.read()
	return s, nil
}

// LocalAddr is where the session receives.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Codec implements Endpoint.
func (s *Session) Codec() Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codec
}

// OnAudio implements Endpoint.
func (s *Session) OnAudio(f func([]byte)) {
	s.mu.Lock()
	s.onAudio = f
	s.mu.Unlock()
}

// OnDTMF sets where digits from the far end are reported, once per event.
func (s *Session) OnDTMF(f func(digit string)) {
	s.mu.Lock()
	s.onDTMF = f
	s.mu.Unlock()
}

func (s *Session) onEvents(f func(payload []byte, ts uint32, marker bool)) {
	s.mu.Lock()
	s.onEvent = f
	s.mu.Unlock()
}

// Offer is our SDP offer: PCMU, PCMA and telephone-event.
func (s *Session) Offer() []byte {
	return buildSDP(s.sdpID, s.sdpV.Add(1), s.local, []Codec{PCMU, PCMA}, dtmfPT, "sendrecv")
}

// Answer negotiates an offer and returns our answer: the first codec of the offer's that we
// speak, and telephone-event when offered.
func (s *Session) Answer(offer []byte) ([]byte, error) {
	r, err := parseSDP(offer)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.apply(r, r.formats[0])
	codec, dtmf := s.codec, s.dtmf
	s.mu.Unlock()
	return buildSDP(s.sdpID, s.sdpV.Add(1), s.local, []Codec{codec}, dtmf, answerDirection(r.direction)), nil
}

// Accept takes the far end's answer to our Offer.
func (s *Session) Accept(answer []byte) error {
	r, err := parseSDP(answer)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.apply(r, r.formats[0])
	s.mu.Unlock()
	return nil
}

// Reoffer handles a re-INVITE's offer: new address, codec or direction. hold reports whether
// the far end has put the call on hold.
func (s *Session) Reoffer(offer []byte) (answer []byte, hold bool, err error) {
	r, err := parseSDP(offer)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	codec := r.formats[0]
	for _, f := range r.formats { // keep the codec in use when it is still offered
		if f.Name == s.codec.Name {
			codec = f
			break
		}
	}
	s.apply(r, codec)
	codec, dtmf := s.codec, s.dtmf
	s.mu.Unlock()
	return buildSDP(s.sdpID, s.sdpV.Add(1), s.local, []Codec{codec}, dtmf, answerDirection(r.direction)), r.hold(), nil
}

// apply takes a negotiated description; s.mu is held.
func (s *Session) apply(r remoteMedia, codec Codec) {
	s.codec = codec
	s.dtmf = r.dtmf
	if r.addr.IsValid() && r.addr != s.remote {
		s.remote = r.addr
		s.latched = netip.AddrPort{} // a new address in the SDP: learn the source again
	}
	s.mute = r.direction == "sendonly" || r.direction == "inactive"
}

// Send implements Endpoint: the far end sees one continuous stream whatever feeds it.
func (s *Session) Send(payload []byte, marker bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	dest := s.latched
	if !dest.IsValid() {
		dest = s.remote
	}
	if !dest.IsValid() || s.mute || len(payload) > len(s.buf)-12 {
		return nil
	}
	now := time.Now()
	if !s.lastSend.IsZero() {
		step := s.lastLen
		// after a gap (a source stopped feeding us for a while) time moves on, as it did
		if gap := now.Sub(s.lastSend); gap > 60*time.Millisecond {
			step = uint32(gap / time.Millisecond * 8)
			marker = true
		}
		s.ts += step
	}
	s.seq++
	s.lastSend, s.lastLen = now, uint32(len(payload))
	n := s.header(s.codec.PayloadType, marker, s.ts)
	n += copy(s.buf[n:], payload)
	if _, err := s.conn.WriteToUDPAddrPort(s.buf[:n], dest); err != nil {
		return err
	}
	s.pout.Add(1)
	s.bout.Add(uint64(n))
	return nil
}

// header writes an RTP header into s.buf; s.mu is held.
func (s *Session) header(pt uint8, marker bool, ts uint32) int {
	b := s.buf[:12]
	b[0] = 0x80
	b[1] = pt & 0x7f
	if marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], s.seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], s.ssrc)
	return 12
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	st := Stats{PacketsIn: s.pin.Load(), PacketsOut: s.pout.Load(), BytesIn: s.bin.Load(), BytesOut: s.bout.Load(),
		Lost: s.lost.Load(), Malformed: s.malformed.Load()}
	st.Jitter = float64frombits(s.jitter.Load())
	if v := s.lastIn.Load(); v != 0 {
		st.LastIn = time.Unix(0, v)
	}
	return st
}

// Remote returns where the session sends: the learned source, or the SDP's address.
func (s *Session) Remote() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latched.IsValid() {
		return s.latched
	}
	return s.remote
}

// Close stops the session and frees its port.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.onAudio, s.onDTMF, s.onEvent = nil, nil, nil
	s.mu.Unlock()
	s.m.forget(s)
	err := s.conn.Close()
	<-s.done
	s.m.ports.release(s.port)
	s.m.closedSession(s)
	return err
}

// read receives packets until the socket closes.
func (s *Session) read() {
	defer close(s.done)
	buf := make([]byte, 1500)
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.packet(buf[:n], src)
	}
}

func (s *Session) packet(p []byte, src netip.AddrPort) {
	if len(p) < 12 || p[0]>>6 != 2 {
		s.malformed.Add(1)
		return
	}
	if pt := p[1] & 0x7f; p[1] >= 192 && p[1] <= 223 || pt >= 72 && pt <= 76 {
		return // RTCP on the RTP port (rtcp-mux or a confused peer): not audio
	}
	hdr := 12 + 4*int(p[0]&0x0f)
	if p[0]&0x10 != 0 { // header extension
		if len(p) < hdr+4 {
			s.malformed.Add(1)
			return
		}
		hdr += 4 + 4*int(binary.BigEndian.Uint16(p[hdr+2:]))
	}
	end := len(p)
	if p[0]&0x20 != 0 { // padding
		pad := int(p[len(p)-1])
		end -= pad
	}
	if hdr > end {
		s.malformed.Add(1)
		return
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if !s.latched.IsValid() {
		s.latched = src // symmetric RTP: answer where the packets come from
	} else if src != s.latched {
		s.mu.Unlock()
		return // someone else's packets
	}
	codec, dtmf := s.codec, s.dtmf
	onAudio, onDTMF, onEvent := s.onAudio, s.onDTMF, s.onEvent
	s.mu.Unlock()
	pt := p[1] & 0x7f
	seq := binary.BigEndian.Uint16(p[2:])
	ts := binary.BigEndian.Uint32(p[4:])
	payload := p[hdr:end]
	s.pin.Add(1)
	s.bin.Add(uint64(len(p)))
	now := time.Now()
	s.lastIn.Store(now.UnixNano())
	s.account(seq, ts, now)
	switch {
	case int(pt) == dtmf && dtmf >= 0:
		if len(payload) >= 4 {
			if onEvent != nil {
				onEvent(payload, ts, p[1]&0x80 != 0)
			}
			if !s.haveEvent || ts != s.lastEventTS {
				s.haveEvent, s.lastEventTS = true, ts
				if d := dtmfDigit(payload[0]); d != "" && onDTMF != nil {
					onDTMF(d)
				}
			}
		}
	case pt == codec.PayloadType:
		if onAudio != nil && len(payload) > 0 {
			onAudio(payload)
		}
	default:
		s.malformed.Add(1)
	}
}

// account keeps loss and jitter (RFC 3550 A.3, A.8) for the audio stream.
func (s *Session) account(seq uint16, ts uint32, now time.Time) {
	if !s.haveSeq {
		s.haveSeq, s.maxSeq = true, seq
		s.transit = float64(now.UnixNano())/1e6 - float64(ts)/8
		return
	}
	d := seq - s.maxSeq
	if d > 0 && d < 0x8000 {
		if d > 1 {
			s.lost.Add(uint64(d - 1))
		}
		s.maxSeq = seq
	}
	transit := float64(now.UnixNano())/1e6 - float64(ts)/8 // ms
	dd := transit - s.transit
	s.transit = transit
	if dd < 0 {
		dd = -dd
	}
	if dd < 1000 { // a jump of the far end's timestamp (a new source) is not jitter
		s.jit += (dd - s.jit) / 16
		s.jitter.Store(float64bits(s.jit))
	}
}
