package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"ringdesk/internal/events"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
)

// get sends a GET and returns the status, the headers and the body.
func (c *client) get(path string) (int, http.Header, []byte) {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// day is a scripted day of the test site's queue 100 (the fake clock starts at 18:00 in Seoul):
// kim answers a call within the service level, talks 60 s and finishes after-call work in 10 s;
// a caller gives up after 30 s (a missed call); another after 2 s (a short abandon).
func (e *env) day(t *testing.T) {
	t.Helper()
	kim := e.login("kim")
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
	a, err := e.net.Call("01011110001", did)
	if err != nil {
		t.Fatal(err)
	}
	e.eng.Flush()
	e.clk.Advance(4 * time.Second)
	kim.must("POST", "/api/v1/cti/offer/accept", nil, 200, nil)
	e.net.AnswerLeg(e.net.WaitPlaced(t, telephonytest.ToExtension("1001")))
	kim.wantState("on_call")
	e.clk.Advance(60 * time.Second)
	e.net.HangUp(a)
	kim.wantState("after_call")
	e.clk.Advance(10 * time.Second)
	kim.must("POST", "/api/v1/cti/after-call", map[string]string{"action": "work"}, 200, nil)
	e.clk.Advance(time.Minute)
	e.missed(t, "010-1111-0002", 30*time.Second)
	e.missed(t, "01011110003", 2*time.Second)
	e.clk.Advance(time.Minute)
	e.eng.Flush()
}

// missed brings a caller who hangs up after waiting (nobody is ready).
func (e *env) missed(t *testing.T, from string, wait time.Duration) telephony.LegID {
	t.Helper()
	leg, err := e.net.Call(strings.ReplaceAll(from, "-", ""), did)
	if err != nil {
		t.Fatal(err)
	}
	e.eng.Flush()
	e.clk.Advance(wait)
	e.net.HangUp(leg)
	e.eng.Flush()
	return leg
}

// TestRealtimeOverHTTP: API.md's shape, for the managers of the service and admins only.
func TestRealtimeOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.day(t)
	boss, root, kim, han := e.login("boss"), e.login("root"), e.login("kim"), e.login("han")
	var rt map[string]any
	boss.must("GET", "/api/v1/stats/realtime?service=support", nil, 200, &rt)
	root.must("GET", "/api/v1/stats/realtime?service=support", nil, 200, nil)
	kim.fails("GET", "/api/v1/stats/realtime?service=support", nil, 403, "forbidden")
	han.fails("GET", "/api/v1/stats/realtime?service=support", nil, 403, "forbidden")
	boss.fails("GET", "/api/v1/stats/realtime?service=sales", nil, 403, "forbidden")
	boss.fails("GET", "/api/v1/stats/realtime", nil, 400, "invalid_field")
	root.fails("GET", "/api/v1/stats/realtime?service=nowhere", nil, 404, "not_found")

	keys := func(what string, v any, want ...string) map[string]any {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is %T", what, v)
		}
		for _, k := range want {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q: %v", what, k, m)
			}
		}
		return m
	}
	queues := rt["queues"].([]any)
	q := keys("queue", queues[0], "queue", "name", "waiting", "oldest_wait_seconds", "agents", "today",
		"service_level_target", "wait_alert_seconds")
	keys("queue agents", q["agents"], "staffed", "ready", "on_call", "after_call", "not_ready")
	today := keys("queue today", q["today"], "offered", "answered", "abandoned", "service_level", "asa_seconds", "aht_seconds")
	// offered 3, answered 1, abandoned 2 (one short): service level 1 of 2; AHT 60 + 10
	if q["queue"] != "100" || today["offered"] != 3.0 || today["answered"] != 1.0 || today["abandoned"] != 2.0 ||
		today["service_level"] != 50.0 || today["asa_seconds"] != 4.0 || today["aht_seconds"] != 70.0 {
		t.Fatalf("queue 100 today: %v", today)
	}
	if q["service_level_target"] != 80.0 || q["wait_alert_seconds"] != 60.0 {
		t.Fatalf("thresholds: %v", q)
	}
	agents := rt["agents"].([]any)
	var logins []string
	for _, a := range agents {
		m := keys("agent", a, "login", "name", "state", "reason", "seconds", "today")
		keys("agent today", m["today"], "answered", "talk_seconds", "after_call_seconds")
		logins = append(logins, fmt.Sprint(m["login"], ":", m["state"]))
	}
	// every agent of the service, logged in or not (boss has a phone too)
	if fmt.Sprint(logins) != "[boss:logged_out kim:work lee:logged_out]" {
		t.Fatalf("agents %v", logins)
	}
	kt := agents[1].(map[string]any)["today"].(map[string]any)
	if kt["answered"] != 1.0 || kt["talk_seconds"] != 60.0 || kt["after_call_seconds"] != 10.0 {
		t.Fatalf("kim today: %v", kt)
	}
}

