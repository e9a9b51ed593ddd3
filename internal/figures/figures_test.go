package figures

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/clock"
	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/events"
	"ringdesk/internal/fault"
	"ringdesk/internal/site"
	"ringdesk/internal/stats"
)

var ctx = context.Background()

// TestRealtime: the live part from the engine, today's part from the event log since local
// midnight — yesterday's call is not in it — and every agent of the service, logged in or not.
func TestRealtime(t *testing.T) {
	h := newHarness(t)
	// yesterday evening (18:00 in Seoul): a call kim answers and finishes
	h.ready("kim")
	old := h.call("01000000000", did)
	h.answer("kim", "1001")
	h.advance(30 * time.Second)
	h.hangUp(old)
	h.ok(h.eng.AfterCall("kim", "ready"))
	// past midnight in Seoul (15:00 UTC): a new day
	h.advance(6*time.Hour + time.Minute)
	t0 := h.clk.Now()
	h.ok(h.eng.Login("lee", "support"))
	// A: kim answers after 5 s; B: nobody free, hangs up after 40 s (a missed call);
	// C: waiting since +60
	a := h.call("01000000001", did)
	h.advance(5 * time.Second)
	h.answer("kim", "1001")
	h.advance(5 * time.Second)
	b := h.call("01000000002", did)
	h.advance(40 * time.Second)
	h.hangUp(b)
	h.advance(10 * time.Second)
	h.call("01000000003", did)
	h.advance(10 * time.Second)
	_ = a

	rt, err := h.src.Realtime(ctx, "support")
	h.ok(err)
	if rt.Timezone != "Asia/Seoul" || !rt.At.Equal(t0.Add(70*time.Second)) {
		t.Fatalf("at %v in %s", rt.At, rt.Timezone)
	}
	if len(rt.Queues) != 2 {
		t.Fatalf("queues %+v", rt.Queues)
	}
	q := rt.Queues[0]
	since := t0.Add(60 * time.Second)
	if q.Queue != "100" || q.Name != "일반문의" || q.Waiting != 1 || q.OldestWaitSeconds != 10 || q.OldestSince == nil || !q.OldestSince.Equal(since) {
		t.Fatalf("queue 100 live: %+v", q)
	}
	if q.Agents != (AgentCounts{Staffed: 2, OnCall: 1, NotReady: 1}) {
		t.Fatalf("queue 100 agents: %+v", q.Agents)
	}
	// offered 3, answered 1 (within 20 s), abandoned 1 (not short): level 1 of 2
	td := q.Today
	if td.Offered != 3 || td.Answered != 1 || td.Abandoned != 1 || td.ShortAbandoned != 0 || td.Handled != 0 ||
		!eqf(td.ServiceLevel, f(50)) || !eqf(td.AbandonRate, f(50)) || !eqf(td.ASA, f(5)) || td.AHT != nil || td.LongestWait != 40 {
		t.Fatalf("queue 100 today: %+v", td)
	}
	if q.ServiceLevelSeconds != 20 || q.ServiceLevelTarget != 80 || q.WaitAlertSeconds != 60 {
		t.Fatalf("queue 100 thresholds: %+v", q)
	}
	q2 := rt.Queues[1]
	if q2.Queue != "200" || q2.Waiting != 0 || q2.OldestSince != nil || q2.Agents != (AgentCounts{}) || q2.Today.Offered != 0 ||
		q2.Today.ServiceLevel != nil || q2.ServiceLevelSeconds != 30 || q2.ServiceLevelTarget != 90 || q2.WaitAlertSeconds != 120 {
		t.Fatalf("queue 200: %+v", q2)
	}

	var got []string
	for _, a := range rt.Agents {
		got = append(got, a.Login+":"+string(a.State))
	}
	if want := "[choi:logged_out kim:on_call lee:default park:logged_out]"; jsonish(got) != want {
		t.Fatalf("agents %s, want %s", jsonish(got), want)
	}
	kim, lee, park := rt.Agents[1], rt.Agents[2], rt.Agents[3]
	if kim.Seconds != 65 || kim.Call == "" || kim.Extension != "1001" || jsonish(kim.Queues) != "[100]" ||
		kim.Today.Answered != 1 || kim.Today.TalkSeconds != 65 || kim.Today.Handled != 0 {
		t.Fatalf("kim %+v", kim)
	}
	// lee: in 기본 since the login at t0, staffed 70 s
	if lee.Seconds != 70 || lee.Label != "기본" || lee.Today.StaffedSeconds != 70 || lee.Today.Answered != 0 {
		t.Fatalf("lee %+v", lee)
	}
	if park.Since != nil || park.Seconds != 0 || park.Label != "CTI 로그아웃" || jsonish(park.Queues) != "[200]" {
		t.Fatalf("park %+v", park)
	}

	// the same instant counted in UTC: yesterday evening's call is today's
	h.reconfigure(func(s *site.Site) { s.Timezone = "UTC" })
	rt, err = h.src.Realtime(ctx, "support")
	h.ok(err)
	if rt.Timezone != "UTC" || rt.Queues[0].Today.Offered != 4 || rt.Queues[0].Today.Handled != 1 {
		t.Fatalf("in UTC: %+v", rt.Queues[0].Today)
	}

	if _, err := h.src.Realtime(ctx, "nowhere"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("unknown service: %v", err)
	}
}

