package queue

import (
	"fmt"
	"time"
)

// Assignment pairs a waiting call with a ready agent: the call is now Offered to the agent.
type Assignment struct {
	Call  string
	Agent string
	Queue string
}

// ACD distributes the calls of one service's queues to their ready members, longest idle first.
// All methods are O(log n) in the number of waiting calls and ready agents, times the number of
// queues an agent belongs to, plus the agents a call excludes.
type ACD struct {
	queues  map[string]*queue
	members map[string]*member
	calls   map[string]*call
	seq     uint64
	now     time.Time // the time of the operation under way, for offers it makes
}

type queue struct {
	number  string
	members map[string]bool
	waiting heap[*call]
	ready   heap[*slot]
}

// member is an agent known to the ACD: a member of at least one queue, or ready.
type member struct {
	login string
	ready bool
	idle  int64 // idle since, unix nanoseconds: orders the ready
	seq   uint64
	slots []*slot // one per queue the agent is in while ready
	spare []*slot // slots kept for reuse, so that going ready does not allocate
	valid bool    // spare matches the queues the agent is a member of
}

// slot is a ready member's place in one queue's heap.
type slot struct {
	m   *member
	q   *queue
	idx int
}

type call struct {
	Entry
	key int64 // EnqueuedAt in unix nanoseconds: orders the waiting
	seq uint64
	q   *queue
	idx int
}

// New returns an empty distributor.
func New() *ACD {
	return &ACD{queues: map[string]*queue{}, members: map[string]*member{}, calls: map[string]*call{}}
}

func newQueue(number string) *queue {
	q := &queue{number: number, members: map[string]bool{}}
	q.waiting = heap[*call]{
		less: func(a, b *call) bool {
			if a.key != b.key {
				return a.key < b.key
			}
			return a.seq < b.seq
		},
		setAt: func(c *call, i int) { c.idx = i },
	}
	q.ready = heap[*slot]{
		less: func(a, b *slot) bool {
			if a.m.idle != b.m.idle {
				return a.m.idle < b.m.idle
			}
			return a.m.seq < b.m.seq
		},
		setAt: func(s *slot, i int) { s.idx = i },
	}
	return q
}

// SetQueue creates a queue or replaces its members. Calls already waiting stay; an agent
// removed from the queue while ready stops being offered its calls. It returns the
// assignments the change makes possible.
func (a *ACD) SetQueue(number string, members []string, at time.Time) []Assignment {
	a.now = at
	q, ok := a.queues[number]
	if !ok {
		q = newQueue(number)
		a.queues[number] = q
	}
	want := map[string]bool{}
	for _, m := range members {
		want[m] = true
	}
	var readied []*member
	for m := range q.members {
		if !want[m] {
			delete(q.members, m)
			if mb := a.members[m]; mb != nil {
				mb.valid = false
				if mb.ready {
					a.unslot(mb, q)
				}
			}
		}
	}
	for m := range want {
		if !q.members[m] {
			q.members[m] = true
			mb := a.member(m)
			mb.valid = false
			if mb.ready {
				q.ready.Push(mb.slot(q))
				readied = append(readied, mb)
			}
		}
	}
	var out []Assignment
	for q.waiting.Len() > 0 {
		as, ok := a.matchQueueHead(q)
		if !ok {
			break
		}
		out = append(out, as)
	}
	for _, mb := range readied {
		if mb.ready {
			if as, ok := a.matchAgent(mb); ok {
				out = append(out, as)
			}
		}
	}
	return out
}

// RemoveQueue deletes a queue; its waiting calls are returned so that the caller can end them.
func (a *ACD) RemoveQueue(number string) []string {
	q, ok := a.queues[number]
	if !ok {
		return nil
	}
	var orphans []string
	for q.waiting.Len() > 0 {
		c := q.waiting.Pop()
		orphans = append(orphans, c.Call)
		delete(a.calls, c.Call)
	}
	for q.ready.Len() > 0 {
		s := q.ready.Pop()
		s.m.slots = removeSlot(s.m.slots, s)
	}
	for m := range q.members {
		if mb := a.members[m]; mb != nil {
			mb.valid = false
		}
	}
	delete(a.queues, number)
	return orphans
}

// Queues lists the queue numbers.
func (a *ACD) Queues() []string {
	out := make([]string, 0, len(a.queues))
	for n := range a.queues {
		out = append(out, n)
	}
	return out
}

