package webrtc

import (
	"encoding/json"
	"math"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	pw "github.com/pion/webrtc/v4"

	"ringdesk/internal/telephony"
	"ringdesk/internal/wav"
)

// browser is a pion peer standing in for Chromium in the console.
type browser struct {
	t      *testing.T
	p      *Phones
	login  string
	pc     *pw.PeerConnection
	track  *pw.TrackLocalStaticRTP
	mu     sync.Mutex
	heard  []int16
	hangup chan telephony.LegID
	reject bool
}

func newBrowser(t *testing.T, p *Phones, login string) (*browser, func()) {
	b := &browser{t: t, p: p, login: login, hangup: make(chan telephony.LegID, 4)}
	done := p.Connected(login, b.fromServer)
	if err := p.Message(login, []byte(`{"type":"webrtc.hello"}`)); err != nil {
		t.Fatal(err)
	}
	return b, done
}

func (b *browser) fromServer(msg []byte) error {
	var m struct {
		Type string  `json:"type"`
		Data legData `json:"data"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		b.t.Errorf("server sent malformed JSON: %s", msg)
		return nil
	}
	switch m.Type {
	case "webrtc.offer":
		go b.answer(m.Data)
	case "webrtc.hangup":
		b.hangup <- m.Data.Leg
	}
	return nil
}

func (b *browser) answer(d legData) {
	if b.reject {
		b.p.Message(b.login, mustJSON(map[string]any{"type": "webrtc.reject", "data": map[string]any{"leg": d.Leg, "reason": "no"}}))
		return
	}
	me := &pw.MediaEngine{}
	me.RegisterCodec(pw.RTPCodecParameters{RTPCodecCapability: pw.RTPCodecCapability{MimeType: pw.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}, pw.RTPCodecTypeAudio)
	se := pw.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]pw.NetworkType{pw.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(0)
	api := pw.NewAPI(pw.WithMediaEngine(me), pw.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(pw.Configuration{})
	if err != nil {
		b.t.Error(err)
		return
	}
	b.pc = pc
	b.track, _ = pw.NewTrackLocalStaticRTP(pw.RTPCodecCapability{MimeType: pw.MimeTypePCMU, ClockRate: 8000}, "mic", "browser")
	pc.AddTrack(b.track)
	pc.OnTrack(func(tr *pw.TrackRemote, _ *pw.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			b.mu.Lock()
			for _, u := range pkt.Payload {
				b.heard = append(b.heard, wav.ULawToLinear(u))
			}
			b.mu.Unlock()
		}
	})
	pc.OnICECandidate(func(c *pw.ICECandidate) {
		if c != nil {
			init := c.ToJSON()
			b.p.Message(b.login, mustJSON(map[string]any{"type": "webrtc.candidate", "data": map[string]any{"leg": d.Leg, "candidate": init}}))
		}
	})
	if err := pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeOffer, SDP: d.SDP}); err != nil {
		b.t.Error(err)
		return
	}
	ans, _ := pc.CreateAnswer(nil)
	pc.SetLocalDescription(ans)
	if err := b.p.Message(b.login, mustJSON(map[string]any{"type": "webrtc.answer", "data": map[string]any{"leg": d.Leg, "sdp": ans.SDP}})); err != nil {
		b.t.Error(err)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// tone returns 20 ms PCMU frames of a sine.
func tone(hz float64, frames int) [][]byte {
	var out [][]byte
	n := 0
	for f := 0; f < frames; f++ {
		fr := make([]byte, 160)
		for i := range fr {
			fr[i] = ulaw(int16(8000 * math.Sin(2*math.Pi*hz*float64(n)/8000)))
			n++
		}
		out = append(out, fr)
	}
	return out
}

// ulaw encodes one sample (G.711 mu-law), for the test's own tones.
func ulaw(s int16) byte {
	const bias, clip = 0x84, 32635
	sign := byte(0)
	v := int(s)
	if v < 0 {
		v, sign = -v, 0x80
	}
	if v > clip {
		v = clip
	}
	v += bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	man := (v >> (exp + 3)) & 0x0F
	return ^(sign | byte(exp<<4) | byte(man))
}

// freq estimates the dominant frequency by counting zero crossings.
func freq(x []int16) float64 {
	if len(x) < 800 {
		return 0
	}
	z := 0
	for i := 1; i < len(x); i++ {
		if (x[i-1] < 0) != (x[i] < 0) {
			z++
		}
	}
	return float64(z) / 2 / (float64(len(x)) / 8000)
}

type reports struct {
	mu sync.Mutex
	ev []telephony.Event
	ch chan telephony.Event
}

func newReports() *reports { return &reports{ch: make(chan telephony.Event, 16)} }
func (r *reports) add(e telephony.Event) {
	r.mu.Lock()
	r.ev = append(r.ev, e)
	r.mu.Unlock()
	r.ch <- e
}
func (r *reports) wait(t *testing.T, kind telephony.EventKind) telephony.Event {
	t.Helper()
	for {
		select {
		case e := <-r.ch:
			if e.Kind == kind {
				return e
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s reported", kind)
		}
	}
}

func newPhones(t *testing.T, r *reports) *Phones {
	p, err := New(Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 41000, PortMax: 41999}, r.add)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBrowserLegCarriesAudioBothWays(t *testing.T) {
	r := newReports()
	p := newPhones(t, r)
	b, disconnect := newBrowser(t, p, "kim")
	defer disconnect()
	if !p.Online("kim") || p.Online("lee") {
		t.Fatal("online")
	}
	p.Place("leg-1", "kim", "01055556666", "고객지원")
	r.wait(t, telephony.Ringing)
	r.wait(t, telephony.Answered)
	ep, ok := p.Endpoint("leg-1")
	if !ok || ep.Codec().Name != "PCMU" {
		t.Fatalf("endpoint %v %v", ok, ep)
	}
	var mu sync.Mutex
	var heard []int16
	ep.OnAudio(func(pl []byte) {
		mu.Lock()
		for _, u := range pl {
			heard = append(heard, wav.ULawToLinear(u))
		}
		mu.Unlock()
	})
	toServer, toBrowser := tone(880, 100), tone(440, 100)
	var seq uint16
	for i := 0; i < 100; i++ {
		ep.Send(toBrowser[i], i == 0)
		seq++
		b.track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(i * 160)}, Payload: toServer[i]})
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	got := freq(heard)
	mu.Unlock()
	b.mu.Lock()
	gotB := freq(b.heard)
	b.mu.Unlock()
	if got < 800 || got > 960 {
		t.Errorf("server heard %.0f Hz from the browser, want ~880", got)
	}
	if gotB < 400 || gotB > 480 {
		t.Errorf("browser heard %.0f Hz from the server, want ~440", gotB)
	}
	p.Hangup("leg-1")
	select {
	case leg := <-b.hangup:
		if leg != "leg-1" {
			t.Fatalf("hangup for %s", leg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("console not told of the hang-up")
	}
	if p.Legs() != 0 {
		t.Fatal("leg not forgotten")
	}
	select {
	case e := <-r.ch:
		t.Fatalf("a hang-up by the engine must not be reported back: %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestBrowserLegFailures(t *testing.T) {
	r := newReports()
	p := newPhones(t, r)
	p.Place("leg-none", "kim", "", "")
	if e := r.wait(t, telephony.Failed); e.Cause != telephony.CauseUnavailable {
		t.Fatalf("no console: %+v", e)
	}
	b, disconnect := newBrowser(t, p, "kim")
	b.reject = true
	p.Place("leg-rej", "kim", "", "")
	if e := r.wait(t, telephony.Failed); e.Cause != telephony.CauseDeclined {
		t.Fatalf("rejected: %+v", e)
	}
	b.reject = false
	p.Place("leg-up", "kim", "", "")
	r.wait(t, telephony.Answered)
	disconnect() // the console goes away mid-call
	if e := r.wait(t, telephony.HungUp); e.Leg != "leg-up" {
		t.Fatalf("hang-up: %+v", e)
	}
	if err := p.Message("kim", []byte(`{"type":"webrtc.answer","data":{"leg":"nope","sdp":"x"}}`)); err == nil {
		t.Fatal("answer for an unknown leg accepted")
	}
	if err := p.Message("kim", []byte(`{not json`)); err == nil {
		t.Fatal("malformed message accepted")
	}
}

// A console that stops reading must not hold up whoever ends its legs. Before consoles had
// their own queue, Hangup wrote the hang-up message to the console's WebSocket itself and
// waited for it (10 s per message in the API), so one slow browser stalled its service's
// engine loop: this test timed out.
func TestSlowConsoleDoesNotBlockHangup(t *testing.T) {
	r := newReports()
	p := newPhones(t, r)
	release := make(chan struct{})
	defer close(release)
	done := p.Connected("kim", func([]byte) error { <-release; return nil }) // never reads
	defer done()
	if err := p.Message("kim", []byte(`{"type":"webrtc.hello"}`)); err != nil {
		t.Fatal(err)
	}
	p.Place("L1", "kim", "01011112222", "고객지원")
	deadline := time.Now().Add(5 * time.Second)
	for p.Legs() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the leg was never placed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	hung := make(chan struct{})
	go func() { p.Hangup("L1"); close(hung) }()
	select {
	case <-hung:
	case <-time.After(2 * time.Second):
		t.Fatal("Hangup waited on a console that does not read")
	}
}