// TestStatsQueueEvents: the service's managers get stats.queue on the event socket when a call
// comes; an agent's socket does not.
func TestStatsQueueEvents(t *testing.T) {
	e := newEnv(t)
	boss, kim := e.login("boss"), e.login("kim")
	bs, ks := boss.ws(), kim.ws()
	bs.next("cti.snapshot") // subscribed: what follows reaches the sockets
	ks.next("cti.snapshot")
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	type queueEvent struct {
		Queue   string `json:"queue"`
		Waiting int    `json:"waiting"`
		Agents  struct {
			Staffed int `json:"staffed"`
		} `json:"agents"`
		Today struct {
			Offered int `json:"offered"`
		} `json:"today"`
	}
	next := func() (events.Event, queueEvent) {
		t.Helper()
		ev := bs.next(events.StatsQueue)
		var q queueEvent
		b, _ := json.Marshal(ev.Data)
		json.Unmarshal(b, &q)
		if ev.Service != "support" {
			t.Fatalf("stats.queue of %q", ev.Service)
		}
		return ev, q
	}
	// kim's login: one of queue 100's members is staffed
	first, q := next()
	for q.Queue != "100" || q.Agents.Staffed != 1 {
		first, q = next()
	}
	// a call within the same second shows when the second is up
	if _, err := e.net.Call("01022220001", did); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second)
	ev, q := next()
	for q.Queue != "100" || q.Waiting != 1 {
		ev, q = next()
	}
	if q.Today.Offered != 1 || ev.At.Sub(first.At) < time.Second {
		t.Fatalf("stats.queue %+v at %v (the one before at %v)", q, ev.At, first.At)
	}
	// kim's stream: kim's own next state change arrives without a stats.queue before it
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": "break"}, 200, nil)
	for {
		ev := <-ks.ch
		if ev.Type == events.StatsQueue {
			t.Fatalf("an agent got %+v", ev)
		}
		if ev.Type == events.AgentState && ev.Data.(map[string]any)["to"] == "break" {
			break
		}
	}
}

// csvRows reads an export: it must start with a byte-order mark, and every row must have the
// header's columns.
func csvRows(t *testing.T, h http.Header, body []byte) ([]string, []map[string]string) {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment; filename=") {
		t.Fatalf("disposition %q", h.Get("Content-Disposition"))
	}
	rest, ok := bytes.CutPrefix(body, []byte("\xef\xbb\xbf"))
	if !ok {
		t.Fatalf("no byte-order mark: %q", body[:min(len(body), 10)])
	}
	recs, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, v := range r {
			m[recs[0][i]] = v
		}
		rows = append(rows, m)
	}
	return recs[0], rows
}

// sameNumber compares a CSV cell with a JSON value: the same number, or empty for null.
func sameNumber(t *testing.T, what, cell string, v any) {
	t.Helper()
	if v == nil {
		if cell != "" {
			t.Errorf("%s: CSV %q for null", what, cell)
		}
		return
	}
	n, err := strconv.ParseFloat(cell, 64)
	if err != nil || n != v.(float64) {
		t.Errorf("%s: CSV %q, JSON %v", what, cell, v)
	}
}