// TestLoggedOutSince: an agent who logged out shows since when.
func TestLoggedOutSince(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	h.advance(10 * time.Second)
	h.ok(h.eng.Logout("kim"))
	out := h.clk.Now()
	h.advance(25 * time.Second)
	rt, err := h.src.Realtime(ctx, "support")
	h.ok(err)
	kim := rt.Agents[1]
	if kim.Login != "kim" || kim.State != agent.LoggedOut || kim.Since == nil || !kim.Since.Equal(out) || kim.Seconds != 25 ||
		kim.Today.StaffedSeconds != 10 {
		t.Fatalf("kim %+v", kim)
	}
}

// TestReports: rows per interval in the site's zone, the range cut to what was asked, and
// the refusals a person reads.
func TestReports(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	a := h.call("01000000001", did) // 18:00 in Seoul, 24 November
	h.advance(3 * time.Second)
	h.answer("kim", "1001")
	h.advance(60 * time.Second)
	h.hangUp(a)
	h.advance(10 * time.Second)
	h.ok(h.eng.AfterCall("kim", "ready"))
	h.advance(6 * time.Hour) // 00:01:13 on the 25th
	b := h.call("01000000002", did)
	h.advance(20 * time.Second)
	h.hangUp(b) // kim was ready: offered, then the caller went before the recall time
	h.advance(time.Minute)

	seoul, _ := time.LoadLocation("Asia/Seoul")
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, seoul) }
	rows, err := h.src.QueueReport(ctx, Range{Service: "support", From: day(24), To: day(26), Interval: "day"})
	h.ok(err)
	if len(rows) != 4 || rows[0].Queue != "100" || rows[1].Queue != "200" || rows[2].Queue != "100" {
		t.Fatalf("rows %+v", rows)
	}
	if r := rows[0]; r.From.String() != day(24).String() || r.Offered != 1 || r.Answered != 1 || r.Handled != 1 ||
		!eqf(r.AHT, f(70)) || !eqf(r.ASA, f(3)) {
		t.Fatalf("the 24th: %+v", r)
	}
	if r := rows[2]; r.Offered != 1 || r.Answered != 0 || r.Abandoned != 1 || r.NoResponse != 0 {
		t.Fatalf("the 25th: %+v", r)
	}
	// 15 minutes over the day of the 25th: 96 intervals, the call in the first
	rows, err = h.src.QueueReport(ctx, Range{Service: "support", From: day(25), To: day(26), Interval: "15m", Only: "100"})
	h.ok(err)
	if len(rows) != 96 || rows[0].Abandoned != 1 || rows[1].Abandoned != 0 || rows[95].To.String() != day(26).String() {
		t.Fatalf("15m rows: %d, first %+v", len(rows), rows[0])
	}
	// by the hour over two days (read a day at a time): each call in its hour
	rows, err = h.src.QueueReport(ctx, Range{Service: "support", From: day(24), To: day(26), Interval: "hour"})
	h.ok(err)
	if len(rows) != 96 || rows[36].From.Hour() != 18 || rows[36].Offered != 1 || rows[48].From.String() != day(25).String() ||
		rows[48].Abandoned != 1 || rows[50].Offered != 0 {
		t.Fatalf("hours: %d rows, 18:00 %+v, 00:00 next day %+v", len(rows), rows[36], rows[48])
	}
	// agents by hour, 18:00-19:00 of the 24th: kim answered, talked 60 s, after-call 10 s
	ag, err := h.src.AgentReport(ctx, Range{Service: "support", From: day(24).Add(18 * time.Hour), To: day(24).Add(19 * time.Hour), Interval: "hour"})
	h.ok(err)
	var logins []string
	for _, r := range ag {
		logins = append(logins, r.Agent)
	}
	if jsonish(logins) != "[choi kim lee park]" {
		t.Fatalf("agents %v", logins)
	}
	if k := ag[1]; k.Answered != 1 || k.Handled != 1 || k.TalkSeconds != 60 || k.AfterCallSeconds != 10 || k.StaffedSeconds != 3600 {
		t.Fatalf("kim %+v", k)
	}

	for _, c := range []struct {
		r    Range
		code string
	}{
		{Range{Service: "support", From: day(25), To: day(24), Interval: "day"}, "invalid_range"},
		{Range{Service: "support", From: day(25), To: day(25), Interval: "day"}, "invalid_range"},
		{Range{Service: "support", From: day(1), To: day(1).AddDate(0, 2, 0), Interval: "15m"}, "range_too_long"},
		{Range{Service: "support", From: day(24), To: day(25), Interval: "week"}, "invalid_interval"},
		{Range{Service: "support", From: day(24), To: day(25), Interval: "day", Only: "999"}, "not_found"},
		{Range{Service: "gone", From: day(24), To: day(25), Interval: "day"}, "not_found"},
	} {
		_, err := h.src.QueueReport(ctx, c.r)
		if e, ok := fault.As(err); !ok || e.Code != c.code {
			t.Errorf("%+v: %v, want %s", c.r, err, c.code)
		}
	}
	if _, err := h.src.QueueReport(ctx, Range{Service: "support", From: day(1), To: day(1).AddDate(0, 2, 0), Interval: "hour"}); err != nil {
		t.Fatalf("two months by the hour (%d rows at most) refused: %v", stats.MaxIntervals, err)
	}
}

