package engine

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/clock/clocktest"
	"ringdesk/internal/directory"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
)

const did = "0212345678"

func testSite() *site.Site {
	ag := func(login, name, ext string, groups ...string) site.Agent {
		return site.Agent{Login: login, Name: name, Role: site.RoleAgent, Services: []string{"support"}, Groups: groups,
			Extension: ext, Phone: site.PhoneSIP, SIPHA1: "0123456789abcdef0123456789abcdef"}
	}
	s := &site.Site{
		Services: []site.Service{{
			ID: "support", Name: "고객지원", CTI: true, RecallSeconds: 30, NoAnswer: site.NoAnswerBreak,
			HangupAnnouncement: site.Announcement{Text: "폭언 등으로 상담을 종료합니다."},
			Numbers:            []site.Number{{Number: did, Queue: "100"}, {Number: "0212340000", Queue: "200", Greeting: "none"}},
			CallerIDs: []site.CallerID{{Number: "0212345678", Status: site.CallerIDRegistered},
				{Number: "0299998888", Status: site.CallerIDRequested}},
			Favorites: []site.Favorite{{Name: "기술지원", Number: "200"}},
			Groups:    []site.Group{{ID: "tier1", Name: "1차 상담"}, {ID: "tier2", Name: "2차 상담"}},
			Queues: []site.Queue{{Number: "100", Name: "일반문의", Strategy: site.StrategyLongestIdle, Members: []string{"kim", "lee"}},
				{Number: "200", Name: "기술지원", Strategy: site.StrategyLongestIdle, Members: []string{"park"}}},
		}, {
			ID: "sales", Name: "영업", CTI: false,
		}},
		Agents: []site.Agent{
			ag("kim", "김상담", "1001", "tier1"),
			ag("lee", "이상담", "1002", "tier1"),
			ag("park", "박상담", "1003", "tier2"),
			{Login: "choi", Name: "최상담", Role: site.RoleAgent, Services: []string{"support"}, Phone: site.PhoneBrowser},
			{Login: "noext", Name: "내선없음", Role: site.RoleAgent, Services: []string{"support"}, Phone: site.PhoneSIP},
			{Login: "han", Name: "한영업", Role: site.RoleAgent, Services: []string{"sales"}, Extension: "1009", Phone: site.PhoneSIP, SIPHA1: "x"},
			{Login: "boss", Name: "관리자", Role: site.RoleManager, Services: []string{"support"}},
		},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: 5070, Allow: []string{"127.0.0.1/32"}, Prefix: "9"}},
	}
	return s
}

type harness struct {
	t   *testing.T
	clk *clocktest.Fake
	net *telephonytest.Network
	st  store.Store
	dir *directory.Live
	eng *Engine
	sub *events.Subscription
}

func newHarness(t *testing.T, mutate ...func(*site.Site)) *harness {
	return newHarnessWith(t, harnessOpts{mutate: mutate})
}

// harnessOpts put test doubles around the store or the network, to make them slow or failing.
type harnessOpts struct {
	mutate    []func(*site.Site)
	wrapStore func(store.Store) store.Store
	wrapPhone func(*telephonytest.Network) telephony.Telephony
}

func newHarnessWith(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ringdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := testSite()
	for _, m := range o.mutate {
		m(s)
	}
	if err := st.Site().Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, clk: clocktest.New(), net: telephonytest.New(), st: st}
	bus := events.NewBus()
	h.sub = bus.Subscribe(events.Filter{All: true}, 100000)
	dir, err := directory.Open(ctx, st.Site(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.dir = dir
	engineStore := store.Store(st)
	if o.wrapStore != nil {
		engineStore = o.wrapStore(st)
	}
	var phone telephony.Telephony = h.net
	if o.wrapPhone != nil {
		phone = o.wrapPhone(h.net)
	}
	h.eng, err = New(Config{Clock: h.clk, Store: engineStore, Directory: dir, Bus: bus, Phone: phone})
	if err != nil {
		t.Fatal(err)
	}
	h.net.SetHandler(h.eng)
	if err := h.eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
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

// state checks an agent's state after the engine settles.
func (h *harness) state(login string, want agent.State) View {
	h.t.Helper()
	h.eng.Flush()
	v := h.eng.View(login)
	if v.State != want {
		h.t.Fatalf("%s: state %s, want %s", login, v.State, want)
	}
	return v
}

func (h *harness) ready(logins ...string) {
	h.t.Helper()
	for _, l := range logins {
		if _, in := h.eng.Session(l); !in {
			h.ok(h.eng.Login(l, "support"))
		}
		h.ok(h.eng.SetState(l, agent.Ready, ""))
		h.clk.Advance(time.Second) // distinct idle times: the first made ready idles longest
	}
}

// call brings a customer in on the DID and lets the greeting finish.
func (h *harness) call(from string) telephony.LegID {
	h.t.Helper()
	leg, err := h.net.Call(from, did)
	h.ok(err)
	h.eng.Flush()
	if !h.net.Leg(leg).Answered {
		h.t.Fatalf("inbound leg not answered by the server")
	}
	h.net.PlayDone(leg)
	h.eng.Flush()
	return leg
}

// connect takes an offered call through 확인 and the phone answering.
func (h *harness) connect(login, ext string) telephony.LegID {
	h.t.Helper()
	h.state(login, agent.Offered)
	h.ok(h.eng.Accept(login))
	leg := h.net.WaitPlaced(h.t, telephonytest.ToExtension(ext))
	h.net.AnswerLeg(leg)
	h.state(login, agent.OnCall)
	return leg
}

// events drains the events published so far.
func (h *harness) events() []events.Event {
	h.eng.Flush()
	var out []events.Event
	for {
		select {
		case m := <-h.sub.C:
			out = append(out, m.Event)
		default:
			return out
		}
	}
}

func (h *harness) hears(leg telephony.LegID) string {
	h.eng.Flush()
	return h.net.Leg(leg).Hears
}

func has(evs []events.Event, typ, agentLogin string) *events.Event {
	for i := range evs {
		if evs[i].Type == typ && (agentLogin == "" || evs[i].Agent == agentLogin) {
			return &evs[i]
		}
	}
	return nil
}

// reconfigure changes the stored configuration and reloads it the way the server does.
func (h *harness) reconfigure(change func(*site.Site)) {
	h.t.Helper()
	ctx := context.Background()
	s, err := h.st.Site().Load(ctx)
	h.ok(err)
	change(s)
	h.ok(h.st.Site().Save(ctx, s))
	_, err = h.dir.Reload(ctx)
	h.ok(err)
}
