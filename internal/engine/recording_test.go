package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
)

func recordingMode(mode site.RecordingMode, announce string) func(*site.Site) {
	return func(s *site.Site) {
		s.Services[0].Recording = site.Recording{Mode: mode, RetentionDays: 30, Announce: announce}
	}
}

// withBoss gives the manager a desk phone.
func withBoss(s *site.Site) {
	for i := range s.Agents {
		if s.Agents[i].Login == "boss" {
			s.Agents[i].Extension, s.Agents[i].SIPHA1, s.Agents[i].Phone = "1099", "x", site.PhoneSIP
		}
	}
}

// onlyRecording returns the one recording the network was asked for.
func (h *harness) onlyRecording() telephonytest.Recording {
	h.t.Helper()
	h.eng.Flush()
	recs := h.net.Recordings()
	if len(recs) != 1 {
		h.t.Fatalf("%d recordings, want one: %+v", len(recs), recs)
	}
	return recs[0]
}

func legs(ids ...telephony.LegID) []telephony.LegID { return ids }

func (h *harness) sides(left, right []telephony.LegID) {
	h.t.Helper()
	r := h.onlyRecording()
	if !slices.Equal(r.Left, left) || !slices.Equal(r.Right, right) {
		h.t.Fatalf("recording L%v R%v, want L%v R%v", r.Left, r.Right, left, right)
	}
}

func (h *harness) storedRecording(id telephony.RecordingID) store.Recording {
	h.t.Helper()
	h.eng.Flush()
	r, err := h.st.Recordings().Get(context.Background(), string(id))
	h.ok(err)
	return r
}

// Mode all: the customer hears the announcement before the queue; the recording starts at
// the answer with the customer left and the agent right; a hold and a consult leave the right
// channel to nobody (no hold music, nothing said off the call); after 고객연결 the colleague
// is the right channel; one recording for the whole call, closed when it ends.
func TestRecordingFollowsTheWholeCall(t *testing.T) {
	h := newHarness(t, recordingMode(site.RecordAll, ""))
	h.ready("kim")
	cust, err := h.net.Call("01011112222", did)
	h.ok(err)
	h.net.PlayDone(cust) // the greeting
	if got := h.hears(cust); got != "audio:builtin:recording" {
		t.Fatalf("after the greeting the customer hears %q, want the recording announcement", got)
	}
	h.net.PlayDone(cust)
	h.state("kim", agent.Offered)
	if len(h.net.Recordings()) != 0 {
		t.Fatal("recording before anyone answered")
	}
	began := h.clk.Now()
	kimLeg := h.connect("kim", "1001")
	r := h.onlyRecording()
	h.sides(legs(cust), legs(kimLeg))
	if got := h.hears(cust); got != "leg:"+string(kimLeg) {
		t.Fatalf("customer hears %q", got)
	}
	if v := h.eng.View("kim"); v.Call.Recording == nil || v.Call.Recording.State != "recording" || v.Call.Recording.ID != string(r.ID) {
		t.Fatalf("kim's view of the recording: %+v", v.Call.Recording)
	}
	h.clk.Advance(10 * time.Second)
	h.ok(h.eng.Hold("kim"))
	h.sides(legs(cust), nil)
	h.ok(h.eng.Unhold("kim"))
	h.sides(legs(cust), legs(kimLeg))
	h.ready("lee")
	h.ok(h.eng.Consult("kim", "agent:lee"))
	h.sides(legs(cust), nil)
	leeLeg := h.connect("lee", "1002")
	h.state("kim", agent.Consulting)
	h.sides(legs(cust), nil)
	h.ok(h.eng.CompleteConsult("kim"))
	h.state("lee", agent.OnCall)
	h.sides(legs(cust), legs(leeLeg))
	h.clk.Advance(5 * time.Second)
	h.net.HangUp(cust)
	h.state("lee", agent.AfterCall)
	r = h.onlyRecording()
	if !r.Stopped {
		t.Fatal("the recording was not stopped with the call")
	}
	rec := h.storedRecording(r.ID)
	want := h.clk.Now().Sub(began).Seconds()
	if rec.Status != store.RecordingDone || rec.Seconds != want || rec.PausedSeconds != 0 || rec.Agent != "kim" || rec.EndedAt == nil {
		t.Fatalf("stored recording %+v, want done, %.0f s", rec, want)
	}
	c, err := h.st.Calls().Get(context.Background(), rec.Call)
	h.ok(err)
	if c.TicketID == 0 || c.Agent != "kim" {
		t.Fatalf("the recording's call %+v", c)
	}
}

