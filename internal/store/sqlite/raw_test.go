package sqlite

import (
	"context"
	"database/sql"
	"io/fs"

	"ringdesk/internal/store/sqlstore"
)

func openRaw(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(migrations, "migrations")
	return db, sqlstore.Migrate(context.Background(), db, dialect{}, sub)
}
