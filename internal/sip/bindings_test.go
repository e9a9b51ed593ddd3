package sip

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/media"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/telephony"
)

// keptBindings is a BindingStore in memory, standing in for the database across "restarts".
type keptBindings struct {
	mu    sync.Mutex
	byExt map[string][]Binding
	fail  error
	saves int
}

func (k *keptBindings) SaveBindings(_ context.Context, ext string, list []Binding) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	k.saves++
	if len(list) == 0 {
		delete(k.byExt, ext)
	} else {
		k.byExt[ext] = append([]Binding(nil), list...)
	}
	return nil
}

// of returns what is kept of an extension, and how many saves there were.
func (k *keptBindings) of(ext string) ([]Binding, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Binding(nil), k.byExt[ext]...), k.saves
}

func (k *keptBindings) LiveBindings(_ context.Context, now time.Time) ([]Binding, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []Binding
	for _, list := range k.byExt {
		for _, b := range list {
			if b.Expires.After(now) {
				out = append(out, b)
			}
		}
	}
	return out, nil
}

// serverWith starts a server of its own on the store, as a restart would.
func serverWith(t *testing.T, kept BindingStore) (*Server, *script) {
	t.Helper()
	lo, hi := rtpRange()
	m, err := media.NewManager(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: lo, PortMax: hi, Logger: testLogger()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newScript()
	s, err := New(Config{Listen: "127.0.0.1:0", Bindings: kept, TrunkProbe: -1}, h, m, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	s.SetSite(testSite(0))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return s, h
}

// TestRegistrationsAreKeptAcrossARestart: a phone registers with one server; the next server
// on the same store rings it at once, without a new REGISTER, with the binding as it was.
func TestRegistrationsAreKeptAcrossARestart(t *testing.T) {
	kept := &keptBindings{byExt: map[string][]Binding{}}
	first, _ := serverWith(t, kept)
	kim := siptest.NewPhone(t, first.Addr(), "1001", passwords["1001"])
	kim.MustRegister()
	list, saves := kept.of("1001")
	if saves != 1 || len(list) != 1 {
		t.Fatalf("stored %+v (%d saves) after one REGISTER", list, saves)
	}
	b := list[0]
	if b.Contact != "sip:1001@"+kim.Addr() || b.Source != kim.Addr() || b.Transport != "UDP" || b.CallID == "" || b.CSeq == 0 ||
		time.Until(b.Expires) < 9*time.Minute {
		t.Fatalf("stored binding %+v", b)
	}
	first.Close()

	second, h := serverWith(t, kept)
	if !second.Registered("1001") {
		t.Fatal("the phone is not registered after the restart")
	}
	second.Place("to-kim", telephony.Target{Kind: telephony.TargetExtension, Extension: "1001", CallerID: "0101"})
	ring := kim.Incoming(5 * time.Second)
	if err := ring.Answer(); err != nil {
		t.Fatal(err)
	}
	h.wait(t, "to-kim", telephony.Answered)
	second.Hangup("to-kim", telephony.CauseNormal)
	ring.WaitEnded(5 * time.Second)
	// unregistering is kept too
	kim.Server = second.Addr()
	code, _ := kim.Unregister()
	if list, _ := kept.of("1001"); code != 200 || second.Registered("1001") || len(list) != 0 {
		t.Fatalf("unregister: %d, kept %+v", code, list)
	}
}

// TestRegisterNotStoredIsRefused: a REGISTER whose binding cannot be stored is refused and
// changes nothing, so that what a restart finds is what the phone was told.
func TestRegisterNotStoredIsRefused(t *testing.T) {
	kept := &keptBindings{byExt: map[string][]Binding{}, fail: errors.New("disk full")}
	s, _ := serverWith(t, kept)
	kim := siptest.NewPhone(t, s.Addr(), "1001", passwords["1001"])
	if code, _ := kim.Register(600); code != 500 {
		t.Fatalf("REGISTER with a failing store answered %d, want 500", code)
	}
	if s.Registered("1001") {
		t.Fatal("registered although not stored")
	}
}
