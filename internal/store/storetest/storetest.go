// Package storetest is the contract every store dialect must meet: each dialect's tests call
// Run with a way to open a fresh store (and reopen the same one, for restarts).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/tickets"
)

// Opener opens a fresh, empty store; reopen opens the same database again after it was closed.
type Opener func(t *testing.T) (st store.Store, reopen func() store.Store)

var t0 = time.Date(2026, 11, 24, 9, 30, 15, 123456000, time.UTC)

// FullSite uses every field of every configuration type.
func FullSite() *site.Site {
	return &site.Site{
		SIP:      site.SIPSettings{MediaTimeoutSeconds: 45, SessionExpiresSeconds: 900},
		Timezone: "Asia/Tokyo",
		Services: []site.Service{{
			ID: "support", Name: "고객지원", CTI: true, RecallSeconds: 30, NoAnswer: site.NoAnswerBreak,
			HoldAudio:          "sha256:abc",
			HangupAnnouncement: site.Announcement{Text: "폭언 등으로 상담을 종료합니다.", Audio: "sha256:def"},
			Numbers:            []site.Number{{Number: "0212345678", Queue: "100", Greeting: "none"}, {Number: "0212340000", Queue: "200"}},
			CallerIDs:          []site.CallerID{{Number: "0299998888", Status: site.CallerIDRequested}, {Number: "0212345678", Status: site.CallerIDRegistered}},
			Favorites:          []site.Favorite{{Name: "기술지원", Number: "200"}, {Name: "본사", Number: "901012345678"}},
			Groups:             []site.Group{{ID: "tier1", Name: "1차 상담"}},
			Queues: []site.Queue{{Number: "100", Name: "일반문의", Strategy: site.StrategyLongestIdle, Members: []string{"lee", "kim"}},
				{Number: "200", Name: "기술", Strategy: site.StrategyLongestIdle, Members: []string{"kim"}}},
		}, {ID: "sales", Name: "영업", NoAnswer: site.NoAnswerReady, RecallSeconds: 20}},
		Agents: []site.Agent{
			{Login: "kim", Name: "김상담", Role: site.RoleAgent, Services: []string{"support"}, Groups: []string{"tier1"},
				Extension: "1001", Phone: site.PhoneSIP, AutoAccept: true, PasswordHash: "$argon2id$kim", SIPHA1: "ha1kim", SIPHA1SHA256: "ha256kim"},
			{Login: "lee", Name: "이상담", Role: site.RoleManager, Services: []string{"support", "sales"}, Phone: site.PhoneBrowser, PasswordHash: "$argon2id$lee"},
		},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: 5070, Allow: []string{"127.0.0.1/32", "10.0.0.0/8"},
			Username: "acct", Password: "carrier-secret", Prefix: "9"}},
	}
}

