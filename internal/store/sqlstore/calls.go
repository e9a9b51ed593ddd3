package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"ringdesk/internal/store"
	"ringdesk/internal/tickets"
)

type callStore struct{ s *Store }

func (cs callStore) Save(ctx context.Context, c tickets.Call) error {
	tr, err := json.Marshal(c.Transfers)
	if err != nil {
		return err
	}
	if c.Transfers == nil {
		tr = []byte("[]")
	}
	ticket := sql.NullInt64{Int64: c.TicketID, Valid: c.TicketID != 0}
	q, err := qualityColumn(c.Quality)
	if err != nil {
		return err
	}
	_, err = cs.s.exec(ctx, `INSERT INTO calls (id, service, ticket_id, direction, from_number, to_number, caller_id, queue,
		agent, started_at, offered_at, answered_at, ended_at, talk_seconds, hold_seconds, hangup_cause, hangup_by, transfers,
		quality, outcome, wait_seconds, node)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET service = excluded.service, ticket_id = excluded.ticket_id,
		direction = excluded.direction, from_number = excluded.from_number, to_number = excluded.to_number,
		caller_id = excluded.caller_id, queue = excluded.queue, agent = excluded.agent, started_at = excluded.started_at,
		offered_at = excluded.offered_at, answered_at = excluded.answered_at, ended_at = excluded.ended_at,
		talk_seconds = excluded.talk_seconds, hold_seconds = excluded.hold_seconds, hangup_cause = excluded.hangup_cause,
		hangup_by = excluded.hangup_by, transfers = excluded.transfers,
		quality = COALESCE(excluded.quality, calls.quality), outcome = excluded.outcome,
		wait_seconds = excluded.wait_seconds, node = excluded.node`,
		c.ID, c.Service, ticket, string(c.Direction), c.From, c.To, c.CallerID, c.Queue, c.Agent, micros(c.StartedAt),
		microsPtr(c.OfferedAt), microsPtr(c.AnsweredAt), microsPtr(c.EndedAt), c.TalkSeconds, c.HoldSeconds,
		c.HangupCause, c.HangupBy, string(tr), q, c.Outcome, c.WaitSeconds, c.Node)
	if err != nil {
		return fmt.Errorf("store: saving call %s: %w", c.ID, cs.s.classify(err))
	}
	return nil
}

const callCols = `id, service, ticket_id, direction, from_number, to_number, caller_id, queue, agent, started_at,
	offered_at, answered_at, ended_at, talk_seconds, hold_seconds, hangup_cause, hangup_by, transfers, quality, outcome,
	wait_seconds, node`