// Ready makes an agent available, idle since idleSince (which orders it among the ready), and
// offers it the longest-waiting call it may take, if any.
func (a *ACD) Ready(agent string, idleSince, at time.Time) (Assignment, bool) {
	a.now = at
	mb := a.member(agent)
	if mb.ready {
		return Assignment{}, false
	}
	a.seq++
	mb.ready, mb.idle, mb.seq = true, idleSince.UnixNano(), a.seq
	if !mb.valid {
		// the agent's queues changed since its slots were made: make them anew
		mb.spare = mb.spare[:0]
		for _, q := range a.queues {
			if q.members[agent] {
				mb.spare = append(mb.spare, &slot{m: mb, q: q, idx: -1})
			}
		}
		mb.valid = true
	}
	for _, s := range mb.spare {
		mb.slots = append(mb.slots, s)
		s.q.ready.Push(s)
	}
	return a.matchAgent(mb)
}

// member returns the agent's record, creating it.
func (a *ACD) member(login string) *member {
	mb := a.members[login]
	if mb == nil {
		mb = &member{login: login}
		a.members[login] = mb
	}
	return mb
}

// slot returns a new slot of mb in q, recorded in mb.slots.
func (mb *member) slot(q *queue) *slot {
	s := &slot{m: mb, q: q, idx: -1}
	mb.slots = append(mb.slots, s)
	return s
}

// NotReady makes an agent unavailable.
func (a *ACD) NotReady(agent string) {
	mb := a.members[agent]
	if mb == nil || !mb.ready {
		return
	}
	a.unready(mb)
}

// IsReady reports whether the agent is available for offers.
func (a *ACD) IsReady(agent string) bool {
	mb := a.members[agent]
	return mb != nil && mb.ready
}

func (a *ACD) unready(mb *member) {
	for _, s := range mb.slots {
		if s.idx >= 0 {
			s.q.ready.Remove(s.idx)
		}
	}
	if mb.valid {
		// slots added or removed while ready (membership changes) made valid false already
		mb.spare = append(mb.spare[:0], mb.slots...)
	}
	mb.slots = mb.slots[:0]
	mb.ready = false
}

func (a *ACD) unslot(mb *member, q *queue) {
	for _, s := range mb.slots {
		if s.q == q {
			if s.idx >= 0 {
				q.ready.Remove(s.idx)
			}
			mb.slots = removeSlot(mb.slots, s)
			return
		}
	}
}

func removeSlot(ss []*slot, s *slot) []*slot {
	for i, x := range ss {
		if x == s {
			return append(ss[:i], ss[i+1:]...)
		}
	}
	return ss
}

// Enqueue puts a new call in a queue at time at and offers it to the longest-idle ready member
// who may take it, if any.
func (a *ACD) Enqueue(callID, queueNumber string, at time.Time) (Assignment, bool, error) {
	q, ok := a.queues[queueNumber]
	if !ok {
		return Assignment{}, false, fmt.Errorf("queue %q does not exist", queueNumber)
	}
	if _, dup := a.calls[callID]; dup {
		return Assignment{}, false, fmt.Errorf("call %q is already queued", callID)
	}
	a.now = at
	a.seq++
	c := &call{Entry: Entry{Call: callID, Queue: queueNumber, State: Waiting, EnqueuedAt: at}, key: at.UnixNano(), seq: a.seq, q: q, idx: -1}
	a.calls[callID] = c
	q.waiting.Push(c)
	as, ok := a.matchCall(c)
	return as, ok, nil
}

// Entry returns a call's queue entry.
func (a *ACD) Entry(callID string) (Entry, bool) {
	c, ok := a.calls[callID]
	if !ok {
		return Entry{}, false
	}
	return c.Entry, true
}

// Waiting returns how many calls wait in a queue (not counting offered ones).
func (a *ACD) Waiting(queueNumber string) int {
	q, ok := a.queues[queueNumber]
	if !ok {
		return 0
	}
	return q.waiting.Len()
}

// WaitingCalls lists the calls waiting in a queue, oldest first.
func (a *ACD) WaitingCalls(queueNumber string) []Entry {
	q, ok := a.queues[queueNumber]
	if !ok {
		return nil
	}
	out := make([]Entry, 0, q.waiting.Len())
	for _, c := range q.waiting.items {
		out = append(out, c.Entry)
	}
	sortEntries(out)
	return out
}

// ReadyCount returns how many members of a queue are ready.
func (a *ACD) ReadyCount(queueNumber string) int {
	q, ok := a.queues[queueNumber]
	if !ok {
		return 0
	}
	return q.ready.Len()
}

// Accept records that the offered agent confirmed: the phone will ring.
func (a *ACD) Accept(callID string, at time.Time) error {
	return a.step(callID, Accept, at)
}

// Answer records that the agent answered: the call leaves the queue.
func (a *ACD) Answer(callID string, at time.Time) error {
	if err := a.step(callID, Answer, at); err != nil {
		return err
	}
	delete(a.calls, callID)
	return nil
}

