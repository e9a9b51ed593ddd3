// Package postgres is the store for sites that outgrow one machine: PostgreSQL through
// jackc/pgx (database/sql driver), with its own numbered migrations. It must not import the
// engine or any adapter.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

type dialect struct{}

// Rebind turns ? into $1, $2, … (the queries hold no literal question marks).
func (dialect) Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (dialect) IsUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (dialect) IsBusy(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40001" || e.Code == "40P01") // serialization failure, deadlock
}

// Open connects to the database at url and brings its schema up to date.
func Open(ctx context.Context, url string) (store.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("cannot open database: %w", err)
	}
	db.SetMaxOpenConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot connect to PostgreSQL: %w", err)
	}
	// one migrator at a time when several nodes start together; the lock belongs to one
	// session, so it is taken and released on one dedicated connection
	lock, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if _, err := lock.ExecContext(ctx, `SELECT pg_advisory_lock(7413001)`); err != nil {
		lock.Close()
		db.Close()
		return nil, err
	}
	sub, _ := fs.Sub(migrations, "migrations")
	merr := sqlstore.Migrate(ctx, db, dialect{}, sub)
	lock.ExecContext(ctx, `SELECT pg_advisory_unlock(7413001)`)
	lock.Close()
	if merr != nil {
		db.Close()
		return nil, merr
	}
	return sqlstore.New(dialect{}, db, db, db.Close), nil
}
