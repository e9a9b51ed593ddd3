package security_test

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A thousand connections from one address that send a request body a byte at a time, or
// nothing at all, must not be held: beyond a per-address bound they are closed at once, the
// rest when their header or body is overdue. A client elsewhere is served throughout.
//
// Fails on today's code: all thousand were held open for as long as the attacker liked.
func TestSlowClientsAreCutOff(t *testing.T) {
	s := start(t)
	const n = 1000
	var open atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); wg.Wait() })
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}, Timeout: 5 * time.Second}
	for i := range n {
		conn, err := d.Dial("tcp", s.HTTP)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		open.Add(1)
		wg.Go(func() {
			<-stop
			conn.Close()
		})
		// a reader notices when the server lets go
		wg.Go(func() {
			buf := make([]byte, 512)
			for {
				if _, err := conn.Read(buf); err != nil {
					open.Add(-1)
					return
				}
			}
		})
		if i%2 == 0 {
			continue // says nothing at all
		}
		// a login whose body never quite arrives
		wg.Go(func() {
			_, err := fmt.Fprintf(conn, "POST /api/v1/session HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", s.HTTP)
			for err == nil {
				select {
				case <-stop:
					return
				case <-time.After(300 * time.Millisecond):
				}
				_, err = conn.Write([]byte(" "))
			}
		})
	}
	attackBegan := time.Now()

	// a user elsewhere logs in and works while it goes on
	c := from("127.0.0.2")
	begin := time.Now()
	token := login(t, c, s.Base, "kim", "kim-pw")
	if r := call(t, c, "GET", s.Base+"/api/v1/cti", nil, bearer(token)); r.Status != 200 {
		t.Fatalf("a legitimate request during the attack: %s", r)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("the legitimate user waited %v", took)
	}

	waitFor(t, 3*time.Second, "connections beyond the per-address bound closed at once", func() bool { return open.Load() <= 300 })
	t.Logf("%d of %d still open %v after they were made", open.Load(), n, time.Since(attackBegan).Round(time.Millisecond))
	waitFor(t, 25*time.Second, "every slow connection cut off", func() bool { return open.Load() == 0 })
	t.Logf("all cut off %v after they were made", time.Since(attackBegan).Round(time.Second))
	login(t, from("127.0.0.1"), s.Base, "kim", "kim-pw") // and the address is welcome again
}