// Abandon removes a call whose caller hung up, wherever it stood. If it was offered, the agent
// it was offered to is not made ready here: the caller decides the agent's next state.
func (a *ACD) Abandon(callID string, at time.Time) error {
	c, ok := a.calls[callID]
	if !ok {
		return fmt.Errorf("%w: call %q is not queued", ErrNotAllowed, callID)
	}
	was := c.State
	if err := a.step(callID, Abandon, at); err != nil {
		return err
	}
	if was == Waiting {
		c.q.waiting.Remove(c.idx)
	}
	delete(a.calls, callID)
	return nil
}

// Recall puts an offered or ringing call back in its queue at its old place, excluding the agent
// it was offered to, and offers it to the next agent if one is ready. kind is Reject or Timeout.
// The agent is not made ready here: the caller does that if the agent stays available.
func (a *ACD) Recall(callID string, kind Kind, at time.Time) (Assignment, bool, error) {
	if kind != Reject && kind != Timeout {
		return Assignment{}, false, fmt.Errorf("%w: recall by %s", ErrNotAllowed, kind)
	}
	c, ok := a.calls[callID]
	if !ok {
		return Assignment{}, false, fmt.Errorf("%w: call %q is not queued", ErrNotAllowed, callID)
	}
	if err := a.step(callID, kind, at); err != nil {
		return Assignment{}, false, err
	}
	a.now = at
	c.q.waiting.Push(c)
	as, matched := a.matchCall(c)
	return as, matched, nil
}

func (a *ACD) step(callID string, k Kind, at time.Time) error {
	c, ok := a.calls[callID]
	if !ok {
		return fmt.Errorf("%w: call %q is not queued", ErrNotAllowed, callID)
	}
	e, err := Transition(c.Entry, k, "", at)
	if err != nil {
		return err
	}
	c.Entry = e
	return nil
}

// matchCall offers a waiting call to the longest-idle ready member of its queue it does not
// exclude.
func (a *ACD) matchCall(c *call) (Assignment, bool) {
	q := c.q
	var skipped []*slot
	var found *slot
	for q.ready.Len() > 0 {
		s, _ := q.ready.Peek()
		if !c.Excluded[s.m.login] {
			found = s
			break
		}
		skipped = append(skipped, q.ready.Pop())
	}
	for _, s := range skipped {
		q.ready.Push(s)
	}
	if found == nil {
		return Assignment{}, false
	}
	return a.assign(c, found.m), true
}

// matchQueueHead offers the longest-waiting call of q that some ready member may take.
func (a *ACD) matchQueueHead(q *queue) (Assignment, bool) {
	var skipped []*call
	defer func() {
		for _, c := range skipped {
			q.waiting.Push(c)
		}
	}()
	for q.waiting.Len() > 0 {
		c, _ := q.waiting.Peek()
		if as, ok := a.matchCall(c); ok {
			return as, true
		}
		skipped = append(skipped, q.waiting.Pop())
	}
	return Assignment{}, false
}

// matchAgent offers a ready agent the longest-waiting call, across its queues, it may take.
func (a *ACD) matchAgent(mb *member) (Assignment, bool) {
	var best *call
	for _, s := range mb.slots {
		c := a.firstNotExcluding(s.q, mb.login)
		if c == nil {
			continue
		}
		if best == nil || c.key < best.key || (c.key == best.key && c.seq < best.seq) {
			best = c
		}
	}
	if best == nil {
		return Assignment{}, false
	}
	return a.assign(best, mb), true
}

func (a *ACD) firstNotExcluding(q *queue, agent string) *call {
	c, ok := q.waiting.Peek()
	if !ok {
		return nil
	}
	if !c.Excluded[agent] {
		return c
	}
	// Rare: the head call refused this agent. Look deeper without disturbing the order.
	var skipped []*call
	var found *call
	for q.waiting.Len() > 0 {
		x := q.waiting.Pop()
		skipped = append(skipped, x)
		if !x.Excluded[agent] {
			found = x
			break
		}
	}
	for _, x := range skipped {
		q.waiting.Push(x)
	}
	return found
}

func (a *ACD) assign(c *call, mb *member) Assignment {
	c.q.waiting.Remove(c.idx)
	a.unready(mb)
	e, err := Transition(c.Entry, Offer, mb.login, a.now)
	if err != nil {
		panic(fmt.Sprintf("queue: assigning %s to %s: %v", c.Call, mb.login, err)) // matchers never pick an excluded agent
	}
	c.Entry = e
	return Assignment{Call: c.Call, Agent: mb.login, Queue: c.q.number}
}
