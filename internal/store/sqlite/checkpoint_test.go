package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ringdesk/internal/store"
)

// The writer never checkpoints (wal_autocheckpoint(0)), so the checkpointer alone moves the
// WAL into the database file: while the store is open, what was committed reaches the
// database file within a few ticks, and a closed store leaves an empty WAL behind. Without
// the checkpointer (checked by removing it from Open: this test then fails) the database file
// keeps the size it was created with and the WAL every page ever written.
func TestCheckpointerCopiesTheWALOutsideCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ringdesk.db")
	ctx := context.Background()
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	before := size(path)
	for i := range 2000 {
		rec := store.StateChange{Agent: "kim", Service: "support", From: "ready", To: "offered", Reason: string(rune('a' + i%26)), At: time.Now()}
		if err := st.States().Record(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size(path) <= before {
		if time.Now().After(deadline) {
			st.Close()
			t.Fatalf("2,000 commits later the database file is still %d bytes: nothing checkpointed the WAL (%d bytes)", before, size(path+"-wal"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if n := size(path + "-wal"); n != 0 {
		t.Fatalf("a closed store left a %d-byte WAL", n)
	}
	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hist, err := st.States().List(ctx, "kim", time.Time{}, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2000 {
		t.Fatalf("%d state changes after a reopen, want 2000", len(hist))
	}
}