// Pause and resume: the span is kept; refusals change nothing.
func TestRecordingPauseAndResume(t *testing.T) {
	h := newHarness(t, recordingMode(site.RecordAll, "none"))
	h.ready("kim", "lee")
	cust, err := h.net.Call("01011112222", did)
	h.ok(err)
	h.net.PlayDone(cust) // the greeting; with announce none the queue follows at once
	h.connect("kim", "1001")
	r := h.onlyRecording()
	if got := code(h.eng.Recording("kim", RecordingResume)); got != "invalid_state" {
		t.Fatalf("resume when not paused: %q", got)
	}
	if got := code(h.eng.Recording("lee", RecordingPause)); got != "invalid_state" {
		t.Fatalf("pause by an agent not on the call: %q", got)
	}
	h.clk.Advance(10 * time.Second)
	h.ok(h.eng.Recording("kim", RecordingPause))
	if got := code(h.eng.Recording("kim", RecordingPause)); got != "invalid_state" {
		t.Fatalf("pause twice: %q", got)
	}
	if !h.onlyRecording().Paused {
		t.Fatal("the network was not told to pause")
	}
	if v := h.eng.View("kim"); v.Call.Recording.State != "paused" {
		t.Fatalf("view: %+v", v.Call.Recording)
	}
	h.clk.Advance(5 * time.Second)
	h.ok(h.eng.Recording("kim", RecordingResume))
	if h.onlyRecording().Paused {
		t.Fatal("the network was not told to resume")
	}
	h.clk.Advance(5 * time.Second)
	h.ok(h.eng.Recording("kim", RecordingPause))
	h.clk.Advance(2 * time.Second)
	h.ok(h.eng.Hangup("kim")) // ends while paused: the span runs to the end
	rec := h.storedRecording(r.ID)
	if rec.Seconds != 22 || rec.PausedSeconds != 7 || len(rec.Paused) != 2 || rec.Paused[0].From != 10 || rec.Paused[0].To != 15 ||
		rec.Paused[1].From != 20 || rec.Paused[1].To != 22 {
		t.Fatalf("stored %+v: want 22 s with 10–15 and 20–22 paused", rec)
	}
	if got := code(h.eng.Recording("kim", RecordingPause)); got != "invalid_state" {
		t.Fatalf("pause after the call: %q", got)
	}
	var states []string
	for _, ev := range h.events() {
		if ev.Type == events.CallRecording && ev.Agent == "kim" {
			states = append(states, ev.Data.(map[string]string)["state"])
		}
	}
	if want := []string{"recording", "paused", "recording", "paused", "stopped"}; !slices.Equal(states, want) {
		t.Fatalf("recording events %v, want %v", states, want)
	}
}

// On demand: nothing until the agent starts it; then the customer hears the announcement and
// the conversation comes back; a service that records nothing refuses.
func TestRecordingOnDemand(t *testing.T) {
	h := newHarness(t, recordingMode(site.RecordOnDemand, ""))
	h.ready("kim")
	cust := h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	if len(h.net.Recordings()) != 0 {
		t.Fatal("an on-demand service recorded at the answer")
	}
	h.ok(h.eng.Recording("kim", RecordingStart))
	h.sides(legs(cust), legs(kimLeg))
	if got := h.hears(cust); got != "audio:builtin:recording" {
		t.Fatalf("customer hears %q when recording starts", got)
	}
	if got := h.hears(kimLeg); got != "leg:"+string(cust) {
		t.Fatalf("the agent hears %q during the announcement, want the customer", got)
	}
	h.net.PlayDone(cust)
	if got := h.hears(cust); got != "leg:"+string(kimLeg) {
		t.Fatalf("after the announcement the customer hears %q", got)
	}
	if got := code(h.eng.Recording("kim", RecordingStart)); got != "invalid_state" {
		t.Fatalf("start twice: %q", got)
	}
	h.ok(h.eng.Hangup("kim"))

	h = newHarness(t) // recording none
	h.ready("kim")
	h.call("01011112222")
	h.connect("kim", "1001")
	if got := code(h.eng.Recording("kim", RecordingStart)); got != "recording_disabled" {
		t.Fatalf("start where nothing is recorded: %q", got)
	}
	if len(h.net.Recordings()) != 0 {
		t.Fatal("recorded anyway")
	}
}

