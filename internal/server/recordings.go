package server

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"ringdesk/internal/media"
	"ringdesk/internal/recording"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
)

// openRecordings prepares the recordings' folder (and bucket), and repairs what a crash left
// half written, before any call can be recorded.
func openRecordings(ctx context.Context, cfg Config, st store.Store) (*recording.Files, error) {
	dir := cfg.Recordings
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "recordings")
	}
	var b *recording.Bucket
	if cfg.RecordingsBucket != "" {
		var err error
		if b, err = recording.ParseBucket(cfg.RecordingsBucket); err != nil {
			return nil, fmt.Errorf("--recordings-bucket: %w", err)
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = b.Check(cctx)
		cancel()
		if err != nil {
			// recordings are kept in the folder until the bucket takes them: a bucket that is
			// down must not keep the phones down
			cfg.Logger.Error("the recordings bucket cannot be reached; recordings stay in the folder meanwhile", "err", err)
		}
	}
	f, err := recording.Open(recording.Config{Dir: dir, Bucket: b, Store: st, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("%w (choose another folder with --recordings)", err)
	}
	if n, err := f.Recover(ctx); err != nil {
		return nil, fmt.Errorf("repairing recordings left by the last run: %w", err)
	} else if n > 0 {
		cfg.Logger.Info("repaired recordings the last run left unfinished", "count", n)
	}
	return f, nil
}

// retention is a service's retention in days, as configured now.
func (s *Server) retention(service string) int {
	if svc, ok := s.Directory.Index().Services[service]; ok {
		return svc.Recording.Retention()
	}
	return site.DefaultRetentionDays
}

// recordingFiles gives the SIP layer the recordings' files as media's sinks.
type recordingFiles struct{ f *recording.Files }

func (r recordingFiles) Create(id telephony.RecordingID) (media.RecordSink, error) {
	return r.f.Create(string(id))
}
