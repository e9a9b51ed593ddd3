package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"ringdesk/internal/store"
)

type clusterStore struct{ s *Store }

func (s *Store) Cluster() store.ClusterStore { return clusterStore{s} }

func (cs clusterStore) Beat(ctx context.Context, n store.Node) error {
	_, err := cs.s.exec(ctx, `INSERT INTO cluster_nodes (name, sip, http, started_at, seen_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET sip = excluded.sip, http = excluded.http, started_at = excluded.started_at,
		seen_at = excluded.seen_at`, n.Name, n.SIP, n.HTTP, micros(n.Started), micros(n.Seen))
	if err != nil {
		return fmt.Errorf("store: heartbeat of node %s: %w", n.Name, err)
	}
	return nil
}

func (cs clusterStore) Nodes(ctx context.Context) ([]store.Node, error) {
	rows, err := cs.s.query(ctx, `SELECT name, sip, http, started_at, seen_at FROM cluster_nodes ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: reading nodes: %w", err)
	}
	defer rows.Close()
	out := []store.Node{}
	for rows.Next() {
		var n store.Node
		var started, seen int64
		if err := rows.Scan(&n.Name, &n.SIP, &n.HTTP, &started, &seen); err != nil {
			return nil, err
		}
		n.Started, n.Seen = fromMicros(started), fromMicros(seen)
		out = append(out, n)
	}
	return out, rows.Err()
}

func (cs clusterStore) Forget(ctx context.Context, before time.Time) (int, error) {
	res, err := cs.s.exec(ctx, `DELETE FROM cluster_nodes WHERE seen_at < ?`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("store: forgetting nodes: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (cs clusterStore) Leases(ctx context.Context) ([]store.Lease, error) {
	rows, err := cs.s.query(ctx, `SELECT service, node, expires_at, epoch FROM service_leases ORDER BY service`)
	if err != nil {
		return nil, fmt.Errorf("store: reading leases: %w", err)
	}
	defer rows.Close()
	out := []store.Lease{}
	for rows.Next() {
		var l store.Lease
		var exp int64
		if err := rows.Scan(&l.Service, &l.Node, &exp, &l.Epoch); err != nil {
			return nil, err
		}
		l.Expires = fromMicros(exp)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Take is one statement, so that of two nodes taking the same lease at once the database
// lets exactly one through: the second sees the first's unexpired row and changes nothing.
func (cs clusterStore) Take(ctx context.Context, service, node string, now, expires time.Time) (bool, error) {
	res, err := cs.s.exec(ctx, `INSERT INTO service_leases (service, node, expires_at, epoch) VALUES (?, ?, ?, 1)
		ON CONFLICT (service) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at,
		epoch = CASE WHEN service_leases.node = excluded.node THEN service_leases.epoch ELSE service_leases.epoch + 1 END
		WHERE service_leases.node = excluded.node OR service_leases.expires_at <= ?`,
		service, node, micros(expires), micros(now))
	if err != nil {
		return false, fmt.Errorf("store: taking the lease of %s: %w", service, cs.s.classify(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (cs clusterStore) Renew(ctx context.Context, node string, services []string, expires time.Time) ([]string, error) {
	if len(services) == 0 {
		return []string{}, nil
	}
	args := []any{micros(expires), node}
	for _, s := range services {
		args = append(args, s)
	}
	// a write returning rows: on the writer (SQLite's readers cannot write), not prepared
	// (the list's length varies)
	qctx, cancel := bounded(ctx)
	r, err := cs.s.w.QueryContext(qctx, cs.s.d.Rebind(`UPDATE service_leases SET expires_at = ? WHERE node = ? AND service IN (?`+
		strings.Repeat(", ?", len(services)-1)+`) RETURNING service`), args...)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("store: renewing leases: %w", err)
	}
	rows := &rows{Rows: r, cancel: cancel}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (cs clusterStore) Release(ctx context.Context, service, node string) error {
	if _, err := cs.s.exec(ctx, `DELETE FROM service_leases WHERE service = ? AND node = ?`, service, node); err != nil {
		return fmt.Errorf("store: releasing the lease of %s: %w", service, err)
	}
	return nil
}

func (cs clusterStore) Key(ctx context.Context, name string) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	// whoever inserts first wins; everyone reads the winner's
	if _, err := cs.s.exec(ctx, `INSERT INTO cluster_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, hex.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("store: making the cluster key %s: %w", name, err)
	}
	var v string
	if err := cs.s.row(ctx, `SELECT value FROM cluster_keys WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("store: reading the cluster key %s: %w", name, err)
	}
	return hex.DecodeString(v)
}
