package sip

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestWireLogBudgetsMalformedMessages: sipgo's "failed to parse", with the whole message in
// it and no source, becomes a short WARN line naming the source, a few a second per source;
// a timed-out connection is not an error; long values are cut.
func TestWireLogBudgetsMalformedMessages(t *testing.T) {
	var out bytes.Buffer
	var c counters
	w := newWireLog(slog.New(slog.NewTextHandler(&out, nil)), &c)
	log := w.logger().With("caller", "Transport<UDP>")
	junk := []byte("INVITE sip:x SIP/2.0\r\nVia: " + strings.Repeat("garbage ", 4000) + "\r\n\r\n")
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 5000}
	for range 100 {
		w.filter(sip.TransportReadProps{Transport: "UDP", RemoteAddr: from}, junk)
		log.Error("failed to parse", "data", string(junk), "error", errors.New("header is garbage"))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) > 6 || c.malformed.Load() != 100 {
		t.Fatalf("%d lines for 100 malformed messages (%d counted):\n%s", len(lines), c.malformed.Load(), out.String())
	}
	for _, l := range lines {
		if len(l) > 600 || !strings.Contains(l, "source=127.0.0.9:5000") || !strings.Contains(l, "level=WARN") ||
			!strings.Contains(l, "bytes="+strconv.Itoa(len(junk))) {
			t.Fatalf("line %q", l)
		}
	}
	out.Reset()
	log.Error("Read error", "error", errors.New("i/o timeout"))
	log.Warn("something else", "req", strings.Repeat("x", 10000))
	if s := out.String(); strings.Contains(s, "Read error") || !strings.Contains(s, "something else") || len(s) > 600 {
		t.Fatalf("%s", s)
	}
	// the UDP listener failing is ours to hear of
	log.Error("Read connection error", "error", errors.New("socket gone"))
	if !strings.Contains(out.String(), "level=ERROR msg=\"Read connection error\"") {
		t.Fatalf("%s", out.String())
	}
}
