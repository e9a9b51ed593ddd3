package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// percentile of durations (p in 0..100).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func spread(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// row is one line of a result table.
type row struct {
	what   string
	values []float64 // one per run
	unit   string
	anchor bool
}

// result is one benchmark's section of BENCHMARKS.md.
type result struct {
	name    string
	title   string
	command string
	rows    []row
	target  string
	verdict string
	notes   []string
}

func (r *result) add(what, unit string, anchor bool, v float64) {
	for i := range r.rows {
		if r.rows[i].what == what {
			r.rows[i].values = append(r.rows[i].values, v)
			return
		}
	}
	r.rows = append(r.rows, row{what: what, unit: unit, anchor: anchor, values: []float64{v}})
}

func (r *result) value(what string) float64 {
	for _, x := range r.rows {
		if x.what == what {
			return median(x.values)
		}
	}
	return 0
}

func (r *result) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\nCommand: `%s`\n\n", r.title, r.command)
	b.WriteString("| measure | median | range | runs |\n|---|---:|---:|---:|\n")
	for _, x := range r.rows {
		lo, hi := spread(x.values)
		name := x.what
		if x.anchor {
			name += " *(anchor)*"
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s–%s | %d |\n", name, num(median(x.values)), x.unit, num(lo), num(hi), len(x.values))
	}
	fmt.Fprintf(&b, "\nTarget: %s. **%s**\n", r.target, r.verdict)
	for _, n := range r.notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	return b.String()
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 100:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}
