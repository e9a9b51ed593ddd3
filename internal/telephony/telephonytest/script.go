// Package telephonytest is a scripted phone network for tests: it records what the engine asks
// for, keeps each leg's state as a network would, and lets a test play the network's part
// (ring, answer, fail, hang up, finish a prompt). It is for tests and the routing benchmark;
// the product runs on internal/sip and never imports it.
package telephonytest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/telephony"
)

// Action is one request the engine made.
type Action struct {
	Kind  string // place | answer | hangup | play | bridge | mix | record | pause | resume | stop
	Leg   telephony.LegID
	Other telephony.LegID // bridge
	// Sources are a mix's sources; Left and Right a recording's. Recording names it.
	Sources     []telephony.LegID
	Left, Right []telephony.LegID
	Recording   telephony.RecordingID
	Target      telephony.Target
	Audio       telephony.Audio
	Loop        bool
	Cause       telephony.Cause
}

func (a Action) String() string {
	switch a.Kind {
	case "place":
		return fmt.Sprintf("place %s → %+v", a.Leg, a.Target)
	case "play":
		return fmt.Sprintf("play %s %s loop=%v", a.Leg, a.Audio, a.Loop)
	case "bridge":
		return fmt.Sprintf("bridge %s ↔ %s", a.Leg, a.Other)
	case "hangup":
		return fmt.Sprintf("hangup %s (%s)", a.Leg, a.Cause)
	case "mix":
		return fmt.Sprintf("mix %s ← %v", a.Leg, a.Sources)
	case "record":
		return fmt.Sprintf("record %s L%v R%v", a.Recording, a.Left, a.Right)
	case "pause", "resume", "stop":
		return a.Kind + " " + string(a.Recording)
	}
	return a.Kind + " " + string(a.Leg)
}

// Leg is what the network knows of one leg.
type Leg struct {
	ID       telephony.LegID
	Inbound  bool
	Target   telephony.Target // placed legs
	Answered bool
	Ended    bool
	Cause    telephony.Cause // why the engine ended it
	Hears    string          // "audio:<name>", "leg:<id>", "mix:<id>+<id>…" (sources in order) or ""
	Loop     bool
}

// Network is the scripted telephony.Telephony.
type Network struct {
	mu      sync.Mutex
	h       telephony.Handler
	actions []Action
	legs    map[telephony.LegID]*Leg
	order   []telephony.LegID
	next    int
	changed chan struct{}
	recs    map[telephony.RecordingID]*Recording
}

// Recording is what the network knows of one recording.
type Recording struct {
	ID          telephony.RecordingID
	Left, Right []telephony.LegID
	Paused      bool
	Stopped     bool
}

// New returns an empty network; call SetHandler before use.
func New() *Network {
	return &Network{legs: map[telephony.LegID]*Leg{}, changed: make(chan struct{}), recs: map[telephony.RecordingID]*Recording{}}
}

// SetHandler connects the engine.
func (n *Network) SetHandler(h telephony.Handler) { n.h = h }

func (n *Network) record(a Action, f func()) {
	n.mu.Lock()
	n.actions = append(n.actions, a)
	if f != nil {
		f()
	}
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
}

func (n *Network) leg(id telephony.LegID) *Leg {
	l := n.legs[id]
	if l == nil {
		l = &Leg{ID: id}
		n.legs[id] = l
		n.order = append(n.order, id)
	}
	return l
}

// Place implements telephony.Telephony.
func (n *Network) Place(leg telephony.LegID, to telephony.Target) {
	n.record(Action{Kind: "place", Leg: leg, Target: to}, func() { n.leg(leg).Target = to })
}

// Answer implements telephony.Telephony.
func (n *Network) Answer(leg telephony.LegID) {
	n.record(Action{Kind: "answer", Leg: leg}, func() { n.leg(leg).Answered = true })
}

// Hangup implements telephony.Telephony.
func (n *Network) Hangup(leg telephony.LegID, cause telephony.Cause) {
	n.record(Action{Kind: "hangup", Leg: leg, Cause: cause}, func() {
		l := n.leg(leg)
		if !l.Ended {
			l.Ended, l.Cause = true, cause
		}
	})
}

// Play implements telephony.Telephony.
func (n *Network) Play(leg telephony.LegID, a telephony.Audio, loop bool) {
	n.record(Action{Kind: "play", Leg: leg, Audio: a, Loop: loop}, func() {
		l := n.leg(leg)
		l.Hears, l.Loop = "audio:"+string(a), loop
	})
}

// Bridge implements telephony.Telephony.
func (n *Network) Bridge(a, b telephony.LegID) {
	n.record(Action{Kind: "bridge", Leg: a, Other: b}, func() {
		n.leg(a).Hears = "leg:" + string(b)
		n.leg(b).Hears = "leg:" + string(a)
	})
}

// Mix implements telephony.Telephony.
func (n *Network) Mix(leg telephony.LegID, sources []telephony.LegID) {
	src := append([]telephony.LegID(nil), sources...)
	n.record(Action{Kind: "mix", Leg: leg, Sources: src}, func() {
		h := "mix:"
		for i, s := range src {
			if i > 0 {
				h += "+"
			}
			h += string(s)
		}
		n.leg(leg).Hears, n.leg(leg).Loop = h, false
	})
}

// Record implements telephony.Telephony.
func (n *Network) Record(id telephony.RecordingID, left, right []telephony.LegID) {
	l, r := append([]telephony.LegID(nil), left...), append([]telephony.LegID(nil), right...)
	n.record(Action{Kind: "record", Recording: id, Left: l, Right: r}, func() {
		rec := n.recs[id]
		if rec == nil {
			rec = &Recording{ID: id}
			n.recs[id] = rec
		}
		if !rec.Stopped {
			rec.Left, rec.Right = l, r
		}
	})
}

