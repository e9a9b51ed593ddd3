package sip

import (
	"context"
	"sync"
	"sync/atomic"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// RecordingFiles makes the files calls are recorded to; the caller backs it with the data
// folder or a bucket.
type RecordingFiles interface {
	Create(id telephony.RecordingID) (media.RecordSink, error)
}

// recordings are the calls being recorded.
type recordings struct {
	files atomic.Pointer[RecordingFiles]
	mu    sync.Mutex
	live  map[telephony.RecordingID]*media.Recorder
	open  sync.WaitGroup // recordings whose files are not closed yet
}

// SetRecordingFiles says where recordings are written. Without it every recording fails (and
// says so), and calls go on.
func (s *Server) SetRecordingFiles(f RecordingFiles) { s.recs.files.Store(&f) }

// endpoints are the media of legs that have some.
func (s *Server) endpoints(ids []telephony.LegID) []media.Endpoint {
	var out []media.Endpoint
	for _, id := range ids {
		if l := s.leg(id); l != nil {
			if ep := s.endpoint(l); ep != nil {
				out = append(out, ep)
			}
		}
	}
	return out
}

// Mix implements telephony.Telephony.
func (s *Server) Mix(id telephony.LegID, sources []telephony.LegID) {
	l := s.leg(id)
	if l == nil {
		return
	}
	ep := s.endpoint(l)
	if ep == nil {
		s.log.Debug("Mix to a leg without media", "leg", id)
		return
	}
	s.media.Mix(ep, s.endpoints(sources))
}

// Record implements telephony.Telephony.
func (s *Server) Record(id telephony.RecordingID, left, right []telephony.LegID) {
	r := &s.recs
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec := r.live[id]; rec != nil {
		rec.SetSources(s.endpoints(left), s.endpoints(right))
		return
	}
	var files RecordingFiles
	if f := r.files.Load(); f != nil {
		files = *f
	}
	if files == nil {
		s.log.Error("a call should be recorded but no storage for recordings is set", "recording", id)
		s.recordingFailed(id)
		return
	}
	sink, err := files.Create(id)
	if err != nil {
		s.log.Error("a recording could not be started; the call goes on unrecorded", "recording", id, "err", err)
		s.recordingFailed(id)
		return
	}
	if r.live == nil {
		r.live = map[telephony.RecordingID]*media.Recorder{}
	}
	// a recording that cannot be written is stopped here and now (its file closed with what
	// it holds), not when the call ends
	rec := s.media.Record(sink, s.endpoints(left), s.endpoints(right), func(error) {
		s.StopRecording(id)
		s.recordingFailed(id)
	})
	r.live[id] = rec
	r.open.Add(1)
	go func() { <-rec.Done(); r.open.Done() }()
}

// RecordingsClosed waits until every recording stopped so far has its file closed, or ctx
// ends: a clean stop keeps whole files. It reports whether they all were.
func (s *Server) RecordingsClosed(ctx context.Context) bool {
	done := make(chan struct{})
	go func() { s.recs.open.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// recordingFailed tells the engine, never from inside one of its commands.
func (s *Server) recordingFailed(id telephony.RecordingID) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.handler().Report(telephony.Event{Kind: telephony.RecordingFailed, Recording: id})
	}()
}

// PauseRecording implements telephony.Telephony.
func (s *Server) PauseRecording(id telephony.RecordingID, paused bool) {
	s.recs.mu.Lock()
	rec := s.recs.live[id]
	s.recs.mu.Unlock()
	if rec != nil {
		rec.Pause(paused)
	}
}

// StopRecording implements telephony.Telephony.
func (s *Server) StopRecording(id telephony.RecordingID) {
	s.recs.mu.Lock()
	rec := s.recs.live[id]
	delete(s.recs.live, id)
	s.recs.mu.Unlock()
	if rec != nil {
		rec.Stop()
	}
}

// Recording returns a recording in progress (tests wait on its Done).
func (s *Server) Recording(id telephony.RecordingID) (*media.Recorder, bool) {
	s.recs.mu.Lock()
	defer s.recs.mu.Unlock()
	rec, ok := s.recs.live[id]
	return rec, ok
}

// Recordings reports how many calls are being recorded.
func (s *Server) Recordings() int {
	s.recs.mu.Lock()
	defer s.recs.mu.Unlock()
	return len(s.recs.live)
}
