// Package database opens the store a server is configured with: PostgreSQL for a postgres://
// URL, the embedded SQLite file in the data directory otherwise. It must not import the engine
// or any adapter.
package database

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ringdesk/internal/store"
	"ringdesk/internal/store/postgres"
	"ringdesk/internal/store/sqlite"
)

// Open opens the configured store.
func Open(ctx context.Context, dataDir, dbURL string) (store.Store, error) {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		return postgres.Open(ctx, dbURL)
	}
	if dbURL != "" {
		return nil, fmt.Errorf("--db must be a postgres:// URL (got %q); leave it empty for the embedded database", dbURL)
	}
	if dataDir == "" {
		dataDir = "ringdesk-data"
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s cannot be created: %w", dataDir, err)
	}
	probe := filepath.Join(dataDir, ".write-test")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return nil, fmt.Errorf("data directory %s is not writable: %w", dataDir, err)
	}
	os.Remove(probe)
	return sqlite.Open(ctx, filepath.Join(dataDir, "ringdesk.db"))
}
