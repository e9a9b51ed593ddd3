package figures

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
)

const did = "0212345678"

// testSite: queue 100 (kim, lee; answered within 20 s counts, 80 % target), queue 200 (park;
// thresholds of its own); choi works a browser phone; boss manages and has no phone.
func testSite() *site.Site {
	ag := func(login, name, ext string) site.Agent {
		return site.Agent{Login: login, Name: name, Role: site.RoleAgent, Services: []string{"support"},
			Extension: ext, Phone: site.PhoneSIP, SIPHA1: "0123456789abcdef0123456789abcdef"}
	}
	return &site.Site{
		Timezone: "Asia/Seoul",
		Services: []site.Service{{
			ID: "support", Name: "고객지원", CTI: true, RecallSeconds: 30, NoAnswer: site.NoAnswerBreak,
			Numbers:   []site.Number{{Number: did, Queue: "100"}, {Number: "0212340000", Queue: "200"}},
			CallerIDs: []site.CallerID{{Number: "0212345678", Status: site.CallerIDRegistered}},
			Queues: []site.Queue{{Number: "100", Name: "일반문의", Strategy: site.StrategyLongestIdle, Members: []string{"kim", "lee"}},
				{Number: "200", Name: "기술지원", Strategy: site.StrategyLongestIdle, Members: []string{"park"},
					ServiceLevelSeconds: 30, ServiceLevelTarget: 90, WaitAlertSeconds: 120}},
		}, {ID: "sales", Name: "영업", CTI: true, Queues: []site.Queue{{Number: "300", Name: "영업", Members: []string{"han"}}}}},
		Agents: []site.Agent{
			ag("kim", "김상담", "1001"), ag("lee", "이상담", "1002"), ag("park", "박상담", "1003"),
			{Login: "choi", Name: "최상담", Role: site.RoleAgent, Services: []string{"support"}, Phone: site.PhoneBrowser},
			{Login: "han", Name: "한영업", Role: site.RoleAgent, Services: []string{"sales"}, Extension: "1009", Phone: site.PhoneSIP, SIPHA1: "x"},
			{Login: "boss", Name: "관리자", Role: site.RoleManager, Services: []string{"support"}},
		},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: 5070, Allow: []string{"127.0.0.1/32"}, Prefix: "9"}},
	}
}

type harness struct {
	t   *testing.T
	clk *clocktest.Fake
	net *telephonytest.Network
	st  store.Store
	dir *directory.Live
	eng *engine.Engine
	bus *events.Bus
	src *Source
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ringdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Site().Save(ctx, testSite()); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, clk: clocktest.New(), net: telephonytest.New(), st: st, bus: events.NewBus()}
	if h.dir, err = directory.Open(ctx, st.Site(), nil); err != nil {
		t.Fatal(err)
	}
	h.eng, err = engine.New(engine.Config{Clock: h.clk, Store: st, Directory: h.dir, Bus: h.bus, Phone: h.net})
	if err != nil {
		t.Fatal(err)
	}
	h.net.SetHandler(h.eng)
	if err := h.eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h.src = &Source{Store: st, Engine: h.eng, Dir: h.dir, Clock: h.clk}
	t.Cleanup(func() {
		h.eng.Close()
		st.Close()
	})
	return h
}

func (h *harness) ok(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) advance(d time.Duration) {
	h.clk.Advance(d)
	h.eng.Flush()
}

func (h *harness) ready(login string) {
	h.t.Helper()
	if _, in := h.eng.Session(login); !in {
		h.ok(h.eng.Login(login, "support"))
	}
	h.ok(h.eng.SetState(login, agent.Ready, ""))
	h.eng.Flush()
}

// call brings a customer in on a DID; the greeting ends at once and the call is queued.
func (h *harness) call(from, number string) telephony.LegID {
	h.t.Helper()
	leg, err := h.net.Call(from, number)
	h.ok(err)
	h.eng.Flush()
	h.net.PlayDone(leg)
	h.eng.Flush()
	return leg
}

// answer takes the call offered to an agent through 확인 and the phone answering.
func (h *harness) answer(login, ext string) telephony.LegID {
	h.t.Helper()
	h.eng.Flush()
	if v := h.eng.View(login); v.State != agent.Offered {
		h.t.Fatalf("%s: %s, want offered", login, v.State)
	}
	h.ok(h.eng.Accept(login))
	leg := h.net.WaitPlaced(h.t, telephonytest.ToExtension(ext))
	h.net.AnswerLeg(leg)
	h.eng.Flush()
	return leg
}

func (h *harness) hangUp(leg telephony.LegID) {
	h.net.HangUp(leg)
	h.eng.Flush()
}

func f(v float64) *float64 { return &v }

func eqf(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// reconfigure changes the stored configuration and reloads it the way the server does.
func (h *harness) reconfigure(change func(*site.Site)) {
	h.t.Helper()
	s, err := h.st.Site().Load(context.Background())
	h.ok(err)
	change(s)
	h.ok(h.st.Site().Save(context.Background(), s))
	_, err = h.dir.Reload(context.Background())
	h.ok(err)
}
