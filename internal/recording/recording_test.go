package recording

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
)

var ctx = context.Background()

func openFiles(t *testing.T, b *Bucket) (*Files, store.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "ringdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f, err := Open(Config{Dir: filepath.Join(dir, "recordings"), Bucket: b, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return f, st
}

// frames is d of a tone in the left channel and another in the right.
func frames(d time.Duration, left, right float64) []int16 {
	n := int(d / (time.Second / sampleRate))
	out := make([]int16, 0, 2*n)
	for i := range n {
		t := float64(i) / sampleRate
		out = append(out, int16(8000*math.Sin(2*math.Pi*left*t)), int16(8000*math.Sin(2*math.Pi*right*t)))
	}
	return out
}

// dataSize is what a file's header says it holds.
func dataSize(t *testing.T, path string) (riff, data uint32, size int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < headerLen || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || binary.LittleEndian.Uint16(b[22:]) != 2 ||
		binary.LittleEndian.Uint32(b[24:]) != 8000 || binary.LittleEndian.Uint16(b[34:]) != 16 {
		t.Fatalf("%s is not a 16-bit stereo 8 kHz WAV: % x", path, b[:min(len(b), headerLen)])
	}
	return binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[40:]), int64(len(b))
}

func begin(t *testing.T, f *Files, st store.Store, id string, at time.Time) *Writer {
	t.Helper()
	if err := st.Recordings().Save(ctx, store.Recording{ID: id, Call: "C-" + id, Service: "support", Agent: "kim", StartedAt: at}); err != nil {
		t.Fatal(err)
	}
	w, err := f.Create(id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A process that dies mid-call leaves a file that plays up to its last second, and the next
// start repairs its header to its full length and closes its record.
func TestCrashLeavesAPlayableFileThatStartRepairs(t *testing.T) {
	f, st := openFiles(t, nil)
	w := begin(t, f, st, "R1", time.Now())
	for range 5 {
		if err := w.WriteFrames(frames(500*time.Millisecond, 660, 440)); err != nil {
			t.Fatal(err)
		}
	}
	// killed here: the file is never closed; a half-written sample dangles at its end
	w.file.Write([]byte{1, 2, 3})
	path := f.path("R1")
	riff, data, size := dataSize(t, path)
	if data != 2*bytesPerSec || riff != 36+data {
		t.Errorf("mid-call the header says %d bytes of audio (RIFF %d), want the 2 whole seconds written by then", data, riff)
	}
	if size != headerLen+int64(2.5*bytesPerSec)+3 {
		t.Errorf("file of %d bytes", size)
	}
	w.file.Close()

	n, err := f.Recover(ctx)
	if err != nil || n != 1 {
		t.Fatalf("recovered %d, %v", n, err)
	}
	riff, data, size = dataSize(t, path)
	if data != 2.5*bytesPerSec || riff != 36+data || size != headerLen+int64(data) {
		t.Errorf("after repair: data %d, RIFF %d, file %d; want 2.5 s whole", data, riff, size)
	}
	r, err := st.Recordings().Get(ctx, "R1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != store.RecordingDone || r.Seconds != 2.5 || r.EndedAt == nil || r.Bytes != size || r.Location != store.RecordingLocal {
		t.Errorf("the record after repair: %+v", r)
	}
	if n, _ := f.Recover(ctx); n != 0 {
		t.Errorf("a second start repaired %d again", n)
	}
}

// A full disk (here a file-size limit, the kernel's EFBIG) stops the recording with what it
// has, playable, and is counted; nothing panics and the writer's caller is told.
func TestFullDiskStopsTheRecordingWithWhatItHas(t *testing.T) {
	f, st := openFiles(t, nil)
	w := begin(t, f, st, "R2", time.Now())
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skip(err)
	}
	const limit = 100_000 // about three seconds of audio
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Skip(err)
	}
	var werr error
	for i := 0; i < 50 && werr == nil; i++ {
		werr = w.WriteFrames(frames(200*time.Millisecond, 660, 440))
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(werr, syscall.EFBIG) {
		t.Fatalf("writing past the quota: %v, want EFBIG", werr)
	}
	if err := w.WriteFrames(frames(20*time.Millisecond, 0, 0)); err == nil {
		t.Error("a failed recording took more audio")
	}
	if err := w.Close(); err != nil {
		t.Errorf("closing a failed recording: %v", err)
	}
	_, data, size := dataSize(t, f.path("R2"))
	if size > limit || int64(data) != size-headerLen || data == 0 {
		t.Errorf("the file holds %d bytes, its header says %d of audio", size, data)
	}
	if _, failures, _, _ := f.Stats(); failures != 1 {
		t.Errorf("%d failures counted, want 1", failures)
	}
	if r, _ := st.Recordings().Get(ctx, "R2"); r.Bytes != size {
		t.Errorf("recorded size %d, file %d", r.Bytes, size)
	}
}

// A folder that cannot be written refuses a new recording at once. (Tests may run as root,
// who writes to a read-only folder anyway: the folder is replaced by a file instead.)
func TestUnwritableFolderRefusesARecording(t *testing.T) {
	f, _ := openFiles(t, nil)
	os.RemoveAll(f.dir)
	os.WriteFile(f.dir, []byte("not a folder"), 0o400)
	if _, err := f.Create("R3"); err == nil {
		t.Fatal("a recording was started where nothing can be written")
	}
	if _, failures, _, _ := f.Stats(); failures != 1 {
		t.Errorf("%d failures counted, want 1", failures)
	}
	if _, err := f.Create("../../etc/passwd"); err == nil || !strings.Contains(err.Error(), "bad id") {
		t.Errorf("an id naming a path: %v", err)
	}
}

// The daily job deletes what is older than its service's retention — file, record — and logs
// each deletion; what is younger, or still being written, stays.
func TestRetentionDeletesExpiredRecordings(t *testing.T) {
	f, st := openFiles(t, nil)
	c := clocktest.New()
	now := c.Now()
	mk := func(id, service string, age time.Duration, done bool) {
		if err := st.Recordings().Save(ctx, store.Recording{ID: id, Call: "C-" + id, Service: service, StartedAt: now.Add(-age)}); err != nil {
			t.Fatal(err)
		}
		w, err := f.Create(id)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteFrames(frames(100*time.Millisecond, 660, 440))
		w.Close()
		if done {
			r, _ := st.Recordings().Get(ctx, id)
			r.Status = store.RecordingDone
			st.Recordings().Save(ctx, r)
		}
	}
	day := 24 * time.Hour
	mk("old", "support", 31*day, true)      // support keeps 30 days: deleted
	mk("young", "support", 29*day, true)    // kept
	mk("writing", "support", 40*day, false) // still being written: kept
	mk("sales", "sales", 40*day, true)      // sales keeps 90 days: kept
	mk("gone", "closed", 100*day, true)     // a service that is gone keeps the default 90: deleted
	retention := func(s string) int {
		switch s {
		case "support":
			return 30
		case "sales":
			return 90
		}
		return 90
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { f.RunDaily(ctx, c, retention); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for _, _, _, d := f.Stats(); d < 2; _, _, _, d = f.Stats() {
		if time.Now().After(deadline) {
			t.Fatal("the first sweep did not delete the expired recordings")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for id, kept := range map[string]bool{"old": false, "young": true, "writing": true, "sales": true, "gone": false} {
		_, err := st.Recordings().Get(ctx, id)
		_, ferr := os.Stat(f.path(id))
		if kept != (err == nil) || kept != (ferr == nil) {
			t.Errorf("%s: record %v, file %v; kept should be %v", id, err, ferr, kept)
		}
	}
	log, _ := st.Recordings().AccessLog(ctx, "old", 10)
	if len(log) != 1 || log[0].Action != "deleted" || log[0].Login != "system" {
		t.Errorf("the deletion of old is not logged: %+v", log)
	}
	// a day later "young" is 30 days old… and one more day makes it expire
	for c.Pending() == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Advance(day)
	c.Advance(day)
	for _, _, _, d := f.Stats(); d < 3; _, _, _, d = f.Stats() {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatal("the next days' sweeps did not delete young once expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

// fakeBucket serves S3 in-process; stop makes it fail like a bucket that went away.
func fakeBucket(t *testing.T) (*Bucket, *s3mem.Backend, func()) {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket("calls"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	b, err := ParseBucket("s3://key:secret@" + strings.TrimPrefix(srv.URL, "http://") + "/calls/recordings?insecure=1&region=us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	return b, be, srv.Close
}

// With a bucket, a complete recording moves there, plays back from there with seeks, and is
// deleted from there; a bucket that fails leaves the recording in the data folder, where it
// still plays.
func TestBucketKeepsRecordings(t *testing.T) {
	b, be, stop := fakeBucket(t)
	f, st := openFiles(t, b)
	w := begin(t, f, st, "R10", time.Now())
	audio := frames(time.Second, 660, 440)
	w.WriteFrames(audio)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, _ := st.Recordings().Get(ctx, "R10")
	if r.Location != store.RecordingBucket || r.Bytes != headerLen+bytesPerSec {
		t.Fatalf("after upload: %+v", r)
	}
	if _, err := os.Stat(f.path("R10")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the uploaded file is still in the folder: %v", err)
	}
	if _, err := be.HeadObject("calls", "recordings/R10.wav"); err != nil {
		t.Errorf("not in the bucket under the prefix: %v", err)
	}
	rd, _, err := f.Open(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Seek(headerLen+4*100, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var s [4]byte
	io.ReadFull(rd, s[:])
	rd.Close()
	if l, rr := int16(binary.LittleEndian.Uint16(s[0:])), int16(binary.LittleEndian.Uint16(s[2:])); l != audio[200] || rr != audio[201] {
		t.Errorf("sample 100 read back from the bucket: %d %d, want %d %d", l, rr, audio[200], audio[201])
	}
	if err := f.remove(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := be.HeadObject("calls", "recordings/R10.wav"); err == nil {
		t.Error("still in the bucket after removal")
	}

	stop()
	w = begin(t, f, st, "R11", time.Now())
	w.WriteFrames(audio)
	w.Close()
	r, _ = st.Recordings().Get(ctx, "R11")
	if r.Location != store.RecordingLocal {
		t.Errorf("a recording the bucket did not take: %+v", r)
	}
	if _, _, up, _ := f.Stats(); up != 1 {
		t.Errorf("%d upload failures counted", up)
	}
	if rd, _, err := f.Open(ctx, r); err != nil {
		t.Errorf("a recording kept in the folder does not open: %v", err)
	} else {
		rd.Close()
	}
}
