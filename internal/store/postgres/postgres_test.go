package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"

	"ringdesk/internal/store"
	"ringdesk/internal/store/storetest"
)

// The contract runs against a real PostgreSQL when RINGDESK_TEST_POSTGRES holds an
// administrator's URL (scripts/postgres-test-server.sh start prints one); each test gets a
// database of its own.
func opener(t *testing.T) (store.Store, func() store.Store) {
	admin := os.Getenv("RINGDESK_TEST_POSTGRES")
	if admin == "" {
		t.Skip("RINGDESK_TEST_POSTGRES is not set: start one with scripts/postgres-test-server.sh start")
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("ringdesk_test_%d", rand.Uint32())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	open := func() store.Store {
		st, err := Open(context.Background(), u.String())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	t.Cleanup(func() {
		st.Close()
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	})
	return st, open
}

func TestContract(t *testing.T) { storetest.Run(t, opener) }

func TestRebind(t *testing.T) {
	got := dialect{}.Rebind("SELECT a FROM t WHERE b = ? AND c IN (?, ?)")
	if got != "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)" {
		t.Fatal(got)
	}
}
