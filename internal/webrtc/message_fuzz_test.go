package webrtc

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	pw "github.com/pion/webrtc/v4"

	"ringdesk/internal/telephony"
)

// FuzzConsoleMessage feeds the signalling messages a console sends on its event socket
// (softphone.js: hello, answer, candidate, reject, hangup) to Phones.Message while a browser
// leg rings, as anyone logged in can: whatever arrives, nothing panics, and a message from
// another account never touches the leg.
//
//	go test -run '^$' -fuzz FuzzConsoleMessage -fuzztime 60s ./internal/webrtc
func FuzzConsoleMessage(f *testing.F) {
	p, err := New(Config{IP: netip.MustParseAddr("127.0.0.1"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		func(telephony.Event) {})
	if err != nil {
		f.Fatal(err)
	}
	offers := make(chan string, 1)
	console := func(msg []byte) error {
		var m struct {
			Type string  `json:"type"`
			Data legData `json:"data"`
		}
		if json.Unmarshal(msg, &m) == nil && m.Type == "webrtc.offer" {
			select {
			case offers <- m.Data.SDP:
			default:
			}
		}
		return nil
	}
	defer p.Connected("kim", console)()
	defer p.Connected("lee", func([]byte) error { return nil })()
	for _, who := range []string{"kim", "lee"} {
		if err := p.Message(who, []byte(`{"type":"webrtc.hello"}`)); err != nil {
			f.Fatal(err)
		}
	}
	const leg = telephony.LegID("fz")
	ring := func() {
		if _, ok := p.Endpoint(leg); !ok {
			p.place(leg, "kim", "01055556666", "고객")
		}
	}

	// seeds: what a browser really sends, answering a real offer
	ring()
	answer, candidate := browserAnswer(f, <-offers)
	p.Hangup(leg)
	seed := func(typ string, data any) []byte {
		b, _ := json.Marshal(map[string]any{"type": typ, "data": data})
		return b
	}
	f.Add([]byte(`{"type":"webrtc.hello"}`))
	f.Add(seed("webrtc.answer", map[string]any{"leg": leg, "sdp": answer}))
	f.Add(seed("webrtc.candidate", map[string]any{"leg": leg, "candidate": candidate}))
	chrome := map[string]any{
		"candidate":        "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag Zb7x network-cost 999",
		"sdpMid":           "0",
		"sdpMLineIndex":    0,
		"usernameFragment": "Zb7x",
	}
	f.Add(seed("webrtc.candidate", map[string]any{"leg": leg, "candidate": chrome}))
	f.Add(seed("webrtc.reject", map[string]any{"leg": leg, "reason": "NotAllowedError: Permission denied"}))
	f.Add(seed("webrtc.hangup", map[string]any{"leg": leg}))
	f.Add(seed("webrtc.answer", map[string]any{"leg": "someone-elses", "sdp": answer}))
	f.Add([]byte(`{"type":"webrtc.candidate","data":{"leg":"fz"}}`))
	f.Add([]byte(`{"type":"webrtc.answer","data":null}`))
	f.Add([]byte(`{"type":"webrtc.offer","data":{"leg":"fz","sdp":"v=0"}}`))
	f.Add([]byte(`{"type":42}`))
	f.Add([]byte(`[]`))

	f.Fuzz(func(t *testing.T, msg []byte) {
		ring()
		if _, ok := p.Endpoint(leg); !ok {
			t.Skip("the leg could not be placed") // the machine is out of ports; not the input's fault
		}
		_ = p.Message("lee", msg)
		if _, ok := p.Endpoint(leg); !ok {
			t.Fatalf("a message from another account ended kim's leg: %q", msg)
		}
		_ = p.Message("kim", msg)
		p.Hangup(leg)
	})
}

// browserAnswer answers offer as Chromium would (pion standing in) and returns the answer SDP
// and the first ICE candidate the browser would trickle.
func browserAnswer(f *testing.F, offer string) (string, pw.ICECandidateInit) {
	se := pw.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]pw.NetworkType{pw.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(0)
	me := &pw.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		f.Fatal(err)
	}
	pc, err := pw.NewAPI(pw.WithMediaEngine(me), pw.WithSettingEngine(se)).NewPeerConnection(pw.Configuration{})
	if err != nil {
		f.Fatal(err)
	}
	defer pc.Close()
	first := make(chan pw.ICECandidateInit, 1)
	pc.OnICECandidate(func(c *pw.ICECandidate) {
		if c != nil {
			select {
			case first <- c.ToJSON():
			default:
			}
		}
	})
	if err := pc.SetRemoteDescription(pw.SessionDescription{Type: pw.SDPTypeOffer, SDP: offer}); err != nil {
		f.Fatal(err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		f.Fatal(err)
	}
	done := pw.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		f.Fatal(err)
	}
	<-done
	return pc.LocalDescription().SDP, <-first
}
