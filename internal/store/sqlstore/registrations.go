package sqlstore

import (
	"context"
	"fmt"
	"time"

	"ringdesk/internal/store"
)

type registrationStore struct{ s *Store }

func (rs registrationStore) Replace(ctx context.Context, ext string, list []store.Registration) error {
	return rs.s.InTx(ctx, func(txs store.Store) error {
		tx := txs.(*Store)
		if _, err := tx.exec(ctx, `DELETE FROM registrations WHERE extension = ?`, ext); err != nil {
			return fmt.Errorf("store: replacing the registrations of %s: %w", ext, err)
		}
		for i, r := range list {
			if _, err := tx.exec(ctx, `INSERT INTO registrations (extension, pos, contact, source, transport, expires_at, call_id, cseq, path)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ext, i, r.Contact, r.Source, r.Transport, micros(r.Expires), r.CallID, int64(r.CSeq),
				r.Path); err != nil {
				return fmt.Errorf("store: replacing the registrations of %s: %w", ext, err)
			}
		}
		return nil
	})
}

func (rs registrationStore) Live(ctx context.Context, now time.Time) ([]store.Registration, error) {
	rows, err := rs.s.query(ctx, `SELECT extension, contact, source, transport, expires_at, call_id, cseq, path FROM registrations
		WHERE expires_at > ? ORDER BY extension, pos`, micros(now))
	if err != nil {
		return nil, fmt.Errorf("store: loading registrations: %w", err)
	}
	defer rows.Close()
	out := []store.Registration{}
	for rows.Next() {
		var r store.Registration
		var expires, cseq int64
		if err := rows.Scan(&r.Extension, &r.Contact, &r.Source, &r.Transport, &expires, &r.CallID, &cseq, &r.Path); err != nil {
			return nil, err
		}
		r.Expires, r.CSeq = fromMicros(expires), uint32(cseq)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (rs registrationStore) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	res, err := rs.s.exec(ctx, `DELETE FROM registrations WHERE expires_at <= ?`, micros(now))
	if err != nil {
		return 0, fmt.Errorf("store: removing expired registrations: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
