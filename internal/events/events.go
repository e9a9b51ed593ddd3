package events

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event types published by the engine (API.md lists the public ones).
const (
	AgentState   = "agent.state"   // data: {"from","to","reason"}
	AgentNotice  = "agent.notice"  // data: {"kind","message"}: e.g. a dial that failed
	AgentForced  = "agent.forced"  // data: {"by","by_name","to","reason"}: a manager changed the agent's state
	CallOffered  = "call.offered"  // data: {"from","to","queue","service","recall_at"}
	CallRecalled = "call.recalled" // data: {"reason":"rejected"|"timeout"|...}
	CallRinging  = "call.ringing"  // the agent's phone (or the dialled party) rings
	CallAnswered = "call.answered" // data: {"ticket"}
	CallHeld     = "call.held"     //
	CallResumed  = "call.resumed"  //
	// CallCustomerHeld and CallCustomerResumed: the customer's side put the call on hold (a
	// re-INVITE sendonly/inactive) and took it off; the agent's widget says so meanwhile.
	CallCustomerHeld    = "call.customer_held"
	CallCustomerResumed = "call.customer_resumed"
	CallConsult         = "call.consult"     // data: {"target","state"}
	CallTransferred     = "call.transferred" // data: {"target","to"}
	CallEnded           = "call.ended"       // data: {"cause","by"}
	CallQueued          = "call.queued"      // data: {"queue","from"}
	// CallRecording: a call's recording started, paused, resumed, stopped or failed (data:
	// {"recording","state"}); its agent and the service's managers see it.
	CallRecording = "call.recording"
	// CallMonitor: a supervisor's phone rings into a call, joins it, changes mode or leaves
	// (data: {"by","by_name","mode","state","agent"}). Only managers see it: the parties are
	// never told who listens.
	CallMonitor   = "call.monitor"
	TicketCreated = "ticket.created" // data: {"ticket"}
	TicketUpdated = "ticket.updated" // data: {"ticket"}
	SiteChanged   = "site.changed"   // configuration changed
	// StatsQueue is a queue's real-time figures (data: the queue's row of
	// GET /api/v1/stats/realtime), sent at most once a second per queue when they change.
	StatsQueue = "stats.queue"
)

// Event is one thing that happened.
type Event struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	At      time.Time `json:"at"`
	Service string    `json:"service,omitempty"`
	Agent   string    `json:"agent,omitempty"`
	Call    string    `json:"call,omitempty"`
	Data    any       `json:"data,omitempty"`
	// Origin is the cluster node an event came from when another node published it ("" for
	// this process's own): the fan-out between nodes sends on only its own node's events.
	Origin string `json:"-"`
}

// Message is an event and its JSON, encoded once for every subscriber.
type Message struct {
	Event
	JSON []byte
}

// Filter selects the events a subscriber receives.
type Filter struct {
	All      bool            // every event (administrators)
	Agent    string          // events about this agent
	Services map[string]bool // every event of these services (managers)
	// Tickets: the ticket events (ticket.*) of these services, whoever they are about: an
	// agent's ticket list shows the tickets colleagues' calls create.
	Tickets map[string]bool
}

// IsTicket reports whether an event type is about a ticket (ticket.created, ticket.updated).
func IsTicket(typ string) bool { return strings.HasPrefix(typ, "ticket.") }

func (f Filter) match(e *Event) bool {
	if f.All {
		return true
	}
	if f.Agent != "" && e.Agent == f.Agent {
		return true
	}
	if e.Service != "" && f.Tickets[e.Service] && IsTicket(e.Type) {
		return true
	}
	return e.Service != "" && f.Services[e.Service]
}

// Subscription receives matching events on C until it is closed: by Unsubscribe, or by the bus
// when the subscriber fell more than its buffer behind (then Overflowed reports true).
type Subscription struct {
	C          <-chan *Message
	ch         chan *Message
	filter     Filter
	overflowed atomic.Bool
	closed     bool // guarded by Bus.mu
}

// Overflowed reports whether the bus cut the subscription off because it fell behind.
func (s *Subscription) Overflowed() bool { return s.overflowed.Load() }

// Bus fans events out to subscribers.
type Bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
	seq  atomic.Uint64
}

// NewBus returns a bus with no subscribers.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscribe starts a subscription with room for buffer undelivered events.
func (b *Bus) Subscribe(f Filter, buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	ch := make(chan *Message, buffer)
	s := &Subscription{C: ch, ch: ch, filter: f}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Unsubscribe ends a subscription and closes its channel.
func (b *Bus) Unsubscribe(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closeLocked(s)
}

func (b *Bus) closeLocked(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	delete(b.subs, s)
	close(s.ch)
}

// Subscribers returns how many subscriptions are open.
func (b *Bus) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

// Publish numbers the event, encodes it once and hands it to every matching subscriber without
// waiting for any of them.
func (b *Bus) Publish(e Event) {
	e.Seq = b.seq.Add(1)
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC()
	js, err := json.Marshal(e)
	if err != nil {
		// Data is always built from plain values by the engine; a failure here is a bug, and
		// dropping the payload keeps the stream well-formed.
		e.Data = map[string]string{"error": err.Error()}
		js, _ = json.Marshal(e)
	}
	m := &Message{Event: e, JSON: js}
	var slow []*Subscription
	b.mu.RLock()
	for s := range b.subs {
		if !s.filter.match(&m.Event) {
			continue
		}
		select {
		case s.ch <- m:
		default:
			slow = append(slow, s)
		}
	}
	b.mu.RUnlock()
	if len(slow) > 0 {
		b.mu.Lock()
		for _, s := range slow {
			s.overflowed.Store(true)
			b.closeLocked(s)
		}
		b.mu.Unlock()
	}
}
