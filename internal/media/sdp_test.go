package media

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SDP files in testdata/")

// sdpText builds a far end's description from lines, with CRLF endings.
func sdpText(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// offerFrom is a phone's offer at 10.0.0.5:40000 with the given m= formats and extra lines.
func offerFrom(formats string, extra ...string) []byte {
	lines := []string{"v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0",
		"m=audio 40000 RTP/AVP " + formats}
	return sdpText(append(lines, extra...)...)
}

// golden compares got with testdata/name; -update rewrites it. The session's port is written
// as 20000 so that the files do not depend on which port the pool handed out.
func golden(t *testing.T, s *Session, name string, got []byte) {
	t.Helper()
	got = bytes.Replace(got, fmt.Appendf(nil, "m=audio %d ", s.LocalAddr().Port()), []byte("m=audio 20000 "), 1)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed (go test -update rewrites it):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestSDPGolden(t *testing.T) {
	m := testManager(t, 30000, 30100)
	for _, tc := range []struct {
		file string
		make func(s *Session) ([]byte, error)
	}{
		{"offer.sdp", func(s *Session) ([]byte, error) { return s.Offer(), nil }},
		{"answer-pcma-dtmf96.sdp", func(s *Session) ([]byte, error) {
			return s.Answer(offerFrom("18 8 0 96", "a=rtpmap:18 G729/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"))
		}},
		{"answer-pcmu-no-dtmf.sdp", func(s *Session) ([]byte, error) { return s.Answer(offerFrom("0")) }},
		{"answer-video-refused.sdp", func(s *Session) ([]byte, error) {
			return s.Answer(sdpText("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0",
				"m=video 40002 RTP/AVP 96", "a=rtpmap:96 H264/90000",
				"m=audio 40000 RTP/AVPF 0 101", "a=rtpmap:101 telephone-event/8000"))
		}},
		{"reanswer-hold.sdp", func(s *Session) ([]byte, error) {
			if _, err := s.Answer(offerFrom("0 101", "a=rtpmap:101 telephone-event/8000")); err != nil {
				return nil, err
			}
			a, _, err := s.Reoffer(offerFrom("0 101", "a=rtpmap:101 telephone-event/8000", "a=sendonly"))
			return a, err
		}},
		{"reanswer-inactive.sdp", func(s *Session) ([]byte, error) {
			if _, err := s.Answer(offerFrom("8")); err != nil {
				return nil, err
			}
			a, _, err := s.Reoffer(offerFrom("8", "a=inactive"))
			return a, err
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := newSession(t, m)
			got, err := tc.make(s)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parseSDP(got); err != nil {
				t.Fatalf("we cannot parse what we wrote: %v\n%s", err, got)
			}
			golden(t, s, tc.file, got)
		})
	}
}

func TestAnswerNegotiation(t *testing.T) {
	m := testManager(t, 30100, 30200)
	v4 := netip.MustParseAddrPort("10.0.0.5:40000")
	for _, tc := range []struct {
		name   string
		offer  []byte
		codec  Codec
		dtmf   int
		remote netip.AddrPort
		hold   bool
		dir    string // in our answer
		err    error
	}{
		{"PCMU first", offerFrom("0 8 101", "a=rtpmap:101 telephone-event/8000"), PCMU, 101, v4, false, sendrecv, nil},
		{"PCMA first", offerFrom("8 0"), PCMA, -1, v4, false, sendrecv, nil},
		{"unsupported first", offerFrom("18 9 8 0", "a=rtpmap:18 G729/8000"), PCMA, -1, v4, false, sendrecv, nil},
		{"dynamic PCMU keeps its number", offerFrom("96 97", "a=rtpmap:96 PCMU/8000", "a=rtpmap:97 telephone-event/8000"),
			Codec{"PCMU", 96, 8000}, 97, v4, false, sendrecv, nil},
		{"rtpmap in lower case", offerFrom("98", "a=rtpmap:98 pcma/8000"), Codec{"PCMA", 98, 8000}, -1, v4, false, sendrecv, nil},
		{"PCMU at 16 kHz is not G.711", offerFrom("96 8", "a=rtpmap:96 PCMU/16000"), PCMA, -1, v4, false, sendrecv, nil},
		{"telephone-event at 48 kHz is not ours", offerFrom("0 110", "a=rtpmap:110 telephone-event/48000"), PCMU, -1, v4, false, sendrecv, nil},
		{"sendonly holds us", offerFrom("0", "a=sendonly"), PCMU, -1, v4, true, recvonly, nil},
		{"inactive holds us", offerFrom("0", "a=inactive"), PCMU, -1, v4, true, inactive, nil},
		{"recvonly", offerFrom("0", "a=recvonly"), PCMU, -1, v4, false, sendonly, nil},
		{"session-level sendonly", sdpText("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0", "a=sendonly",
			"m=audio 40000 RTP/AVP 0"), PCMU, -1, v4, true, recvonly, nil},
		{"media-level wins", sdpText("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0", "a=sendonly",
			"m=audio 40000 RTP/AVP 0", "a=sendrecv"), PCMU, -1, v4, false, sendrecv, nil},
		{"c=0.0.0.0 holds us (RFC 2543)", sdpText("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 0.0.0.0", "t=0 0",
			"m=audio 40000 RTP/AVP 0"), PCMU, -1, netip.AddrPort{}, true, recvonly, nil},
		{"media-level c= wins", sdpText("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0",
			"m=audio 40000 RTP/AVP 0", "c=IN IP4 10.0.0.9"), PCMU, -1, netip.MustParseAddrPort("10.0.0.9:40000"), false, sendrecv, nil},
		{"IPv6", sdpText("v=0", "o=- 1 1 IN IP6 ::1", "s=-", "c=IN IP6 2001:db8::5", "t=0 0", "m=audio 40000 RTP/AVP 0"),
			PCMU, -1, netip.MustParseAddrPort("[2001:db8::5]:40000"), false, sendrecv, nil},
		{"second audio stream when the first is SRTP", sdpText("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0",
			"m=audio 40002 RTP/SAVP 0", "m=audio 40000 RTP/AVP 8"), PCMA, -1, v4, false, sendrecv, nil},
		{"no G.711", offerFrom("18 9", "a=rtpmap:18 G729/8000"), Codec{}, 0, netip.AddrPort{}, false, "", ErrNoCodec},
		{"SRTP only", sdpText("v=0", "o=- 1 1 IN IP4 1.2.3.4", "s=-", "c=IN IP4 1.2.3.4", "t=0 0", "m=audio 5000 RTP/SAVP 0"),
			Codec{}, 0, netip.AddrPort{}, false, "", ErrNoCodec},
		{"video only", sdpText("v=0", "o=- 1 1 IN IP4 1.2.3.4", "s=-", "c=IN IP4 1.2.3.4", "t=0 0", "m=video 5000 RTP/AVP 96"),
			Codec{}, 0, netip.AddrPort{}, false, "", ErrNoCodec},
		{"audio refused with port 0", sdpText("v=0", "o=- 1 1 IN IP4 1.2.3.4", "s=-", "c=IN IP4 1.2.3.4", "t=0 0", "m=audio 0 RTP/AVP 0"),
			Codec{}, 0, netip.AddrPort{}, false, "", ErrNoCodec},
		{"garbage", []byte("hello"), Codec{}, 0, netip.AddrPort{}, false, "", ErrBadSDP},
		{"hostname", sdpText("v=0", "o=- 1 1 IN IP4 a.b", "s=-", "c=IN IP4 pbx.example", "t=0 0", "m=audio 5000 RTP/AVP 0"),
			Codec{}, 0, netip.AddrPort{}, false, "", ErrBadSDP},
		{"no c=", sdpText("v=0", "o=- 1 1 IN IP4 1.2.3.4", "s=-", "t=0 0", "m=audio 5000 RTP/AVP 0"),
			Codec{}, 0, netip.AddrPort{}, false, "", ErrBadSDP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, m)
			ans, err := s.Answer(tc.offer)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got error %v, want %v", err, tc.err)
				}
				if s.Codec() != PCMU || s.peer.Load().dtmf != -1 || s.Remote().IsValid() {
					t.Fatalf("a refused offer changed the session: %+v", *s.peer.Load())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := s.peer.Load()
			if p.codec != tc.codec || p.dtmf != tc.dtmf || p.remote != tc.remote || p.hold != tc.hold {
				t.Errorf("got codec %v dtmf %d remote %v hold %v; want %v %d %v %v", p.codec, p.dtmf, p.remote, p.hold,
					tc.codec, tc.dtmf, tc.remote, tc.hold)
			}
			r, err := parseSDP(ans)
			if err != nil {
				t.Fatalf("our answer does not parse: %v\n%s", err, ans)
			}
			if r.direction != tc.dir || len(r.formats) != 1 || r.formats[0] != tc.codec || r.dtmf != tc.dtmf {
				t.Errorf("answer says %s %v dtmf %d; want %s %v dtmf %d\n%s", r.direction, r.formats, r.dtmf, tc.dir, tc.codec, tc.dtmf, ans)
			}
			if r.addr != s.LocalAddr() {
				t.Errorf("answer points at %v, want %v", r.addr, s.LocalAddr())
			}
		})
	}
}

