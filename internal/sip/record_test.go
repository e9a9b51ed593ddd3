package sip

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/media"
	"ringdesk/internal/telephony"
)

// failingSink takes a few frames, then fails as a full disk does.
type failingSink struct {
	mu     sync.Mutex
	frames int
	closed chan struct{}
}

func (f *failingSink) WriteFrames(x []int16) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frames >= 50 {
		return errors.New("no space left on device")
	}
	f.frames += len(x) / 320
	return nil
}

func (f *failingSink) Close() error { close(f.closed); return nil }

type sinkFiles struct{ sink *failingSink }

func (s sinkFiles) Create(telephony.RecordingID) (media.RecordSink, error) { return s.sink, nil }

type reportsTo chan telephony.Event

func (reportsTo) Inbound(telephony.InboundCall) error { return nil }
func (reportsTo) Dialled(telephony.PhoneCall) error   { return nil }
func (r reportsTo) Report(e telephony.Event)          { r <- e }

// A recording whose storage fails is stopped at once — its file closed with what it holds,
// nothing left running until the call ends — and the engine is told once. Before, the
// recorder's writer waited for a StopRecording that the engine never sends for a failed
// recording: the file stayed open and a clean stop waited on it.
func TestFailedRecordingIsStoppedAndClosed(t *testing.T) {
	m, err := media.NewManager(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 43000, PortMax: 43100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	events := make(reportsTo, 4)
	s, err := New(Config{Listen: "127.0.0.1:0"}, events, m)
	if err != nil {
		t.Fatal(err)
	}
	sink := &failingSink{closed: make(chan struct{})}
	s.SetRecordingFiles(sinkFiles{sink})
	s.Record("R1", nil, nil)
	select {
	case e := <-events:
		if e.Kind != telephony.RecordingFailed || e.Recording != "R1" {
			t.Fatalf("reported %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the failure was not reported")
	}
	select {
	case <-sink.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the failed recording's file was never closed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if !s.RecordingsClosed(ctx) || s.Recordings() != 0 {
		t.Fatalf("%d recordings still running after the failure", s.Recordings())
	}
	s.StopRecording("R1") // the engine's word comes later: harmless
	select {
	case e := <-events:
		t.Fatalf("reported again: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}