// TestPublisher: a change shows up at once when the queue's last event is a second old, and
// otherwise when that second is up; a burst makes one event per second per queue; nothing is
// sent when nothing changed.
func TestPublisher(t *testing.T) {
	h := newHarness(t)
	sub := h.bus.Subscribe(events.Filter{All: true}, 10000)
	p := NewPublisher(h.src, h.bus, nil, nil)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); p.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	got := func() []events.Event {
		p.Sync()
		var out []events.Event
		for {
			select {
			case m := <-sub.C:
				if m.Type == events.StatsQueue {
					out = append(out, m.Event)
				}
			default:
				return out
			}
		}
	}
	waiting := func(ev events.Event) int {
		b, _ := json.Marshal(ev.Data)
		var q RealtimeQueue
		json.Unmarshal(b, &q)
		if q.Today.Offered != q.Waiting { // nobody answers in this test
			t.Errorf("%d waiting but %d offered today", q.Waiting, q.Today.Offered)
		}
		return q.Waiting
	}
	h.call("01000000001", did)
	evs := got()
	if len(evs) != 2 || evs[0].Service != "support" || waiting(evs[0]) != 1 {
		t.Fatalf("first change: %+v", evs)
	}
	// a second call at the same instant waits for the second to pass
	h.call("01000000002", did)
	if evs := got(); len(evs) != 0 {
		t.Fatalf("within the second: %+v", evs)
	}
	h.advance(999 * time.Millisecond)
	if evs := got(); len(evs) != 0 {
		t.Fatalf("at 999 ms: %+v", evs)
	}
	h.advance(time.Millisecond)
	evs = got()
	if len(evs) != 1 || waiting(evs[0]) != 2 {
		t.Fatalf("at 1 s: %+v", evs) // queue 200 did not change: no event for it
	}
	// time passes, the oldest wait grows, nothing happens: nothing is sent
	h.advance(5 * time.Second)
	if evs := got(); len(evs) != 0 {
		t.Fatalf("nothing changed, yet %+v", evs)
	}
	// a burst: a call every 100 ms for 3 s
	var burst []events.Event
	for i := 0; i < 30; i++ {
		h.call("0100000010"+string(rune('0'+i%10)), did)
		burst = append(burst, got()...)
		h.advance(100 * time.Millisecond)
	}
	burst = append(burst, got()...)
	if len(burst) < 3 || len(burst) > 4 {
		t.Fatalf("a 3 s burst made %d events", len(burst))
	}
	for i := 1; i < len(burst); i++ {
		if d := burst[i].At.Sub(burst[i-1].At); d < time.Second {
			t.Fatalf("events %v apart", d)
		}
	}
	if w := waiting(burst[len(burst)-1]); w != 32 {
		t.Fatalf("the last event says %d waiting", w)
	}
	// nobody watching: nothing computed, nothing sent
	p2 := NewPublisher(h.src, h.bus, nil, func(string) bool { return false })
	ctx2, stop2 := context.WithCancel(ctx)
	done2 := make(chan struct{})
	go func() { defer close(done2); p2.Run(ctx2) }()
	defer func() { stop2(); <-done2 }()
	h.advance(2 * time.Second)
	got()
	h.call("01000000099", did)
	p2.Sync()
	if evs := got(); len(evs) != 1 {
		t.Fatalf("the unwatched publisher sent something: %+v", evs)
	}
}

