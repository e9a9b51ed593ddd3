package recording

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"ringdesk/internal/store"
)

// Files is where recordings are kept: the data folder, and a bucket when one is configured.
type Files struct {
	dir    string
	bucket *Bucket
	st     store.Store
	log    *slog.Logger

	writing  atomic.Int64  // files open for writing
	failures atomic.Uint64 // recordings that could not be started or whose writes failed
	uploads  atomic.Uint64 // files that could not be moved to the bucket (kept in the folder)
	deleted  atomic.Uint64

	usageMu sync.Mutex
	usage   int64
	usageAt time.Time
}

// Config says where recordings go.
type Config struct {
	// Dir is the folder recordings are written to (and kept in, without a bucket).
	Dir string
	// Bucket, when set, is where complete recordings are moved.
	Bucket *Bucket
	Store  store.Store
	Logger *slog.Logger
}

// Open prepares the folder. It does not repair anything yet: Recover does, at start.
func Open(cfg Config) (*Files, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("recordings folder %s: %w", cfg.Dir, err)
	}
	return &Files{dir: cfg.Dir, bucket: cfg.Bucket, st: cfg.Store, log: cfg.Logger}, nil
}

// validID keeps ids to what the engine makes: letters, digits and '-', so that an id can
// never name a path outside the folder.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func (f *Files) path(id string) string { return filepath.Join(f.dir, id+".wav") }

// Stats reports the recordings being written, the recordings that failed, the files that
// could not be moved to the bucket and the recordings deleted for their age.
func (f *Files) Stats() (writing int64, failures, uploadFailures, deleted uint64) {
	return f.writing.Load(), f.failures.Load(), f.uploads.Load(), f.deleted.Load()
}

// DiskBytes is what the recordings folder holds, looked at most every 10 s.
func (f *Files) DiskBytes() int64 {
	f.usageMu.Lock()
	defer f.usageMu.Unlock()
	if time.Since(f.usageAt) < 10*time.Second && !f.usageAt.IsZero() {
		return f.usage
	}
	var n int64
	_ = filepath.WalkDir(f.dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	f.usage, f.usageAt = n, time.Now()
	return n
}

// Create starts the file of recording id. Its record must exist (the engine writes it first).
func (f *Files) Create(id string) (*Writer, error) {
	if !validID(id) {
		f.failures.Add(1)
		return nil, fmt.Errorf("recording: bad id %q", id)
	}
	file, err := os.OpenFile(f.path(id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		f.failures.Add(1)
		return nil, err
	}
	h := header(0)
	if _, err := file.Write(h[:]); err != nil {
		file.Close()
		os.Remove(f.path(id))
		f.failures.Add(1)
		return nil, err
	}
	f.writing.Add(1)
	return &Writer{f: f, id: id, file: file}, nil
}

// Writer is one recording's file as it is written. It implements media.RecordSink.
type Writer struct {
	f      *Files
	id     string
	file   *os.File
	data   int64 // bytes of samples written
	marked int64 // what the header says
	failed bool
	buf    []byte
}

// WriteFrames appends interleaved stereo samples.
func (w *Writer) WriteFrames(samples []int16) error {
	if w.failed {
		return errors.New("recording: the file failed earlier")
	}
	if cap(w.buf) < 2*len(samples) {
		w.buf = make([]byte, 2*len(samples))
	}
	b := w.buf[:2*len(samples)]
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	n, err := w.file.Write(b)
	w.data += int64(n) / frameBytes * frameBytes
	if err != nil {
		w.failed = true
		w.f.failures.Add(1)
		w.f.log.Warn("a recording could not be written; it keeps what it has", "recording", w.id, "err", err)
		_ = writeSizes(w.file, w.data) // the header shrinks nothing: it fits whatever the disk
		return err
	}
	if w.data-w.marked >= headerPeriod {
		if err := writeSizes(w.file, w.data); err != nil {
			w.failed = true
			w.f.failures.Add(1)
			return err
		}
		w.marked = w.data
	}
	return nil
}

// Close completes the file, moves it to the bucket when there is one, and records where it
// is and its size.
func (w *Writer) Close() error {
	defer w.f.writing.Add(-1)
	err := writeSizes(w.file, w.data)
	if err == nil {
		err = w.file.Sync()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	if err != nil && !w.failed {
		w.f.failures.Add(1)
	}
	w.f.stored(context.Background(), w.id, w.data)
	return err
}

// stored moves a complete file to the bucket (when there is one) and records where it is.
// A file the bucket does not take stays in the folder and is played from there.
func (f *Files) stored(ctx context.Context, id string, data int64) {
	loc, size := store.RecordingLocal, headerLen+data
	if f.bucket != nil {
		uctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := f.bucket.Put(uctx, id, f.path(id))
		cancel()
		if err != nil {
			f.uploads.Add(1)
			f.log.Error("a recording could not be moved to the bucket; it stays in the data folder", "recording", id, "err", err)
		} else {
			loc = store.RecordingBucket
			os.Remove(f.path(id))
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := f.st.Recordings().SetStored(sctx, id, loc, size); err != nil {
		f.log.Error("where a recording is kept could not be recorded", "recording", id, "err", err)
	}
}

// Recover repairs the files of recordings a crash left being written, and closes their
// records: they end where their files end. Run it at start, before any call.
func (f *Files) Recover(ctx context.Context) (int, error) {
	live, err := f.st.Recordings().Live(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range live {
		data, err := Repair(f.path(r.ID))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			data = 0 // never created: its start failed with the process
		case err != nil:
			f.log.Error("a recording left by a crash could not be repaired", "recording", r.ID, "err", err)
			continue
		}
		secs := Seconds(data)
		end := r.StartedAt.Add(time.Duration(secs * float64(time.Second)))
		r.EndedAt, r.Seconds, r.Status = &end, secs, store.RecordingDone
		if r.Seconds < r.PausedSeconds {
			r.PausedSeconds = r.Seconds
		}
		if err := f.st.Recordings().Save(ctx, r); err != nil {
			return 0, err
		}
		if data > 0 || err == nil {
			f.stored(ctx, r.ID, data)
		}
		f.log.Info("repaired a recording the last run left unfinished", "recording", r.ID, "seconds", secs)
	}
	return len(live), nil
}

// Reader is a recording's audio for the API: it seeks (HTTP Range) and closes.
type Reader = io.ReadSeekCloser

// Open returns a recording's audio and when it was last written.
func (f *Files) Open(ctx context.Context, r store.Recording) (Reader, time.Time, error) {
	if !validID(r.ID) {
		return nil, time.Time{}, fs.ErrNotExist
	}
	if r.Location == store.RecordingBucket && f.bucket != nil {
		return f.bucket.Get(ctx, r.ID)
	}
	file, err := os.Open(f.path(r.ID))
	if err != nil {
		return nil, time.Time{}, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, time.Time{}, err
	}
	return file, st.ModTime(), nil
}

// remove deletes a recording's file wherever it is; one already gone is no error.
func (f *Files) remove(ctx context.Context, r store.Recording) error {
	if !validID(r.ID) {
		return nil
	}
	if r.Location == store.RecordingBucket && f.bucket != nil {
		if err := f.bucket.Remove(ctx, r.ID); err != nil {
			return err
		}
	}
	if err := os.Remove(f.path(r.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
