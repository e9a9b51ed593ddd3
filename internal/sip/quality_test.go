package sip

import (
	"testing"
	"time"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/fault"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// lastEvent waits for a leg's QualityReport and returns the leg's events, which must end
// with it.
func qualityOf(t *testing.T, e *env, leg telephony.LegID) (telephony.Quality, []telephony.EventKind) {
	t.Helper()
	ev := e.h.wait(t, leg, telephony.QualityReport)
	if ev.Quality == nil {
		t.Fatalf("%s: a quality report without figures", leg)
	}
	kinds := e.h.of(leg)
	if kinds[len(kinds)-1] != telephony.QualityReport {
		t.Fatalf("%s: %v: the quality report is not the last word", leg, kinds)
	}
	return *ev.Quality, kinds
}

// TestQualityReportedOnceWhoeverEnds: a SIP leg that was up reports what its media measured
// once it has ended — after HungUp when the far end hung up or the watch ended it, on its own
// when the engine did — and a leg never answered reports none.
func TestQualityReportedOnceWhoeverEnds(t *testing.T) {
	fake := clocktest.New()
	e := newEnv(t, func(c *Config) { c.Clock = fake })
	e.h.answering(e.s)
	trunk := siptest.NewTrunk(t, e.addr)
	byFarEnd, err := trunk.DialFrom("0212345678", "0101")
	if err != nil {
		t.Fatal(err)
	}
	leg := e.h.call(t, 1).Leg
	heardSince(t, e, leg, time.Time{})
	time.Sleep(300 * time.Millisecond) // some packets to count
	byFarEnd.Hangup()
	q, kinds := qualityOf(t, e, leg)
	if len(kinds) != 2 || kinds[0] != telephony.HungUp {
		t.Fatalf("far end hung up: %v", kinds)
	}
	if q.PacketsIn < 5 || q.MOS < 4 || q.LossPct != 0 || q.RTTMs != -1 {
		t.Fatalf("quality of a clean loopback call: %+v", q)
	}

	if _, err := trunk.DialFrom("0212345678", "0102"); err != nil {
		t.Fatal(err)
	}
	leg = e.h.call(t, 2).Leg
	e.s.Hangup(leg, telephony.CauseNormal)
	if _, kinds := qualityOf(t, e, leg); len(kinds) != 1 {
		t.Fatalf("engine hung up: %v", kinds)
	}

	silent, err := trunk.DialWith(t.Context(), "0212345678", siptest.Dial{From: "0103", Muted: true})
	if err != nil {
		t.Fatal(err)
	}
	leg = e.h.call(t, 3).Leg
	fake.Advance(61 * time.Second)
	q, kinds = qualityOf(t, e, leg)
	if len(kinds) == 3 && kinds[0] == telephony.Held {
		kinds = kinds[1:] // a customer silent for a while is taken as holding first (customerhold.go)
	}
	if len(kinds) != 2 || kinds[0] != telephony.HungUp || q.PacketsIn != 0 {
		t.Fatalf("media timeout: %v %+v", kinds, q)
	}
	silent.WaitEnded(5 * time.Second)

	// refused before an answer: no media to speak of
	e.h.setInbound(func(telephony.InboundCall) error { return fault.New(fault.Busy, "busy", "통화 중") })
	if _, err := trunk.DialFrom("0212345678", "0104"); siptest.CodeOf(err) != 486 {
		t.Fatalf("refused call: %v", err)
	}
	leg = e.h.call(t, 4).Leg
	e.h.quiet(t, leg, 200*time.Millisecond)
	if kinds := e.h.of(leg); len(kinds) != 0 {
		t.Fatalf("a refused call reported %v", kinds)
	}
	e.clean()
}
