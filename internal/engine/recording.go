package engine

import (
	"context"
	"time"

	"ringdesk/internal/call"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
	"ringdesk/internal/tickets"
)

// A customer call is recorded at the anchor, one recording per call however it moves: left
// the customer, right whoever talks with the customer (the agent, a colleague or number it
// was transferred to, a supervisor who barged in). While the customer is held or waits on a
// consult nobody talks with it, so the right channel is silence: hold music and what the
// agent says off the call are never recorded. Mode all starts at the answer, on_demand when
// the agent says so; the customer hears the announcement first (inbound: before the queue;
// otherwise as the recording starts). The agent may pause it (a card number): the paused
// span is silence in both channels and is kept as a span in the record.

// recordingRT is a call's recording.
type recordingRT struct {
	id       telephony.RecordingID
	agent    string
	started  time.Time
	pausedAt time.Time // zero unless paused
	spans    []tickets.Span
	ended    time.Time // zero while it runs
	failed   bool
}

func (r *recordingRT) live() bool { return r != nil && r.ended.IsZero() }

// RecordingView is a call's recording as the agent's widget shows it.
type RecordingView struct {
	ID    string `json:"id"`
	State string `json:"state"` // recording | paused | failed | stopped
}

func (r *recordingRT) view() *RecordingView {
	if r == nil {
		return nil
	}
	v := &RecordingView{ID: string(r.id), State: "recording"}
	switch {
	case r.failed:
		v.State = "failed"
	case !r.ended.IsZero():
		v.State = "stopped"
	case !r.pausedAt.IsZero():
		v.State = "paused"
	}
	return v
}

func (l *loop) recordingCfg() site.Recording {
	if l.cfg == nil {
		return site.Recording{Mode: site.RecordNone}
	}
	return l.cfg.Recording
}

// recordingAnnouncement is what the customer hears before being recorded, "" for nothing.
func (l *loop) recordingAnnouncement() telephony.Audio {
	return telephony.Audio(l.recordingCfg().Announcement())
}

func (c *callRT) customerCall() bool { return c.kind == kindInbound || c.kind == kindOutbound }

// talking reports whether the customer talks with the far side now.
func (c *callRT) talking() bool { return c.m.State == call.Talking || c.m.State == call.Transferred }

// far is the leg that talks with the customer: the agent's phone, or the number the call was
// transferred to.
func (c *callRT) far() telephony.LegID {
	if c.m.State == call.Transferred && c.consult != nil && c.consult.leg != "" {
		return c.consult.leg
	}
	return c.agentLeg
}

// talk connects the customer and the far side, with a supervisor where one has joined:
// listening (hears both, heard by none), whispering (heard by the agent only) or barging in
// (a three-way call). The recording's sources follow.
func (l *loop) talk(c *callRT) {
	c.recAnnouncing = false
	far := c.far()
	m := c.monitor
	switch {
	case m == nil || !m.up:
		l.phone.Bridge(c.customer, far)
	case m.mode == MonitorListen:
		l.phone.Bridge(c.customer, far)
		l.phone.Mix(m.leg, []telephony.LegID{c.customer, far})
	case m.mode == MonitorWhisper:
		l.phone.Bridge(c.customer, far)
		l.phone.Mix(far, []telephony.LegID{c.customer, m.leg})
		l.phone.Mix(m.leg, []telephony.LegID{c.customer, far})
	case m.mode == MonitorBarge:
		l.phone.Mix(c.customer, []telephony.LegID{far, m.leg})
		l.phone.Mix(far, []telephony.LegID{c.customer, m.leg})
		l.phone.Mix(m.leg, []telephony.LegID{c.customer, far})
	}
	l.recordSides(c)
}

// recordSides tells the recording whose audio goes into each channel now.
func (l *loop) recordSides(c *callRT) {
	r := c.recording
	if !r.live() || r.failed {
		return
	}
	var right []telephony.LegID
	if c.talking() {
		right = append(right, c.far())
		if m := c.monitor; m != nil && m.up && m.mode == MonitorBarge {
			right = append(right, m.leg)
		}
	}
	l.phone.Record(r.id, []telephony.LegID{c.customer}, right)
}

// startRecording records the call from now on. announce plays the announcement to the
// customer first (a call already connected: the customer hears it over the agent, who goes
// on hearing the customer).
func (l *loop) startRecording(c *callRT, announce bool) {
	if c.recording != nil || !c.customerCall() {
		return
	}
	agentLogin := c.callAgent()
	c.recording = &recordingRT{id: telephony.RecordingID(l.e.newID("R")), agent: agentLogin, started: l.now()}
	l.e.recs.Store(c.recording.id, l)
	l.saveRecording(c)
	l.recordSides(c)
	if a := l.recordingAnnouncement(); announce && a != "" && c.customer != "" {
		c.recAnnouncing = true
		l.phone.Play(c.customer, a, false)
	}
	l.recordingEvent(c, "recording")
}

// callAgent is the call's agent, for the recording's record.
func (c *callRT) callAgent() string {
	if c.agent != nil {
		return c.agent.login
	}
	return c.rec.Agent
}

// customerHears puts back what the customer should hear after the recording announcement.
func (l *loop) customerHears(c *callRT) {
	switch {
	case c.talking():
		l.talk(c)
	case c.m.State == call.Held, c.m.State == call.ConsultDialing, c.m.State == call.Consulting:
		l.phone.Play(c.customer, l.holdAudio(), true)
	}
}