// qualityColumn is a call's quality as stored: JSON, or NULL when not measured.
func qualityColumn(q *tickets.Quality) (sql.NullString, error) {
	if q == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(q)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func scanCall(sc interface{ Scan(...any) error }) (tickets.Call, error) {
	var c tickets.Call
	var ticket, offered, answered, ended sql.NullInt64
	var dir, tr string
	var q sql.NullString
	var started int64
	err := sc.Scan(&c.ID, &c.Service, &ticket, &dir, &c.From, &c.To, &c.CallerID, &c.Queue, &c.Agent, &started,
		&offered, &answered, &ended, &c.TalkSeconds, &c.HoldSeconds, &c.HangupCause, &c.HangupBy, &tr, &q, &c.Outcome,
		&c.WaitSeconds, &c.Node)
	if err != nil {
		return c, err
	}
	if q.Valid && q.String != "" {
		c.Quality = &tickets.Quality{}
		if err := json.Unmarshal([]byte(q.String), c.Quality); err != nil {
			return c, fmt.Errorf("store: quality of call %s: %w", c.ID, err)
		}
	}
	c.TicketID, c.Direction, c.StartedAt = ticket.Int64, tickets.Direction(dir), fromMicros(started)
	c.OfferedAt, c.AnsweredAt, c.EndedAt = timePtr(offered), timePtr(answered), timePtr(ended)
	c.Transfers = []tickets.Transfer{}
	if tr != "" {
		if err := json.Unmarshal([]byte(tr), &c.Transfers); err != nil {
			return c, fmt.Errorf("store: transfers of call %s: %w", c.ID, err)
		}
	}
	return c, nil
}

func (cs callStore) Get(ctx context.Context, id string) (tickets.Call, error) {
	c, err := scanCall(cs.s.row(ctx, `SELECT `+callCols+` FROM calls WHERE id = ?`, id))
	return c, cs.s.classify(err)
}

func (cs callStore) ListForTicket(ctx context.Context, ticket int64) ([]tickets.Call, error) {
	rows, err := cs.s.query(ctx, `SELECT `+callCols+` FROM calls WHERE ticket_id = ? ORDER BY started_at, id`, ticket)
	if err != nil {
		return nil, err
	}
	return scanCalls(rows)
}

// scanCalls reads every row of a query for callCols, and closes it.
func scanCalls(rows *rows) ([]tickets.Call, error) {
	defer rows.Close()
	out := []tickets.Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (cs callStore) CloseOpen(ctx context.Context, at time.Time, cause string) (int, error) {
	res, err := cs.s.exec(ctx, `UPDATE calls SET ended_at = ?, hangup_cause = ?, hangup_by = 'system' WHERE ended_at IS NULL`, micros(at), cause)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (cs callStore) CloseOpenOf(ctx context.Context, f store.OpenCalls, at time.Time, cause string) (int, error) {
	q := `UPDATE calls SET ended_at = ?, hangup_cause = ?, hangup_by = 'system' WHERE ended_at IS NULL`
	args := []any{micros(at), cause}
	if f.Service != "" {
		q += ` AND service = ?`
		args = append(args, f.Service)
	}
	if f.Node != "" {
		q += ` AND node = ?`
		args = append(args, f.Node)
	}
	if f.NotNode != "" {
		q += ` AND node <> ?`
		args = append(args, f.NotNode)
	}
	res, err := cs.s.exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("store: closing open calls: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (cs callStore) SetQuality(ctx context.Context, id string, q tickets.Quality) error {
	col, err := qualityColumn(&q)
	if err != nil {
		return err
	}
	res, err := cs.s.exec(ctx, `UPDATE calls SET quality = ? WHERE id = ?`, col, id)
	if err != nil {
		return fmt.Errorf("store: quality of call %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (cs callStore) List(ctx context.Context, f tickets.CallFilter) ([]tickets.Call, error) {
	if len(f.Services) == 0 {
		return []tickets.Call{}, nil
	}
	where := []string{"service IN (?" + strings.Repeat(", ?", len(f.Services)-1) + ")"}
	var args []any
	for _, s := range f.Services {
		args = append(args, s)
	}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if !f.From.IsZero() {
		add("started_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		add("started_at < ?", micros(f.To))
	}
	if f.Phone != "" {
		where = append(where, "(from_number = ? OR to_number = ?)")
		args = append(args, f.Phone, f.Phone)
	}
	if f.Agent != "" {
		add("agent = ?", f.Agent)
	}
	if f.Queue != "" {
		add("queue = ?", f.Queue)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if !f.Before.IsZero() {
		where = append(where, "(started_at < ? OR (started_at = ? AND id < ?))")
		args = append(args, micros(f.Before), micros(f.Before), f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := cs.s.query(ctx, `SELECT `+callCols+` FROM calls WHERE `+strings.Join(where, " AND ")+
		` ORDER BY started_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing calls: %w", err)
	}
	return scanCalls(rows)
}

type stateStore struct{ s *Store }

func (ss stateStore) Record(ctx context.Context, cs ...store.StateChange) error {
	err := ss.s.insertRows(ctx, `INSERT INTO agent_states (agent, service, from_state, to_state, reason, call_id, at, changed_by)
		VALUES `, 8, len(cs), func(i int, args []any) []any {
		c := &cs[i]
		return append(args, c.Agent, c.Service, c.From, c.To, c.Reason, c.Call, micros(c.At), c.By)
	})
	if err != nil {
		return fmt.Errorf("store: recording a state change: %w", err)
	}
	return nil
}

func (ss stateStore) List(ctx context.Context, agent string, since time.Time, limit int) ([]store.StateChange, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := ss.s.query(ctx, `SELECT agent, service, from_state, to_state, reason, call_id, at, changed_by FROM agent_states
		WHERE agent = ? AND at >= ? ORDER BY at, id LIMIT ?`, agent, micros(since), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.StateChange{}
	for rows.Next() {
		var c store.StateChange
		var at int64
		if err := rows.Scan(&c.Agent, &c.Service, &c.From, &c.To, &c.Reason, &c.Call, &at, &c.By); err != nil {
			return nil, err
		}
		c.At = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (ss stateStore) Last(ctx context.Context, agent string) (store.StateChange, error) {
	var c store.StateChange
	var at int64
	err := ss.s.row(ctx, `SELECT agent, service, from_state, to_state, reason, call_id, at, changed_by FROM agent_states
		WHERE agent = ? ORDER BY at DESC, id DESC LIMIT 1`, agent).Scan(&c.Agent, &c.Service, &c.From, &c.To, &c.Reason, &c.Call, &at, &c.By)
	c.At = fromMicros(at)
	return c, ss.s.classify(err)
}

func (ss stateStore) Range(ctx context.Context, service string, agents []string, from, to time.Time) ([]store.StateChange, error) {
	// each agent's changes, in time order: gathered per agent as the rows come (a sort of a
	// busy day's hundred thousand changes would cost more than reading them)
	by := map[string][]store.StateChange{}
	for _, a := range agents {
		var c store.StateChange
		var at int64
		err := ss.s.row(ctx, `SELECT agent, service, from_state, to_state, reason, call_id, at, changed_by FROM agent_states
			WHERE agent = ? AND service = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1`, a, service, micros(from)).
			Scan(&c.Agent, &c.Service, &c.From, &c.To, &c.Reason, &c.Call, &at, &c.By)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: state history: %w", err)
		}
		c.At = fromMicros(at)
		by[c.Agent] = append(by[c.Agent], c)
	}
	// what the figures read, from the index alone (migration 0006): a busy day is 150,000 rows
	rows, err := ss.s.query(ctx, `SELECT agent, to_state, reason, at FROM agent_states
		WHERE service = ? AND at >= ? AND at < ? ORDER BY at, agent, id`, service, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("store: state history: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		c := store.StateChange{Service: service}
		var at int64
		if err := rows.Scan(&c.Agent, &c.To, &c.Reason, &at); err != nil {
			return nil, err
		}
		c.At = fromMicros(at)
		by[c.Agent] = append(by[c.Agent], c)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	logins := make([]string, 0, len(by))
	for a := range by {
		logins = append(logins, a)
	}
	sort.Strings(logins)
	out := make([]store.StateChange, 0, n+len(agents))
	for _, a := range logins {
		out = append(out, by[a]...)
	}
	return out, nil
}

type ctiStore struct{ s *Store }

func (cs ctiStore) Open(ctx context.Context, login, service string, at time.Time) error {
	_, err := cs.s.exec(ctx, `INSERT INTO cti_sessions (login, service, since) VALUES (?, ?, ?)
		ON CONFLICT (login) DO UPDATE SET service = excluded.service, since = excluded.since`, login, service, micros(at))
	if err != nil {
		return fmt.Errorf("store: CTI session of %s: %w", login, err)
	}
	return nil
}

func (cs ctiStore) Close(ctx context.Context, login string) error {
	_, err := cs.s.exec(ctx, `DELETE FROM cti_sessions WHERE login = ?`, login)
	return err
}

func (cs ctiStore) List(ctx context.Context) ([]store.CTISession, error) {
	rows, err := cs.s.query(ctx, `SELECT login, service, since FROM cti_sessions ORDER BY login`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.CTISession{}
	for rows.Next() {
		var x store.CTISession
		var since int64
		if err := rows.Scan(&x.Login, &x.Service, &since); err != nil {
			return nil, err
		}
		x.Since = fromMicros(since)
		out = append(out, x)
	}
	return out, rows.Err()
}

type sessionStore struct{ s *Store }

func (ss sessionStore) Create(ctx context.Context, x store.Session) error {
	_, err := ss.s.exec(ctx, `INSERT INTO sessions (token_hash, login, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		x.TokenHash, x.Login, micros(x.CreatedAt), micros(x.ExpiresAt))
	return ss.s.classify(err)
}

func (ss sessionStore) Get(ctx context.Context, tokenHash string) (store.Session, error) {
	var x store.Session
	var created, expires int64
	err := ss.s.row(ctx, `SELECT token_hash, login, created_at, expires_at FROM sessions WHERE token_hash = ?`, tokenHash).
		Scan(&x.TokenHash, &x.Login, &created, &expires)
	x.CreatedAt, x.ExpiresAt = fromMicros(created), fromMicros(expires)
	return x, ss.s.classify(err)
}

func (ss sessionStore) Delete(ctx context.Context, tokenHash string) error {
	_, err := ss.s.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

func (ss sessionStore) DeleteLogin(ctx context.Context, login string) error {
	_, err := ss.s.exec(ctx, `DELETE FROM sessions WHERE login = ?`, login)
	return err
}

type audioStore struct{ s *Store }

func (as audioStore) Put(ctx context.Context, a *store.Audio) error {
	a.ID = audioID(a.Data)
	_, err := as.s.exec(ctx, `INSERT INTO audio (id, name, data) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`, a.ID, a.Name, a.Data)
	return err
}

func (as audioStore) Get(ctx context.Context, id string) (store.Audio, error) {
	var a store.Audio
	err := as.s.row(ctx, `SELECT id, name, data FROM audio WHERE id = ?`, id).Scan(&a.ID, &a.Name, &a.Data)
	return a, as.s.classify(err)
}
