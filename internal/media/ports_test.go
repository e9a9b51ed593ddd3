package media

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestPortsAreEvenReturnedAndRunOutClearly(t *testing.T) {
	m := testManager(t, 34501, 34510) // even ports 34502…34508, each with its odd RTCP port: 4 sessions
	var ss []*Session
	seen := map[uint16]bool{}
	for range 4 {
		s, err := m.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		port := s.LocalAddr().Port()
		if port%2 != 0 || port < 34502 || port > 34510 || seen[port] {
			t.Fatalf("port %d", port)
		}
		seen[port] = true
		ss = append(ss, s)
	}
	_, err := m.NewSession()
	if !errors.Is(err, ErrNoPorts) {
		t.Fatalf("got %v, want ErrNoPorts", err)
	}
	t.Logf("when full: %v", err)
	if m.PortsInUse() != 4 {
		t.Fatalf("%d ports in use", m.PortsInUse())
	}
	ss[1].Close()
	s, err := m.NewSession()
	if err != nil || s.LocalAddr().Port() != ss[1].LocalAddr().Port() {
		t.Fatalf("the freed port is not reused: %v %v", s, err)
	}
	ss[1] = s
	for _, s := range ss {
		s.Close()
		s.Close() // twice is harmless
	}
	if m.PortsInUse() != 0 {
		t.Fatalf("%d ports still in use after closing every session", m.PortsInUse())
	}
}

// A port some other program holds is skipped, not reported as ours.
func TestPortsTakenElsewhereAreSkipped(t *testing.T) {
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 34600})
	if err != nil {
		t.Skip("port 34600 is busy:", err)
	}
	defer other.Close()
	m := testManager(t, 34600, 34604)
	s := newSession(t, m)
	if s.LocalAddr().Port() != 34602 {
		t.Fatalf("got port %d, want 34602", s.LocalAddr().Port())
	}
	if _, err := m.NewSession(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("got %v, want ErrNoPorts", err)
	}
}

// Issue 9, item 7: the next call's port cannot be guessed. Twenty sessions from a range of
// 500 pairs: if ports were handed out in order, each would be 2 above the one before; drawn
// at random, each is with probability 1/500, so ten such steps of nineteen happen with
// probability below 1e-22. Fails before the fix (every step was +2).
func TestPortsAreDrawnAtRandom(t *testing.T) {
	m := testManager(t, 45000, 46000)
	seq := 0
	prev := -1
	seen := map[uint16]bool{}
	for range 20 {
		s := newSession(t, m)
		port := s.LocalAddr().Port()
		if port%2 != 0 || seen[port] {
			t.Fatalf("port %d", port)
		}
		seen[port] = true
		if int(port) == prev+2 {
			seq++
		}
		prev = int(port)
	}
	if seq >= 10 {
		t.Fatalf("%d of 19 ports were the one after the last", seq)
	}
}

// A pair whose RTCP port some other program holds is skipped as a whole: we need both.
func TestPortsWhoseRTCPIsTakenAreSkipped(t *testing.T) {
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 34651})
	if err != nil {
		t.Skip("port 34651 is busy:", err)
	}
	defer other.Close()
	m := testManager(t, 34650, 34654)
	s := newSession(t, m)
	if s.LocalAddr().Port() != 34652 {
		t.Fatalf("got port %d, want 34652", s.LocalAddr().Port())
	}
	if _, err := m.NewSession(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("got %v, want ErrNoPorts", err)
	}
}

// A port just freed is not handed out again while others are free, so that late packets of
// an ended call do not reach the next one.
func TestFreedPortsRest(t *testing.T) {
	m := testManager(t, 34900, 34920) // ten pairs
	for range 30 {
		s := newSession(t, m)
		port := s.LocalAddr().Port()
		s.Close()
		var ns []*Session
		for range 5 {
			n := newSession(t, m)
			if n.LocalAddr().Port() == port {
				t.Fatalf("port %d handed out again right after it was freed", port)
			}
			ns = append(ns, n)
		}
		for _, n := range ns {
			n.Close()
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{
		{IP: netip.MustParseAddr("0.0.0.0"), PortMin: 20000, PortMax: 21000},
		{PortMin: 20000, PortMax: 21000},
		{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 80, PortMax: 1000},
		{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 20000, PortMax: 70000},
		{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 20000, PortMax: 20000},
	} {
		if m, err := NewManager(c, nil); err == nil {
			m.Close()
			t.Errorf("%+v accepted", c)
		}
	}
}
