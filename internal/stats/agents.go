package stats

import (
	"time"

	"ringdesk/internal/store"
)

// AgentRow is an agent's figures over one interval (docs/metrics.md defines each).
type AgentRow struct {
	Interval
	Agent string `json:"agent"`
	Name  string `json:"name"`

	Answered     int `json:"answered"`
	Handled      int `json:"handled"`
	Rejected     int `json:"rejected"`
	RingTimeouts int `json:"ring_timeouts"`

	TalkSeconds      float64  `json:"talk_seconds"`
	HoldSeconds      float64  `json:"hold_seconds"`
	AfterCallSeconds float64  `json:"after_call_seconds"`
	StaffedSeconds   float64  `json:"staffed_seconds"`
	ReadySeconds     float64  `json:"ready_seconds"`
	Occupancy        *float64 `json:"occupancy"`
	// States is the time in each state (SPEC §2 codes), WorkReasons the time in 업무 by reason.
	States      map[string]float64 `json:"states"`
	WorkReasons map[string]float64 `json:"work_reasons"`
}

// AgentInfo names an agent and says in what order it is listed.
type AgentInfo struct{ Login, Name string }

// busyStates are the states in which an agent handles a call, from the offer to the end of
// after-call work; occupancy is their share of the time the agent was busy or ready.
var busyStates = map[string]bool{"offered": true, "ringing": true, "dialing": true, "on_call": true, "held": true,
	"consulting": true, "after_call": true}

// Agents computes each agent's row per interval from the event log added up by agent and the
// state history of the range (store.StateStore.Range). Time after until (now, for today) is
// not counted.
func Agents(sums []store.EventSum, states []store.StateChange, ivs []Interval, agents []AgentInfo, until time.Time) []AgentRow {
	idx := map[string]int{}
	for i, a := range agents {
		idx[a.Login] = i
	}
	rows := make([][]AgentRow, len(ivs))
	for i, iv := range ivs {
		rows[i] = make([]AgentRow, len(agents))
		for j, a := range agents {
			rows[i][j] = AgentRow{Interval: iv, Agent: a.Login, Name: a.Name, States: map[string]float64{},
				WorkReasons: map[string]float64{}}
		}
	}
	for _, s := range sums {
		j, ok := idx[s.Key]
		i := find(ivs, s.Bucket)
		if !ok || i < 0 {
			continue
		}
		r := &rows[i][j]
		switch s.Kind {
		case store.EventAnswered:
			r.Answered += s.Count
		case store.EventHandled:
			r.Handled += s.Count
		case store.EventRejected:
			r.Rejected += s.Count
		case store.EventRingTimeout:
			r.RingTimeouts += s.Count
		}
	}
	if len(ivs) > 0 {
		end := ivs[len(ivs)-1].To
		if until.Before(end) {
			end = until
		}
		for start := 0; start < len(states); {
			stop := start
			for stop < len(states) && states[stop].Agent == states[start].Agent {
				stop++
			}
			if j, ok := idx[states[start].Agent]; ok {
				spans(states[start:stop], ivs[0].From, end, func(from, to time.Time, state, reason string) {
					addTime(rows, ivs, j, from, to, state, reason)
				})
			}
			start = stop
		}
	}
	out := make([]AgentRow, 0, len(ivs)*len(agents))
	for i := range rows {
		for j := range rows[i] {
			r := &rows[i][j]
			for st, sec := range r.States {
				r.States[st] = round(sec)
			}
			for k, sec := range r.WorkReasons {
				r.WorkReasons[k] = round(sec)
			}
			r.TalkSeconds = round(r.States["on_call"] + r.States["consulting"])
			r.HoldSeconds = r.States["held"]
			r.AfterCallSeconds = r.States["after_call"]
			r.ReadySeconds = r.States["ready"]
			busy := 0.0
			for st, sec := range r.States {
				if st != "logged_out" {
					r.StaffedSeconds += sec
				}
				if busyStates[st] {
					busy += sec
				}
			}
			r.StaffedSeconds = round(r.StaffedSeconds)
			if busy+r.ReadySeconds > 0 {
				v := round(100 * busy / (busy + r.ReadySeconds))
				r.Occupancy = &v
			}
			out = append(out, *r)
		}
	}
	return out
}

// spans walks one agent's changes (the last one before from first, if any) and calls f for
// each stretch in one state within [from, end).
func spans(changes []store.StateChange, from, end time.Time, f func(from, to time.Time, state, reason string)) {
	state, reason, at := "logged_out", "", from
	for _, c := range changes {
		if c.At.After(at) {
			f(at, minTime(c.At, end), state, reason)
			at = c.At
		}
		state, reason = c.To, ""
		if c.To == "work" {
			reason = c.Reason
		}
		if !at.Before(end) {
			return
		}
	}
	if at.Before(end) {
		f(at, end, state, reason)
	}
}

// addTime adds the stretch [from, to) in a state to agent j's rows, cut at the intervals.
func addTime(rows [][]AgentRow, ivs []Interval, j int, from, to time.Time, state, reason string) {
	for i := find(ivs, from); i >= 0 && i < len(ivs) && ivs[i].From.Before(to); i++ {
		a, b := maxTime(from, ivs[i].From), minTime(to, ivs[i].To)
		if !a.Before(b) {
			continue
		}
		sec := b.Sub(a).Seconds()
		rows[i][j].States[state] += sec
		if state == "work" && reason != "" {
			rows[i][j].WorkReasons[reason] += sec
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