// TestReportsAndCSV: the queue and agent reports as JSON, and as CSV that a CSV reader turns
// back into the same numbers; the range and interval refusals.
func TestReportsAndCSV(t *testing.T) {
	e := newEnv(t)
	e.day(t)
	boss := e.login("boss")
	seoul, _ := time.LoadLocation("Asia/Seoul")
	q := "/api/v1/stats/queues?service=support&from=2026-11-24&to=2026-11-24&interval=hour"
	var rep struct {
		Timezone string           `json:"timezone"`
		Rows     []map[string]any `json:"rows"`
	}
	boss.must("GET", q, nil, 200, &rep)
	// a day by the hour, two queues: 48 rows; the calls are in 18:00-19:00
	if rep.Timezone != "Asia/Seoul" || len(rep.Rows) != 48 {
		t.Fatalf("%s, %d rows", rep.Timezone, len(rep.Rows))
	}
	r18 := rep.Rows[36]
	if r18["queue"] != "100" || r18["from"] != "2026-11-24T18:00:00+09:00" || r18["offered"] != 3.0 || r18["short_abandoned"] != 1.0 ||
		r18["service_level"] != 50.0 || r18["longest_wait_seconds"] != 30.0 || r18["avg_after_call_seconds"] != 10.0 {
		t.Fatalf("18:00 row: %v", r18)
	}
	queueCols := map[string]string{"인입": "offered", "응답": "answered", "서비스레벨 내 응답": "answered_in_sl", "포기": "abandoned",
		"단기 포기": "short_abandoned", "처리": "handled", "호전환": "transfers", "무응답": "no_response", "서비스레벨(%)": "service_level",
		"포기율(%)": "abandon_rate", "평균 응답 대기(초)": "asa_seconds", "평균 처리 시간(초)": "aht_seconds", "평균 통화(초)": "avg_talk_seconds",
		"평균 보류(초)": "avg_hold_seconds", "평균 후처리(초)": "avg_after_call_seconds", "평균 포기 대기(초)": "avg_abandon_seconds",
		"최장 대기(초)": "longest_wait_seconds"}
	status, h, body := boss.get(q + "&format=csv")
	if status != 200 {
		t.Fatalf("csv: %d %s", status, body)
	}
	head, rows := csvRows(t, h, body)
	if strings.Join(head[:4], ",") != "시작,끝,큐,큐 이름" || len(head) != 4+len(queueCols) || len(rows) != len(rep.Rows) {
		t.Fatalf("header %v, %d rows", head, len(rows))
	}
	for i, row := range rows {
		js := rep.Rows[i]
		from, err := time.ParseInLocation("2006-01-02 15:04:05", row["시작"], seoul)
		if err != nil || from.Format(time.RFC3339) != js["from"] || row["큐"] != js["queue"] || row["큐 이름"] != js["name"] {
			t.Fatalf("row %d: %v vs %v", i, row, js)
		}
		for col, field := range queueCols {
			sameNumber(t, fmt.Sprintf("row %d %s", i, col), row[col], js[field])
		}
	}

	// agents: kim's numbers, and the time in each state, back from the CSV
	a := "/api/v1/stats/agents?service=support&from=2026-11-24T18:00:00%2B09:00&to=2026-11-24T19:00:00%2B09:00&interval=15m"
	var arep struct {
		Rows []map[string]any `json:"rows"`
	}
	boss.must("GET", a, nil, 200, &arep)
	if len(arep.Rows) != 12 { // 4 quarters × boss, kim, lee
		t.Fatalf("%d agent rows", len(arep.Rows))
	}
	if k := arep.Rows[1]; k["agent"] != "kim" || k["answered"] != 1.0 || k["talk_seconds"] != 60.0 || k["after_call_seconds"] != 10.0 {
		t.Fatalf("kim 18:00: %v", k)
	}
	status, h, body = boss.get(a + "&format=csv")
	if status != 200 {
		t.Fatalf("csv: %d %s", status, body)
	}
	_, rows = csvRows(t, h, body)
	agentCols := map[string]string{"응답": "answered", "처리": "handled", "거절": "rejected", "무응답": "ring_timeouts",
		"통화(초)": "talk_seconds", "보류(초)": "hold_seconds", "후처리(초)": "after_call_seconds", "근무(초)": "staffed_seconds",
		"대기(초)": "ready_seconds", "점유율(%)": "occupancy"}
	for i, row := range rows {
		js := arep.Rows[i]
		if row["상담원"] != js["agent"] {
			t.Fatalf("row %d: %v vs %v", i, row, js)
		}
		for col, field := range agentCols {
			sameNumber(t, fmt.Sprintf("row %d %s", i, col), row[col], js[field])
		}
		states := js["states"].(map[string]any)
		for st, label := range map[string]string{"on_call": "통화 중", "after_call": "통화 종료", "ready": "대기", "work": "업무"} {
			v, ok := states[st]
			if !ok {
				v = 0.0
			}
			sameNumber(t, fmt.Sprintf("row %d state %s", i, st), row["상태 "+label+"(초)"], v)
		}
	}

	// refusals, in words
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/stats/queues?service=support&from=yesterday", 400, "invalid_field"},
		{"/api/v1/stats/queues?service=support&interval=week", 400, "invalid_field"},
		{"/api/v1/stats/queues?service=support&format=xlsx", 400, "invalid_field"},
		{"/api/v1/stats/queues?service=support&from=2026-11-25&to=2026-11-24", 422, "invalid_range"},
		{"/api/v1/stats/queues?service=support&from=2026-01-01&to=2026-11-24", 422, "range_too_long"},
		{"/api/v1/stats/queues?service=support&queue=999", 404, "not_found"},
		{"/api/v1/stats/queues?service=sales", 403, "forbidden"},
		{"/api/v1/stats/agents?service=support&from=2026-11-24&interval=fortnight", 400, "invalid_field"},
	} {
		m := boss.fails("GET", c.path, nil, c.status, c.code)
		if msg, _ := m["message"].(string); !hasHangul(msg) {
			t.Errorf("%s: message %q is not Korean", c.path, msg)
		}
	}
	e.login("kim").fails("GET", "/api/v1/stats/agents?service=support", nil, 403, "forbidden")
	// the whole year by day is fine
	boss.must("GET", "/api/v1/stats/queues?service=support&from=2026-01-01&to=2026-11-24&interval=day", nil, 200, nil)
}

