package tickets

import (
	"fmt"
	"time"
)

// Status is where a ticket is in its life.
type Status string

const (
	StatusNew     Status = "new"
	StatusOpen    Status = "open"
	StatusPending Status = "pending"
	StatusSolved  Status = "solved"
	StatusClosed  Status = "closed"
)

// Statuses lists every status in order.
var Statuses = []Status{StatusNew, StatusOpen, StatusPending, StatusSolved, StatusClosed}

// ValidStatus reports whether s is a known status.
func ValidStatus(s Status) bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Ticket is one customer matter in one service.
type Ticket struct {
	ID       int64  `json:"id"`
	Service  string `json:"service"`
	Subject  string `json:"subject"`
	Status   Status `json:"status"`
	Assignee string `json:"assignee"` // agent login; "" = unassigned
	Phone    string `json:"phone"`    // the customer's number
	// Callback is 콜백 필요: the customer called and nobody answered (부재중). Calling the
	// number back clears it.
	Callback  bool      `json:"callback"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Notes     []Note    `json:"notes"`
	Calls     []Call    `json:"calls"`
}

// Note is a remark added to a ticket.
type Note struct {
	ID     int64     `json:"id"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// Direction of a call as seen from the contact center.
type Direction string

const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
	Internal Direction = "internal"
)

// Call is the record of one call. It is written when the call is accepted and updated as it
// moves, so that nothing is lost if the process stops.
type Call struct {
	ID          string     `json:"id"`
	Service     string     `json:"service"`
	TicketID    int64      `json:"ticket_id,omitempty"`
	Direction   Direction  `json:"direction"`
	From        string     `json:"from"`
	To          string     `json:"to"`
	CallerID    string     `json:"caller_id"`
	Queue       string     `json:"queue"`
	Agent       string     `json:"agent"`
	StartedAt   time.Time  `json:"started_at"`
	OfferedAt   *time.Time `json:"offered_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
	EndedAt     *time.Time `json:"ended_at"`
	TalkSeconds float64    `json:"talk_seconds"`
	HoldSeconds float64    `json:"hold_seconds"`
	HangupCause string     `json:"hangup_cause"`
	HangupBy    string     `json:"hangup_by"` // customer | agent | target | system
	Transfers   []Transfer `json:"transfers"`
	Quality     *Quality   `json:"quality,omitempty"` // the customer leg's media, once it ended
	// Outcome is what became of the call: answered, abandoned (the customer hung up while
	// waiting), failed (an outbound call nobody answered) or internal; "" while it is live.
	Outcome string `json:"outcome"`
	// WaitSeconds is how long the customer waited in the queue, until answered or gone.
	WaitSeconds float64 `json:"wait_seconds"`
	// Recording is the call's recording, when it has one (filled in by readers that ask for
	// it: a ticket's calls).
	Recording *RecordingRef `json:"recording"`
	// Node is the cluster node the call's media is on ("" on a single node): when it dies,
	// the node taking its service over closes the call (node_lost).
	Node string `json:"-"`
}

// RecordingRef is a call's recording as a ticket shows it: its id (GET
// /api/v1/recordings/{id} plays it), its length and how much of it is paused.
type RecordingRef struct {
	ID            string  `json:"id"`
	Seconds       float64 `json:"seconds"`
	PausedSeconds float64 `json:"paused_seconds"`
}

// Span is a stretch of a recording, in seconds from its start.
type Span struct {
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

// Outcomes of a call.
const (
	OutcomeAnswered  = "answered"
	OutcomeAbandoned = "abandoned"
	OutcomeFailed    = "failed"
	OutcomeInternal  = "internal"
)

// CallFilter selects calls in the call history.
type CallFilter struct {
	Services []string // required: the caller's visible services
	From, To time.Time
	Phone    string // either party
	Agent    string
	Queue    string
	Outcome  string
	Limit    int
	// Before pages backwards: only calls that started before it (and, at the same instant,
	// with a smaller id).
	Before   time.Time
	BeforeID string
}

// Quality is what a call's media measured on the customer's leg: loss and jitter of what we
// received, the far end's loss of what we sent and the round trip (-1 when it sent no RTCP
// reports), and an estimated MOS (1-4.5).
type Quality struct {
	LossPct    float64 `json:"loss"`
	JitterMs   float64 `json:"jitter_ms"`
	MOS        float64 `json:"mos"`
	FarLossPct float64 `json:"far_loss"`
	RTTMs      float64 `json:"rtt_ms"`
}

// Transfer is one 호전환 attempt on a call.
type Transfer struct {
	From        string     `json:"from"`   // the agent who consulted
	Target      string     `json:"target"` // as entered: number, extension, queue or agent:<login>
	To          string     `json:"to"`     // who answered: agent login or number
	StartedAt   time.Time  `json:"started_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Outcome     string     `json:"outcome"` // completed | cancelled | failed | pending
}

// Update is a change asked of a ticket; nil fields are left alone.
type Update struct {
	Status   *Status
	Subject  *string
	Assignee *string
	Callback *bool
	Note     string // appended when not empty
	Author   string
}

// Validate refuses an update that would make the ticket invalid.
func (u Update) Validate() error {
	if u.Status != nil && !ValidStatus(*u.Status) {
		return fmt.Errorf("status: %q is not one of new, open, pending, solved, closed", *u.Status)
	}
	if u.Subject != nil && len(*u.Subject) > 500 {
		return fmt.Errorf("subject: longer than 500 bytes")
	}
	if len(u.Note) > 20000 {
		return fmt.Errorf("note: longer than 20000 bytes")
	}
	return nil
}

// Filter selects tickets in a list.
type Filter struct {
	Services []string // required: the caller's visible services
	Status   Status
	Phone    string
	Assignee string
	Callback bool // only tickets marked 콜백 필요 (부재중)
	Limit    int
	BeforeID int64 // for paging: only tickets with a smaller id
}
