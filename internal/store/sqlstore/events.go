package sqlstore

import (
	"context"
	"fmt"
	"time"

	"ringdesk/internal/store"
)

type eventStore struct{ s *Store }

func (es eventStore) Append(ctx context.Context, evs ...store.CallEvent) error {
	err := es.s.insertRows(ctx, `INSERT INTO call_events (service, queue, call_id, agent, kind, at, wait, talk, hold, after_call,
		within_sl, short, detail) VALUES `, 13, len(evs), func(i int, args []any) []any {
		e := &evs[i]
		return append(args, e.Service, e.Queue, e.Call, e.Agent, e.Kind, micros(e.At), e.Wait, e.Talk, e.Hold, e.AfterCall,
			boolInt(e.WithinSL), boolInt(e.Short), e.Detail)
	})
	if err != nil {
		if len(evs) == 1 {
			return fmt.Errorf("store: logging %s of call %s: %w", evs[0].Kind, evs[0].Call, err)
		}
		return fmt.Errorf("store: logging %d call events: %w", len(evs), err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// bucketMicros is the event log's finest bucket, 15 minutes. The number is written into the
// query as it is in the indexes that serve it (migration 0006): a database uses an index on an
// expression only for that very expression.
const bucketMicros = int64(15 * time.Minute / time.Microsecond)

func (es eventStore) Sums(ctx context.Context, service string, from, to time.Time, by string) ([]store.EventSum, error) {
	key, kinds := "queue", ""
	if by == "agent" {
		// as the partial index that serves it says (migration 0006)
		key, kinds = "agent", ` AND kind IN ('answered', 'handled', 'rejected', 'ring_timeout')`
	}
	lo, hi := micros(from), micros(to)
	// the bucket bounds let the index be searched by its second column; at bounds the rest.
	// Integer division rounds toward zero; times before 1970 are not ours.
	rows, err := es.s.query(ctx, `SELECT at / 900000000 AS b, `+key+`, kind, COUNT(*), SUM(wait), MAX(wait), SUM(talk), SUM(hold),
		SUM(after_call), SUM(within_sl), SUM(short)
		FROM call_events WHERE service = ? AND at / 900000000 >= ? AND at / 900000000 <= ? AND at >= ? AND at < ?`+kinds+`
		GROUP BY at / 900000000, `+key+`, kind ORDER BY 1, 2, 3`, service, lo/bucketMicros, (hi-1)/bucketMicros, lo, hi)
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
