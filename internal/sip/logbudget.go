package sip

import (
	"strconv"
	"sync"
	"time"
)

// logBudget bounds how often something a stranger can cause is written to the log: at most
// per lines in each window for one key (a source address, usually) and four times that for
// all keys together, so that a flood costs a few lines a second rather than a line a packet.
// It holds at most maxBudgetKeys keys; beyond them, in a spray from many addresses, lines are
// dropped rather than memory grown. What was not said is counted and reported with the next
// line of the same key.
type logBudget struct {
	per    int
	window time.Duration

	mu    sync.Mutex
	keys  map[string]*budgetKey
	total budgetKey
}

type budgetKey struct {
	window  int64
	used    int
	dropped int
}

const maxBudgetKeys = 4096

func newLogBudget(per int, window time.Duration) *logBudget {
	return &logBudget{per: per, window: window, keys: map[string]*budgetKey{}}
}

// allow reports whether a line for key may be written now, and how many for that key were
// not since the last one that was.
func (b *logBudget) allow(key string, now time.Time) (ok bool, dropped int) {
	w := now.UnixNano() / int64(b.window)
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.keys[key]
	if k == nil {
		if len(b.keys) >= maxBudgetKeys {
			for kk, v := range b.keys {
				if v.window != w && v.dropped == 0 {
					delete(b.keys, kk)
				}
			}
			if len(b.keys) >= maxBudgetKeys {
				return false, 0
			}
		}
		k = &budgetKey{window: w}
		b.keys[key] = k
	}
	for _, c := range []*budgetKey{k, &b.total} {
		if c.window != w {
			c.window, c.used = w, 0
		}
	}
	if k.used >= b.per || b.total.used >= 4*b.per {
		k.dropped++
		return false, 0
	}
	k.used++
	b.total.used++
	dropped, k.dropped = k.dropped, 0
	return true, dropped
}

// truncate cuts s to n bytes (at a rune boundary), saying how long it was.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
