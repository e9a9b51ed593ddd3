package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"ringdesk/internal/sip/siptest"
)

// restart stops the server and starts another on the same data directory and SIP address,
// as an upgrade does.
func (r *rig) restart() {
	r.t.Helper()
	if err := r.srv.Close(); err != nil {
		r.t.Fatal(err)
	}
	lo := 20000 + rand.IntN(400)*100
	srv, err := Start(context.Background(), Config{DataDir: r.srv.cfg.DataDir, HTTP: "127.0.0.1:0", SIP: r.sip,
		RTPPorts: fmt.Sprintf("%d-%d", lo, lo+99)})
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = srv
	r.t.Cleanup(func() { srv.Close() })
	r.base = "http://" + srv.HTTPAddr()
}

// TestPhonesStayRegisteredAcrossARestart: kim's desk phone registered before a restart; after
// it, kim logs in to CTI, goes 대기, and a customer's call rings that phone — with no new
// REGISTER in between. Fails before the fix: the registrar was empty after a restart, the
// offer failed at once and kim was moved to 휴식.
func TestPhonesStayRegisteredAcrossARestart(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880})
	r.restart()

	kim := r.agent("kim")
	kim.ready()
	cust, err := r.trunk.DialFrom(did, customerN)
	if err != nil {
		t.Fatal(err)
	}
	ring := connect(t, kim, kimPhone)
	hears(t, "kim, rung without registering again", listen(ring, time.Second), 440)
	cust.Hangup()
	kim.await("after_call")
}