func hasHangul(s string) bool {
	for _, r := range s {
		if r >= 0xAC00 && r <= 0xD7A3 {
			return true
		}
	}
	return false
}

// TestCallHistory: the calls of the managed services, newest first, by number with or without
// hyphens, by outcome, paged; the CSV holds the same calls.
func TestCallHistory(t *testing.T) {
	e := newEnv(t)
	e.day(t)
	boss := e.login("boss")
	type rec struct {
		ID          string  `json:"id"`
		From        string  `json:"from"`
		Ticket      *int64  `json:"ticket"`
		TicketID    *int64  `json:"ticket_id"`
		Outcome     string  `json:"outcome"`
		WaitSeconds float64 `json:"wait_seconds"`
		TalkSeconds float64 `json:"talk_seconds"`
		AgentName   string  `json:"agent_name"`
		QueueName   string  `json:"queue_name"`
		StartedAt   string  `json:"started_at"`
	}
	var list struct {
		Calls []rec   `json:"calls"`
		Next  *string `json:"next"`
	}
	boss.must("GET", "/api/v1/calls?service=support", nil, 200, &list)
	if len(list.Calls) != 3 || list.Next != nil {
		t.Fatalf("calls %+v", list)
	}
	c0, c2 := list.Calls[0], list.Calls[2] // newest first
	if c0.From != "01011110003" || c0.Outcome != "abandoned" || c0.WaitSeconds != 2 || c0.Ticket != nil {
		t.Fatalf("newest: %+v", c0)
	}
	if c2.From != "01011110001" || c2.Outcome != "answered" || c2.Ticket == nil || c2.TicketID != nil || c2.AgentName != "KIM" ||
		c2.QueueName != "일반문의" || c2.WaitSeconds != 4 || c2.TalkSeconds != 60 {
		t.Fatalf("answered: %+v", c2)
	}
	boss.must("GET", "/api/v1/calls?service=support&phone=010-1111-0002", nil, 200, &list)
	if len(list.Calls) != 1 || list.Calls[0].From != "01011110002" || list.Calls[0].Ticket == nil || list.Calls[0].WaitSeconds != 30 {
		t.Fatalf("by number: %+v", list.Calls)
	}
	boss.must("GET", "/api/v1/calls?outcome=abandoned&agent=&from=2026-11-24&to=2026-11-24", nil, 200, &list)
	if len(list.Calls) != 2 {
		t.Fatalf("abandoned: %+v", list.Calls)
	}
	boss.must("GET", "/api/v1/calls?service=support&from=2026-11-25", nil, 200, &list)
	if len(list.Calls) != 0 {
		t.Fatalf("tomorrow: %+v", list.Calls)
	}
	// pages of one
	var ids []string
	next := ""
	for i := 0; i < 5; i++ {
		path := "/api/v1/calls?service=support&limit=1"
		if next != "" {
			path += "&before=" + next
		}
		boss.must("GET", path, nil, 200, &list)
		for _, c := range list.Calls {
			ids = append(ids, c.ID)
		}
		if list.Next == nil {
			break
		}
		next = *list.Next
	}
	if len(ids) != 3 || ids[0] != c0.ID || ids[2] != c2.ID {
		t.Fatalf("paged: %v", ids)
	}
	status, h, body := boss.get("/api/v1/calls?service=support&format=csv")
	if status != 200 {
		t.Fatalf("csv %d %s", status, body)
	}
	_, rows := csvRows(t, h, body)
	if len(rows) != 3 || rows[0]["통화 ID"] != c0.ID || rows[0]["결과"] != "포기" || rows[2]["결과"] != "응답" ||
		rows[2]["티켓"] != fmt.Sprint(*c2.Ticket) || rows[0]["티켓"] != "" || rows[2]["대기(초)"] != "4" || rows[2]["통화(초)"] != "60" {
		t.Fatalf("csv rows %v", rows)
	}
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/calls?phone=010-abc", 400, "invalid_field"},
		{"/api/v1/calls?outcome=lost", 400, "invalid_field"},
		{"/api/v1/calls?before=xyz", 400, "invalid_field"},
		{"/api/v1/calls?limit=0", 400, "invalid_field"},
		{"/api/v1/calls?from=2026-11-25&to=2026-11-24", 422, "invalid_range"},
		{"/api/v1/calls?service=sales", 403, "forbidden"},
	} {
		boss.fails("GET", c.path, nil, c.status, c.code)
	}
	e.login("kim").fails("GET", "/api/v1/calls", nil, 403, "forbidden")
}

