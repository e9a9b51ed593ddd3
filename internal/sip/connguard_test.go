package sip

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"ringdesk/internal/sip/siptest"
)

// TestConnectionsAreBoundedAndTimedOut: connections beyond an address's share are closed as
// they are accepted, silent ones once their idle time is up; a phone that registered over
// its connection keeps it past that time.
//
// Fails before issue 9: every connection was held for as long as its peer liked.
func TestConnectionsAreBoundedAndTimedOut(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TCPIdle, c.TCPPerSource = 300*time.Millisecond, 3 })
	phone := e.phone("1001", siptest.Options{Transport: "TCP"})
	var open atomic.Int32
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}}
	for range 5 {
		c, err := d.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		open.Add(1)
		go func() {
			buf := make([]byte, 64)
			for {
				if _, err := c.Read(buf); err != nil {
					open.Add(-1)
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() > 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := open.Load(); n != 3 {
		t.Fatalf("%d of 5 connections from one address open, want 3", n)
	}
	for open.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := open.Load(); n != 0 {
		t.Fatalf("%d silent connections still open", n)
	}
	if n := e.s.Counters().TCPRefused; n != 2 {
		t.Fatalf("%d refused, want 2", n)
	}
	time.Sleep(300 * time.Millisecond) // the phone's connection has been as idle as theirs
	if n := e.s.conns.count(); n != 1 {
		t.Fatalf("%d connections open, want the phone's", n)
	}
	phone.MustRegister()
	if n := e.s.conns.count(); n != 1 {
		t.Fatalf("%d connections after the phone registered again, want its one", n)
	}
}