// saveRecording writes the recording's record as it is now.
func (l *loop) saveRecording(c *callRT) {
	r := c.recording
	if r == nil {
		return
	}
	now := l.now()
	end := now
	if !r.ended.IsZero() {
		end = r.ended
	}
	spans := append([]tickets.Span(nil), r.spans...)
	if !r.pausedAt.IsZero() {
		spans = append(spans, tickets.Span{From: r.pausedAt.Sub(r.started).Seconds(), To: end.Sub(r.started).Seconds()})
	}
	paused := 0.0
	for _, s := range spans {
		paused += s.To - s.From
	}
	rec := store.Recording{ID: string(r.id), Call: c.id, Service: l.service, Agent: r.agent, StartedAt: r.started,
		Seconds: round2(end.Sub(r.started).Seconds()), PausedSeconds: round2(paused), Paused: spans, Status: store.RecordingLive}
	if !r.ended.IsZero() {
		e := r.ended
		rec.EndedAt, rec.Status = &e, store.RecordingDone
		if r.failed {
			rec.Status = store.RecordingFailed
		}
	}
	l.store(func(ctx context.Context, tx store.Store) error { return tx.Recordings().Save(ctx, rec) })
}

// stopRecording ends the call's recording (the call is over).
func (l *loop) stopRecording(c *callRT) {
	r := c.recording
	if !r.live() {
		return
	}
	r.ended = l.now()
	l.closePause(r)
	l.phone.StopRecording(r.id)
	l.e.recs.Delete(r.id)
	l.saveRecording(c)
	l.recordingEvent(c, "stopped")
}

func (l *loop) closePause(r *recordingRT) {
	if r.pausedAt.IsZero() {
		return
	}
	end := r.ended
	if end.IsZero() {
		end = l.now()
	}
	r.spans = append(r.spans, tickets.Span{From: r.pausedAt.Sub(r.started).Seconds(), To: end.Sub(r.started).Seconds()})
	r.pausedAt = time.Time{}
}

// recordingEvent tells the call's agent and the service's managers.
func (l *loop) recordingEvent(c *callRT, state string) {
	ev := events.Event{Type: events.CallRecording, Service: l.service, Call: c.id,
		Data: map[string]string{"recording": string(c.recording.id), "state": state}}
	if c.agent != nil {
		ev.Agent = c.agent.login
	}
	l.publish(ev)
}

// recordingFailed: the recording could not be written. The call goes on; the record keeps
// what was written until then.
func (l *loop) recordingFailed(id telephony.RecordingID) {
	l.e.recs.Delete(id)
	for _, c := range l.calls {
		r := c.recording
		if r == nil || r.id != id || !r.live() {
			continue
		}
		r.failed, r.ended = true, l.now()
		l.closePause(r)
		l.phone.StopRecording(id) // the network stopped it already; said for the record
		l.saveRecording(c)
		l.recordingEvent(c, "failed")
		if a := c.agent; a != nil {
			l.notice(a, "recording_failed", "녹음 파일을 저장하지 못해 녹음이 중지되었습니다. 통화는 계속됩니다")
		}
		l.e.log.Error("a call's recording failed; the call goes on unrecorded", "call", c.id, "recording", id)
		return
	}
}

// RecordingAction is what the agent asks of its call's recording.
type RecordingAction string

const (
	RecordingPause  RecordingAction = "pause"
	RecordingResume RecordingAction = "resume"
	RecordingStart  RecordingAction = "start" // on_demand services
)

// Recording pauses, resumes or (on_demand) starts the recording of the call the agent handles.
func (e *Engine) Recording(login string, action RecordingAction) error {
	return e.withAgent(login, func(l *loop, a *agentRT) error {
		c, err := handledCall(a)
		if err != nil {
			return err
		}
		if !c.customerCall() {
			return invalidState("고객 통화만 녹음합니다")
		}
		r := c.recording
		switch action {
		case RecordingStart:
			switch {
			case l.recordingCfg().Mode == site.RecordNone || l.recordingCfg().Mode == "":
				return forbidden("recording_disabled", "이 서비스는 통화를 녹음하지 않습니다")
			case r != nil:
				return invalidState("이 통화는 이미 녹음했거나 녹음 중입니다")
			}
			switch c.m.State {
			case call.Talking, call.Held, call.ConsultDialing, call.Consulting:
			default:
				return invalidState("지금은 녹음을 시작할 수 없습니다")
			}
			l.startRecording(c, true)
			return nil
		case RecordingPause:
			if !r.live() {
				return invalidState("녹음 중인 통화가 없습니다")
			}
			if !r.pausedAt.IsZero() {
				return invalidState("녹음이 이미 일시 중지되어 있습니다")
			}
			r.pausedAt = l.now()
			l.phone.PauseRecording(r.id, true)
			l.saveRecording(c)
			l.recordingEvent(c, "paused")
			return nil
		case RecordingResume:
			if !r.live() || r.pausedAt.IsZero() {
				return invalidState("일시 중지된 녹음이 없습니다")
			}
			l.closePause(r)
			l.phone.PauseRecording(r.id, false)
			l.saveRecording(c)
			l.recordingEvent(c, "recording")
			return nil
		}
		return invalid("invalid_action", "녹음 동작은 pause, resume, start 중 하나여야 합니다")
	})
}
