package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"ringdesk/internal/store"
)

// Dialect is what differs between databases.
type Dialect interface {
	// Rebind turns a query written with ? placeholders into the dialect's own.
	Rebind(query string) string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique(err error) bool
	// IsBusy reports whether err is a transient lock conflict worth retrying.
	IsBusy(err error) bool
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the SQL store. Reads go to r, writes to w (for SQLite a single-connection pool, so
// writers queue in Go rather than fail on the database lock); in a transaction both are the tx.
type Store struct {
	d      Dialect
	r, w   querier
	wdb    *sql.DB // nil inside a transaction
	closer func() error
}

// New wraps open connections. reads and writes may be the same pool.
func New(d Dialect, reads, writes *sql.DB, closer func() error) *Store {
	return &Store{d: d, r: reads, w: writes, wdb: writes, closer: closer}
}

func (s *Store) Site() store.SiteStore        { return siteStore{s} }
func (s *Store) Tickets() store.TicketStore   { return ticketStore{s} }
func (s *Store) Calls() store.CallStore       { return callStore{s} }
func (s *Store) States() store.StateStore     { return stateStore{s} }
func (s *Store) Sessions() store.SessionStore { return sessionStore{s} }
func (s *Store) Audio() store.AudioStore      { return audioStore{s} }

// Close closes the connections.
func (s *Store) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer()
}

// InTx runs fn in one transaction on the write connection.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.wdb == nil {
		return fn(s) // already in a transaction: join it
	}
	return s.retry(ctx, func() error {
		tx, err := s.wdb.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: begin: %w", err)
		}
		inner := &Store{d: s.d, r: tx, w: tx}
		if err := fn(inner); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: commit: %w", err)
		}
		return nil
	})
}

// retry runs f again while the database reports a transient lock conflict.
func (s *Store) retry(ctx context.Context, f func() error) error {
	delay := time.Millisecond
	for i := 0; ; i++ {
		err := f()
		if err == nil || !s.d.IsBusy(err) || i >= 50 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.w.ExecContext(ctx, s.d.Rebind(q), args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.r.QueryContext(ctx, s.d.Rebind(q), args...)
}

func (s *Store) row(ctx context.Context, q string, args ...any) *sql.Row {
	return s.r.QueryRowContext(ctx, s.d.Rebind(q), args...)
}

// writeRow runs a write that returns a row (INSERT … RETURNING).
func (s *Store) writeRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.w.QueryRowContext(ctx, s.d.Rebind(q), args...)
}

// classify maps driver errors to the store's.
func (s *Store) classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case s.d.IsUnique(err):
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// Times are stored as UTC unix microseconds: portable, sortable, exact enough.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func microsPtr(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}