// TestMissedCallsAndCallBack: the missed-call list shows the caller's number and when; 걸기
// back from it (no number: the ticket's) links the answered call to the ticket and clears it.
func TestMissedCallsAndCallBack(t *testing.T) {
	e := newEnv(t)
	kim := e.login("kim")
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	e.missed(t, "01033330001", 20*time.Second)
	gone := e.clk.Now()
	e.clk.Advance(time.Minute)
	e.missed(t, "01033330002", 40*time.Second)
	e.missed(t, "01033330003", 3*time.Second) // short: not called back
	type missed struct {
		ID          int64      `json:"id"`
		Phone       string     `json:"phone"`
		Callback    bool       `json:"callback"`
		MissedAt    *time.Time `json:"missed_at"`
		WaitSeconds *float64   `json:"wait_seconds"`
		MissedCalls int        `json:"missed_calls"`
	}
	var list struct {
		Tickets []missed `json:"tickets"`
	}
	kim.must("GET", "/api/v1/tickets?callback=true", nil, 200, &list)
	if len(list.Tickets) != 2 || list.Tickets[0].Phone != "01033330002" || list.Tickets[1].Phone != "01033330001" {
		t.Fatalf("missed list %+v", list.Tickets)
	}
	first := list.Tickets[1]
	if !first.Callback || first.MissedAt == nil || !first.MissedAt.Equal(gone) || *first.WaitSeconds != 20 || first.MissedCalls != 1 {
		t.Fatalf("missed call %+v (gone at %v)", first, gone)
	}
	kim.fails("GET", "/api/v1/tickets?callback=maybe", nil, 400, "invalid_field")

	// 걸기 back from the list
	kim.fails("POST", "/api/v1/cti/dial", map[string]any{"caller_id": "0212345678", "ticket": 999999}, 404, "not_found")
	other := ticketOf("sales", "01099990000", e.clk.Now())
	if err := e.st.Tickets().Create(context.Background(), &other); err != nil {
		t.Fatal(err)
	}
	kim.fails("POST", "/api/v1/cti/dial", map[string]any{"caller_id": "0212345678", "ticket": other.ID}, 404, "not_found")
	kim.must("POST", "/api/v1/cti/dial", map[string]any{"caller_id": "0212345678", "ticket": first.ID}, 200, nil)
	e.net.AnswerLeg(e.net.WaitPlaced(t, telephonytest.ToExtension("1001")))
	e.net.AnswerLeg(e.net.WaitPlaced(t, telephonytest.ToTrunk("01033330001")))
	v := kim.wantState("on_call")
	if v.Call == nil || v.Call.Ticket != first.ID {
		t.Fatalf("the call back is on ticket %+v, want %d", v.Call, first.ID)
	}
	kim.must("GET", "/api/v1/tickets?callback=true", nil, 200, &list)
	if len(list.Tickets) != 1 || list.Tickets[0].Phone != "01033330002" {
		t.Fatalf("after the call back: %+v", list.Tickets)
	}
	// cleared by hand: the customer was reached some other way
	var patched struct {
		Callback bool `json:"callback"`
	}
	kim.must("PATCH", fmt.Sprintf("/api/v1/tickets/%d", list.Tickets[0].ID), map[string]any{"callback": false}, 200, &patched)
	kim.must("GET", "/api/v1/tickets?callback=true", nil, 200, &list)
	if patched.Callback || len(list.Tickets) != 0 {
		t.Fatalf("after clearing: %+v", list.Tickets)
	}
}

