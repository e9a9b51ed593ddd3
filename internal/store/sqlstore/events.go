package sqlstore

import (
	"context"
	"fmt"
	"time"

	"ringdesk/internal/store"
)

type eventStore struct{ s *Store }

func (es eventStore) Append(ctx context.Context, e store.CallEvent) error {
	_, err := es.s.exec(ctx, `INSERT INTO call_events (service, queue, call_id, agent, kind, at, wait, talk, hold, after_call,
		within_sl, short, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Service, e.Queue, e.Call, e.Agent, e.Kind, micros(e.At), e.Wait, e.Talk, e.Hold, e.AfterCall,
		boolInt(e.WithinSL), boolInt(e.Short), e.Detail)
	if err != nil {
		return fmt.Errorf("store: logging %s of call %s: %w", e.Kind, e.Call, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// bucketMicros is the event log's finest bucket, 15 minutes.
const bucketMicros = int64(15 * time.Minute / time.Microsecond)

func (es eventStore) Sums(ctx context.Context, service string, from, to time.Time, by string) ([]store.EventSum, error) {
	key := "queue"
	if by == "agent" {
		key = "agent"
	}
	// integer division rounds toward zero; times before 1970 are not ours
	rows, err := es.s.query(ctx, `SELECT at / ? AS b, `+key+`, kind, COUNT(*), SUM(wait), MAX(wait), SUM(talk), SUM(hold),
		SUM(after_call), SUM(within_sl), SUM(short)
		FROM call_events WHERE service = ? AND at >= ? AND at < ?
		GROUP BY b, `+key+`, kind ORDER BY b, `+key+`, kind`, bucketMicros, service, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("store: adding up the event log: %w", err)
	}
	defer rows.Close()
	out := []store.EventSum{}
	for rows.Next() {
		var x store.EventSum
		var b int64
		if err := rows.Scan(&b, &x.Key, &x.Kind, &x.Count, &x.Wait, &x.MaxWait, &x.Talk, &x.Hold, &x.After, &x.WithinSL,
			&x.Short); err != nil {
			return nil, err
		}
		x.Bucket = fromMicros(b * bucketMicros)
		out = append(out, x)
	}
	return out, rows.Err()
}
