package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often the WAL is copied into the database file. At a few hundred
// calls a second the WAL grows by a few megabytes in that time.
const checkpointEvery = 500 * time.Millisecond

// A checkpointer copies the WAL into the database from a connection of its own. Left to
// SQLite, the automatic checkpoint runs inside whichever commit crosses 1,000 pages, and with
// synchronous=FULL it ends with an fsync of the database file: every turn of every loop
// waiting on the engine's one group commit would wait for it too. PASSIVE never waits for
// readers or the writer; what it cannot copy this time it copies next time, and the writer
// starts the WAL over once a checkpoint has copied all of it.
type checkpointer struct {
	db      *sql.DB
	quit    chan struct{}
	done    chan struct{}
	stopped sync.Once
}

func newCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, false, "busy_timeout(10000)", "synchronous(FULL)"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)") // a failure is retried at the next tick
			cancel()
		}
	}
}

// stop ends the checkpointer after a last checkpoint that also empties the WAL file, so that
// a stopped server leaves its data in one file.
// A store may be closed twice; the second stop does nothing.
func (c *checkpointer) stop() error {
	var err error
	c.stopped.Do(func() {
		close(c.quit)
		<-c.done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		err = c.db.Close()
	})
	return err
}