// TestSupervisorOverHTTP: a manager of the agent's service, or an admin, sets its state or logs
// it out; the agent is told who; anyone else is refused; the engine's refusals are 409.
func TestSupervisorOverHTTP(t *testing.T) {
	e := newEnv(t)
	kim, lee, boss, root, han := e.login("kim"), e.login("lee"), e.login("boss"), e.login("root"), e.login("han")
	stream := kim.ws()
	stream.next("cti.snapshot")
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	var v struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	}
	boss.must("PUT", "/api/v1/agents/kim/cti/state", map[string]string{"state": "work", "reason": "회의"}, 200, &v)
	if v.State != "work" || v.Reason != "meeting" {
		t.Fatalf("after the manager: %+v", v)
	}
	forced := stream.next(events.AgentForced)
	if d := forced.Data.(map[string]any); d["by"] != "boss" || d["by_name"] != "BOSS" {
		t.Fatalf("agent.forced %+v", d)
	}
	if n := stream.next(events.AgentNotice); n.Data.(map[string]any)["kind"] != "forced" {
		t.Fatalf("notice %+v", n)
	}
	kim.wantState("work")
	boss.fails("PUT", "/api/v1/agents/kim/cti/state", map[string]string{"state": "lunch"}, 422, "invalid_state_name")
	boss.fails("PUT", "/api/v1/agents/ghost/cti/state", map[string]string{"state": "break"}, 404, "not_found")
	boss.fails("PUT", "/api/v1/agents/han/cti/state", map[string]string{"state": "break"}, 403, "forbidden")
	han.fails("PUT", "/api/v1/agents/kim/cti/state", map[string]string{"state": "break"}, 403, "forbidden")
	lee.fails("POST", "/api/v1/agents/kim/cti/logout", nil, 403, "forbidden")
	boss.fails("PUT", "/api/v1/agents/lee/cti/state", map[string]string{"state": "break"}, 409, "invalid_state") // not logged in
	// on a call: not moved off it
	lee.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	lee.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
	if _, err := e.net.Call("01044440001", did); err != nil {
		t.Fatal(err)
	}
	e.eng.Flush()
	lee.must("POST", "/api/v1/cti/offer/accept", nil, 200, nil)
	e.net.AnswerLeg(e.net.WaitPlaced(t, telephonytest.ToExtension("1002")))
	lee.wantState("on_call")
	boss.fails("PUT", "/api/v1/agents/lee/cti/state", map[string]string{"state": "break"}, 409, "invalid_state")
	boss.fails("POST", "/api/v1/agents/lee/cti/logout", nil, 409, "invalid_state")
	root.must("POST", "/api/v1/agents/kim/cti/logout", nil, 200, &v)
	if v.State != "logged_out" {
		t.Fatalf("after the logout: %+v", v)
	}
	kim.wantState("logged_out")
}

