package engine

import "sync"

// mailbox is a loop's input queue. It never makes the sender wait: telephony reports come
// from goroutines that must not stall (a dispatcher carrying out a command may report at
// once), so the queue grows instead; what bounds it is the calls and agents there are.
type mailbox struct {
	mu     sync.Mutex
	q      []func()
	head   int
	wake   chan struct{} // has a token while the queue is not empty
	closed bool
}

func newMailbox() *mailbox { return &mailbox{wake: make(chan struct{}, 1)} }

// put queues f; false once the mailbox is closed.
func (m *mailbox) put(f func()) bool {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return false
	}
	m.q = append(m.q, f)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return true
}

// close refuses further puts; what is queued is still taken.
func (m *mailbox) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// take waits for the next input; ok is false once the mailbox is closed and empty.
func (m *mailbox) take() (f func(), ok bool) {
	for {
		m.mu.Lock()
		if m.head < len(m.q) {
			f = m.q[m.head]
			m.q[m.head] = nil
			m.head++
			if m.head == len(m.q) {
				m.q, m.head = m.q[:0], 0
			} else if m.head > 1024 && m.head*2 > len(m.q) {
				m.q, m.head = append(m.q[:0:0], m.q[m.head:]...), 0
			}
			m.mu.Unlock()
			return f, true
		}
		closed := m.closed
		m.mu.Unlock()
		if closed {
			return nil, false
		}
		<-m.wake
	}
}
