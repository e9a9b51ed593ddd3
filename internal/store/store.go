package store

import (
	"context"
	"errors"
	"time"

	"ringdesk/internal/site"
	"ringdesk/internal/tickets"
)

// ErrNotFound is returned when the asked-for record does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule.
var ErrConflict = errors.New("conflict")

// Store is the whole persistent state. Every method commits before it returns.
type Store interface {
	Site() SiteStore
	Tickets() TicketStore
	Calls() CallStore
	States() StateStore
	Sessions() SessionStore
	Wallboards() WallboardStore
	Audio() AudioStore
	CTI() CTIStore
	Events() EventStore
	Registrations() RegistrationStore
	Recordings() RecordingStore
	Cluster() ClusterStore
	// InTx runs fn with a Store whose writes commit together when fn returns nil and are
	// rolled back otherwise.
	InTx(ctx context.Context, fn func(tx Store) error) error
	Close() error
}

// SiteStore keeps the site configuration.
type SiteStore interface {
	// Load returns the whole configuration, stored secrets included (PasswordHash, SIPHA1…;
	// the plain-text Password and SIPPassword fields are always empty).
	Load(ctx context.Context) (*site.Site, error)
	// Save replaces the whole configuration: what s does not hold is removed. For an agent,
	// an empty PasswordHash, SIPHA1 or SIPHA1SHA256 keeps the stored value; a trunk's empty
	// Password keeps the stored one only when its Username is unchanged.
	Save(ctx context.Context, s *site.Site) error
	// Version increases with every Save that changed something.
	Version(ctx context.Context) (int64, error)
}

// TicketStore keeps tickets and their notes.
type TicketStore interface {
	// Create stores t and sets its ID.
	Create(ctx context.Context, t *tickets.Ticket) error
	// Get returns the ticket with its notes and linked calls.
	Get(ctx context.Context, id int64) (tickets.Ticket, error)
	// List returns tickets newest first, without notes or calls.
	List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error)
	// Update applies u (already validated) and returns the ticket as it now is.
	Update(ctx context.Context, id int64, u tickets.Update, at time.Time) (tickets.Ticket, error)
}

// CallStore keeps call records.
type CallStore interface {
	// Save inserts or replaces the record with c.ID, transfers included.
	Save(ctx context.Context, c tickets.Call) error
	Get(ctx context.Context, id string) (tickets.Call, error)
	// ListForTicket returns the calls linked to a ticket, oldest first.
	ListForTicket(ctx context.Context, ticket int64) ([]tickets.Call, error)
	// CloseOpen marks every call without an end as ended at `at` with the given cause; run at
	// start-up, since live calls do not survive a restart. It returns how many it closed.
	CloseOpen(ctx context.Context, at time.Time, cause string) (int, error)
	// CloseOpenOf is CloseOpen for the calls f selects: in a cluster a node restarting closes
	// its own calls, and one taking a service over those the dead owner held.
	CloseOpenOf(ctx context.Context, f OpenCalls, at time.Time, cause string) (int, error)
	// SetQuality records what a call's media measured, after the call may have ended. A later
	// Save of a record without quality keeps it.
	SetQuality(ctx context.Context, id string, q tickets.Quality) error
	// List returns calls newest first (by start), at most f.Limit.
	List(ctx context.Context, f tickets.CallFilter) ([]tickets.Call, error)
}

// OpenCalls selects open call records by where their media was.
type OpenCalls struct {
	Service string // "": every service
	Node    string // only the calls of this node ("" with NotNode "": every node)
	NotNode string // only the calls of every other node
}