// TestWallboardToken: a manager's token reads its service's real-time figures and stats.queue
// events, nothing else, until revoked; the page is served.
func TestWallboardToken(t *testing.T) {
	e := newEnv(t)
	boss, kim := e.login("boss"), e.login("kim")
	kim.fails("POST", "/api/v1/services/support/wallboard-token", nil, 403, "forbidden")
	boss.fails("POST", "/api/v1/services/sales/wallboard-token", nil, 403, "forbidden")
	e.login("root").fails("POST", "/api/v1/services/nowhere/wallboard-token", nil, 404, "not_found")
	var tok struct {
		Token string `json:"token"`
		URL   string `json:"url"`
	}
	boss.must("POST", "/api/v1/services/support/wallboard-token", nil, 201, &tok)
	if !strings.HasPrefix(tok.Token, "wb.") || tok.URL != "/wallboard?service=support#token="+tok.Token {
		t.Fatalf("token %+v", tok)
	}
	tv := &client{e: e, token: tok.Token}
	var rt struct {
		Service string           `json:"service"`
		Queues  []map[string]any `json:"queues"`
	}
	tv.must("GET", "/api/v1/stats/realtime?service=support", nil, 200, &rt)
	if rt.Service != "support" || len(rt.Queues) != 2 {
		t.Fatalf("realtime %+v", rt)
	}
	tv.must("GET", "/api/v1/stats/realtime", nil, 200, nil)
	tv.fails("GET", "/api/v1/stats/realtime?service=sales", nil, 403, "forbidden")
	anon := &client{e: e}
	anon.must("GET", "/api/v1/stats/realtime?service=support&access_token="+tok.Token, nil, 200, nil)
	// nothing else
	for _, path := range []string{"/api/v1/tickets", "/api/v1/calls?service=support", "/api/v1/stats/queues?service=support",
		"/api/v1/live?service=support", "/api/v1/cti", "/api/v1/session"} {
		tv.fails("GET", path, nil, 401, "unauthorized")
		anon.fails("GET", path+sep(path)+"access_token="+tok.Token, nil, 401, "unauthorized")
	}
	tv.fails("POST", "/api/v1/services/support/wallboard-token", nil, 401, "unauthorized")
	tv.fails("PATCH", "/api/v1/tickets/1", map[string]string{"status": "solved"}, 401, "unauthorized")

	// the event socket: the queues at once, then their changes, and no other event
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/api/v1/events?access_token="+tok.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	read := func() (events.Event, error) {
		rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer rcancel()
		_, b, err := conn.Read(rctx)
		var ev events.Event
		if err == nil {
			json.Unmarshal(b, &ev)
		}
		return ev, err
	}
	seen := map[string]bool{}
	for len(seen) < 2 {
		ev, err := read()
		if err != nil || ev.Type != events.StatsQueue || ev.Service != "support" {
			t.Fatalf("first events: %+v %v", ev, err)
		}
		seen[ev.Data.(map[string]any)["queue"].(string)] = true
	}
	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	if _, err := e.net.Call("01055550001", did); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second) // the login's event and the call's are a second apart at most
	for {
		ev, err := read()
		if err != nil || ev.Type != events.StatsQueue {
			t.Fatalf("wallboard got %+v %v", ev, err)
		}
		if d := ev.Data.(map[string]any); d["queue"] == "100" && d["waiting"] == 1.0 {
			break
		}
	}
	// revoked: the socket closes, the token reads nothing
	var rev struct {
		Revoked int `json:"revoked"`
	}
	boss.must("DELETE", "/api/v1/services/support/wallboard-token", nil, 200, &rev)
	if rev.Revoked != 1 {
		t.Fatalf("revoked %d", rev.Revoked)
	}
	for {
		_, err := read()
		if err != nil {
			if websocket.CloseStatus(err) != closeSessionEnded {
				t.Fatalf("closed with %v", err)
			}
			break
		}
	}
	tv.fails("GET", "/api/v1/stats/realtime?service=support", nil, 401, "unauthorized")
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// TestWallboardPage: /wallboard is the console's page.
func TestWallboardPage(t *testing.T) {
	e := newEnvWith(t, func(e *env) {
		e.console = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "console "+r.URL.Path) })
	})
	res, err := http.Get(e.srv.URL + "/wallboard?service=support")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "console /wallboard" {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
}
