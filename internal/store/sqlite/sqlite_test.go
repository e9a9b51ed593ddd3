package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/store"
	"ringdesk/internal/store/storetest"
	"ringdesk/internal/tickets"
)

func opener(t *testing.T) (store.Store, func() store.Store) {
	path := filepath.Join(t.TempDir(), "ringdesk.db")
	open := func() store.Store {
		st, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	t.Cleanup(func() { st.Close() })
	return st, open
}

func TestContract(t *testing.T) { storetest.Run(t, opener) }

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 1000)), 0o600)
	if _, err := Open(context.Background(), junk); err == nil || !strings.Contains(err.Error(), "not a Ringdesk database") {
		t.Fatalf("junk file: %v", err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "missing", "dir", "x.db")); err == nil {
		t.Fatal("missing directory: want an error")
	}
}

// TestListUsesIndexes checks that listing by service (and phone, status, assignee) newest
// first is a range scan of an index, not a table scan and sort.
func TestListUsesIndexes(t *testing.T) {
	db, err := openRaw(filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, where := range []string{"service = 'a'", "service = 'a' AND phone = '1'", "service = 'a' AND status = 'new'", "service = 'a' AND assignee = 'k'"} {
		rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT id FROM tickets WHERE ` + where + ` ORDER BY id DESC LIMIT 50`)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var a, b, c int
			var detail string
			rows.Scan(&a, &b, &c, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, "USING") || strings.Contains(p, "TEMP B-TREE") || strings.HasPrefix(p, "SCAN tickets") && !strings.Contains(p, "INDEX") {
			t.Errorf("%s: plan %q", where, p)
		}
	}
}

// TestStatementsFirstMetInATransaction: the write statements are prepared once and kept; one
// first run inside a transaction must not wait for the connection the transaction holds.
func TestStatementsFirstMetInATransaction(t *testing.T) {
	st, _ := opener(t)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			rec := func(to string) store.StateChange {
				return store.StateChange{Agent: "kim", Service: "support", From: "ready", To: to, At: time.Now()}
			}
			for i := range 3 {
				if err := st.InTx(ctx, func(tx store.Store) error { return tx.States().Record(ctx, rec("offered")) }); err != nil {
					return err
				}
				if err := st.States().Record(ctx, rec("ready")); err != nil {
					return err
				}
				_ = i
			}
			return nil
		}()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write inside a transaction waited for the transaction's own connection")
	}
}

// Statements first met inside a transaction are prepared after it commits. Preparing took
// the statement cache's lock and then waited for SQLite's only writer connection, while
// another transaction holding that connection waited for the lock to use a statement: the
// server hung for ever as soon as the API saved the configuration while the engine
// committed, early in a process's life (the kill -9 soak found it). This test hung before.
func TestPreparingAfterACommitDoesNotDeadlock(t *testing.T) {
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for round := 0; round < 30; round++ {
			st, err := Open(ctx, filepath.Join(t.TempDir(), "ringdesk.db"))
			if err != nil {
				t.Error(err)
				return
			}
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := 0; i < 4; i++ {
					s := storetest.FullSite()
					s.Services[0].RecallSeconds = 10 + i
					if err := st.Site().Save(ctx, s); err != nil {
						t.Error(err)
					}
				}
			}()
			go func() {
				defer wg.Done()
				for i := 0; i < 4; i++ {
					err := st.InTx(ctx, func(tx store.Store) error {
						at := time.Now()
						if err := tx.Calls().Save(ctx, tickets.Call{ID: fmt.Sprint("C", i), Service: "support", StartedAt: at}); err != nil {
							return err
						}
						if err := tx.States().Record(ctx, store.StateChange{Agent: "kim", Service: "support", To: "ready", At: at}); err != nil {
							return err
						}
						return tx.CTI().Open(ctx, "kim", "support", at)
					})
					if err != nil {
						t.Error(err)
					}
				}
			}()
			wg.Wait()
			st.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("deadlock: a transaction and the statement cache wait for each other")
	}
}
