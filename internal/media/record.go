package media

import (
	"errors"
	"sync"
	"sync/atomic"
)

// A recording is written as the call happens: every 20 ms, on the same pacing as mixes
// (mix.go), it takes a frame from each input, sums the left inputs (the customer) into the
// left channel and the right inputs (the agent's side) into the right, and hands the stereo
// frame to its sink. What legs hear — hold music, announcements, a supervisor's whisper — is
// never an input: a recording holds only what the parties sent. The sink is written on a
// goroutine of the recording's own, never on the pacer: a slow disk delays nobody's audio.
// When the sink fails (a full disk, a bucket that is gone), the recording stops and says so;
// the call it records goes on.

// RecordSink takes a recording's audio as it is made.
type RecordSink interface {
	// WriteFrames takes whole 20 ms frames of two channels: 160 pairs of 16-bit samples at
	// 8 kHz each, interleaved left, right. It may keep nothing of the slice.
	WriteFrames(samples []int16) error
	// Close ends the recording; nothing is written after.
	Close() error
}

const (
	// recordBatch is how many frames go to the sink in one write: half a second, 16 kB.
	recordBatch = 25
	// recordQueue is how many batches may wait for a slow sink (10 s) before the recording
	// is given up as failed: its file would otherwise be missing that audio.
	recordQueue = 20
)

// batches are reused: a few hundred recordings would otherwise hand the collector megabytes
// a second.
var batches = sync.Pool{New: func() any { b := make([]int16, 0, recordBatch*2*frameSamples); return &b }}

// ErrRecordingBehind is why a recording stops when its sink cannot keep up.
var ErrRecordingBehind = errors.New("media: the recording's storage fell more than 10 s behind")

// Recorder is one recording in progress.
type Recorder struct {
	m      *Manager
	sink   RecordSink
	pace   *player
	onFail func(error)

	sides  atomic.Pointer[[2][]*tap] // left, right
	paused atomic.Bool
	failed atomic.Bool
	frames atomic.Int64 // written to the sink
	// the batch being filled: the pacer's alone until stop, then Stop's
	batch []int16
	queue chan []int16
	stop  sync.Once
	done  chan struct{}
	errMu sync.Mutex
	err   error
	accL  [frameSamples]int32
	accR  [frameSamples]int32
}

// Record starts recording: the left channel is the sum of what left sends, the right the
// sum of what right sends. onFail, when set, is told once (on a goroutine of its own) when
// the sink fails and the recording stops.
func (m *Manager) Record(sink RecordSink, left, right []Endpoint, onFail func(error)) *Recorder {
	r := &Recorder{m: m, sink: sink, onFail: onFail, queue: make(chan []int16, recordQueue), done: make(chan struct{})}
	r.pace = &player{m: m, job: r.tick}
	r.SetSources(left, right)
	go r.write()
	m.sched.add(r.pace, m.sched.nextGridTick())
	return r
}

// SetSources changes whose audio goes into each channel from the next frame on: the agent's
// side changes with a hold, a transfer or a supervisor barging in.
func (r *Recorder) SetSources(left, right []Endpoint) {
	m := r.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.pace.state.Load() != playing {
		return
	}
	var sides [2][]*tap
	for i, list := range [2][]Endpoint{left, right} {
		for _, src := range list {
			if src == nil {
				continue
			}
			t := newTap(src)
			m.addTapLocked(src, t)
			sides[i] = append(sides[i], t)
		}
	}
	if old := r.sides.Swap(&sides); old != nil {
		m.dropTapsLocked(old[0])
		m.dropTapsLocked(old[1])
	}
}

// Pause makes the recording silence in both channels while paused; what the parties say
// meanwhile is not kept anywhere.
func (r *Recorder) Pause(paused bool) { r.paused.Store(paused) }

// Frames reports how many 20 ms frames the sink has taken.
func (r *Recorder) Frames() int64 { return r.frames.Load() }

// Failed reports why the recording stopped early, or nil.
func (r *Recorder) Failed() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

// Stop ends the recording: no more frames are taken, what was taken is written and the sink
// closed, on the recording's goroutine (Done tells when). Stopping twice is harmless.
func (r *Recorder) Stop() {
	r.stop.Do(func() {
		m := r.m
		r.pace.stop() // once it returns no tick runs: the batch is ours
		m.mu.Lock()
		if old := r.sides.Swap(&[2][]*tap{}); old != nil {
			m.dropTapsLocked(old[0])
			m.dropTapsLocked(old[1])
		}
		m.mu.Unlock()
		if len(r.batch) > 0 && !r.failed.Load() {
			select {
			case r.queue <- r.batch:
			default:
				r.fail(ErrRecordingBehind)
			}
		}
		r.batch = nil
		close(r.queue)
	})
}

// Done is closed once the sink is closed.
func (r *Recorder) Done() <-chan struct{} { return r.done }

// tick takes one stereo frame.
func (r *Recorder) tick() bool {
	if r.failed.Load() {
		return false
	}
	sides := r.sides.Load()
	r.accL, r.accR = [frameSamples]int32{}, [frameSamples]int32{}
	if r.paused.Load() {
		for _, t := range sides[0] {
			t.drain()
		}
		for _, t := range sides[1] {
			t.drain()
		}
	} else {
		for _, t := range sides[0] {
			t.addTo(&r.accL)
		}
		for _, t := range sides[1] {
			t.addTo(&r.accR)
		}
	}
	if r.batch == nil {
		r.batch = (*batches.Get().(*[]int16))[:0]
	}
	n := len(r.batch)
	r.batch = r.batch[:n+2*frameSamples]
	out := r.batch[n:]
	for i := range frameSamples {
		out[2*i], out[2*i+1] = sat16(r.accL[i]), sat16(r.accR[i])
	}
	if len(r.batch) == cap(r.batch) {
		select {
		case r.queue <- r.batch:
			r.batch = nil
		default:
			r.fail(ErrRecordingBehind)
			return false
		}
	}
	return true
}

// write hands batches to the sink until the recording stops or the sink fails.
func (r *Recorder) write() {
	defer close(r.done)
	for b := range r.queue {
		if !r.failed.Load() {
			if err := r.sink.WriteFrames(b); err != nil {
				r.fail(err)
			} else {
				r.frames.Add(int64(len(b) / (2 * frameSamples)))
			}
		}
		b = b[:0]
		batches.Put(&b)
	}
	if err := r.sink.Close(); err != nil && !r.failed.Load() {
		r.fail(err)
	}
}

// fail stops the recording for err, once.
func (r *Recorder) fail(err error) {
	if !r.failed.CompareAndSwap(false, true) {
		return
	}
	r.errMu.Lock()
	r.err = err
	r.errMu.Unlock()
	r.m.log.Warn("media: a recording stopped: its storage failed; the call goes on", "err", err)
	if r.onFail != nil {
		go r.onFail(err)
	}
}