// PauseRecording implements telephony.Telephony.
func (n *Network) PauseRecording(id telephony.RecordingID, paused bool) {
	kind := "resume"
	if paused {
		kind = "pause"
	}
	n.record(Action{Kind: kind, Recording: id}, func() {
		if rec := n.recs[id]; rec != nil {
			rec.Paused = paused
		}
	})
}

// StopRecording implements telephony.Telephony.
func (n *Network) StopRecording(id telephony.RecordingID) {
	n.record(Action{Kind: "stop", Recording: id}, func() {
		if rec := n.recs[id]; rec != nil {
			rec.Stopped = true
		}
	})
}

// Recordings returns every recording the engine started, in no order.
func (n *Network) Recordings() []Recording {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Recording
	for _, r := range n.recs {
		out = append(out, *r)
	}
	return out
}

// FailRecording reports that a recording could not be written (a full disk).
func (n *Network) FailRecording(id telephony.RecordingID) {
	n.mu.Lock()
	if rec := n.recs[id]; rec != nil {
		rec.Stopped = true
	}
	n.mu.Unlock()
	n.h.Report(telephony.Event{Kind: telephony.RecordingFailed, Recording: id})
}

// Actions returns every action so far.
func (n *Network) Actions() []Action {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Action(nil), n.actions...)
}

// Leg returns a copy of a leg's state.
func (n *Network) Leg(id telephony.LegID) Leg {
	n.mu.Lock()
	defer n.mu.Unlock()
	if l, ok := n.legs[id]; ok {
		return *l
	}
	return Leg{ID: id}
}

// Live returns the legs that are not ended.
func (n *Network) Live() []Leg {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Leg
	for _, id := range n.order {
		if l := n.legs[id]; !l.Ended {
			out = append(out, *l)
		}
	}
	return out
}

// Placed returns the newest live placed leg whose target matches, or "".
func (n *Network) Placed(match func(telephony.Target) bool) telephony.LegID {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := len(n.order) - 1; i >= 0; i-- {
		l := n.legs[n.order[i]]
		if !l.Inbound && !l.Ended && l.Target.Kind != "" && match(l.Target) {
			return l.ID
		}
	}
	return ""
}

// ToExtension matches a placed leg ringing an extension.
func ToExtension(ext string) func(telephony.Target) bool {
	return func(t telephony.Target) bool { return t.Kind == telephony.TargetExtension && t.Extension == ext }
}

// ToTrunk matches a placed leg calling a number through a trunk.
func ToTrunk(number string) func(telephony.Target) bool {
	return func(t telephony.Target) bool { return t.Kind == telephony.TargetTrunk && t.Number == number }
}

// ToBrowser matches a placed leg ringing an agent's browser softphone.
func ToBrowser(login string) func(telephony.Target) bool {
	return func(t telephony.Target) bool { return t.Kind == telephony.TargetBrowser && t.Agent == login }
}

// Call brings a call in from a trunk; it returns the new leg and the engine's decision.
func (n *Network) Call(from, to string) (telephony.LegID, error) {
	id := n.newLeg()
	err := n.h.Inbound(telephony.InboundCall{Leg: id, To: to, From: from, Trunk: "carrier"})
	n.mu.Lock()
	l := n.leg(id)
	l.Inbound = true
	if err != nil {
		l.Ended = true
	}
	n.mu.Unlock()
	return id, err
}

// Dial is an agent's phone dialling a number.
func (n *Network) Dial(extension, to string) (telephony.LegID, error) {
	id := n.newLeg()
	err := n.h.Dialled(telephony.PhoneCall{Leg: id, Extension: extension, To: to})
	n.mu.Lock()
	l := n.leg(id)
	l.Inbound = true
	if err != nil {
		l.Ended = true
	}
	n.mu.Unlock()
	return id, err
}

func (n *Network) newLeg() telephony.LegID {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.next++
	return telephony.LegID(fmt.Sprintf("net-%d", n.next))
}

// Report delivers an event as the network would.
func (n *Network) Report(leg telephony.LegID, kind telephony.EventKind, cause telephony.Cause) {
	n.mu.Lock()
	l := n.leg(leg)
	switch kind {
	case telephony.Answered:
		l.Answered = true
	case telephony.Failed, telephony.HungUp:
		l.Ended = true
		if l.Cause == "" {
			l.Cause = cause
		}
	}
	n.mu.Unlock()
	n.h.Report(telephony.Event{Leg: leg, Kind: kind, Cause: cause})
}

// ReportEvent delivers any event as the network would (a quality report, a hold, DTMF).
func (n *Network) ReportEvent(ev telephony.Event) { n.h.Report(ev) }

// Answer, HangUp, Fail and PlayDone are the common reports.
func (n *Network) AnswerLeg(leg telephony.LegID) { n.Report(leg, telephony.Answered, "") }
func (n *Network) HangUp(leg telephony.LegID)    { n.Report(leg, telephony.HungUp, telephony.CauseNormal) }
func (n *Network) Fail(leg telephony.LegID, c telephony.Cause) {
	n.Report(leg, telephony.Failed, c)
}
func (n *Network) PlayDone(leg telephony.LegID) { n.Report(leg, telephony.PlayDone, "") }

// WaitPlaced waits until a live placed leg matches.
func (n *Network) WaitPlaced(t testing.TB, match func(telephony.Target) bool) telephony.LegID {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		n.mu.Lock()
		ch := n.changed
		n.mu.Unlock()
		if id := n.Placed(match); id != "" {
			return id
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no matching leg was placed; actions: %v", n.Actions())
			return ""
		}
	}
}