// Run runs the whole contract.
func Run(t *testing.T, open Opener) {
	t.Run("site", func(t *testing.T) { testSite(t, open) })
	t.Run("tickets", func(t *testing.T) { testTickets(t, open) })
	t.Run("calls", func(t *testing.T) { testCalls(t, open) })
	t.Run("states", func(t *testing.T) { testStates(t, open) })
	t.Run("many log rows at once", func(t *testing.T) { testManyLogRows(t, open) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("wallboards", func(t *testing.T) { testWallboards(t, open) })
	t.Run("cti", func(t *testing.T) { testCTI(t, open) })
	t.Run("quality", func(t *testing.T) { testQuality(t, open) })
	t.Run("events", func(t *testing.T) { testEvents(t, open) })
	t.Run("call history", func(t *testing.T) { testCallHistory(t, open) })
	t.Run("state range", func(t *testing.T) { testStateRange(t, open) })
	t.Run("callback", func(t *testing.T) { testCallback(t, open) })
	t.Run("audio", func(t *testing.T) { testAudio(t, open) })
	t.Run("tx", func(t *testing.T) { testTx(t, open) })
	t.Run("concurrent", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("restart", func(t *testing.T) { testRestart(t, open) })
	t.Run("registrations", func(t *testing.T) { testRegistrations(t, open) })
	t.Run("recordings", func(t *testing.T) { testRecordings(t, open) })
	t.Run("cluster", func(t *testing.T) { testCluster(t, open) })
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var ctx = context.Background()

func testSite(t *testing.T, open Opener) {
	st, _ := open(t)
	empty, err := st.Site().Load(ctx)
	ok(t, err)
	if len(empty.Services)+len(empty.Agents)+len(empty.Trunks) != 0 {
		t.Fatalf("a new store has a site: %+v", empty)
	}
	v0, err := st.Site().Version(ctx)
	ok(t, err)
	want := FullSite()
	ok(t, st.Site().Save(ctx, want))
	got, err := st.Site().Load(ctx)
	ok(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	v1, _ := st.Site().Version(ctx)
	if v1 <= v0 {
		t.Fatalf("version did not move: %d → %d", v0, v1)
	}
	ok(t, st.Site().Save(ctx, FullSite()))
	if v2, _ := st.Site().Version(ctx); v2 != v1 {
		t.Fatalf("saving the same site moved the version %d → %d", v1, v2)
	}
	// secrets are kept when empty; lists are replaced; what is gone is removed
	next := FullSite()
	next.Agents[0].PasswordHash, next.Agents[0].SIPHA1, next.Agents[0].SIPHA1SHA256 = "", "", ""
	next.Agents = next.Agents[:1]
	next.Trunks[0].Password = ""
	next.Services[0].CallerIDs = next.Services[0].CallerIDs[1:]
	next.Services = next.Services[:1]
	ok(t, st.Site().Save(ctx, next))
	got, _ = st.Site().Load(ctx)
	if len(got.Agents) != 1 || got.Agents[0].PasswordHash != "$argon2id$kim" || got.Agents[0].SIPHA1 != "ha1kim" || got.Agents[0].SIPHA1SHA256 != "ha256kim" {
		t.Fatalf("agent secrets not kept: %+v", got.Agents)
	}
	if got.Trunks[0].Password != "carrier-secret" {
		t.Fatalf("trunk secret not kept with the same username")
	}
	if len(got.Services) != 1 || len(got.Services[0].CallerIDs) != 1 {
		t.Fatalf("lists not replaced: %+v", got.Services)
	}
	next.Trunks[0].Username = "other"
	ok(t, st.Site().Save(ctx, next))
	got, _ = st.Site().Load(ctx)
	if got.Trunks[0].Password != "" {
		t.Fatal("trunk secret kept for a different username")
	}
	// order is kept
	next.Agents = []site.Agent{{Login: "zed", Role: site.RoleAgent}, next.Agents[0]}
	ok(t, st.Site().Save(ctx, next))
	got, _ = st.Site().Load(ctx)
	if got.Agents[0].Login != "zed" || got.Agents[1].Login != "kim" {
		t.Fatalf("order: %v", got.Agents)
	}
	// plain-text input never lands in the store
	next.Agents[0].Password, next.Agents[0].SIPPassword = "plain", "plain-sip"
	ok(t, st.Site().Save(ctx, next))
	got, _ = st.Site().Load(ctx)
	if got.Agents[0].Password != "" || got.Agents[0].SIPPassword != "" {
		t.Fatal("plain-text passwords stored")
	}
	// settings change on their own, and a site without them loads without them
	next.SIP.MediaTimeoutSeconds = 30
	ok(t, st.Site().Save(ctx, next))
	if got, _ = st.Site().Load(ctx); got.SIP != next.SIP {
		t.Fatalf("sip settings: got %+v, want %+v", got.SIP, next.SIP)
	}
	next.SIP = site.SIPSettings{}
	ok(t, st.Site().Save(ctx, next))
	if got, _ = st.Site().Load(ctx); got.SIP != (site.SIPSettings{}) {
		t.Fatalf("sip settings removed, but loaded %+v", got.SIP)
	}
	next.Timezone = "Europe/Berlin"
	ok(t, st.Site().Save(ctx, next))
	if got, _ = st.Site().Load(ctx); got.Timezone != "Europe/Berlin" {
		t.Fatalf("time zone: got %q", got.Timezone)
	}
	next.Timezone = ""
	ok(t, st.Site().Save(ctx, next))
	if got, _ = st.Site().Load(ctx); got.Timezone != "" {
		t.Fatalf("time zone removed, but loaded %q", got.Timezone)
	}
	dup := FullSite()
	dup.Agents = append(dup.Agents, dup.Agents[0])
	if err := st.Site().Save(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate login: got %v, want ErrConflict", err)
	}
}

func ticket(svc, phone, assignee string, status tickets.Status, at time.Time) tickets.Ticket {
	return tickets.Ticket{Service: svc, Subject: "문의 " + phone, Status: status, Assignee: assignee, Phone: phone, CreatedAt: at, UpdatedAt: at}
}

func testTickets(t *testing.T, open Opener) {
	st, _ := open(t)
	ts := st.Tickets()
	var ids []int64
	for i := 0; i < 30; i++ {
		svc := []string{"support", "sales"}[i%2]
		status := []tickets.Status{tickets.StatusNew, tickets.StatusOpen, tickets.StatusSolved}[i%3]
		tk := ticket(svc, fmt.Sprintf("010%04d", i%5), []string{"kim", "lee", ""}[i%3], status, t0.Add(time.Duration(i)*time.Minute))
		ok(t, ts.Create(ctx, &tk))
		if tk.ID == 0 || (len(ids) > 0 && tk.ID <= ids[len(ids)-1]) {
			t.Fatalf("ids not increasing: %d after %v", tk.ID, ids)
		}
		ids = append(ids, tk.ID)
	}
	got, err := ts.Get(ctx, ids[3])
	ok(t, err)
	if got.Service != "sales" || got.Phone != "0100003" || got.Assignee != "kim" || got.Status != tickets.StatusNew ||
		!got.CreatedAt.Equal(t0.Add(3*time.Minute)) || got.Notes == nil || got.Calls == nil {
		t.Fatalf("get: %+v", got)
	}
	if _, err := ts.Get(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing ticket: %v", err)
	}
	count := func(f tickets.Filter) int {
		t.Helper()
		l, err := ts.List(ctx, f)
		ok(t, err)
		for i := 1; i < len(l); i++ {
			if l[i].ID >= l[i-1].ID {
				t.Fatalf("not newest first: %v", l)
			}
		}
		return len(l)
	}
	cases := []struct {
		f    tickets.Filter
		want int
	}{
		{tickets.Filter{Services: []string{"support"}}, 15},
		{tickets.Filter{Services: []string{"support", "sales"}, Limit: 100}, 30},
		{tickets.Filter{Services: []string{"support", "sales"}}, 30},
		{tickets.Filter{Services: []string{"support"}, Limit: 4}, 4},
		{tickets.Filter{Services: []string{"support"}, Status: tickets.StatusSolved}, 5},
		{tickets.Filter{Services: []string{"support", "sales"}, Phone: "0100001"}, 6},
		{tickets.Filter{Services: []string{"sales"}, Assignee: "kim"}, 5},
		{tickets.Filter{Services: []string{"support", "sales"}, BeforeID: ids[10]}, 10},
		{tickets.Filter{}, 0},
		{tickets.Filter{Services: []string{"nowhere"}}, 0},
	}
	for i, c := range cases {
		if got := count(c.f); got != c.want {
			t.Errorf("case %d %+v: got %d, want %d", i, c.f, got, c.want)
		}
	}
	page, _ := ts.List(ctx, tickets.Filter{Services: []string{"support", "sales"}, Limit: 7})
	if page[0].ID != ids[29] || page[6].ID != ids[23] {
		t.Fatalf("first page: %v", page)
	}
	st2 := tickets.StatusPending
	subj := "바뀐 제목"
	who := "lee"
	up, err := ts.Update(ctx, ids[0], tickets.Update{Status: &st2, Subject: &subj, Assignee: &who, Note: "메모", Author: "kim"}, t0.Add(time.Hour))
	ok(t, err)
	if up.Status != st2 || up.Subject != subj || up.Assignee != "lee" || !up.UpdatedAt.Equal(t0.Add(time.Hour)) ||
		len(up.Notes) != 1 || up.Notes[0].Body != "메모" || up.Notes[0].Author != "kim" {
		t.Fatalf("update: %+v", up)
	}
	up, _ = ts.Update(ctx, ids[0], tickets.Update{Note: "둘째", Author: "lee"}, t0.Add(2*time.Hour))
	if len(up.Notes) != 2 || up.Notes[1].Body != "둘째" || up.Status != st2 {
		t.Fatalf("second note: %+v", up)
	}
	if _, err := ts.Update(ctx, 999999, tickets.Update{Note: "x"}, t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}

func testCalls(t *testing.T, open Opener) {
	st, _ := open(t)
	tk := ticket("support", "0101", "kim", tickets.StatusOpen, t0)
	ok(t, st.Tickets().Create(ctx, &tk))
	c := tickets.Call{ID: "C1", Service: "support", Direction: tickets.Inbound, From: "0101", To: "0212345678", Queue: "100", StartedAt: t0}
	ok(t, st.Calls().Save(ctx, c))
	got, err := st.Calls().Get(ctx, "C1")
	ok(t, err)
	if got.OfferedAt != nil || got.EndedAt != nil || got.TicketID != 0 || got.Transfers == nil || len(got.Transfers) != 0 {
		t.Fatalf("fresh call: %+v", got)
	}
	off, ans, end := t0.Add(time.Second), t0.Add(5*time.Second), t0.Add(65*time.Second)
	c.OfferedAt, c.AnsweredAt, c.EndedAt = &off, &ans, &end
	c.TicketID, c.Agent, c.TalkSeconds, c.HoldSeconds, c.HangupCause, c.HangupBy = tk.ID, "kim", 50.5, 9.5, "normal", "customer"
	c.CallerID = "0212345678"
	c.Transfers = []tickets.Transfer{{From: "kim", Target: "agent:lee", To: "lee", StartedAt: t0.Add(10 * time.Second), AnsweredAt: &ans, Outcome: "completed"}}
	ok(t, st.Calls().Save(ctx, c))
	got, _ = st.Calls().Get(ctx, "C1")
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("call round trip:\n got %+v\nwant %+v", got, c)
	}
	ok(t, st.Calls().Save(ctx, tickets.Call{ID: "C0", Service: "support", Direction: tickets.Outbound, TicketID: tk.ID, StartedAt: t0.Add(-time.Minute)}))
	list, err := st.Calls().ListForTicket(ctx, tk.ID)
	ok(t, err)
	if len(list) != 2 || list[0].ID != "C0" || list[1].ID != "C1" {
		t.Fatalf("calls of ticket: %+v", list)
	}
	full, _ := st.Tickets().Get(ctx, tk.ID)
	if len(full.Calls) != 2 {
		t.Fatalf("ticket's calls: %+v", full.Calls)
	}
	if _, err := st.Calls().Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing call: %v", err)
	}
	ok(t, st.Calls().Save(ctx, tickets.Call{ID: "C2", Service: "support", Direction: tickets.Inbound, StartedAt: t0}))
	n, err := st.Calls().CloseOpen(ctx, t0.Add(time.Hour), "restart")
	ok(t, err)
	if n != 2 {
		t.Fatalf("closed %d open calls, want 2 (C0, C2)", n)
	}
	got, _ = st.Calls().Get(ctx, "C2")
	if got.EndedAt == nil || got.HangupCause != "restart" || got.HangupBy != "system" {
		t.Fatalf("closed call: %+v", got)
	}
	got, _ = st.Calls().Get(ctx, "C1")
	if !got.EndedAt.Equal(end) {
		t.Fatal("an ended call was closed again")
	}
}

func testStates(t *testing.T, open Opener) {
	st, _ := open(t)
	for i, to := range []string{"default", "ready", "offered", "on_call"} {
		ok(t, st.States().Record(ctx, store.StateChange{Agent: "kim", Service: "support", From: "x", To: to, Call: "C1", At: t0.Add(time.Duration(i) * time.Second)}))
	}
	ok(t, st.States().Record(ctx, store.StateChange{Agent: "lee", Service: "support", To: "ready", At: t0}))
	l, err := st.States().List(ctx, "kim", t0.Add(time.Second), 2)
	ok(t, err)
	if len(l) != 2 || l[0].To != "ready" || l[1].To != "offered" || l[0].Call != "C1" || !l[0].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("history: %+v", l)
	}
	last, err := st.States().Last(ctx, "kim")
	ok(t, err)
	if last.To != "on_call" || !last.At.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("last change: %+v", last)
	}
	if _, err := st.States().Last(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("last change of an agent without history: %v", err)
	}
}

// testManyLogRows stores 150 state changes and 150 call events each in one call (several
// multi-row statements) and reads every row back, in order and with every field.
func testManyLogRows(t *testing.T, open Opener) {
	st, _ := open(t)
	const n = 150
	var cs []store.StateChange
	var es []store.CallEvent
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		cs = append(cs, store.StateChange{Agent: "kim", Service: "support", From: fmt.Sprint("f", i), To: fmt.Sprint("t", i),
			Reason: fmt.Sprint("r", i), Call: fmt.Sprint("C", i), At: at, By: "boss"})
		es = append(es, store.CallEvent{Service: "support", Queue: "100", Call: fmt.Sprint("C", i), Agent: "kim",
			Kind: store.EventHandled, At: at, Talk: float64(i), Hold: 1, AfterCall: 2, Wait: 3, WithinSL: i%2 == 0})
	}
	ok(t, st.States().Record(ctx, cs...))
	ok(t, st.InTx(ctx, func(tx store.Store) error { return tx.Events().Append(ctx, es...) }))
	got, err := st.States().List(ctx, "kim", t0, 1000)
	ok(t, err)
	if len(got) != n {
		t.Fatalf("%d of %d state changes stored", len(got), n)
	}
	for i, c := range got {
		if c.From != cs[i].From || c.To != cs[i].To || c.Reason != cs[i].Reason || c.Call != cs[i].Call ||
			!c.At.Equal(cs[i].At) || c.By != "boss" || c.Service != "support" {
			t.Fatalf("state change %d: %+v, want %+v", i, c, cs[i])
		}
	}
	sums, err := st.Events().Sums(ctx, "support", t0.Add(-time.Hour), t0.Add(time.Hour), "queue")
	ok(t, err)
	var count int
	var talk float64
	var withinSL int
	for _, x := range sums {
		count += x.Count
		talk += x.Talk
		withinSL += x.WithinSL
	}
	if count != n || talk != n*(n-1)/2 || withinSL != n/2 {
		t.Fatalf("events summed to %d calls, %.0f s talk, %d within SL; want %d, %d, %d", count, talk, withinSL, n, n*(n-1)/2, n/2)
	}
}

func testCTI(t *testing.T, open Opener) {
	st, reopen := open(t)
	ok(t, st.CTI().Open(ctx, "kim", "support", t0))
	ok(t, st.CTI().Open(ctx, "lee", "support", t0.Add(time.Second)))
	ok(t, st.CTI().Open(ctx, "kim", "sales", t0.Add(2*time.Second))) // moved: replaces
	ok(t, st.CTI().Close(ctx, "lee"))
	ok(t, st.CTI().Close(ctx, "nobody"))
	ok(t, st.Close())
	st = reopen()
	defer st.Close()
	got, err := st.CTI().List(ctx)
	ok(t, err)
	want := []store.CTISession{{Login: "kim", Service: "sales", Since: t0.Add(2 * time.Second)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sessions after a restart: %+v, want %+v", got, want)
	}
}

func testQuality(t *testing.T, open Opener) {
	st, _ := open(t)
	c := tickets.Call{ID: "Q1", Service: "support", Direction: tickets.Inbound, StartedAt: t0}
	ok(t, st.Calls().Save(ctx, c))
	q := tickets.Quality{LossPct: 1.5, JitterMs: 3.25, MOS: 4.2, FarLossPct: -1, RTTMs: -1}
	ok(t, st.Calls().SetQuality(ctx, "Q1", q))
	end := t0.Add(time.Minute)
	c.EndedAt = &end
	ok(t, st.Calls().Save(ctx, c)) // a later save without quality keeps it
	got, err := st.Calls().Get(ctx, "Q1")
	ok(t, err)
	if got.Quality == nil || *got.Quality != q || got.EndedAt == nil {
		t.Fatalf("quality after a save: %+v", got)
	}
	if err := st.Calls().SetQuality(ctx, "nope", q); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("quality of a missing call: %v", err)
	}
}

func testWallboards(t *testing.T, open Opener) {
	st, reopen := open(t)
	a := store.WallboardToken{TokenHash: "w1", Service: "support", CreatedBy: "boss", CreatedAt: t0}
	ok(t, st.Wallboards().Create(ctx, a))
	ok(t, st.Wallboards().Create(ctx, store.WallboardToken{TokenHash: "w2", Service: "support", CreatedBy: "boss", CreatedAt: t0}))
	ok(t, st.Wallboards().Create(ctx, store.WallboardToken{TokenHash: "w3", Service: "sales", CreatedBy: "root", CreatedAt: t0}))
	if err := st.Wallboards().Create(ctx, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate token: %v", err)
	}
	st.Close()
	st = reopen()
	got, err := st.Wallboards().Get(ctx, "w1")
	ok(t, err)
	if got != a {
		t.Fatalf("token: %+v", got)
	}
	n, err := st.Wallboards().DeleteService(ctx, "support")
	ok(t, err)
	if n != 2 {
		t.Fatalf("revoked %d", n)
	}
	if _, err := st.Wallboards().Get(ctx, "w2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked token: %v", err)
	}
	if _, err := st.Wallboards().Get(ctx, "w3"); err != nil {
		t.Fatalf("another service's token went too: %v", err)
	}
	if n, err := st.Wallboards().DeleteService(ctx, "support"); err != nil || n != 0 {
		t.Fatalf("revoking again: %d %v", n, err)
	}
}

