package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"ringdesk/internal/store"
	"ringdesk/internal/tickets"
)

type recordingStore struct{ s *Store }

func (rs recordingStore) Save(ctx context.Context, r store.Recording) error {
	spans := r.Paused
	if spans == nil {
		spans = []tickets.Span{}
	}
	b, err := json.Marshal(spans)
	if err != nil {
		return err
	}
	if r.Status == "" {
		r.Status = store.RecordingLive
	}
	_, err = rs.s.exec(ctx, `INSERT INTO recordings (id, call_id, service, agent, started_at, ended_at, seconds, paused_seconds,
		paused, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET call_id = excluded.call_id, service = excluded.service, agent = excluded.agent,
		started_at = excluded.started_at, ended_at = excluded.ended_at, seconds = excluded.seconds,
		paused_seconds = excluded.paused_seconds, paused = excluded.paused, status = excluded.status`,
		r.ID, r.Call, r.Service, r.Agent, micros(r.StartedAt), microsPtr(r.EndedAt), r.Seconds, r.PausedSeconds, string(b), r.Status)
	if err != nil {
		return fmt.Errorf("store: saving recording %s: %w", r.ID, rs.s.classify(err))
	}
	return nil
}

const recordingCols = `id, call_id, service, agent, started_at, ended_at, seconds, paused_seconds, paused, status, location, bytes`

func scanRecording(sc interface{ Scan(...any) error }) (store.Recording, error) {
	var r store.Recording
	var started int64
	var ended sql.NullInt64
	var paused string
	if err := sc.Scan(&r.ID, &r.Call, &r.Service, &r.Agent, &started, &ended, &r.Seconds, &r.PausedSeconds, &paused,
		&r.Status, &r.Location, &r.Bytes); err != nil {
		return r, err
	}
	r.StartedAt, r.EndedAt = fromMicros(started), timePtr(ended)
	r.Paused = []tickets.Span{}
	if paused != "" {
		if err := json.Unmarshal([]byte(paused), &r.Paused); err != nil {
			return r, fmt.Errorf("store: paused spans of recording %s: %w", r.ID, err)
		}
	}
	return r, nil
}

func (rs recordingStore) list(ctx context.Context, q string, args ...any) ([]store.Recording, error) {
	rows, err := rs.s.query(ctx, `SELECT `+recordingCols+` FROM recordings `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing recordings: %w", err)
	}
	defer rows.Close()
	out := []store.Recording{}
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (rs recordingStore) Get(ctx context.Context, id string) (store.Recording, error) {
	r, err := scanRecording(rs.s.row(ctx, `SELECT `+recordingCols+` FROM recordings WHERE id = ?`, id))
	return r, rs.s.classify(err)
}

func (rs recordingStore) ForCalls(ctx context.Context, calls []string) (map[string]store.Recording, error) {
	out := map[string]store.Recording{}
	if len(calls) == 0 {
		return out, nil
	}
	args := make([]any, len(calls))
	for i, c := range calls {
		args[i] = c
	}
	list, err := rs.list(ctx, `WHERE call_id IN (?`+strings.Repeat(", ?", len(calls)-1)+`) ORDER BY started_at, id`, args...)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		out[r.Call] = r // the latest wins
	}
	return out, nil
}

func (rs recordingStore) SetStored(ctx context.Context, id, location string, bytes int64) error {
	res, err := rs.s.exec(ctx, `UPDATE recordings SET location = ?, bytes = ? WHERE id = ?`, location, bytes, id)
	if err != nil {
		return fmt.Errorf("store: recording %s stored: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (rs recordingStore) Live(ctx context.Context) ([]store.Recording, error) {
	return rs.list(ctx, `WHERE status = ? ORDER BY started_at, id`, store.RecordingLive)
}

func (rs recordingStore) StartedBefore(ctx context.Context, t, afterAt time.Time, afterID string, limit int) ([]store.Recording, error) {
	if limit <= 0 {
		limit = 100
	}
	after := int64(math.MinInt64)
	if !afterAt.IsZero() {
		after = micros(afterAt)
	}
	return rs.list(ctx, `WHERE started_at < ? AND (started_at > ? OR (started_at = ? AND id > ?)) ORDER BY started_at, id LIMIT ?`,
		micros(t), after, after, afterID, limit)
}

func (rs recordingStore) Delete(ctx context.Context, id string) error {
	res, err := rs.s.exec(ctx, `DELETE FROM recordings WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: deleting recording %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (rs recordingStore) LogAccess(ctx context.Context, a store.RecordingAccess) error {
	_, err := rs.s.exec(ctx, `INSERT INTO recording_access (recording_id, login, action, at, source) VALUES (?, ?, ?, ?, ?)`,
		a.Recording, a.Login, a.Action, micros(a.At), a.Source)
	if err != nil {
		return fmt.Errorf("store: access log of recording %s: %w", a.Recording, err)
	}
	return nil
}

func (rs recordingStore) AccessLog(ctx context.Context, id string, limit int) ([]store.RecordingAccess, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := rs.s.query(ctx, `SELECT recording_id, login, action, at, source FROM recording_access
		WHERE recording_id = ? ORDER BY at DESC, id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("store: access log of recording %s: %w", id, err)
	}
	defer rows.Close()
	out := []store.RecordingAccess{}
	for rows.Next() {
		var a store.RecordingAccess
		var at int64
		if err := rows.Scan(&a.Recording, &a.Login, &a.Action, &at, &a.Source); err != nil {
			return nil, err
		}
		a.At = fromMicros(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