// StateChange is one agent state transition.
type StateChange struct {
	Agent   string    `json:"agent"`
	Service string    `json:"service"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Reason  string    `json:"reason"`
	Call    string    `json:"call"`
	At      time.Time `json:"at"`
	// By is the manager who changed the agent's state; "" when the agent did, or the system.
	By string `json:"by,omitempty"`
}

// StateStore keeps the agent-state history.
type StateStore interface {
	// Record appends state changes, in order, in as few statements as it can.
	Record(ctx context.Context, cs ...StateChange) error
	// List returns an agent's changes at or after since, oldest first, at most limit.
	List(ctx context.Context, agent string, since time.Time, limit int) ([]StateChange, error)
	// Last returns an agent's latest change, or ErrNotFound.
	Last(ctx context.Context, agent string) (StateChange, error)
	// Range returns a service's changes in [from, to), and for each of agents the last change
	// before from (where it stood when the range began), by agent then time. The changes in
	// the range carry what the figures read — Agent, Service, To, Reason and At — and not
	// From, Call or By (a busy day holds a hundred thousand of them).
	Range(ctx context.Context, service string, agents []string, from, to time.Time) ([]StateChange, error)
}

// CallEvent is one entry of the event log the figures are computed from (docs/metrics.md):
// something that happened to a customer call. The log is only ever appended to.
type CallEvent struct {
	Service string
	Queue   string // "" for a call that was never queued (outbound)
	Call    string
	Agent   string
	Kind    string // EventQueued, EventOffered, …
	At      time.Time
	// Wait is the seconds in the queue (answered, abandoned); Talk, Hold and AfterCall the
	// handling times (handled).
	Wait, Talk, Hold, AfterCall float64
	// WithinSL: answered within the queue's service-level threshold as it stood then; Short:
	// abandoned within its short-abandon threshold.
	WithinSL, Short bool
	Detail          string // a cause, a transfer's target…
}

// Call event kinds.
const (
	EventQueued      = "queued"       // entered a queue
	EventOffered     = "offered"      // shown to an agent
	EventRejected    = "rejected"     // the agent refused the offer (취소, or declined on the phone)
	EventRingTimeout = "ring_timeout" // the agent did not answer within the recall time
	EventAnswered    = "answered"     // an agent answered (Wait: time in queue)
	EventAbandoned   = "abandoned"    // the customer hung up while waiting (Wait)
	EventHeld        = "held"
	EventResumed     = "resumed"
	EventTransferred = "transferred" // 고객연결 to another party (Detail: the target)
	EventHandled     = "handled"     // the agent finished it, after-call work included
	EventEnded       = "ended"       // the call is over (Detail: the cause)
)

// EventSum is what the log holds for one 15-minute bucket, kind and queue or agent.
type EventSum struct {
	Bucket   time.Time // the start of the 15-minute bucket, UTC
	Key      string    // the queue or the agent, as asked
	Kind     string
	Count    int
	Wait     float64 // sums of the event's values
	MaxWait  float64
	Talk     float64
	Hold     float64
	After    float64
	WithinSL int
	Short    int
}

// EventStore keeps the event log.
type EventStore interface {
	// Append adds events to the log, in order, in as few statements as it can.
	Append(ctx context.Context, es ...CallEvent) error
	// Sums adds up a service's events in [from, to) by 15-minute bucket, kind and queue
	// (by == "queue": every kind) or agent (by == "agent": the kinds an agent's figures count,
	// EventAnswered, EventHandled, EventRejected and EventRingTimeout).
	Sums(ctx context.Context, service string, from, to time.Time, by string) ([]EventSum, error)
}

// CTISession is an agent logged in to CTI, kept so that a restart can log the agent back in.
type CTISession struct {
	Login   string
	Service string
	Since   time.Time
}

// CTIStore keeps who is logged in to CTI where.
type CTIStore interface {
	// Open records that login works service's phone from at on (replacing another service).
	Open(ctx context.Context, login, service string, at time.Time) error
	// Close forgets login's session; closing one that is not open is no error.
	Close(ctx context.Context, login string) error
	// List returns the open sessions, by login.
	List(ctx context.Context) ([]CTISession, error)
}

// Session is a logged-in browser or API client.
type Session struct {
	TokenHash string // hex SHA-256 of the bearer token; the token itself is never stored
	Login     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionStore keeps sessions.
type SessionStore interface {
	Create(ctx context.Context, s Session) error
	Get(ctx context.Context, tokenHash string) (Session, error)
	Delete(ctx context.Context, tokenHash string) error
	// DeleteLogin ends every session of an account (password change, account removed).
	DeleteLogin(ctx context.Context, login string) error
}

// WallboardToken lets a television show one service's wallboard without a login: it reads
// that service's real-time figures and nothing else.
type WallboardToken struct {
	TokenHash string // hex SHA-256 of the token; the token itself is never stored
	Service   string
	CreatedBy string // the manager who made it
	CreatedAt time.Time
}

// WallboardStore keeps wallboard tokens.
type WallboardStore interface {
	Create(ctx context.Context, t WallboardToken) error
	Get(ctx context.Context, tokenHash string) (WallboardToken, error)
	// DeleteService revokes every token of a service and says how many there were.
	DeleteService(ctx context.Context, service string) (int, error)
}

// Audio is a stored prompt (hold music, announcement, greeting).
type Audio struct {
	ID   string // "sha256:<hex>" of Data
	Name string // where it came from, for people
	Data []byte // the WAV file as given
}

// AudioStore keeps prompts by content hash.
type AudioStore interface {
	// Put stores a and sets its ID; storing the same bytes again is a no-op.
	Put(ctx context.Context, a *Audio) error
	Get(ctx context.Context, id string) (Audio, error)
}

// Registration is one phone's binding as the registrar holds it (RFC 3261 §10.3): where calls
// for an extension go until it expires.
type Registration struct {
	Extension string
	Contact   string // the Contact URI as the phone registered it
	Source    string // host:port the REGISTER came from: where a phone behind NAT listens
	Transport string // UDP or TCP, as the REGISTER came
	Expires   time.Time
	CallID    string // of the REGISTER that set it, to tell a newer request from a stale one
	CSeq      uint32
	// Path is the Path vector the REGISTER came through (RFC 3327) as one header value, the
	// proxy nearest us first: calls to the phone pass through it. Empty: registered directly.
	Path string
}

// RegistrationStore keeps phones' registrations, so that a restart does not make every desk
// phone unreachable until its own re-register timer fires.
type RegistrationStore interface {
	// Replace sets an extension's bindings to list, the newest last; an empty list removes
	// them all.
	Replace(ctx context.Context, extension string, list []Registration) error
	// Live returns every binding that expires after now: by extension, each extension's
	// newest last.
	Live(ctx context.Context, now time.Time) ([]Registration, error)
	// DeleteExpired removes the bindings that expired at or before now and says how many.
	DeleteExpired(ctx context.Context, now time.Time) (int, error)
}

// Recording is one call recording's record; its audio is a file named by ID, in the data
// folder or a bucket (Location).
type Recording struct {
	ID        string
	Call      string
	Service   string
	Agent     string // the call's agent when recording began
	StartedAt time.Time
	EndedAt   *time.Time // nil while it is being written
	// Seconds is how long the recording runs, PausedSeconds how much of it is paused
	// (silence), Paused the paused spans.
	Seconds, PausedSeconds float64
	Paused                 []tickets.Span
	Status                 string // RecordingLive, RecordingDone or RecordingFailed
	Location               string // RecordingLocal or RecordingBucket
	Bytes                  int64
}

// Recording statuses and places.
const (
	RecordingLive   = "recording" // being written (or the process died while it was)
	RecordingDone   = "done"
	RecordingFailed = "failed" // its storage failed: it holds what was written until then
	RecordingLocal  = "local"
	RecordingBucket = "bucket"
)

// RecordingAccess is one line of a recording's access log.
type RecordingAccess struct {
	Recording string    `json:"recording"`
	Login     string    `json:"login"`
	Action    string    `json:"action"` // play | download | deleted
	At        time.Time `json:"at"`
	Source    string    `json:"source,omitempty"`
}

// RecordingStore keeps recordings' records and their access log.
type RecordingStore interface {
	// Save inserts or replaces what the engine knows of a recording (all but Location and
	// Bytes, which SetStored sets and a Save keeps).
	Save(ctx context.Context, r Recording) error
	Get(ctx context.Context, id string) (Recording, error)
	// ForCalls returns the recordings of the calls named, by call id (one per call: the
	// latest).
	ForCalls(ctx context.Context, calls []string) (map[string]Recording, error)
	// SetStored records where a recording's file ended up and its size.
	SetStored(ctx context.Context, id, location string, bytes int64) error
	// Live returns the recordings still being written: after a crash, those whose files need
	// their headers repaired.
	Live(ctx context.Context) ([]Recording, error)
	// StartedBefore returns up to limit recordings that started before t, oldest first (by
	// start, then id), after the one that started at afterAt with id afterID (a page's last;
	// zero and "" for the first page).
	StartedBefore(ctx context.Context, t, afterAt time.Time, afterID string, limit int) ([]Recording, error)
	// Delete removes a recording's record (its access log stays).
	Delete(ctx context.Context, id string) error
	// LogAccess appends to the access log.
	LogAccess(ctx context.Context, a RecordingAccess) error
	// AccessLog returns a recording's log, newest first, at most limit lines.
	AccessLog(ctx context.Context, id string, limit int) ([]RecordingAccess, error)
}

// Node is one Ringdesk process of a cluster as the others see it.
type Node struct {
	Name string
	SIP  string // host:port where the node takes SIP: where a call for one of its services is sent
	HTTP string // host:port of its API: where a command for one of its services is forwarded
	// Started is when this run of the node began; Seen its latest heartbeat.
	Started, Seen time.Time
}

// Lease says which node serves a service, until when.
type Lease struct {
	Service string
	Node    string
	Expires time.Time
	// Epoch grows each time the lease changes hands.
	Epoch int64
}

// ClusterStore keeps the cluster's nodes and who serves which service. Times are the
// caller's: the nodes' clocks must agree to well within a lease's life (NTP).
type ClusterStore interface {
	// Beat records that n is alive at n.Seen (adding it when new).
	Beat(ctx context.Context, n Node) error
	// Nodes returns every node ever seen, by name.
	Nodes(ctx context.Context) ([]Node, error)
	// Forget removes the nodes not seen since before.
	Forget(ctx context.Context, before time.Time) (int, error)
	// Leases returns every service's lease, by service.
	Leases(ctx context.Context) ([]Lease, error)
	// Take gives service's lease to node until expires when it is free, expired at now, or
	// already node's, and reports whether it did. Two nodes taking at once: one wins.
	Take(ctx context.Context, service, node string, now, expires time.Time) (bool, error)
	// Renew extends until expires the leases node still holds among services, and returns
	// those (a lease another node took is no longer node's to renew).
	Renew(ctx context.Context, node string, services []string, expires time.Time) ([]string, error)
	// Release gives up node's lease on service at once, so that another node need not wait
	// for it to expire.
	Release(ctx context.Context, service, node string) error
	// Key returns the secret named name that every node shares, made (random, 32 bytes) by
	// the first to ask; nodes asking at once get the same one.
	Key(ctx context.Context, name string) ([]byte, error)
}