func jsonish(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch r {
		case '"':
		case ',':
			out = append(out, ' ')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

// lateClock is the harness's fake clock on which time moves on between the publisher reading
// it and arming its timer — as a test's Advance on another goroutine can.
type lateClock struct {
	*clocktest.Fake
	late time.Duration
}

func (c lateClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.Fake.Advance(c.late)
	return c.Fake.AfterFunc(d, f)
}

// TestPublisherTimerArmedLate: a change held back for the rest of the second is sent when the
// second is up even if the clock moved on while the publisher armed its timer. Fails before
// the timer was armed against the time it is due: the event waited for the next Advance,
// which may never come (TestStatsQueueEvents timed out so, now and then).
func TestPublisherTimerArmedLate(t *testing.T) {
	h := newHarness(t)
	sub := h.bus.Subscribe(events.Filter{All: true}, 1000)
	src := *h.src
	src.Clock = lateClock{h.clk, time.Second}
	p := NewPublisher(&src, h.bus, nil, nil)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); p.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	h.call("01000000001", did)
	p.Sync() // published: the next change waits for the second to pass
	// one change, one event about the service: a renamed queue
	h.reconfigure(func(s *site.Site) { s.Services[0].Queues[0].Name = "새 이름" })
	h.bus.Publish(events.Event{Type: events.CallQueued, Service: "support"})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-sub.C:
			if q, ok := m.Event.Data.(RealtimeQueue); ok && q.Name == "새 이름" {
				return
			}
		case <-deadline:
			t.Fatal("the held-back change was not sent once its second was up")
		}
	}
}