func testSessions(t *testing.T, open Opener) {
	st, _ := open(t)
	s := store.Session{TokenHash: "h1", Login: "kim", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	ok(t, st.Sessions().Create(ctx, s))
	ok(t, st.Sessions().Create(ctx, store.Session{TokenHash: "h2", Login: "kim", CreatedAt: t0, ExpiresAt: t0}))
	ok(t, st.Sessions().Create(ctx, store.Session{TokenHash: "h3", Login: "lee", CreatedAt: t0, ExpiresAt: t0}))
	if err := st.Sessions().Create(ctx, s); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate token: %v", err)
	}
	got, err := st.Sessions().Get(ctx, "h1")
	ok(t, err)
	if got != s {
		t.Fatalf("session: %+v", got)
	}
	ok(t, st.Sessions().Delete(ctx, "h1"))
	if _, err := st.Sessions().Get(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	ok(t, st.Sessions().DeleteLogin(ctx, "kim"))
	if _, err := st.Sessions().Get(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("DeleteLogin left a session")
	}
	if _, err := st.Sessions().Get(ctx, "h3"); err != nil {
		t.Fatal("DeleteLogin removed another login's session")
	}
}

func testAudio(t *testing.T, open Opener) {
	st, _ := open(t)
	a := store.Audio{Name: "moh.wav", Data: []byte("RIFF....WAVE")}
	ok(t, st.Audio().Put(ctx, &a))
	if len(a.ID) != len("sha256:")+64 {
		t.Fatalf("id %q", a.ID)
	}
	b := store.Audio{Name: "again.wav", Data: []byte("RIFF....WAVE")}
	ok(t, st.Audio().Put(ctx, &b))
	if b.ID != a.ID {
		t.Fatal("same bytes, different id")
	}
	got, err := st.Audio().Get(ctx, a.ID)
	ok(t, err)
	if string(got.Data) != "RIFF....WAVE" || got.Name != "moh.wav" {
		t.Fatalf("audio: %+v", got)
	}
	if _, err := st.Audio().Get(ctx, "sha256:none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing audio: %v", err)
	}
}

