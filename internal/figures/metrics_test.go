package figures

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var sampleRe = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\} (-?[0-9.]+(e[+-]?[0-9]+)?)$`)

// scrape returns the samples by their line up to the value, after checking that the text is
// valid exposition format: every sample's family declared by HELP and TYPE before it.
func scrape(t *testing.T, c *Counters) map[string]string {
	t.Helper()
	var b strings.Builder
	if err := c.WriteMetrics(ctx, &b); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			f := strings.Fields(rest)
			typed[f[0]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleRe.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a valid sample: %q", line)
		}
		if !typed[m[1]] {
			t.Fatalf("%s has no TYPE before it", m[1])
		}
		i := strings.LastIndexByte(line, ' ')
		out[line[:i]] = line[i+1:]
	}
	return out
}

// TestQueueMetrics: per-queue gauges of now and counters summed from the event log, which
// stay right across days and catch up within CountersTTL.
func TestQueueMetrics(t *testing.T) {
	h := newHarness(t)
	c := NewCounters(h.src)
	h.ok(h.eng.Login("kim", "support"))
	h.ready("lee")
	h.call("01000000001", did) // offered to lee
	h.call("01000000002", did) // waits
	b := h.call("01000000003", did)
	h.advance(10 * time.Second)
	h.hangUp(b)
	h.advance(7 * time.Second)
	m := scrape(t, c)
	for k, want := range map[string]string{
		`ringdesk_queue_waiting{service="support",queue="100"}`:                  "1",
		`ringdesk_queue_oldest_wait_seconds{service="support",queue="100"}`:      "17",
		`ringdesk_queue_agents{service="support",queue="100",state="on_call"}`:   "1",
		`ringdesk_queue_agents{service="support",queue="100",state="not_ready"}`: "1",
		`ringdesk_queue_agents{service="support",queue="100",state="ready"}`:     "0",
		`ringdesk_queue_waiting{service="sales",queue="300"}`:                    "0",
		`ringdesk_queue_offered_total{service="support",queue="100"}`:            "3",
		`ringdesk_queue_abandoned_total{service="support",queue="100"}`:          "1",
		`ringdesk_queue_answered_total{service="support",queue="100"}`:           "0",
		`ringdesk_queue_offered_total{service="support",queue="200"}`:            "0",
		`ringdesk_queue_offered_total{service="sales",queue="300"}`:              "0",
	} {
		if m[k] != want {
			t.Errorf("%s = %q, want %s", k, m[k], want)
		}
	}
	// a call now is counted once today's sums are CountersTTL old
	h.call("01000000004", did)
	if got := scrape(t, c)[`ringdesk_queue_offered_total{service="support",queue="100"}`]; got != "3" {
		t.Fatalf("within the TTL: %s", got)
	}
	h.advance(CountersTTL)
	if got := scrape(t, c)[`ringdesk_queue_offered_total{service="support",queue="100"}`]; got != "4" {
		t.Fatalf("after the TTL: %s", got)
	}
	// past midnight: yesterday's calls move into the part kept, nothing is lost or counted twice
	h.advance(16 * time.Hour)
	h.call("01000000005", did)
	m = scrape(t, c)
	if got := m[`ringdesk_queue_offered_total{service="support",queue="100"}`]; got != "5" {
		t.Fatalf("the next day: %s", got)
	}
	h.advance(24 * time.Hour)
	if got := scrape(t, c)[`ringdesk_queue_offered_total{service="support",queue="100"}`]; got != "5" {
		t.Fatalf("two days on: %s", got)
	}
	// a fresh process reads the same totals from the log
	if got := scrape(t, NewCounters(h.src))[`ringdesk_queue_offered_total{service="support",queue="100"}`]; got != "5" {
		t.Fatalf("from scratch: %s", got)
	}
}

func TestEscapeLabel(t *testing.T) {
	if got := escapeLabel("a\"b\\c\nd 고객"); got != `a\"b\\c\nd 고객` {
		t.Fatalf("%s", got)
	}
	if !sampleRe.MatchString(`x{service="` + escapeLabel("q\"\\\n") + `"} 1`) {
		t.Fatal("an escaped label is not valid")
	}
}