// An outbound call (걸기) in mode all is recorded from the customer's answer; the customer
// hears the announcement first while the agent already hears the customer.
func TestRecordingOutboundCall(t *testing.T) {
	h := newHarness(t, recordingMode(site.RecordAll, ""))
	h.ok(h.eng.Login("kim", "support"))
	h.ok(h.eng.Dial("kim", "01077778888", "0212345678"))
	agentLeg := h.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	h.net.AnswerLeg(agentLeg)
	custLeg := h.net.WaitPlaced(t, telephonytest.ToTrunk("01077778888"))
	h.net.AnswerLeg(custLeg)
	h.state("kim", agent.OnCall)
	h.sides(legs(custLeg), legs(agentLeg))
	if got := h.hears(custLeg); got != "audio:builtin:recording" {
		t.Fatalf("the customer hears %q", got)
	}
	h.net.PlayDone(custLeg)
	if got := h.hears(custLeg); got != "leg:"+string(agentLeg) {
		t.Fatalf("after the announcement the customer hears %q", got)
	}
}

// A recording whose storage fails stops; the call goes on and the agent is told.
func TestRecordingFailureLeavesTheCall(t *testing.T) {
	h := newHarness(t, recordingMode(site.RecordAll, "none"))
	h.ready("kim")
	cust, _ := h.net.Call("01011112222", did)
	h.net.PlayDone(cust)
	kimLeg := h.connect("kim", "1001")
	r := h.onlyRecording()
	h.clk.Advance(3 * time.Second)
	h.net.FailRecording(r.ID)
	v := h.state("kim", agent.OnCall)
	if v.Call.Recording == nil || v.Call.Recording.State != "failed" {
		t.Fatalf("view after the failure: %+v", v.Call.Recording)
	}
	if got := h.hears(cust); got != "leg:"+string(kimLeg) {
		t.Fatalf("customer hears %q after the recording failed", got)
	}
	rec := h.storedRecording(r.ID)
	if rec.Status != store.RecordingFailed || rec.Seconds != 3 {
		t.Fatalf("stored %+v", rec)
	}
	evs := h.events()
	if n := has(evs, events.AgentNotice, "kim"); n == nil || n.Data.(map[string]string)["kind"] != "recording_failed" {
		t.Fatal("kim was not told")
	}
	h.ok(h.eng.Hold("kim")) // no new recording sides for a failed one
	h.ok(h.eng.Unhold("kim"))
	h.ok(h.eng.Hangup("kim"))
	h.eng.Flush()
	for _, a := range h.net.Actions() {
		if a.Kind == "record" && slices.Equal(a.Right, nil) && a.Recording == r.ID {
			t.Fatalf("a failed recording was given new sources: %v", a)
		}
	}
}

