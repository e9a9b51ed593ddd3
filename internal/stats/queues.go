package stats

import (
	"math"
	"sort"
	"time"

	"ringdesk/internal/store"
)

// QueueRow is a queue's figures over one interval (docs/metrics.md defines each).
type QueueRow struct {
	Interval
	Queue string `json:"queue"`
	Name  string `json:"name"`

	Offered        int `json:"offered"`
	Answered       int `json:"answered"`
	AnsweredInSL   int `json:"answered_in_sl"`
	Abandoned      int `json:"abandoned"`
	ShortAbandoned int `json:"short_abandoned"`
	Handled        int `json:"handled"`
	Transfers      int `json:"transfers"`
	NoResponse     int `json:"no_response"`

	// Percentages and averages are null when there is nothing to divide by.
	ServiceLevel *float64 `json:"service_level"`
	AbandonRate  *float64 `json:"abandon_rate"`
	ASA          *float64 `json:"asa_seconds"`
	AHT          *float64 `json:"aht_seconds"`
	AvgTalk      *float64 `json:"avg_talk_seconds"`
	AvgHold      *float64 `json:"avg_hold_seconds"`
	AvgAfterCall *float64 `json:"avg_after_call_seconds"`
	AvgAbandon   *float64 `json:"avg_abandon_seconds"`
	LongestWait  float64  `json:"longest_wait_seconds"`
}

// queueTotals are the sums a QueueRow is computed from.
type queueTotals struct {
	offered, answered, inSL, abandoned, short, handled, transfers, noResponse int
	answerWait, abandonWait, talk, hold, after, longest                       float64
}

func (t *queueTotals) add(s store.EventSum) {
	switch s.Kind {
	case store.EventQueued:
		t.offered += s.Count
	case store.EventAnswered:
		t.answered += s.Count
		t.inSL += s.WithinSL
		t.answerWait += s.Wait
		t.longest = math.Max(t.longest, s.MaxWait)
	case store.EventAbandoned:
		t.abandoned += s.Count
		t.short += s.Short
		t.abandonWait += s.Wait
		t.longest = math.Max(t.longest, s.MaxWait)
	case store.EventHandled:
		t.handled += s.Count
		t.talk += s.Talk
		t.hold += s.Hold
		t.after += s.After
	case store.EventTransferred:
		t.transfers += s.Count
	case store.EventRejected, store.EventRingTimeout:
		t.noResponse += s.Count
	}
}

func (t *queueTotals) row(iv Interval, queue, name string) QueueRow {
	r := QueueRow{Interval: iv, Queue: queue, Name: name, Offered: t.offered, Answered: t.answered, AnsweredInSL: t.inSL,
		Abandoned: t.abandoned, ShortAbandoned: t.short, Handled: t.handled, Transfers: t.transfers, NoResponse: t.noResponse,
		LongestWait: round(t.longest)}
	left := t.answered + t.abandoned - t.short // calls that left the queue, short abandons aside
	r.ServiceLevel = pct(t.inSL, left)
	r.AbandonRate = pct(t.abandoned-t.short, left)
	r.ASA = avg(t.answerWait, t.answered)
	r.AHT = avg(t.talk+t.hold+t.after, t.handled)
	r.AvgTalk = avg(t.talk, t.handled)
	r.AvgHold = avg(t.hold, t.handled)
	r.AvgAfterCall = avg(t.after, t.handled)
	r.AvgAbandon = avg(t.abandonWait, t.abandoned)
	return r
}

// QueueInfo names a queue and says in what order it is listed.
type QueueInfo struct{ Number, Name string }

// Queues computes each queue's row per interval from the event log added up by queue
// (store.EventStore.Sums(…, "queue")). Every listed queue has a row in every interval, in the
// order given; events of queues not listed (removed since) are left out.
func Queues(sums []store.EventSum, ivs []Interval, queues []QueueInfo) []QueueRow {
	idx := map[string]int{}
	for i, q := range queues {
		idx[q.Number] = i
	}
	totals := make([][]queueTotals, len(ivs))
	for i := range totals {
		totals[i] = make([]queueTotals, len(queues))
	}
	for _, s := range sums {
		q, ok := idx[s.Key]
		if !ok {
			continue
		}
		if i := find(ivs, s.Bucket); i >= 0 {
			totals[i][q].add(s)
		}
	}
	out := make([]QueueRow, 0, len(ivs)*len(queues))
	for i, iv := range ivs {
		for q, info := range queues {
			out = append(out, totals[i][q].row(iv, info.Number, info.Name))
		}
	}
	return out
}

// find returns the interval holding the 15-minute bucket that starts at b (the first one when
// the bucket begins before the range).
func find(ivs []Interval, b time.Time) int {
	i := sort.Search(len(ivs), func(i int) bool { return ivs[i].To.After(b) })
	if i == len(ivs) {
		return -1
	}
	return i
}

func round(x float64) float64 { return math.Round(x*100) / 100 }

func pct(n, d int) *float64 {
	if d <= 0 {
		return nil
	}
	v := round(100 * float64(n) / float64(d))
	return &v
}

func avg(sum float64, n int) *float64 {
	if n <= 0 {
		return nil
	}
	v := round(sum / float64(n))
	return &v
}
