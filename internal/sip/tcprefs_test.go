package sip

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// logCapture is slog.Default for the length of a test: what sipgo says through its package
// logger lands here.
type logCapture struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

func captureDefaultLog(t *testing.T, level slog.Level) *logCapture {
	c := &logCapture{}
	was := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(c, &slog.HandlerOptions{Level: level})))
	t.Cleanup(func() { slog.SetDefault(was) })
	return c
}

// TestTCPPhoneGoingAwayLogsNoWarning: a phone that calls over TCP and goes away, and a peer
// that sends a request over TCP and closes at once, leave no "TCP ref went negative" warning
// in the log (sipgo's reference count for the connection goes below zero when a transaction
// outlives the connection: tcprefs.go). Fails before tcprefs.go: the warning came once for
// the phone, 64*T1 after it went, and now and then for the quick peers.
func TestTCPPhoneGoingAwayLogsNoWarning(t *testing.T) {
	logs := captureDefaultLog(t, slog.LevelInfo)
	e := newEnv(t)
	e.h.answering(e.s)
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-quick%d\r\n"+
			"From: <sip:x@127.0.0.1>;tag=q%d\r\nTo: <sip:%s>\r\nCall-ID: quick-%d\r\nCSeq: 1 OPTIONS\r\n"+
			"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", e.addr, c.LocalAddr(), i, i, e.addr, i)
		c.Read(make([]byte, 4096))
		c.Close()
	}
	kim := e.phone("1001", siptest.Options{Transport: "TCP"})
	e.s.Place("agent-1", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001", CallerID: "0101"})
	ring := kim.Incoming(5 * time.Second)
	if err := ring.Answer(); err != nil {
		t.Fatal(err)
	}
	e.h.wait(t, "agent-1", telephony.Answered)
	ring.Hangup()
	e.h.wait(t, "agent-1", telephony.HungUp)
	kim.Close()
	// the INVITE transaction ends 64*T1 after its 2xx, releasing its reference then
	time.Sleep(64*testT1 + time.Second)
	if strings.Contains(logs.String(), "ref went negative") {
		t.Fatalf("the log warns of sipgo's connection accounting:\n%s", logs.String())
	}
	e.clean()
}

// TestSipgoPackageLogStillReachesTheDefaultLogger: only the one line is demoted; sipgo's
// other package-level lines still reach slog.Default at their own level.
func TestSipgoPackageLogStillReachesTheDefaultLogger(t *testing.T) {
	logs := captureDefaultLog(t, slog.LevelDebug)
	l := slog.New(packageLog{}).With("caller", "test").WithGroup("g")
	l.Warn(refNegative, "ref", -1)
	l.Warn("something else", "k", "v")
	out := logs.String()
	if !strings.Contains(out, `level=DEBUG msg="TCP ref went negative" caller=test g.ref=-1`) ||
		!strings.Contains(out, `level=WARN msg="something else" caller=test g.k=v`) {
		t.Fatalf("sipgo's package log came out as:\n%s", out)
	}
}