func TestAcceptAndReoffer(t *testing.T) {
	m := testManager(t, 30200, 30300)
	s := newSession(t, m)
	offer := s.Offer()
	if r, err := parseSDP(offer); err != nil || len(r.formats) != 2 || r.dtmf != dtmfPT {
		t.Fatalf("our offer: %v %+v", err, r)
	}
	// the callee answers with both laws listed, PCMA first: we send PCMA and take either
	if err := s.Accept(offerFrom("8 0 101", "a=rtpmap:101 telephone-event/8000")); err != nil {
		t.Fatal(err)
	}
	if s.Codec() != PCMA || s.peer.Load().nalt != 1 {
		t.Fatalf("accepted %+v", *s.peer.Load())
	}
	if err := s.Accept([]byte("junk")); !errors.Is(err, ErrBadSDP) {
		t.Fatalf("junk answer: %v", err)
	}

	// a re-INVITE that still offers PCMA keeps it, even when PCMU comes first
	ans, hold, err := s.Reoffer(offerFrom("0 8 101", "a=rtpmap:101 telephone-event/8000"))
	if err != nil || hold || s.Codec() != PCMA || !bytes.Contains(ans, []byte("RTP/AVP 8 101")) {
		t.Fatalf("reoffer: %v hold %v codec %v\n%s", err, hold, s.Codec(), ans)
	}
	// one that drops it switches
	if _, _, err = s.Reoffer(offerFrom("0")); err != nil || s.Codec() != PCMU || s.peer.Load().dtmf != -1 {
		t.Fatalf("switch: %v %v", err, *s.peer.Load())
	}
	// a refused re-offer changes nothing
	before := *s.peer.Load()
	if _, _, err := s.Reoffer(offerFrom("18")); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("G.729 re-offer: %v", err)
	}
	if _, _, err := s.Reoffer([]byte("v=0\r\nbogus")); !errors.Is(err, ErrBadSDP) {
		t.Fatalf("bogus re-offer: %v", err)
	}
	if *s.peer.Load() != before {
		t.Fatal("a refused re-offer changed the session")
	}
	// hold by c=0.0.0.0 keeps the address for the resume
	held := bytes.ReplaceAll(offerFrom("0"), []byte("c=IN IP4 10.0.0.5"), []byte("c=IN IP4 0.0.0.0"))
	if _, hold, _ := s.Reoffer(held); !hold || !s.Held() || s.Remote() != netip.MustParseAddrPort("10.0.0.5:40000") {
		t.Fatalf("c=0.0.0.0: hold %v, remote %v", hold, s.Remote())
	}
	if _, hold, _ := s.Reoffer(offerFrom("0")); hold || s.Held() {
		t.Fatal("resume still held")
	}
	// the SDP version goes up by one with each description we write
	a1, _, _ := s.Reoffer(offerFrom("0"))
	a2, _, _ := s.Reoffer(offerFrom("0"))
	if v1, v2 := originVersion(t, a1), originVersion(t, a2); v2 != v1+1 {
		t.Fatalf("versions %d then %d", v1, v2)
	}
}

