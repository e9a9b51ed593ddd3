package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// supervisionSite: one queue whose two agents' phones answer by themselves and come back to
// 대기 a second after each call; a manager.
func supervisionSite(trunkPort int) string {
	return fmt.Sprintf(`timezone: Asia/Seoul
services:
  - id: support
    name: 고객지원
    cti: true
    recall_seconds: 15
    no_answer: ready
    after_call_seconds: 1
    numbers:
      - { number: "%s", queue: "100", greeting: none }
    caller_ids:
      - { number: "%s", status: registered }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee], service_level_seconds: 20, short_abandon_seconds: 5 }
agents:
  - { login: kim, name: 김상담, password: agent-pw, services: [support], extension: "1001", sip_password: kim-sip, auto_accept: true }
  - { login: lee, name: 이상담, password: agent-pw, services: [support], extension: "1002", sip_password: lee-sip, auto_accept: true }
  - { login: boss, name: 관리자, password: boss-pw, role: manager, services: [support] }
trunks:
  - { id: carrier, host: 127.0.0.1, port: %d, allow: ["127.0.0.1/32"], prefix: "9" }
`, did, callerID, trunkPort)
}

// TestSupervisionFigures: SIPp customers call a queue whose agents' phones answer; while the
// manager has the agents on 휴식, one caller gives up after 8 s (a missed call) and one after
// 2 s (a short abandon). The real-time figures, the day's report, the call history, the
// missed-call list and /metrics all tell the same story.
func TestSupervisionFigures(t *testing.T) {
	peers.Require(t, "baresip", "sipp")
	in := start(t, supervisionSite(peers.Port(t)), nil)
	in.agentPhone("1001", "kim-sip", 440)
	in.agentPhone("1002", "lee-sip", 550)
	kim, lee, boss := in.login("kim", "agent-pw"), in.login("lee", "agent-pw"), in.login("boss", "boss-pw")
	kim.ready()
	lee.ready()
	caller, _ := filepath.Abs("sipp/caller_uac.xml")
	call := func(from string, hold time.Duration) error {
		sc := peers.Scenario(t, caller, map[string]string{"__FROM__": from, "__HOLD__": fmt.Sprint(hold.Milliseconds())})
		_, err := peers.SIPp(t, 60*time.Second, "127.0.0.1:"+peers.Itoa(in.SIP), "-sf", sc, "-s", did, "-i", "127.0.0.1",
			"-p", peers.Itoa(peers.Port(t)), "-m", "1")
		return err
	}
	// one customer is answered at once and talks for about 5 s
	if err := call("01077770001", 6*time.Second); err != nil {
		t.Fatal(err)
	}
	kim.await("ready")
	lee.await("ready")
	// the manager puts both agents on 휴식: the next callers wait, and give up
	for _, a := range []string{"kim", "lee"} {
		boss.do("PUT", "/api/v1/agents/"+a+"/cti/state", map[string]string{"state": "break"}, 200, nil)
	}
	kim.await("break")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []struct {
		from string
		hold time.Duration
	}{{"01077770002", 8 * time.Second}, {"01077770003", 2 * time.Second}} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = call(c.from, c.hold) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// real time: nobody waits; today 3 offered, 1 answered, 2 abandoned (1 short): level 1 of 2
	type today struct {
		Offered, Answered, Abandoned int
		Short                        int      `json:"short_abandoned"`
		Handled                      int      `json:"handled"`
		ServiceLevel                 *float64 `json:"service_level"`
		ASA                          *float64 `json:"asa_seconds"`
		AHT                          *float64 `json:"aht_seconds"`
	}
	var rt struct {
		Queues []struct {
			Queue   string `json:"queue"`
			Waiting int    `json:"waiting"`
			Agents  struct {
				Staffed  int `json:"staffed"`
				NotReady int `json:"not_ready"`
			} `json:"agents"`
			Today today `json:"today"`
		} `json:"queues"`
		Agents []struct {
			Login string `json:"login"`
			State string `json:"state"`
			Today struct {
				Answered    int     `json:"answered"`
				TalkSeconds float64 `json:"talk_seconds"`
			} `json:"today"`
		} `json:"agents"`
	}
	// the answered call's after-call work ends a second after it: poll until it is handled
	deadline := time.Now().Add(15 * time.Second)
	for {
		boss.do("GET", "/api/v1/stats/realtime?service=support", nil, 200, &rt)
		if len(rt.Queues) == 1 && rt.Queues[0].Today.Handled == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	q := rt.Queues[0]
	if q.Queue != "100" || q.Waiting != 0 || q.Agents.Staffed != 2 || q.Agents.NotReady != 2 {
		t.Fatalf("queue now: %+v", q)
	}
	td := q.Today
	if td.Offered != 3 || td.Answered != 1 || td.Abandoned != 2 || td.Short != 1 || td.Handled != 1 ||
		td.ServiceLevel == nil || *td.ServiceLevel != 50 || td.ASA == nil || *td.ASA > 5 || td.AHT == nil || *td.AHT < 4 {
		t.Fatalf("today: %+v", td)
	}
	answered, talked := 0, 0.0
	for _, a := range rt.Agents {
		if a.State != "break" {
			t.Errorf("%s is %s, want break", a.Login, a.State)
		}
		answered += a.Today.Answered
		talked += a.Today.TalkSeconds
	}
	if answered != 1 || talked < 4 || talked > 8 {
		t.Fatalf("agents answered %d, talked %.1f s", answered, talked)
	}

	// the day's report says the same
	var rep struct {
		Rows []struct {
			today
			LongestWait float64 `json:"longest_wait_seconds"`
		} `json:"rows"`
	}
	day := time.Now().In(seoul(t)).Format("2006-01-02")
	boss.do("GET", "/api/v1/stats/queues?service=support&interval=day&from="+day+"&to="+day, nil, 200, &rep)
	same := func(a, b today) bool { x, _ := json.Marshal(a); y, _ := json.Marshal(b); return string(x) == string(y) }
	if len(rep.Rows) != 1 || !same(rep.Rows[0].today, td) || rep.Rows[0].LongestWait < 7 || rep.Rows[0].LongestWait > 10 {
		t.Fatalf("report %+v, real time %+v", rep.Rows, td)
	}
	csv := boss.do("GET", "/api/v1/stats/queues?service=support&interval=hour&format=csv", nil, 200, nil)
	if !strings.HasPrefix(csv, "\ufeff시작,끝,큐,큐 이름,인입,응답") {
		t.Fatalf("csv %q", lastBytes(csv, 200))
	}

	// the call history, newest first, found by number with hyphens
	var calls struct {
		Calls []struct {
			From        string  `json:"from"`
			Outcome     string  `json:"outcome"`
			WaitSeconds float64 `json:"wait_seconds"`
			Ticket      *int64  `json:"ticket"`
		} `json:"calls"`
	}
	boss.do("GET", "/api/v1/calls?service=support", nil, 200, &calls)
	outcomes := map[string]string{}
	for _, c := range calls.Calls {
		outcomes[c.From] = c.Outcome
	}
	if len(calls.Calls) != 3 || outcomes["01077770001"] != "answered" || outcomes["01077770002"] != "abandoned" ||
		outcomes["01077770003"] != "abandoned" {
		t.Fatalf("calls %+v", calls.Calls)
	}
	boss.do("GET", "/api/v1/calls?service=support&phone=010-7777-0002", nil, 200, &calls)
	if len(calls.Calls) != 1 || calls.Calls[0].WaitSeconds < 7 || calls.Calls[0].WaitSeconds > 10 || calls.Calls[0].Ticket == nil {
		t.Fatalf("the missed call: %+v", calls.Calls)
	}

	// the missed-call list: the long wait only, for the agents too
	var missed struct {
		Tickets []struct {
			ID       int64      `json:"id"`
			Phone    string     `json:"phone"`
			MissedAt *time.Time `json:"missed_at"`
		} `json:"tickets"`
	}
	kim.do("GET", "/api/v1/tickets?callback=true", nil, 200, &missed)
	if len(missed.Tickets) != 1 || missed.Tickets[0].Phone != "01077770002" || missed.Tickets[0].MissedAt == nil ||
		missed.Tickets[0].ID != *calls.Calls[0].Ticket {
		t.Fatalf("missed calls %+v", missed.Tickets)
	}

	// Prometheus sees the same counts; a wallboard token reads the real time and nothing else
	metrics := boss.do("GET", "/metrics", nil, 200, nil)
	for _, want := range []string{`ringdesk_queue_offered_total{service="support",queue="100"} 3`,
		`ringdesk_queue_abandoned_total{service="support",queue="100"} 2`, `ringdesk_queue_answered_total{service="support",queue="100"} 1`,
		`ringdesk_queue_agents{service="support",queue="100",state="not_ready"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	var tok struct{ Token string }
	boss.do("POST", "/api/v1/services/support/wallboard-token", nil, 201, &tok)
	tv := &client{in: in, login: "tv", token: tok.Token}
	tv.do("GET", "/api/v1/stats/realtime?service=support", nil, 200, nil)
	tv.do("GET", "/api/v1/calls?service=support", nil, 401, nil)
	_ = lee
}

func seoul(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
