package api

import (
	"encoding/csv"
	"mime"
	"net/http"
	"strconv"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/stats"
)

// CSV exports are the JSON rows as a spreadsheet opens them: UTF-8 with a byte-order mark (so
// that Excel reads Korean correctly), a header row in Korean, columns in a fixed order, times
// in the site's zone, numbers as plain digits (no thousands separators), nothing for null.

// column is one column of an export.
type column[T any] struct {
	head  string
	value func(T) string
}

// csvTime is how an export writes a time: the site's wall clock, to the second.
const csvTime = "2006-01-02 15:04:05"

func writeCSV[T any](w http.ResponseWriter, filename string, cols []column[T], rows []T) error {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(200)
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return nil // the client went away; nothing more to say to it
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.head
	}
	cw.Write(rec)
	for _, r := range rows {
		for i, c := range cols {
			rec[i] = c.value(r)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return nil
}

func cInt(n int) string { return strconv.Itoa(n) }

func cNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func cOpt(v *float64) string {
	if v == nil {
		return ""
	}
	return cNum(*v)
}

func cTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(csvTime)
}

func cTimePtr(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return cTime(*t, loc)
}

func queueColumns(loc *time.Location) []column[stats.QueueRow] {
	type r = stats.QueueRow
	return []column[r]{
		{"시작", func(x r) string { return cTime(x.From, loc) }},
		{"끝", func(x r) string { return cTime(x.To, loc) }},
		{"큐", func(x r) string { return x.Queue }},
		{"큐 이름", func(x r) string { return x.Name }},
		{"인입", func(x r) string { return cInt(x.Offered) }},
		{"응답", func(x r) string { return cInt(x.Answered) }},
		{"서비스레벨 내 응답", func(x r) string { return cInt(x.AnsweredInSL) }},
		{"포기", func(x r) string { return cInt(x.Abandoned) }},
		{"단기 포기", func(x r) string { return cInt(x.ShortAbandoned) }},
		{"처리", func(x r) string { return cInt(x.Handled) }},
		{"호전환", func(x r) string { return cInt(x.Transfers) }},
		{"무응답", func(x r) string { return cInt(x.NoResponse) }},
		{"서비스레벨(%)", func(x r) string { return cOpt(x.ServiceLevel) }},
		{"포기율(%)", func(x r) string { return cOpt(x.AbandonRate) }},
		{"평균 응답 대기(초)", func(x r) string { return cOpt(x.ASA) }},
		{"평균 처리 시간(초)", func(x r) string { return cOpt(x.AHT) }},
		{"평균 통화(초)", func(x r) string { return cOpt(x.AvgTalk) }},
		{"평균 보류(초)", func(x r) string { return cOpt(x.AvgHold) }},
		{"평균 후처리(초)", func(x r) string { return cOpt(x.AvgAfterCall) }},
		{"평균 포기 대기(초)", func(x r) string { return cOpt(x.AvgAbandon) }},
		{"최장 대기(초)", func(x r) string { return cNum(x.LongestWait) }},
	}
}

func agentColumns(loc *time.Location) []column[stats.AgentRow] {
	type r = stats.AgentRow
	cols := []column[r]{
		{"시작", func(x r) string { return cTime(x.From, loc) }},
		{"끝", func(x r) string { return cTime(x.To, loc) }},
		{"상담원", func(x r) string { return x.Agent }},
		{"이름", func(x r) string { return x.Name }},
		{"응답", func(x r) string { return cInt(x.Answered) }},
		{"처리", func(x r) string { return cInt(x.Handled) }},
		{"거절", func(x r) string { return cInt(x.Rejected) }},
		{"무응답", func(x r) string { return cInt(x.RingTimeouts) }},
		{"통화(초)", func(x r) string { return cNum(x.TalkSeconds) }},
		{"보류(초)", func(x r) string { return cNum(x.HoldSeconds) }},
		{"후처리(초)", func(x r) string { return cNum(x.AfterCallSeconds) }},
		{"근무(초)", func(x r) string { return cNum(x.StaffedSeconds) }},
		{"대기(초)", func(x r) string { return cNum(x.ReadySeconds) }},
		{"점유율(%)", func(x r) string { return cOpt(x.Occupancy) }},
	}
	// the time in every state and every 업무 reason, in the state machine's order
	for _, st := range agent.States {
		cols = append(cols, column[r]{"상태 " + st.Label("ko") + "(초)", func(x r) string { return cNum(x.States[string(st)]) }})
	}
	for _, rs := range agent.Reasons {
		cols = append(cols, column[r]{"업무 " + rs.Label("ko") + "(초)", func(x r) string { return cNum(x.WorkReasons[string(rs)]) }})
	}
	return cols
}
