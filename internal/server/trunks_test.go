package server

import (
	"net"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
)

// TestDeadTrunkIsShownDownAndSkipped: with two trunks on prefix 9 — "dead", first, at an
// address where nothing answers, and the carrier — probing shows dead down and the carrier
// up in GET /api/v1/trunks and /metrics, and kim's 걸기 through prefix 9 reaches the carrier
// without waiting on the dead one.
func TestDeadTrunkIsShownDownAndSkipped(t *testing.T) {
	nothing, err := net.ListenPacket("udp4", "127.0.0.1:0") // takes packets, answers none
	if err != nil {
		t.Fatal(err)
	}
	defer nothing.Close()
	deadPort := nothing.LocalAddr().(*net.UDPAddr).Port
	r := newRigWith(t, func(c *Config) { c.TrunkProbe = 200 * time.Millisecond }, func(s *site.Site) {
		s.Trunks = append([]site.Trunk{{ID: "dead", Host: "127.0.0.1", Port: deadPort, Prefix: "9"}}, s.Trunks...)
	})
	root := r.agent("root")
	type trunk struct {
		ID         string   `json:"id"`
		Status     string   `json:"status"`
		LastAnswer *string  `json:"last_answer"`
		RTTMs      *float64 `json:"rtt_ms"`
	}
	var list struct{ Trunks []trunk }
	deadline := time.Now().Add(15 * time.Second)
	for {
		root.do("GET", "/api/v1/trunks", nil, 200, &list)
		if len(list.Trunks) == 2 && list.Trunks[0].Status == "down" && list.Trunks[1].LastAnswer != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trunks %+v", list.Trunks)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c := list.Trunks[1]; c.ID != "carrier" || c.Status != "up" || c.RTTMs == nil || *c.RTTMs <= 0 {
		t.Fatalf("the carrier: %+v", c)
	}
	if d := list.Trunks[0]; d.LastAnswer != nil || d.RTTMs != nil {
		t.Fatalf("the dead trunk: %+v", d)
	}
	m := string(root.do("GET", "/metrics", nil, 200, nil))
	for _, want := range []string{`ringdesk_trunk_up{trunk="dead"} 0`, `ringdesk_trunk_up{trunk="carrier"} 1`, `ringdesk_trunk_rtt_seconds{trunk="carrier"} `} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(m, `ringdesk_trunk_rtt_seconds{trunk="dead"}`) {
		t.Error("a round trip for a trunk that never answered")
	}

	r.phone("kim", "1001", siptest.Options{AutoAnswer: true})
	kim := r.agent("kim")
	kim.do("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	began := time.Now()
	kim.cmd("dial", map[string]string{"number": "901077778888", "caller_id": callerID})
	kim.await("on_call")
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("on the call %v after 걸기: the dead trunk was waited on", took)
	}
	if inv := r.trunk.LastInvite(); inv == nil || inv.Recipient.User != "01077778888" {
		t.Fatalf("the carrier got %v", inv)
	}
	kim.cmd("hangup", nil)
	kim.await("after_call")
}
