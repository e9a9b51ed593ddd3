package sqlstore

import (
	"context"
	"fmt"

	"ringdesk/internal/store"
)

type wallboardStore struct{ s *Store }

func (ws wallboardStore) Create(ctx context.Context, t store.WallboardToken) error {
	_, err := ws.s.exec(ctx, `INSERT INTO wallboard_tokens (token_hash, service, created_by, created_at) VALUES (?, ?, ?, ?)`,
		t.TokenHash, t.Service, t.CreatedBy, micros(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: wallboard token: %w", ws.s.classify(err))
	}
	return nil
}

func (ws wallboardStore) Get(ctx context.Context, tokenHash string) (store.WallboardToken, error) {
	var t store.WallboardToken
	var created int64
	err := ws.s.row(ctx, `SELECT token_hash, service, created_by, created_at FROM wallboard_tokens WHERE token_hash = ?`, tokenHash).
		Scan(&t.TokenHash, &t.Service, &t.CreatedBy, &created)
	t.CreatedAt = fromMicros(created)
	return t, ws.s.classify(err)
}

func (ws wallboardStore) DeleteService(ctx context.Context, service string) (int, error) {
	res, err := ws.s.exec(ctx, `DELETE FROM wallboard_tokens WHERE service = ?`, service)
	if err != nil {
		return 0, fmt.Errorf("store: revoking wallboard tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
