package sip

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/fault"
	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// The fuzz targets feed the server's handlers what sipgo parses out of arbitrary bytes, as
// its transport would, in-process: no sockets between the bytes and the handlers, so that
// millions of inputs run in minutes. They are seeded with the RFC 4475 torture messages
// (testdata/torture, copied from sipgo's test data) and a few of our own. Run them for a
// bounded time:
//
//	go test -run '^$' -fuzz '^FuzzRequestHandlers$' -fuzztime 60s ./internal/sip
//	go test -run '^$' -fuzz '^FuzzResponses$' -fuzztime 30s ./internal/sip
//
// Without -fuzz, `go test` runs every seed once, as a regression test.

// fakeTx is the server transaction the fuzz targets hand the handlers: it keeps what they
// answer.
type fakeTx struct {
	mu   sync.Mutex
	res  []*sip.Response
	done chan struct{}
	once sync.Once
}

func newFakeTx() *fakeTx { return &fakeTx{done: make(chan struct{})} }

func (tx *fakeTx) Respond(r *sip.Response) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.res = append(tx.res, r)
	return nil
}
func (tx *fakeTx) Acks() <-chan *sip.Request            { return nil }
func (tx *fakeTx) OnCancel(sip.FnTxCancel) bool         { return true }
func (tx *fakeTx) Terminate()                           { tx.once.Do(func() { close(tx.done) }) }
func (tx *fakeTx) OnTerminate(f sip.FnTxTerminate) bool { return true }
func (tx *fakeTx) Done() <-chan struct{}                { return tx.done }
func (tx *fakeTx) Err() error                           { return nil }
func (tx *fakeTx) Connection() sip.Connection           { return nil } // so sendOnce falls back to Respond

func (tx *fakeTx) responses() []*sip.Response {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.res
}

// fuzzServer is a started server on loopback whose engine refuses every call at once (a call
// answered would wait 64*T1 for an ACK that never comes), with the test site: a trunk allowed
// from 127.0.0.1 and extensions 1001-1003.
func fuzzServer(f *testing.F) (*Server, *script) {
	lo, hi := rtpRange()
	m, err := media.NewManager(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: lo, PortMax: hi, Logger: testLogger()}, nil)
	if err != nil {
		f.Fatal(err)
	}
	h := newScript()
	busy := fault.New(fault.Busy, "busy", "통화 중입니다")
	h.setInbound(func(telephony.InboundCall) error { return busy })
	h.setDialled(func(telephony.PhoneCall) error { return busy })
	s, err := New(Config{Listen: "127.0.0.1:0", TrunkProbe: -1}, h, m, testLogger())
	if err != nil {
		f.Fatal(err)
	}
	s.SetSite(testSite(0))
	if err := s.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		s.Close()
		m.Close()
	})
	return s, h
}

// seeds adds the torture messages and ours.
func seeds(f *testing.F, ours ...string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "torture", "*.dat"))
	if len(files) == 0 {
		f.Fatal("no torture messages in testdata/torture")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	for _, m := range ours {
		b := []byte(strings.ReplaceAll(m, "\n", "\r\n"))
		f.Add(b, false)
		f.Add(b, true)
	}
}

const fuzzSDP = "v=0\no=x 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\n"

var ourRequests = []string{
	"REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.7:5062;rport;branch=z9hG4bK-1\nFrom: <sip:1001@127.0.0.1>;tag=a\n" +
		"To: <sip:1001@127.0.0.1>\nCall-ID: r1\nCSeq: 2 REGISTER\nContact: <sip:1001@192.0.2.7:5062>;expires=60\nExpires: 600\n" +
		"Authorization: Digest username=\"1001\", realm=\"ringdesk\", nonce=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", " +
		"uri=\"sip:127.0.0.1\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"x\"\n" +
		"Content-Length: 0\n\n",
	"REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-2\nFrom: <sip:1001@127.0.0.1>;tag=a\n" +
		"To: <sip:1001@127.0.0.1>\nCall-ID: r2\nCSeq: 3 REGISTER\nContact: *\nExpires: 0\nContent-Length: 0\n\n",
	"INVITE sip:0212345678@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-3\nFrom: <sip:0101@127.0.0.1>;tag=b\n" +
		"To: <sip:0212345678@127.0.0.1>\nCall-ID: i1\nCSeq: 1 INVITE\nContact: <sip:0101@127.0.0.1:5062>\n" +
		"P-Asserted-Identity: <sip:01012345678@127.0.0.1>, <tel:+821012345678>\nSession-Expires: 90;refresher=uac\nMin-SE: 90\n" +
		"Content-Type: application/sdp\nContent-Length: " + itoaLen(fuzzSDP) + "\n\n" + fuzzSDP,
	"INVITE sip:900@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-4\nFrom: <sip:1001@127.0.0.1>;tag=c\n" +
		"To: <sip:900@127.0.0.1>\nCall-ID: i2\nCSeq: 2 INVITE\nContact: <sip:1001@192.0.2.7:5062>\n" +
		"Proxy-Authorization: Digest username=\"1001\", realm=\"ringdesk\", nonce=\"bm90LW91cnM\", uri=\"sip:901@127.0.0.1\", response=\"00\"\n" +
		"Content-Length: 0\n\n",
	"INVITE sip:1001@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-5\nFrom: <sip:x@127.0.0.1>;tag=d\n" +
		"To: <sip:1001@127.0.0.1>;tag=ours\nCall-ID: i3\nCSeq: 7 INVITE\nContact: <sip:x@127.0.0.1:5062>\nContent-Length: 0\n\n",
	"BYE sip:1001@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-6\nFrom: <sip:x@127.0.0.1>;tag=d\n" +
		"To: <sip:1001@127.0.0.1>;tag=ours\nCall-ID: i3\nCSeq: 8 BYE\nContent-Length: 0\n\n",
	"INFO sip:1001@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-7\nFrom: <sip:x@127.0.0.1>;tag=d\n" +
		"To: <sip:1001@127.0.0.1>;tag=ours\nCall-ID: i3\nCSeq: 9 INFO\nContent-Type: application/dtmf-relay\nContent-Length: 24\n\nSignal=5\r\nDuration=160\n",
	"OPTIONS sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/TCP 192.0.2.7:5062;branch=z9hG4bK-8\nFrom: <sip:x@127.0.0.1>;tag=e\n" +
		"To: <sip:127.0.0.1>\nCall-ID: o1\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n",
	"CANCEL sip:0212345678@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-9\nFrom: <sip:0101@127.0.0.1>;tag=b\n" +
		"To: <sip:0212345678@127.0.0.1>\nCall-ID: i9\nCSeq: 1 CANCEL\nContent-Length: 0\n\n",
}

