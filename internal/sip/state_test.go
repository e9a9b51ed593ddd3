package sip

import (
	"fmt"
	"testing"

	"ringdesk/internal/telephony"
)

// TestTransitionsExhaustive walks every direction × state × input. The table lists every
// transition that exists; every other pair must change nothing and report nothing.
func TestTransitionsExhaustive(t *testing.T) {
	type key struct {
		d  direction
		s  State
		in input
	}
	const none = telephony.EventKind("")
	want := map[key]step{}
	add := func(ds []direction, s State, in input, next State, report telephony.EventKind, act action) {
		for _, d := range ds {
			want[key{d, s, in}] = step{next: next, report: report, act: act}
		}
	}
	in, out, br := []direction{inbound}, []direction{outbound}, []direction{browser}
	placed := []direction{outbound, browser}
	all := []direction{inbound, outbound, browser}

	// inbound: proceeding → answered → ended
	add(in, Proceeding, inAnswer, Answered, none, actAnswer)
	add(in, Proceeding, inHangup, Ended, none, actRefuse)
	add(in, Proceeding, inCancel, Ended, telephony.HungUp, actNone)
	add(in, Proceeding, inBye, Ended, telephony.HungUp, actNone)
	add(in, Proceeding, inPlayDone, Proceeding, telephony.PlayDone, actNone)
	// placed: calling → ringing → answered → ended, or cancelling
	for _, s := range []State{Calling, Ringing} {
		add(placed, s, inAnswered, Answered, telephony.Answered, actNone)
		add(placed, s, inFailed, Ended, telephony.Failed, actNone)
		add(placed, s, inBye, Ended, telephony.Failed, actNone)
		add(out, s, inHangup, Cancelling, none, actCancel)
		add(br, s, inHangup, Ended, none, actDrop)
		add(placed, s, inPlayDone, s, telephony.PlayDone, actNone)
	}
	add(placed, Calling, inRinging, Ringing, telephony.Ringing, actNone)
	add(placed, Cancelling, inAnswered, Ended, none, actBye)
	add(placed, Cancelling, inFailed, Ended, none, actNone)
	add(placed, Cancelling, inBye, Ended, none, actNone)
	// answered, whoever made it
	add(in, Answered, inHangup, Ended, none, actBye)
	add(out, Answered, inHangup, Ended, none, actBye)
	add(br, Answered, inHangup, Ended, none, actDrop)
	add(all, Answered, inBye, Ended, telephony.HungUp, actNone)
	add(all, Answered, inLost, Ended, telephony.HungUp, actBye)
	add([]direction{inbound, outbound}, Answered, inTimeout, Ended, telephony.HungUp, actBye)
	add(all, Answered, inHold, Answered, telephony.Held, actNone)
	add(all, Answered, inResume, Answered, telephony.Resumed, actNone)
	add(all, Answered, inDTMF, Answered, telephony.DTMF, actNone)
	add(all, Answered, inPlayDone, Answered, telephony.PlayDone, actNone)

	n := 0
	for _, d := range all {
		for _, s := range States {
			for _, i := range inputs {
				got, ok := transition(d, s, i)
				w, exists := want[key{d, s, i}]
				switch {
				case exists && !ok:
					t.Errorf("%s %s + %s: refused, want → %s", d, s, i, w.next)
				case !exists && ok:
					t.Errorf("%s %s + %s: → %+v, want nothing to happen", d, s, i, got)
				case exists && got != w:
					t.Errorf("%s %s + %s: got %+v, want %+v", d, s, i, got, w)
				}
				if ok {
					n++
				}
				// the engine never hears of its own commands, and nothing after the end
				if ok && i.fromEngine() && got.report != "" {
					t.Errorf("%s %s + %s reports %s to the engine about its own command", d, s, i, got.report)
				}
				if s == Ended && ok {
					t.Errorf("%s: %s changes an ended leg", d, i)
				}
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d transitions, table has %d", n, len(want))
	}
}

// TestStartStates: inbound legs start proceeding, placed ones calling.
func TestStartStates(t *testing.T) {
	for d, want := range map[direction]State{inbound: Proceeding, outbound: Calling, browser: Calling} {
		if got := startState(d); got != want {
			t.Errorf("%s starts %s, want %s", d, got, want)
		}
	}
}

// TestFinalReportsEndTheLeg: every transition that reports Failed or HungUp ends the leg, and
// every transition into Ended from the network reports one, unless the engine had already
// withdrawn the leg (cancelling).
func TestFinalReportsEndTheLeg(t *testing.T) {
	for _, d := range []direction{inbound, outbound, browser} {
		for _, s := range States {
			for _, i := range inputs {
				st, ok := transition(d, s, i)
				if !ok {
					continue
				}
				final := st.report == telephony.Failed || st.report == telephony.HungUp
				name := fmt.Sprintf("%s %s + %s", d, s, i)
				if final && st.next != Ended {
					t.Errorf("%s reports %s but leaves the leg %s", name, st.report, st.next)
				}
				if st.next == Ended && !final && !i.fromEngine() && s != Cancelling {
					t.Errorf("%s ends the leg without telling the engine", name)
				}
			}
		}
	}
}
