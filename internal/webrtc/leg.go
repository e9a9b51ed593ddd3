package webrtc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/pion/rtp"
	pw "github.com/pion/webrtc/v4"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// Leg is one browser call leg: a peer connection to one console, and the media.Endpoint the
// bridge and players use.
type Leg struct {
	p       *Phones
	id      telephony.LegID
	login   string
	console *console
	pc      *pw.PeerConnection
	track   *pw.TrackLocalStaticRTP

	mu       sync.Mutex
	answered bool // the browser connected: reported Answered
	ended    bool // the final event was reported
	codec    media.Codec
	onAudio  func([]byte)
	// RFC 4733: the payload type the browser sends DTMF with (-1: not negotiated), where its
	// event packets go (a bridge relays them) and the last event reported, by its timestamp
	dtmfPT    int
	onEvents  func(payload []byte, ts uint32, marker bool)
	haveEvent bool
	eventTS   uint32
	seq       uint16
	ts        uint32
	pkt       rtp.Packet
}

func (p *Phones) newLeg(id telephony.LegID, login string, c *console) (*Leg, error) {
	pc, err := p.api.NewPeerConnection(pw.Configuration{})
	if err != nil {
		return nil, err
	}
	track, err := pw.NewTrackLocalStaticRTP(pw.RTPCodecCapability{MimeType: pw.MimeTypePCMU, ClockRate: 8000}, "audio", "ringdesk-"+string(id))
	if err != nil {
		pc.Close()
		return nil, err
	}
	if _, err := pc.AddTransceiverFromTrack(track, pw.RTPTransceiverInit{Direction: pw.RTPTransceiverDirectionSendrecv}); err != nil {
		pc.Close()
		return nil, err
	}
	l := &Leg{p: p, id: id, login: login, console: c, pc: pc, track: track,
		codec: media.Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}, dtmfPT: -1,
		seq: uint16(rand.Uint32()), ts: rand.Uint32()}
	pc.OnTrack(func(tr *pw.TrackRemote, _ *pw.RTPReceiver) { go l.receive(tr) })
	pc.OnICECandidate(func(c *pw.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		_ = l.console.sendMsg("webrtc.candidate", legData{Leg: id, Candidate: &init})
	})
	pc.OnConnectionStateChange(func(s pw.PeerConnectionState) {
		switch s {
		case pw.PeerConnectionStateConnected:
			l.mu.Lock()
			first := !l.answered && !l.ended
			l.answered = true
			l.mu.Unlock()
			if first {
				p.report(telephony.Event{Leg: id, Kind: telephony.Answered})
			}
		case pw.PeerConnectionStateFailed:
			l.end(telephony.CauseMediaTimeout)
		}
	})
	p.mu.Lock()
	p.legs[id] = l
	p.mu.Unlock()
	return l, nil
}

// offer makes the server's offer with its candidates gathered (the console trickles its own).
func (l *Leg) offer() (string, error) {
	offer, err := l.pc.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	done := pw.GatheringCompletePromise(l.pc)
	if err := l.pc.SetLocalDescription(offer); err != nil {
		return "", err
	}
	<-done
	return l.pc.LocalDescription().SDP, nil
}

func (l *Leg) answer(sdp string) error {
	if err := l.pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeAnswer, SDP: sdp}); err != nil {
		l.fail(telephony.CauseRejected, 488)
		return fmt.Errorf("answer refused: %w", err)
	}
	for _, tr := range l.pc.GetTransceivers() {
		if tr.Sender() == nil {
			continue
		}
		if cs := tr.Sender().GetParameters().Codecs; len(cs) > 0 {
			name := strings.TrimPrefix(strings.ToUpper(cs[0].MimeType), "AUDIO/")
			if name != "PCMU" && name != "PCMA" {
				l.fail(telephony.CauseRejected, 488)
				return fmt.Errorf("the browser chose %s; only G.711 is offered", cs[0].MimeType)
			}
			l.mu.Lock()
			l.codec = media.Codec{Name: name, PayloadType: uint8(cs[0].PayloadType), ClockRate: 8000}
			l.mu.Unlock()
		}
	}
	if m := telephoneEvent.FindStringSubmatch(sdp); m != nil {
		pt, _ := strconv.Atoi(m[1])
		l.mu.Lock()
		l.dtmfPT = pt
		l.mu.Unlock()
	}
	return nil
}

