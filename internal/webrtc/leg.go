package webrtc

import (
	"errors"
	"fmt"
	"math/rand/v2"
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
	seq      uint16
	ts       uint32
	pkt      rtp.Packet
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
		codec: media.Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000},
		seq:   uint16(rand.Uint32()), ts: rand.Uint32()}
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
	return nil
}

// receive hands the browser's audio to whoever listens.
func (l *Leg) receive(tr *pw.TrackRemote) {
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		l.mu.Lock()
		f := l.onAudio
		l.mu.Unlock()
		if f != nil && len(pkt.Payload) > 0 {
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
	l.onAudio = nil
	l.mu.Unlock()
	l.p.mu.Lock()
	delete(l.p.legs, l.id)
	l.p.mu.Unlock()
	go l.pc.Close()
	return true
}