// itoaLen is the length of a body once its lines end in CRLF, as seeds does.
func itoaLen(body string) string { return strconv.Itoa(len(strings.ReplaceAll(body, "\n", "\r\n"))) }

// dispatch routes a request to its handler as the server's sipgo routes do.
func (s *Server) dispatch(req *sip.Request, tx sip.ServerTransaction) {
	h := map[sip.RequestMethod]func(*sip.Request, sip.ServerTransaction){sip.REGISTER: s.onRegister, sip.INVITE: s.onInvite,
		sip.ACK: s.onAck, sip.BYE: s.onBye, sip.CANCEL: s.onCancel, sip.OPTIONS: s.onOptions, sip.INFO: s.onInfo,
		sip.UPDATE: s.onUpdate}[req.Method]
	if h == nil {
		h = s.onNoRoute
	}
	s.handle(h)(req, tx)
}

// FuzzRequestHandlers: whatever a request holds, no handler panics; a request from an
// address that is no trunk never reaches the engine, never registers a phone and never gets
// a 2xx but to OPTIONS (it cannot prove a password: the nonces are ours); every request gets
// at most one final answer; and no leg outlives its refusal.
func FuzzRequestHandlers(f *testing.F) {
	seeds(f, ourRequests...)
	s, h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, data []byte, fromTrunk bool) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok || req.Via() == nil || req.CSeq() == nil {
			return // sipgo answers these 400 itself, or drops them, before any handler
		}
		src := "192.0.2.7:5062"
		if fromTrunk {
			src = "127.0.0.1:5062"
		}
		req.SetSource(src)
		req.SetTransport("UDP")
		if v := req.Via(); v.Transport != "" && strings.EqualFold(v.Transport, "TCP") {
			req.SetTransport("TCP")
		}
		calls := func() int {
			h.mu.Lock()
			defer h.mu.Unlock()
			return len(h.dialled) + len(h.inbound)
		}
		before := calls()
		tx := newFakeTx()
		s.dispatch(req, tx)
		tx.Terminate()

		finals := 0
		for _, r := range tx.responses() {
			if r.StatusCode < 100 || r.StatusCode > 699 {
				t.Fatalf("answered %d", r.StatusCode)
			}
			if r.StatusCode >= 200 {
				finals++
			}
			if !fromTrunk && r.IsSuccess() && req.Method != sip.OPTIONS {
				t.Fatalf("a request from nowhere was answered %d:\n%s", r.StatusCode, data)
			}
		}
		if finals > 1 {
			t.Fatalf("%d final answers to one request", finals)
		}
		if !fromTrunk && calls() != before {
			t.Fatalf("the engine heard of a call from nowhere:\n%s", data)
		}
		if s.Registrations() != 0 {
			t.Fatalf("a phone registered without proving its password:\n%s", data)
		}
		if n := s.Legs(); n != 0 {
			t.Fatalf("%d legs left after a refused request", n)
		}
	})
}

// FuzzResponses: whatever a response holds, the handler for responses no transaction wanted
// does not panic, and drops — sending nothing — every 2xx to an INVITE, since it cannot tell
// any of these is an answer to an INVITE of ours.
func FuzzResponses(f *testing.F) {
	seeds(f, "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-f\nFrom: <sip:0212345678@127.0.0.1>;tag=ours\n"+
		"To: <sip:01012345678@127.0.0.1>;tag=theirs\nCall-ID: f1@127.0.0.1\nCSeq: 1 INVITE\nContact: <sip:victim@192.0.2.9:5060>\n"+
		"Record-Route: <sip:192.0.2.10;lr>\nContent-Length: 0\n\n",
		"SIP/2.0 183 Session Progress\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-g\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\n"+
			"Call-ID: f2\nCSeq: 1 INVITE\nContent-Length: 0\n\n")
	s, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, data []byte, _ bool) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		res, ok := msg.(*sip.Response)
		if !ok || res.Via() == nil || res.CSeq() == nil {
			return
		}
		res.SetSource("192.0.2.7:5062")
		res.SetTransport("UDP")
		wire, strays := s.wire.Load(), s.counters.strays.Load()
		s.onStrayResponse(res)
		if s.wire.Load() != wire {
			t.Fatalf("a stranger's response set the server sending:\n%s", data)
		}
		invite2xx := res.IsSuccess() && res.CSeq().MethodName == sip.INVITE
		if dropped := s.counters.strays.Load() - strays; invite2xx != (dropped == 1) {
			t.Fatalf("a 2xx to an INVITE must be dropped (and only those counted): %d counted for\n%s", dropped, data)
		}
	})
}