func originVersion(t *testing.T, b []byte) int {
	for _, l := range strings.Split(string(b), "\r\n") {
		if strings.HasPrefix(l, "o=") {
			var v int
			if _, err := fmt.Sscanf(strings.Fields(l)[2], "%d", &v); err == nil {
				return v
			}
		}
	}
	t.Fatalf("no version in\n%s", b)
	return 0
}

// FuzzSDP feeds any bytes to the parser and, through a session, to answering and
// re-answering: nothing may panic, a refused description changes nothing, and whatever we
// answer we can parse ourselves.
func FuzzSDP(f *testing.F) {
	f.Add(offerFrom("0 8 101", "a=rtpmap:101 telephone-event/8000"))
	f.Add(offerFrom("96", "a=rtpmap:96 PCMU/8000", "a=sendonly"))
	f.Add(sdpText("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 0.0.0.0", "t=0 0", "m=video 1 RTP/AVP 96", "m=audio 2 RTP/AVPF 8"))
	f.Add(sdpText("v=0", "o=- 1 1 IN IP6 ::1", "s=-", "c=IN IP6 ::1", "t=0 0", "m=audio 9 RTP/AVP 0", "a=rtpmap:0"))
	f.Add([]byte("v=0\r\nm=audio 0 RTP/AVP\r\n"))
	m, err := NewManager(Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 30300, PortMax: 30400}, nil)
	if err != nil {
		f.Fatal(err)
	}
	s, err := m.NewSession()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close(); m.Close() })
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseSDP(b)
		if err == nil && (len(r.formats) == 0 || r.dtmf < -1 || r.dtmf > 127 || r.audio < 0 || r.audio >= len(r.lines)) {
			t.Fatalf("parsed into nonsense: %+v", r)
		}
		for _, answer := range []func() ([]byte, error){
			func() ([]byte, error) { return s.Answer(b) },
			func() ([]byte, error) { a, _, err := s.Reoffer(b); return a, err },
		} {
			before := *s.peer.Load()
			a, err := answer()
			if err != nil {
				if !errors.Is(err, ErrBadSDP) && !errors.Is(err, ErrNoCodec) {
					t.Fatalf("unclassified error %v", err)
				}
				if *s.peer.Load() != before {
					t.Fatal("a refused description changed the session")
				}
				continue
			}
			if _, err := parseSDP(a); err != nil {
				t.Fatalf("we cannot parse our own answer: %v\n%s", err, a)
			}
		}
	})
}