// listen → whisper → barge → leave, as a network sees who hears whom; only managers are told.
func TestMonitorModes(t *testing.T) {
	h := newHarness(t, recordingMode(site.RecordAll, "none"), withBoss)
	h.ready("kim")
	cust, _ := h.net.Call("01011112222", did)
	h.net.PlayDone(cust)
	kimLeg := h.connect("kim", "1001")
	callID := h.eng.View("kim").Call.ID
	if _, err := h.eng.Monitor("support", callID, "boss", "eavesdrop"); code(err) != "invalid_mode" {
		t.Fatalf("unknown mode: %v", err)
	}
	if _, err := h.eng.Monitor("support", "C-none", "boss", MonitorListen); code(err) != "call_not_found" {
		t.Fatalf("no such call: %v", err)
	}
	if _, err := h.eng.Monitor("support", callID, "kim", MonitorListen); code(err) != "monitor_self" {
		t.Fatalf("the call's own agent: %v", err)
	}
	mv, err := h.eng.Monitor("support", callID, "boss", MonitorListen)
	h.ok(err)
	if mv.State != "ringing" || mv.By != "boss" {
		t.Fatalf("monitor view %+v", mv)
	}
	bossLeg := h.net.WaitPlaced(t, telephonytest.ToExtension("1099"))
	if _, err := h.eng.Monitor("support", callID, "boss", MonitorBarge); code(err) != "monitor_busy" {
		t.Fatalf("a second monitor: %v", err)
	}
	h.net.AnswerLeg(bossLeg)
	hear := func(leg telephony.LegID, want string) {
		t.Helper()
		if got := h.hears(leg); got != want {
			t.Fatalf("%s hears %q, want %q", leg, got, want)
		}
	}
	mix := func(a, b telephony.LegID) string { return "mix:" + string(a) + "+" + string(b) }
	hear(bossLeg, mix(cust, kimLeg))
	hear(cust, "leg:"+string(kimLeg))
	hear(kimLeg, "leg:"+string(cust))
	h.sides(legs(cust), legs(kimLeg))

	_, err = h.eng.SwitchMonitor("support", callID, "boss", MonitorWhisper)
	h.ok(err)
	hear(kimLeg, mix(cust, bossLeg))
	hear(cust, "leg:"+string(kimLeg))
	hear(bossLeg, mix(cust, kimLeg))
	h.sides(legs(cust), legs(kimLeg)) // a whisper is not the conversation

	_, err = h.eng.SwitchMonitor("support", callID, "boss", MonitorBarge)
	h.ok(err)
	hear(cust, mix(kimLeg, bossLeg))
	hear(kimLeg, mix(cust, bossLeg))
	hear(bossLeg, mix(cust, kimLeg))
	h.sides(legs(cust), legs(kimLeg, bossLeg))

	// a hold and its end keep the arrangement
	h.ok(h.eng.Hold("kim"))
	hear(cust, "audio:builtin:hold")
	h.ok(h.eng.Unhold("kim"))
	hear(cust, mix(kimLeg, bossLeg))

	live, err := h.eng.Live("support")
	h.ok(err)
	if len(live.Monitors) != 1 || live.Monitors[0].Mode != MonitorBarge || live.Monitors[0].State != "joined" || live.Monitors[0].Agent != "kim" {
		t.Fatalf("live view monitors: %+v", live.Monitors)
	}
	h.ok(h.eng.StopMonitor("support", callID, "boss"))
	h.eng.Flush()
	if !h.net.Leg(bossLeg).Ended {
		t.Fatal("the supervisor's phone was not hung up")
	}
	hear(cust, "leg:"+string(kimLeg))
	hear(kimLeg, "leg:"+string(cust))
	h.sides(legs(cust), legs(kimLeg))
	var states []string
	for _, ev := range h.events() {
		if ev.Type == events.CallMonitor {
			if ev.Agent != "" {
				t.Fatalf("a monitor event addressed to agent %q: the parties must not be told", ev.Agent)
			}
			states = append(states, ev.Data.(map[string]string)["state"])
		}
	}
	if want := []string{"ringing", "joined", "mode", "mode", "left"}; !slices.Equal(states, want) {
		t.Fatalf("monitor events %v, want %v", states, want)
	}
	if err := h.eng.StopMonitor("support", callID, "boss"); code(err) != "invalid_state" {
		t.Fatalf("leaving twice: %v", err)
	}

	// the supervisor hangs up the phone; the call's end hangs up the supervisor
	_, err = h.eng.Monitor("support", callID, "boss", MonitorWhisper)
	h.ok(err)
	bossLeg = h.net.WaitPlaced(t, telephonytest.ToExtension("1099"))
	h.net.AnswerLeg(bossLeg)
	hear(kimLeg, mix(cust, bossLeg))
	h.net.HangUp(bossLeg)
	hear(kimLeg, "leg:"+string(cust))
	_, err = h.eng.Monitor("support", callID, "boss", MonitorListen)
	h.ok(err)
	bossLeg = h.net.WaitPlaced(t, telephonytest.ToExtension("1099"))
	h.net.AnswerLeg(bossLeg)
	h.net.HangUp(cust)
	h.state("kim", agent.AfterCall)
	if !h.net.Leg(bossLeg).Ended {
		t.Fatal("the supervisor's phone outlived the call")
	}
}

// A manager without a phone cannot monitor; a phone that does not answer leaves the call as
// it was.
func TestMonitorWithoutAPhone(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	cust := h.call("01011112222")
	kimLeg := h.connect("kim", "1001")
	callID := h.eng.View("kim").Call.ID
	if _, err := h.eng.Monitor("support", callID, "boss", MonitorListen); code(err) != "no_phone" {
		t.Fatalf("a manager without a phone: %v", err)
	}
	h.reconfigure(withBoss)
	_, err := h.eng.Monitor("support", callID, "boss", MonitorListen)
	h.ok(err)
	bossLeg := h.net.WaitPlaced(t, telephonytest.ToExtension("1099"))
	h.net.Fail(bossLeg, telephony.CauseBusy)
	if got := h.hears(cust); got != "leg:"+string(kimLeg) {
		t.Fatalf("customer hears %q", got)
	}
	if _, err := h.eng.Monitor("support", callID, "boss", MonitorListen); err != nil {
		t.Fatalf("trying again after a busy phone: %v", err)
	}
}
