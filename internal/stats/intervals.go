package stats

import (
	"errors"
	"time"
)

// Interval is one row's span.
type Interval struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ErrInterval refuses an interval that is not 15m, hour or day, or a range that would make
// too many rows.
var ErrInterval = errors.New("stats: interval must be 15m, hour or day")

// MaxIntervals bounds the rows of one report.
const MaxIntervals = 5000

// Intervals splits [from, to) at the boundaries of interval in loc: 15-minute and hour
// boundaries are those of the wall clock, days start at local midnight. The first and last
// rows are cut to the range.
func Intervals(from, to time.Time, interval string, loc *time.Location) ([]Interval, error) {
	if !from.Before(to) {
		return nil, nil
	}
	next := func(t time.Time) time.Time {
		l := t.In(loc)
		switch interval {
		case "15m":
			return l.Truncate(time.Minute).Add(-time.Duration(l.Minute()%15) * time.Minute).Add(15 * time.Minute)
		case "hour":
			return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc).Add(time.Hour)
		case "day":
			return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
		}
		return time.Time{}
	}
	if next(from).IsZero() {
		return nil, ErrInterval
	}
	var out []Interval
	for t := from; t.Before(to); {
		n := next(t)
		if n.After(to) {
			n = to
		}
		out = append(out, Interval{From: t, To: n})
		if len(out) > MaxIntervals {
			return nil, ErrInterval
		}
		t = n
	}
	return out, nil
}

// Today is [local midnight, now).
func Today(now time.Time, loc *time.Location) Interval {
	l := now.In(loc)
	return Interval{From: time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc), To: now}
}