func testTx(t *testing.T, open Opener) {
	st, _ := open(t)
	boom := errors.New("boom")
	var id int64
	err := st.InTx(ctx, func(tx store.Store) error {
		tk := ticket("support", "0109", "", tickets.StatusNew, t0)
		if err := tx.Tickets().Create(ctx, &tk); err != nil {
			return err
		}
		id = tk.ID
		if err := tx.Calls().Save(ctx, tickets.Call{ID: "TX", Service: "support", TicketID: tk.ID, Direction: tickets.Inbound, StartedAt: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if _, err := st.Tickets().Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("rolled-back ticket exists")
	}
	if _, err := st.Calls().Get(ctx, "TX"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("rolled-back call exists")
	}
	ok(t, st.InTx(ctx, func(tx store.Store) error {
		tk := ticket("support", "0109", "", tickets.StatusNew, t0)
		if err := tx.Tickets().Create(ctx, &tk); err != nil {
			return err
		}
		id = tk.ID
		return tx.Calls().Save(ctx, tickets.Call{ID: "TX", Service: "support", TicketID: tk.ID, Direction: tickets.Inbound, StartedAt: t0})
	}))
	c, err := st.Calls().Get(ctx, "TX")
	ok(t, err)
	if c.TicketID != id {
		t.Fatal("committed pair not linked")
	}
}

func testConcurrent(t *testing.T, open Opener) {
	st, _ := open(t)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				tk := ticket("support", fmt.Sprint("010", g), "", tickets.StatusNew, t0)
				if err := st.Tickets().Create(ctx, &tk); err != nil {
					errs <- err
					return
				}
				if err := st.States().Record(ctx, store.StateChange{Agent: fmt.Sprint("a", g), To: "ready", At: t0}); err != nil {
					errs <- err
				}
				if _, err := st.Tickets().List(ctx, tickets.Filter{Services: []string{"support"}, Phone: fmt.Sprint("010", g)}); err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	l, _ := st.Tickets().List(ctx, tickets.Filter{Services: []string{"support"}, Limit: 1000})
	if len(l) != 200 {
		t.Fatalf("got %d tickets, want 200", len(l))
	}
}

func testRestart(t *testing.T, open Opener) {
	st, reopen := open(t)
	ok(t, st.Site().Save(ctx, FullSite()))
	tk := ticket("support", "0101", "kim", tickets.StatusOpen, t0)
	ok(t, st.Tickets().Create(ctx, &tk))
	ok(t, st.Calls().Save(ctx, tickets.Call{ID: "R1", Service: "support", TicketID: tk.ID, Direction: tickets.Inbound, StartedAt: t0}))
	ok(t, st.Close())
	st = reopen()
	defer st.Close()
	s, err := st.Site().Load(ctx)
	ok(t, err)
	if !reflect.DeepEqual(s, FullSite()) {
		t.Fatal("site lost on restart")
	}
	got, err := st.Tickets().Get(ctx, tk.ID)
	ok(t, err)
	if len(got.Calls) != 1 {
		t.Fatal("ticket or call lost on restart")
	}
}

func testEvents(t *testing.T, open Opener) {
	st, _ := open(t)
	base := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) // a bucket's start
	add := func(e store.CallEvent) {
		t.Helper()
		e.Service = "support"
		ok(t, st.Events().Append(ctx, e))
	}
	add(store.CallEvent{Queue: "100", Call: "A", Kind: store.EventQueued, At: base.Add(time.Minute)})
	add(store.CallEvent{Queue: "100", Call: "A", Agent: "kim", Kind: store.EventAnswered, At: base.Add(2 * time.Minute), Wait: 12, WithinSL: true})
	add(store.CallEvent{Queue: "100", Call: "B", Kind: store.EventQueued, At: base.Add(14 * time.Minute)})
	add(store.CallEvent{Queue: "100", Call: "B", Kind: store.EventAbandoned, At: base.Add(16 * time.Minute), Wait: 3, Short: true})
	add(store.CallEvent{Queue: "100", Call: "A", Agent: "kim", Kind: store.EventHandled, At: base.Add(17 * time.Minute), Talk: 60, Hold: 5, AfterCall: 30})
	add(store.CallEvent{Queue: "200", Call: "C", Agent: "lee", Kind: store.EventAnswered, At: base.Add(3 * time.Minute), Wait: 40})
	ok(t, st.Events().Append(ctx, store.CallEvent{Service: "sales", Queue: "100", Call: "D", Kind: store.EventQueued, At: base}))
	got, err := st.Events().Sums(ctx, "support", base, base.Add(time.Hour), "queue")
	ok(t, err)
	want := []store.EventSum{
		{Bucket: base, Key: "100", Kind: "answered", Count: 1, Wait: 12, MaxWait: 12, WithinSL: 1},
		{Bucket: base, Key: "100", Kind: "queued", Count: 2},
		{Bucket: base, Key: "200", Kind: "answered", Count: 1, Wait: 40, MaxWait: 40},
		{Bucket: base.Add(15 * time.Minute), Key: "100", Kind: "abandoned", Count: 1, Wait: 3, MaxWait: 3, Short: 1},
		{Bucket: base.Add(15 * time.Minute), Key: "100", Kind: "handled", Count: 1, Talk: 60, Hold: 5, After: 30},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sums by queue:\n got %+v\nwant %+v", got, want)
	}
	// a range that does not start or end on a bucket's edge counts only what it holds
	got, err = st.Events().Sums(ctx, "support", base.Add(90*time.Second), base.Add(16*time.Minute), "queue")
	ok(t, err)
	want = []store.EventSum{
		{Bucket: base, Key: "100", Kind: "answered", Count: 1, Wait: 12, MaxWait: 12, WithinSL: 1},
		{Bucket: base, Key: "100", Kind: "queued", Count: 1},
		{Bucket: base, Key: "200", Kind: "answered", Count: 1, Wait: 40, MaxWait: 40},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sums of a cut range:\n got %+v\nwant %+v", got, want)
	}
	// by agent: the kinds an agent's figures count, and no others
	add(store.CallEvent{Queue: "100", Call: "E", Agent: "kim", Kind: store.EventOffered, At: base.Add(4 * time.Minute)})
	add(store.CallEvent{Queue: "100", Call: "E", Agent: "kim", Kind: store.EventRejected, At: base.Add(5 * time.Minute)})
	byAgent, err := st.Events().Sums(ctx, "support", base, base.Add(15*time.Minute), "agent")
	ok(t, err)
	var keys []string
	for _, x := range byAgent {
		keys = append(keys, x.Key+":"+x.Kind)
	}
	if strings.Join(keys, " ") != "kim:answered kim:rejected lee:answered" {
		t.Fatalf("sums by agent: %v", keys)
	}
}

func testCallHistory(t *testing.T, open Opener) {
	st, _ := open(t)
	for i, c := range []tickets.Call{
		{ID: "H1", Service: "support", Direction: tickets.Inbound, From: "0101", To: "0212345678", Queue: "100", Agent: "kim", Outcome: tickets.OutcomeAnswered, WaitSeconds: 4},
		{ID: "H2", Service: "support", Direction: tickets.Inbound, From: "0102", To: "0212345678", Queue: "100", Outcome: tickets.OutcomeAbandoned, WaitSeconds: 9},
		{ID: "H3", Service: "support", Direction: tickets.Outbound, From: "0212345678", To: "0101", Agent: "lee", Outcome: tickets.OutcomeAnswered},
		{ID: "H4", Service: "sales", Direction: tickets.Inbound, From: "0101", Queue: "100", Outcome: tickets.OutcomeAnswered},
	} {
		c.StartedAt = t0.Add(time.Duration(i) * time.Minute)
		ok(t, st.Calls().Save(ctx, c))
	}
	ids := func(f tickets.CallFilter) []string {
		t.Helper()
		l, err := st.Calls().List(ctx, f)
		ok(t, err)
		out := []string{}
		for _, c := range l {
			out = append(out, c.ID)
		}
		return out
	}
	svc := []string{"support"}
	for _, c := range []struct {
		f    tickets.CallFilter
		want []string
	}{
		{tickets.CallFilter{Services: svc}, []string{"H3", "H2", "H1"}},
		{tickets.CallFilter{Services: svc, Phone: "0101"}, []string{"H3", "H1"}},
		{tickets.CallFilter{Services: svc, Outcome: "abandoned"}, []string{"H2"}},
		{tickets.CallFilter{Services: svc, Agent: "lee"}, []string{"H3"}},
		{tickets.CallFilter{Services: svc, Queue: "100"}, []string{"H2", "H1"}},
		{tickets.CallFilter{Services: svc, From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, []string{"H2"}},
		{tickets.CallFilter{Services: svc, Limit: 2}, []string{"H3", "H2"}},
		{tickets.CallFilter{Services: svc, Before: t0.Add(2 * time.Minute), BeforeID: "H3"}, []string{"H2", "H1"}},
		{tickets.CallFilter{Services: []string{"support", "sales"}}, []string{"H4", "H3", "H2", "H1"}},
		{tickets.CallFilter{}, []string{}},
	} {
		if got := ids(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.f, got, c.want)
		}
	}
	got, err := st.Calls().Get(ctx, "H2")
	ok(t, err)
	if got.Outcome != "abandoned" || got.WaitSeconds != 9 {
		t.Fatalf("outcome and wait: %+v", got)
	}
}

func testStateRange(t *testing.T, open Opener) {
	st, _ := open(t)
	rec := func(agent, to string, at time.Time) {
		ok(t, st.States().Record(ctx, store.StateChange{Agent: agent, Service: "support", To: to, At: at}))
	}
	rec("kim", "default", t0)
	rec("kim", "ready", t0.Add(time.Minute))
	rec("lee", "default", t0.Add(2*time.Minute))
	rec("kim", "break", t0.Add(10*time.Minute))
	rec("kim", "ready", t0.Add(20*time.Minute))
	got, err := st.States().Range(ctx, "support", []string{"kim", "lee", "park"}, t0.Add(5*time.Minute), t0.Add(15*time.Minute))
	ok(t, err)
	var s []string
	for _, c := range got {
		s = append(s, c.Agent+":"+c.To)
	}
	if want := []string{"kim:ready", "kim:break", "lee:default"}; !reflect.DeepEqual(s, want) {
		t.Fatalf("range: %v, want %v", s, want)
	}
}

func testCallback(t *testing.T, open Opener) {
	st, _ := open(t)
	missed := tickets.Ticket{Service: "support", Subject: "부재중", Status: tickets.StatusNew, Phone: "0101", Callback: true, CreatedAt: t0}
	ok(t, st.Tickets().Create(ctx, &missed))
	other := ticket("support", "0102", "", tickets.StatusOpen, t0)
	ok(t, st.Tickets().Create(ctx, &other))
	l, err := st.Tickets().List(ctx, tickets.Filter{Services: []string{"support"}, Callback: true})
	ok(t, err)
	if len(l) != 1 || l[0].ID != missed.ID || !l[0].Callback {
		t.Fatalf("missed calls: %+v", l)
	}
	off := false
	got, err := st.Tickets().Update(ctx, missed.ID, tickets.Update{Callback: &off}, t0.Add(time.Minute))
	ok(t, err)
	if got.Callback {
		t.Fatal("콜백 필요 not cleared")
	}
}

// testRegistrations: an extension's bindings are replaced whole and come back in order with
// every field (the Path vector too: fails before issue 15, which added it); expired ones are not live and can be removed; they survive a restart.
func testRegistrations(t *testing.T, open Opener) {
	st, reopen := open(t)
	rs := st.Registrations()
	reg := func(ext, contact string, expires time.Time, cseq uint32) store.Registration {
		return store.Registration{Extension: ext, Contact: contact, Source: "192.0.2.7:5062", Transport: "TCP",
			Expires: expires, CallID: "reg-" + ext + "@192.0.2.7", CSeq: cseq}
	}
	live, err := rs.Live(ctx, t0)
	ok(t, err)
	if len(live) != 0 {
		t.Fatalf("a new store has registrations: %+v", live)
	}
	a1 := reg("1001", "sip:1001@192.0.2.7:5062;transport=tcp", t0.Add(time.Hour), 7)
	// registered through two proxies (RFC 3327): the Path comes back as it went in
	a1.Path = "<sip:edge.example.net;lr>, <sip:192.0.2.1:5080;transport=tcp;lr>"
	a2 := reg("1001", "sip:1001@198.51.100.1:5060", t0.Add(30*time.Minute), 8)
	b := reg("1002", "sip:1002@192.0.2.8", t0.Add(10*time.Second), 1)
	ok(t, rs.Replace(ctx, "1001", []store.Registration{a1, a2}))
	ok(t, rs.Replace(ctx, "1002", []store.Registration{b}))
	live, err = rs.Live(ctx, t0)
	ok(t, err)
	if want := []store.Registration{a1, a2, b}; !reflect.DeepEqual(live, want) {
		t.Fatalf("live:\n got %+v\nwant %+v", live, want)
	}
	// replaced whole: a refresh that drops a binding drops it
	a2.CSeq, a2.Expires = 9, t0.Add(time.Hour)
	ok(t, rs.Replace(ctx, "1001", []store.Registration{a2}))
	live, _ = rs.Live(ctx, t0.Add(20*time.Second)) // b has expired by then
	if want := []store.Registration{a2}; !reflect.DeepEqual(live, want) {
		t.Fatalf("after a refresh and an expiry:\n got %+v\nwant %+v", live, want)
	}
	n, err := rs.DeleteExpired(ctx, t0.Add(20*time.Second))
	ok(t, err)
	if n != 1 {
		t.Fatalf("removed %d expired registrations, want 1", n)
	}
	ok(t, st.Close())
	st = reopen()
	defer st.Close()
	live, err = st.Registrations().Live(ctx, t0)
	ok(t, err)
	if want := []store.Registration{a2}; !reflect.DeepEqual(live, want) {
		t.Fatalf("after a restart:\n got %+v\nwant %+v", live, want)
	}
	ok(t, st.Registrations().Replace(ctx, "1001", nil))
	if live, _ := st.Registrations().Live(ctx, t0); len(live) != 0 {
		t.Fatalf("an empty replace left %+v", live)
	}
}

// testRecordings: a recording's record is saved as the engine learns more, where its file is
// kept is set apart and survives those saves; a call's latest recording is found by call; the
// ones left being written are listed; old ones are found oldest first and deleted, while their
// access log stays.
func testRecordings(t *testing.T, open Opener) {
	st, reopen := open(t)
	rs := st.Recordings()
	r := store.Recording{ID: "R1", Call: "C1", Service: "support", Agent: "kim", StartedAt: t0}
	ok(t, rs.Save(ctx, r))
	got, err := rs.Get(ctx, "R1")
	ok(t, err)
	if got.Status != store.RecordingLive || got.Location != store.RecordingLocal || got.EndedAt != nil || len(got.Paused) != 0 {
		t.Fatalf("a new recording: %+v", got)
	}
	ok(t, rs.SetStored(ctx, "R1", store.RecordingBucket, 123456))
	end := t0.Add(95 * time.Second)
	r.EndedAt, r.Seconds, r.PausedSeconds, r.Status = &end, 95, 12.5, store.RecordingDone
	r.Paused = []tickets.Span{{From: 10, To: 20}, {From: 40, To: 42.5}}
	ok(t, rs.Save(ctx, r))
	got, _ = rs.Get(ctx, "R1")
	want := r
	want.Location, want.Bytes = store.RecordingBucket, 123456
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the end:\n got %+v\nwant %+v", got, want)
	}
	ok(t, rs.Save(ctx, store.Recording{ID: "R2", Call: "C2", Service: "sales", StartedAt: t0.Add(time.Hour)}))
	ok(t, rs.Save(ctx, store.Recording{ID: "R3", Call: "C1", Service: "support", StartedAt: t0.Add(2 * time.Minute)}))
	by, err := rs.ForCalls(ctx, []string{"C1", "C2", "C9"})
	ok(t, err)
	if len(by) != 2 || by["C1"].ID != "R3" || by["C2"].ID != "R2" {
		t.Fatalf("by call: %+v", by)
	}
	live, err := rs.Live(ctx)
	ok(t, err)
	if len(live) != 2 || live[0].ID != "R3" || live[1].ID != "R2" {
		t.Fatalf("being written: %+v", live)
	}
	old, err := rs.StartedBefore(ctx, t0.Add(30*time.Minute), time.Time{}, "", 10)
	ok(t, err)
	if len(old) != 2 || old[0].ID != "R1" || old[1].ID != "R3" {
		t.Fatalf("started before: %+v", old)
	}
	if page, _ := rs.StartedBefore(ctx, t0.Add(30*time.Minute), old[0].StartedAt, old[0].ID, 10); len(page) != 1 || page[0].ID != "R3" {
		t.Fatalf("the page after R1: %+v", page)
	}
	ok(t, rs.LogAccess(ctx, store.RecordingAccess{Recording: "R1", Login: "kim", Action: "play", At: t0.Add(time.Hour), Source: "192.0.2.9"}))
	ok(t, rs.LogAccess(ctx, store.RecordingAccess{Recording: "R1", Login: "lee", Action: "download", At: t0.Add(2 * time.Hour)}))
	ok(t, rs.Delete(ctx, "R1"))
	if _, err := rs.Get(ctx, "R1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted recording: %v", err)
	}
	if err := rs.Delete(ctx, "R1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	ok(t, st.Close())
	st = reopen()
	defer st.Close()
	log, err := st.Recordings().AccessLog(ctx, "R1", 10)
	ok(t, err)
	if len(log) != 2 || log[0].Login != "lee" || log[0].Action != "download" || log[1].Source != "192.0.2.9" || !log[1].At.Equal(t0.Add(time.Hour)) {
		t.Fatalf("the access log after the recording went: %+v", log)
	}
}
