package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/sip/siptest"
)

// TestDrainThenShutdown: a draining server refuses new logins (console and CTI) with a 503
// and a Korean message, and new calls with SIP 503, while the call up goes on; Shutdown
// then ends it with a BYE to both legs, well within its time.
func TestDrainThenShutdown(t *testing.T) {
	r := newRig(t)
	kimPhone := r.phone("kim", "1001", siptest.Options{Tone: 880})
	kim := r.agent("kim")
	kim.ready()
	lee := r.agent("lee")
	cust, err := r.trunk.DialFrom(did, customerN)
	if err != nil {
		t.Fatal(err)
	}
	ring := connect(t, kim, kimPhone)

	r.srv.Drain()
	for _, c := range []struct {
		who  *agent
		path string
		body any
	}{
		{&agent{r: r, login: "anonymous"}, "/api/v1/session", map[string]string{"login": "lee", "password": password}},
		{lee, "/api/v1/cti/login", map[string]string{"service": "support"}},
	} {
		var out struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(c.who.do("POST", c.path, c.body, 503, nil), &out)
		if out.Error.Code != "shutting_down" || !strings.Contains(out.Error.Message, "종료 중") {
			t.Errorf("POST %s while draining: %+v", c.path, out)
		}
	}
	if _, err := r.trunk.DialFrom(did, "01099998888"); siptest.CodeOf(err) != 503 {
		t.Fatalf("a new call while draining: %v, want 503", err)
	}
	if v := kim.view(); v.State != "on_call" || cust.Ended() || ring.Ended() {
		t.Fatalf("draining disturbed the call up: kim %s", v.State)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	if err := r.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 4*time.Second {
		t.Errorf("Shutdown took %v with one call to end", took)
	}
	for who, c := range map[string]*siptest.Call{"the customer": cust, "the agent's phone": ring} {
		if !c.WaitEnded(time.Second) || !c.ByeReceived() {
			t.Errorf("%s got no BYE", who)
		}
	}
}
