package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	tx     *sql.Tx // the transaction, inside one
	stmts  *stmtCache
	closer func() error
}

// New wraps open connections. reads and writes may be the same pool.
func New(d Dialect, reads, writes *sql.DB, closer func() error) *Store {
	return &Store{d: d, r: reads, w: writes, wdb: writes, stmts: &stmtCache{db: writes, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}, closer: closer}
}

// stmtCache keeps the writes' statements prepared: parsing SQL again for every call record
// and state change was a fifth of the engine loop's time under load.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool // first met inside a transaction: prepared once it is over
}

// warm prepares the statements first met inside a transaction. It must run outside one:
// preparing takes a connection, and SQLite's only writer is the transaction's.
func (c *stmtCache) warm(ctx context.Context) {
	c.mu.Lock()
	qs := make([]string, 0, len(c.pending))
	for q := range c.pending {
		qs = append(qs, q)
	}
	clear(c.pending)
	c.mu.Unlock()
	for _, q := range qs {
		_, _ = c.get(ctx, q) // an error here returns when the statement is next run
	}
}

// get returns the prepared statement for q, preparing it first if need be. The lock is never
// held while preparing: preparing waits for SQLite's only writer connection, and a
// transaction holding that connection may be waiting for the lock to use a statement.
func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	st := c.m[q]
	c.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had := c.m[q]; had != nil { // prepared meanwhile by another caller
		st.Close()
		return had, nil
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// prepared returns the write statement for q, bound to the transaction inside one; nil when
// it cannot be prepared (the caller then runs q as it is, and gets the error from that).
func (s *Store) prepared(ctx context.Context, q string) *sql.Stmt {
	if s.stmts == nil {
		return nil
	}
	if s.tx != nil {
		s.stmts.mu.Lock()
		st := s.stmts.m[q]
		if st == nil {
			s.stmts.pending[q] = true
		}
		s.stmts.mu.Unlock()
		if st == nil {
			return nil
		}
		return s.tx.StmtContext(ctx, st) // closed with the transaction
	}
	st, err := s.stmts.get(ctx, q)
	if err != nil {
		return nil
	}
	return st
}

func (s *Store) Site() store.SiteStore        { return siteStore{s} }
func (s *Store) Tickets() store.TicketStore   { return ticketStore{s} }
func (s *Store) Calls() store.CallStore       { return callStore{s} }
func (s *Store) States() store.StateStore     { return stateStore{s} }
func (s *Store) Sessions() store.SessionStore { return sessionStore{s} }
func (s *Store) Wallboards() store.WallboardStore {
	return wallboardStore{s}
}
func (s *Store) Audio() store.AudioStore  { return audioStore{s} }
func (s *Store) CTI() store.CTIStore      { return ctiStore{s} }
func (s *Store) Events() store.EventStore { return eventStore{s} }
func (s *Store) Registrations() store.RegistrationStore {
	return registrationStore{s}
}
func (s *Store) Recordings() store.RecordingStore { return recordingStore{s} }

// Close closes the connections.
func (s *Store) Close() error {
	var err error
	if s.stmts != nil {
		err = s.stmts.close()
	}
	if s.closer == nil {
		return err
	}
	return errors.Join(err, s.closer())
}

// callDeadline bounds a store call whose context carries no deadline of its own: no caller
// may wait on the database for ever.
const callDeadline = 10 * time.Second

// bounded gives ctx a deadline when it has none.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, callDeadline)
}

// rows are query results whose deadline ends when they are closed.
type rows struct {
	*sql.Rows
	cancel context.CancelFunc
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	r.cancel()
	return err
}

// row is a single-row result whose deadline ends when it is scanned.
type row struct {
	r      *sql.Row
	cancel context.CancelFunc
}

func (r row) Scan(dest ...any) error {
	defer r.cancel()
	return r.r.Scan(dest...)
}

// InTx runs fn in one transaction on the write connection.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.wdb == nil {
		return fn(s) // already in a transaction: join it
	}
	ctx, cancel := bounded(ctx)
	defer cancel()
	return s.retry(ctx, func() error {
		tx, err := s.wdb.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: begin: %w", err)
		}
		inner := &Store{d: s.d, r: tx, w: tx, tx: tx, stmts: s.stmts}
		if err := fn(inner); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: commit: %w", err)
		}
		s.stmts.warm(ctx)
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

// rowChunks are the numbers of rows one multi-row INSERT carries: n rows go in the fewest
// chunks of these sizes, so that each table has a handful of prepared statements, not one per
// row count. 64 rows of 13 columns stay far below every driver's limit on parameters.
var rowChunks = [...]int{64, 16, 4, 1}

// insertText caches the text of a multi-row INSERT by its prefix and row count.
var insertText sync.Map // insertKey → string

type insertKey struct {
	prefix string
	rows   int
}

// insertRows appends n rows of cols columns with prefix ("INSERT INTO t (…) VALUES "), in
// order and in as few statements as rowChunks allow; row appends row i's values to args. More
// than one statement outside a transaction run in one of their own: all rows or none.
func (s *Store) insertRows(ctx context.Context, prefix string, cols, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	if s.tx == nil && n > 1 {
		return s.InTx(ctx, func(tx store.Store) error { return tx.(*Store).insertRows(ctx, prefix, cols, n, row) })
	}
	args := make([]any, 0, min(n, rowChunks[0])*cols)
	for i := 0; i < n; {
		k := rowChunks[len(rowChunks)-1]
		for _, c := range rowChunks {
			if c <= n-i {
				k = c
				break
			}
		}
		key := insertKey{prefix, k}
		q, ok := insertText.Load(key)
		if !ok {
			one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
			q, _ = insertText.LoadOrStore(key, prefix+strings.TrimSuffix(strings.Repeat(one+", ", k), ", "))
		}
		args = args[:0]
		for j := i; j < i+k; j++ {
			args = row(j, args)
		}
		if _, err := s.exec(ctx, q.(string), args...); err != nil {
			return err
		}
		i += k
	}
	return nil
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	q = s.d.Rebind(q)
	if st := s.prepared(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.w.ExecContext(ctx, q, args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*rows, error) {
	ctx, cancel := bounded(ctx)
	r, err := s.r.QueryContext(ctx, s.d.Rebind(q), args...)
	if err != nil {
		cancel()
		return nil, err
	}
	return &rows{Rows: r, cancel: cancel}, nil
}

func (s *Store) row(ctx context.Context, q string, args ...any) row {
	ctx, cancel := bounded(ctx)
	return row{r: s.r.QueryRowContext(ctx, s.d.Rebind(q), args...), cancel: cancel}
}

// writeRow runs a write that returns a row (INSERT … RETURNING).
func (s *Store) writeRow(ctx context.Context, q string, args ...any) row {
	ctx, cancel := bounded(ctx)
	q = s.d.Rebind(q)
	if st := s.prepared(ctx, q); st != nil {
		return row{r: st.QueryRowContext(ctx, args...), cancel: cancel}
	}
	return row{r: s.w.QueryRowContext(ctx, q, args...), cancel: cancel}
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
