package telephony

// LegID names one call leg: a SIP dialog (or its attempt) or a browser softphone session.
// IDs are unique for the life of the process and never reused.
type LegID string

// TargetKind says what a placed leg calls.
type TargetKind string

const (
	// TargetExtension rings the phone registered with an extension (SIP).
	TargetExtension TargetKind = "extension"
	// TargetBrowser rings an agent's browser softphone (WebRTC).
	TargetBrowser TargetKind = "browser"
	// TargetTrunk calls a number through a carrier trunk.
	TargetTrunk TargetKind = "trunk"
)

// Target is where a new leg goes.
type Target struct {
	Kind      TargetKind
	Extension string // TargetExtension
	Agent     string // TargetBrowser: the agent's login
	Trunk     string // TargetTrunk: the trunk's id
	// Fallback lists further trunks (ids, in order) for TargetTrunk: the network skips a trunk
	// it knows is down and moves on when one cannot take the call (no answer to the INVITE,
	// 503, a transport failure). A busy or refusing called party is not a reason to move on.
	Fallback []string
	Number   string // TargetTrunk: the number sent to the carrier, prefix already stripped
	// CallerID is the number the called party sees: for a trunk, the registered caller ID put
	// in From and P-Asserted-Identity; for a phone, the customer's number.
	CallerID string
	// DisplayName is shown by phones that show one (the service or the calling agent).
	DisplayName string
}

// Audio names something to play: "builtin:hold", "builtin:hangup", "builtin:ringback",
// "builtin:silence", or "sha256:<hex>" for a stored prompt.
type Audio string

const (
	AudioHold     Audio = "builtin:hold"
	AudioHangup   Audio = "builtin:hangup"
	AudioRingback Audio = "builtin:ringback"
	AudioSilence  Audio = "builtin:silence"
	// AudioRecording tells the customer that the call is recorded: "통화 내용이 녹음됩니다".
	AudioRecording Audio = "builtin:recording"
)

// RecordingID names one recording of a call. The engine makes it; it is unique for good (the
// stored file is named by it) and made only of letters, digits and '-'.
type RecordingID string

// Cause says why a leg is being ended or why it ended.
type Cause string

const (
	CauseNormal       Cause = "normal"          // a party hung up
	CauseCancelled    Cause = "cancelled"       // the engine withdrew a ringing leg (recall, caller gone)
	CauseBusy         Cause = "busy"            // 486 / 600
	CauseDeclined     Cause = "declined"        // 603
	CauseNoAnswer     Cause = "no_answer"       // 408 / 480 after ringing
	CauseUnavailable  Cause = "unavailable"     // not registered, unreachable, 480, 503
	CauseNotFound     Cause = "not_found"       // 404, 484
	CauseRejected     Cause = "rejected"        // any other failure
	CauseForced       Cause = "forced"          // 강성종료
	CauseTransferred  Cause = "transferred"     // the agent left after 고객연결
	CauseShutdown     Cause = "shutdown"        // the server is stopping
	CauseMediaTimeout Cause = "media_timeout"   // no RTP from the far end for too long
	CauseSessionTimer Cause = "session_expired" // an RFC 4028 session refresh never came
	CauseRestart      Cause = "restart"         // the server stopped while the call was up
	CauseNodeLost     Cause = "node_lost"       // the cluster node holding the call's media died
)

