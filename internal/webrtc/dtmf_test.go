package webrtc

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	pw "github.com/pion/webrtc/v4"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// rawTrack is a browser's microphone track that can send RTP of any payload type in its one
// stream, as Chromium's RTCDTMFSender does (pion's own tracks stamp every packet with the
// audio's payload type).
type rawTrack struct {
	mu   sync.Mutex
	w    pw.TrackLocalWriter
	ssrc uint32
}

func (r *rawTrack) Bind(ctx pw.TrackLocalContext) (pw.RTPCodecParameters, error) {
	r.mu.Lock()
	r.w, r.ssrc = ctx.WriteStream(), uint32(ctx.SSRC())
	r.mu.Unlock()
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, pw.MimeTypePCMU) {
			return c, nil
		}
	}
	return pw.RTPCodecParameters{}, fmt.Errorf("no PCMU")
}
func (r *rawTrack) Unbind(pw.TrackLocalContext) error { return nil }
func (r *rawTrack) ID() string                        { return "mic" }
func (r *rawTrack) RID() string                       { return "" }
func (r *rawTrack) StreamID() string                  { return "browser" }
func (r *rawTrack) Kind() pw.RTPCodecType             { return pw.RTPCodecTypeAudio }

func (r *rawTrack) send(pt uint8, seq uint16, ts uint32, marker bool, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return fmt.Errorf("not bound")
	}
	_, err := r.w.WriteRTP(&rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, Marker: marker, SSRC: r.ssrc}, payload)
	return err
}

// dtmfBrowser answers the server's offer accepting telephone-event, as Chromium does.
func dtmfBrowser(t *testing.T, p *Phones, login string) (*rawTrack, func()) {
	track := &rawTrack{}
	var once sync.Once
	answered := make(chan struct{})
	done := p.Connected(login, func(msg []byte) error {
		if !strings.Contains(string(msg), `"webrtc.offer"`) {
			return nil
		}
		go once.Do(func() {
			var m struct {
				Data legData `json:"data"`
			}
			if err := jsonUnmarshal(msg, &m); err != nil {
				t.Error(err)
				return
			}
			if !telephoneEvent.MatchString(m.Data.SDP) {
				t.Errorf("the server's offer has no telephone-event/8000:\n%s", m.Data.SDP)
			}
			me := &pw.MediaEngine{}
			me.RegisterCodec(pw.RTPCodecParameters{RTPCodecCapability: pw.RTPCodecCapability{MimeType: pw.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}, pw.RTPCodecTypeAudio)
			me.RegisterCodec(pw.RTPCodecParameters{RTPCodecCapability: pw.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: 101}, pw.RTPCodecTypeAudio)
			se := pw.SettingEngine{}
			se.SetIncludeLoopbackCandidate(true)
			se.SetNetworkTypes([]pw.NetworkType{pw.NetworkTypeUDP4})
			se.SetICEMulticastDNSMode(0)
			pc, err := pw.NewAPI(pw.WithMediaEngine(me), pw.WithSettingEngine(se)).NewPeerConnection(pw.Configuration{})
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { pc.Close() })
			pc.AddTrack(track)
			pc.OnICECandidate(func(c *pw.ICECandidate) {
				if c != nil {
					p.Message(login, mustJSON(map[string]any{"type": "webrtc.candidate", "data": map[string]any{"leg": m.Data.Leg, "candidate": c.ToJSON()}}))
				}
			})
			pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeOffer, SDP: m.Data.SDP})
			ans, _ := pc.CreateAnswer(nil)
			pc.SetLocalDescription(ans)
			if err := p.Message(login, mustJSON(map[string]any{"type": "webrtc.answer", "data": map[string]any{"leg": m.Data.Leg, "sdp": ans.SDP}})); err != nil {
				t.Error(err)
			}
			close(answered)
		})
		return nil
	})
	if err := p.Message(login, []byte(`{"type":"webrtc.hello"}`)); err != nil {
		t.Fatal(err)
	}
	return track, done
}

// A browser agent presses keys: each press is reported once as DTMF, and across a bridge the
// SIP leg's far end (a bank's IVR) receives the RFC 4733 events under its own payload type;
// none of it reaches the far end as audio.
func TestBrowserDTMFIsReportedAndRelayed(t *testing.T) {
	r := newReports()
	p := newPhones(t, r)
	track, disconnect := dtmfBrowser(t, p, "kim")
	defer disconnect()
	p.Place("leg-dtmf", "kim", "15881234", "고객지원")
	r.wait(t, telephony.Answered)
	ep, _ := p.Endpoint("leg-dtmf")

	// the IVR: a SIP leg's session whose far end took telephone-event as 96
	m, err := media.NewManager(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 42000, PortMax: 42100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ivr, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ivr.Close()
	sess, err := m.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	port := ivr.LocalAddr().(*net.UDPAddr).Port
	sdp := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 96\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\na=sendrecv\r\n", port)
	if _, err := sess.Answer([]byte(sdp)); err != nil {
		t.Fatal(err)
	}
	m.Bridge(ep, sess)

	var mu sync.Mutex
	var events [][]byte
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := ivr.Read(buf)
			if err != nil {
				return
			}
			var pkt rtp.Packet
			if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 96 {
				mu.Lock()
				events = append(events, append([]byte(nil), pkt.Payload...))
				mu.Unlock()
			}
		}
	}()
	// "1" then "#": each 5 updates and 3 end packets, one timestamp per press
	seq := uint16(100)
	for i, key := range []byte{1, 11} {
		ts := uint32(8000 * (i + 1))
		for k := 0; k < 8; k++ {
			flags := byte(10)
			if k >= 5 {
				flags |= 0x80
			}
			dur := uint16(160 * min(k+1, 5))
			seq++
			if err := track.send(101, seq, ts, k == 0, []byte{key, flags, byte(dur >> 8), byte(dur)}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var digits []string
	deadline := time.After(5 * time.Second)
	for len(digits) < 2 {
		select {
		case e := <-r.ch:
			if e.Kind == telephony.DTMF && e.Leg == "leg-dtmf" {
				digits = append(digits, e.Digit)
			}
		case <-deadline:
			t.Fatalf("digits reported: %v, want 1 and #", digits)
		}
	}
	if strings.Join(digits, "") != "1#" {
		t.Fatalf("digits %v, want 1 then # once each", digits)
	}
	select {
	case e := <-r.ch:
		if e.Kind == telephony.DTMF {
			t.Fatalf("a repeated event packet was reported again: %+v", e)
		}
	case <-time.After(300 * time.Millisecond):
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 16 || events[0][0] != 1 || events[15][0] != 11 || events[15][1]&0x80 == 0 {
		t.Fatalf("the IVR received %d event packets (%v), want all 16 of 1 and #", len(events), events)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
