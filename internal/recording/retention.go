package recording

import (
	"context"
	"time"

	"ringdesk/internal/clock"
	"ringdesk/internal/store"
)

// Sweep deletes the recordings older than their service's retention (retention gives it in
// days for a service; a service that is gone keeps the default): the file, then the record,
// and writes each deletion to the access log and the log. A recording still being written is
// left alone. It returns how many it deleted.
func (f *Files) Sweep(ctx context.Context, now time.Time, retention func(service string) int) (int, error) {
	deleted := 0
	// nothing is kept less than a day: only recordings older than that are looked at
	before := now.Add(-24 * time.Hour)
	var afterAt time.Time
	afterID := ""
	for {
		list, err := f.st.Recordings().StartedBefore(ctx, before, afterAt, afterID, 200)
		if err != nil {
			return deleted, err
		}
		for _, r := range list {
			afterAt, afterID = r.StartedAt, r.ID
			keep := time.Duration(retention(r.Service)) * 24 * time.Hour
			if r.Status == store.RecordingLive || !r.StartedAt.Before(now.Add(-keep)) {
				continue
			}
			if err := f.remove(ctx, r); err != nil {
				f.log.Error("an expired recording's file could not be deleted; trying again tomorrow", "recording", r.ID, "err", err)
				continue
			}
			err := f.st.InTx(ctx, func(tx store.Store) error {
				if err := tx.Recordings().Delete(ctx, r.ID); err != nil {
					return err
				}
				return tx.Recordings().LogAccess(ctx, store.RecordingAccess{Recording: r.ID, Login: "system", Action: "deleted", At: now})
			})
			if err != nil {
				return deleted, err
			}
			deleted++
			f.deleted.Add(1)
			f.log.Info("deleted a recording past its retention", "recording", r.ID, "call", r.Call, "service", r.Service,
				"started", r.StartedAt, "retention_days", retention(r.Service))
		}
		if len(list) < 200 {
			return deleted, nil
		}
	}
}

// RunDaily sweeps once now and then every day until ctx ends.
func (f *Files) RunDaily(ctx context.Context, c clock.Clock, retention func(service string) int) {
	for {
		if n, err := f.Sweep(ctx, c.Now(), retention); err != nil {
			f.log.Error("deleting expired recordings", "deleted", n, "err", err)
		}
		fired := make(chan struct{})
		t := c.AfterFunc(24*time.Hour, func() { close(fired) })
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-fired:
		}
	}
}