// Telephony is what the engine asks of the phone network. Every method returns at once; its
// outcome, if any, arrives later as an Event. Calling a method for a leg that has already ended
// is harmless.
type Telephony interface {
	// Place starts a new outgoing leg. It reports Ringing (perhaps), then Answered or Failed.
	Place(leg LegID, to Target)
	// Answer answers an inbound leg that the engine accepted. Media is anchored in the server
	// and the leg hears silence until told otherwise.
	Answer(leg LegID)
	// Hangup ends a leg in whatever state it is: CANCEL while it rings, BYE once answered, a
	// final response for an inbound leg not yet answered. It reports nothing further.
	Hangup(leg LegID, cause Cause)
	// Play makes the leg hear a, replacing what it heard. A play that does not loop reports
	// PlayDone when it ends.
	Play(leg LegID, a Audio, loop bool)
	// Bridge makes a and b hear each other, replacing what each heard.
	Bridge(a, b LegID)
	// Mix makes leg hear the sum of what each of sources sends, replacing what it heard; what
	// leg sends still goes where it went. It is how a supervisor listens (the supervisor's leg
	// hears both parties), whispers (the agent hears the customer and the supervisor) and
	// barges in (each of three hears the other two).
	Mix(leg LegID, sources []LegID)
	// Record starts recording id, or, when it runs, changes its sources: the left channel is
	// what the left legs send (the customer), the right what the right legs send (the agent's
	// side: the agent, a transfer target, a supervisor who barged in). What legs hear — hold
	// music, announcements — is never recorded. A recording that cannot be written (a full
	// disk) stops and reports RecordingFailed; the call is not touched.
	Record(id RecordingID, left, right []LegID)
	// PauseRecording makes the recording silence in both channels while paused is true.
	PauseRecording(id RecordingID, paused bool)
	// StopRecording ends a recording and keeps it. Stopping one that failed or ended is
	// harmless.
	StopRecording(id RecordingID)
}

// EventKind names what the network reports.
type EventKind string

const (
	Ringing  EventKind = "ringing"   // 180/183 on a placed leg
	Answered EventKind = "answered"  // 200 on a placed leg
	Failed   EventKind = "failed"    // a placed leg ended without an answer
	HungUp   EventKind = "hung_up"   // the far end ended a leg (BYE, CANCEL, media timeout)
	PlayDone EventKind = "play_done" // a non-looping play reached its end
	DTMF     EventKind = "dtmf"      // a digit arrived (RFC 4733)
	Held     EventKind = "held"      // the far end put the leg on hold (re-INVITE sendonly/inactive)
	Resumed  EventKind = "resumed"   // the far end took it off hold
	// Quality is the last word on a leg that had media: reported once after the leg has
	// ended, whoever ended it (so also after Hangup), with what its media measured.
	QualityReport EventKind = "quality"
	// RecordingFailed: the recording named by Event.Recording stopped because it could not
	// be written. Event.Leg is empty.
	RecordingFailed EventKind = "recording_failed"
)

// Quality is what a leg's media measured over its life. Loss and jitter are of what we
// received from the far end; FarLossPct and RTTMs come from its RTCP reports, when it sent
// any (-1 when unknown). MOS is an estimate from the E-model (ITU-T G.107) for G.711.
type Quality struct {
	PacketsIn   uint64  `json:"packets_in"`
	PacketsLost uint64  `json:"packets_lost"`
	LossPct     float64 `json:"loss"`
	JitterMs    float64 `json:"jitter_ms"`
	FarLossPct  float64 `json:"far_loss"`
	RTTMs       float64 `json:"rtt_ms"`
	MOS         float64 `json:"mos"`
}

// Event is one report from the network about one leg.
type Event struct {
	Leg     LegID
	Kind    EventKind
	Cause   Cause
	Code    int      // the SIP status for Failed, when there was one
	Digit   string   // DTMF
	Quality *Quality // QualityReport
	// Recording is the recording a RecordingFailed is about.
	Recording RecordingID
}

// InboundCall is a call arriving from a trunk on one of the site's numbers.
type InboundCall struct {
	Leg   LegID
	To    string // the dialled number (DID)
	From  string // the caller's number
	Trunk string // the trunk it came through
}

// PhoneCall is a call dialled on an agent's phone.
type PhoneCall struct {
	Leg       LegID
	Extension string // the calling phone's extension
	To        string // what was dialled
}

// Handler is what the network asks of the engine. Inbound and Dialled decide at once; a nil
// error means the engine owns the leg and will Answer or Hangup it, and a refusal is a
// fault.Error whose kind the network turns into its own answer (SIP: internal/sip/status.go).
type Handler interface {
	Inbound(c InboundCall) error
	Dialled(c PhoneCall) error
	// Report delivers an event about a leg. It never blocks for long.
	Report(e Event)
}