// telephoneEvent finds the payload type the browser's answer gives RFC 4733 events at 8 kHz
// (the clock of G.711, which is the only one its DTMF sender may use with it).
var telephoneEvent = regexp.MustCompile(`(?mi)^a=rtpmap:(\d+) telephone-event/8000`)

// dtmfDigits are the RFC 4733 DTMF events 0-15 in order.
const dtmfDigits = "0123456789*#ABCD"

// event takes one RFC 4733 packet from the browser: a bridge relays it as it is, and a new
// key press (a new timestamp; the browser repeats each event's packets) is reported once.
func (l *Leg) event(pkt *rtp.Packet) {
	if len(pkt.Payload) < 4 {
		return // RFC 4733 §2.3: an event is at least four bytes
	}
	l.mu.Lock()
	f := l.onEvents
	fresh := !l.haveEvent || pkt.Timestamp != l.eventTS
	l.haveEvent, l.eventTS = true, pkt.Timestamp
	l.mu.Unlock()
	if f != nil {
		f(pkt.Payload, pkt.Timestamp, pkt.Marker)
	}
	if code := int(pkt.Payload[0]); fresh && code < len(dtmfDigits) {
		l.p.report(telephony.Event{Leg: l.id, Kind: telephony.DTMF, Digit: dtmfDigits[code : code+1]})
	}
}

// OnEvents implements media.EventSource: the browser's DTMF goes across a bridge as RFC 4733
// events, as a SIP phone's does.
func (l *Leg) OnEvents(f func(payload []byte, ts uint32, marker bool)) {
	l.mu.Lock()
	l.onEvents = f
	l.mu.Unlock()
}

// receive hands the browser's audio to whoever listens.
func (l *Leg) receive(tr *pw.TrackRemote) {
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		l.mu.Lock()
		f, dtmf, audio := l.onAudio, l.dtmfPT, l.codec.PayloadType
		l.mu.Unlock()
		switch pt := pkt.PayloadType; {
		case int(pt) == dtmf:
			l.event(pkt)
		case f != nil && len(pkt.Payload) > 0 && (pt == audio || pt == 0 || pt == 8):
			f(pkt.Payload)
		}
	}
}

// Codec implements media.Endpoint.
func (l *Leg) Codec() media.Codec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.codec
}

// Send implements media.Endpoint: one continuous stream whatever feeds it.
func (l *Leg) Send(payload []byte, marker bool) error {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return errors.New("leg ended")
	}
	l.seq++
	l.ts += uint32(len(payload)) // G.711: one byte a sample
	l.pkt.Header = rtp.Header{Version: 2, Marker: marker, PayloadType: l.codec.PayloadType, SequenceNumber: l.seq, Timestamp: l.ts}
	l.pkt.Payload = payload
	err := l.track.WriteRTP(&l.pkt)
	l.mu.Unlock()
	return err
}

// OnAudio implements media.Endpoint.
func (l *Leg) OnAudio(f func([]byte)) {
	l.mu.Lock()
	l.onAudio = f
	l.mu.Unlock()
}

// fail reports a leg that ended before it was answered.
func (l *Leg) fail(cause telephony.Cause, code int) {
	if l.finish() {
		l.p.report(telephony.Event{Leg: l.id, Kind: telephony.Failed, Cause: cause, Code: code})
	}
}

// end reports a leg ended by the browser side, answered or not.
func (l *Leg) end(cause telephony.Cause) {
	l.mu.Lock()
	answered := l.answered
	l.mu.Unlock()
	if !answered {
		l.fail(cause, 480)
		return
	}
	if l.finish() {
		l.p.report(telephony.Event{Leg: l.id, Kind: telephony.HungUp, Cause: cause})
	}
}

// close ends a leg the engine hung up: the console is told, nothing is reported.
func (l *Leg) close(tellConsole bool) {
	if l.finish() && tellConsole {
		_ = l.console.sendMsg("webrtc.hangup", legData{Leg: l.id})
	}
}

// finish marks the leg ended, closes its connection and forgets it; it reports whether this
// call did it.
func (l *Leg) finish() bool {
	l.mu.Lock()
	if l.ended {
		l.mu.Unlock()
		return false
	}
	l.ended = true
	l.onAudio, l.onEvents = nil, nil
	l.mu.Unlock()
	l.p.mu.Lock()
	delete(l.p.legs, l.id)
	l.p.mu.Unlock()
	go l.pc.Close()
	return true
}
