package engine

import (
	"context"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/store"
)

// Turns committed together have their log rows gathered into multi-row statements; the
// rows must still be stored, every one, in the order the turns made them.
func TestGroupedLogRowsKeepTheirOrder(t *testing.T) {
	h, g := newGatedHarness(t)
	h.ok(h.eng.Login("kim", "support"))
	h.eng.Flush()
	const n = 101
	h.commitTogether(g, n, func(i int) {
		_ = h.eng.SetState("kim", []agent.State{agent.Ready, agent.Break, agent.Default}[i%3], "")
	})
	h.eng.Flush()
	l, err := h.st.States().List(context.Background(), "kim", time.Time{}, 1000)
	h.ok(err)
	if len(l) < 20 {
		t.Fatalf("%d state changes stored for %d turns", len(l), n)
	}
	for i := 1; i < len(l); i++ {
		if l[i].From != l[i-1].To {
			t.Fatalf("change %d goes from %s, but the one before went to %s: rows out of order", i, l[i].From, l[i-1].To)
		}
	}
}

// A read of a log inside a commit sees the rows the commit gathered before it.
func TestLogBatchFlushesBeforeARead(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	at := h.clk.Now()
	err := h.st.InTx(ctx, func(tx store.Store) error {
		b := &logBatch{Store: tx}
		if err := b.States().Record(ctx, store.StateChange{Agent: "nobody", Service: "support", From: "a", To: "b", At: at}); err != nil {
			return err
		}
		last, err := b.States().Last(ctx, "nobody")
		if err != nil || last.To != "b" {
			t.Errorf("read inside the commit: %+v, %v", last, err)
		}
		if err := b.Events().Append(ctx, store.CallEvent{Service: "support", Queue: "100", Call: "X", Kind: store.EventQueued, At: at}); err != nil {
			return err
		}
		sums, err := b.Events().Sums(ctx, "support", at.Add(-time.Hour), at.Add(time.Hour), "queue")
		if err != nil || len(sums) != 1 || sums[0].Count != 1 {
			t.Errorf("sums inside the commit: %+v, %v", sums, err)
		}
		return b.flush(ctx)
	})
	h.ok(err)
}
