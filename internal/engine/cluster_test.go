package engine

import (
	"context"
	"sync"
	"testing"

	"ringdesk/internal/agent"
	"ringdesk/internal/directory"
	"ringdesk/internal/events"
	"ringdesk/internal/fault"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony"
	"ringdesk/internal/telephony/telephonytest"
)

// owners is the cluster as the engine sees it: who serves what. The lease machinery that
// decides it is internal/cluster's and tested there.
type owners struct {
	mu sync.Mutex
	by map[string]store.Node
}

func (o *owners) Owner(svc string) (store.Node, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, ok := o.by[svc]
	return n, ok
}

func (o *owners) set(svc string, n store.Node) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n.Name == "" {
		delete(o.by, svc)
		return
	}
	o.by[svc] = n
}

// node is a second engine on the harness's database and clock: another node of the cluster.
func (h *harness) node(name string, c Cluster) (*Engine, *telephonytest.Network) {
	h.t.Helper()
	ctx := context.Background()
	dir, err := directory.Open(ctx, h.st.Site(), nil)
	h.ok(err)
	net := telephonytest.New()
	e, err := New(Config{Clock: h.clk, Store: h.st, Directory: dir, Bus: events.NewBus(), Phone: net, Node: name, Cluster: c})
	h.ok(err)
	net.SetHandler(e)
	h.ok(e.Start(ctx))
	h.t.Cleanup(e.Close)
	return e, net
}

// TestTakeover: node b serves nothing until it adopts support; until then it sends what
// belongs to support to its owner a. When a stops renewing and b adopts support, the call
// whose media was on a is closed with node_lost (its ticket intact), the agents come back
// logged in and in their states — the ready one is offered b's next call — and a new call on
// the same number reaches the same agent through b.
func TestTakeover(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cl := &owners{by: map[string]store.Node{}}
	nodeA := store.Node{Name: "a", SIP: "127.0.0.1:5060", HTTP: "127.0.0.1:8080"}
	b, bnet := h.node("b", cl)

	// the harness's engine plays node a: it serves support. kim talks to a customer; lee
	// is 대기, park 휴식.
	cl.set("support", nodeA)
	h.ready("lee", "kim")
	h.ok(h.eng.Login("park", "support"))
	h.ok(h.eng.SetState("park", agent.Break, ""))
	h.call("0101")
	h.connect("lee", "1002")
	call := h.eng.View("lee").Call
	if call == nil {
		t.Fatal("lee has no call")
	}
	h.eng.Flush()
	rec, err := h.st.Calls().Get(ctx, call.ID)
	h.ok(err)
	if rec.TicketID == 0 {
		t.Fatal("the call has no ticket")
	}

	// b: everything about support is a's
	for what, err := range map[string]error{
		"inbound": b.Inbound(telephony.InboundCall{Leg: "x1", To: did, From: "0102", Trunk: "carrier"}),
		"login":   b.Login("choi", "support"),
		"state":   b.SetState("kim", agent.Work, "meeting"),
		"where":   b.Where("kim"),
	} {
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Moved || fe.Params["node"] != "a" || fe.Params["sip"] != nodeA.SIP || fe.Params["http"] != nodeA.HTTP {
			t.Errorf("%s on b: %v, want moved to a", what, err)
		}
	}
	if _, err := b.Live("support"); fault.KindOf(err) != fault.Moved {
		t.Errorf("live view on b: %v, want moved", err)
	}

	// a dies (nothing more from it); b takes the lease
	cl.set("support", store.Node{})
	if err := b.Inbound(telephony.InboundCall{Leg: "x2", To: did, From: "0102", Trunk: "carrier"}); fault.KindOf(err) != fault.Unavailable {
		t.Errorf("inbound while nobody serves support: %v, want unavailable (the carrier retries)", err)
	}
	h.ok(b.Adopt("support"))
	b.Flush()

	rec, err = h.st.Calls().Get(ctx, call.ID)
	h.ok(err)
	if rec.EndedAt == nil || rec.HangupCause != string(telephony.CauseNodeLost) {
		t.Fatalf("a's call after the takeover: ended %v, cause %q; want closed with node_lost", rec.EndedAt, rec.HangupCause)
	}
	if tk, err := h.st.Tickets().Get(ctx, rec.TicketID); err != nil || len(tk.Calls) != 1 {
		t.Fatalf("the call's ticket: %+v %v", tk, err)
	}
	for login, want := range map[string]agent.State{"kim": agent.Ready, "park": agent.Break, "lee": agent.Default} {
		v := b.View(login)
		if v.State != want {
			t.Errorf("%s on b: %s, want %s", login, v.State, want)
		}
		if v.Notice == nil || v.Notice.Kind != "moved" {
			t.Errorf("%s on b: notice %+v, want the moved notice", login, v.Notice)
		}
	}
	if last, _ := h.st.States().Last(ctx, "kim"); last.To != string(agent.Ready) {
		t.Errorf("kim's history after the takeover ends at %s: nothing should have changed", last.To)
	}
	if last, _ := h.st.States().Last(ctx, "lee"); last.To != string(agent.Default) || last.Reason != "node_lost" {
		t.Errorf("lee's history ends at %s (%s), want default (node_lost)", last.To, last.Reason)
	}

	// a new call on the same number reaches kim through b
	leg, err := bnet.Call("0103", did)
	h.ok(err)
	b.Flush()
	bnet.PlayDone(leg)
	b.Flush()
	if v := b.View("kim"); v.State != agent.Offered {
		t.Fatalf("kim on b after a new call: %s, want offered", v.State)
	}
	h.ok(b.Accept("kim"))
	agentLeg := bnet.WaitPlaced(t, telephonytest.ToExtension("1001"))
	bnet.AnswerLeg(agentLeg)
	b.Flush()
	if v := b.View("kim"); v.State != agent.OnCall || v.Call == nil {
		t.Fatalf("kim on b: %+v, want on_call", v)
	}
	nc, err := h.st.Calls().Get(ctx, b.View("kim").Call.ID)
	h.ok(err)
	if nc.Node != "b" || nc.TicketID == 0 {
		t.Fatalf("b's call record: node %q ticket %d", nc.Node, nc.TicketID)
	}
}

// TestDropHandsOver: a node that loses a service's lease hangs its calls up and forgets its
// agents without logging them out: their CTI sessions stay for the new owner.
func TestDropHandsOver(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cl := &owners{by: map[string]store.Node{}}
	a, anet := h.node("a", cl)
	h.ok(a.Adopt("support"))
	h.ok(a.Login("kim", "support"))
	h.ok(a.SetState("kim", agent.Ready, ""))
	leg, err := anet.Call("0101", did)
	h.ok(err)
	a.Flush()

	cl.set("support", store.Node{Name: "b", SIP: "127.0.0.1:5062", HTTP: "127.0.0.1:8082"})
	a.Drop("support")
	a.Flush()
	if l := anet.Leg(leg); !l.Ended || l.Cause != telephony.CauseNodeLost {
		t.Fatalf("the customer's leg after the drop: %+v", l)
	}
	if _, in := a.Session("kim"); in {
		t.Fatal("kim is still served by a")
	}
	open, err := h.st.CTI().List(ctx)
	h.ok(err)
	if len(open) != 1 || open[0].Login != "kim" {
		t.Fatalf("CTI sessions after the drop: %+v, want kim's kept", open)
	}
	if last, _ := h.st.States().Last(ctx, "kim"); last.To != string(agent.Ready) {
		t.Fatalf("kim's history ends at %s: a drop must not change it", last.To)
	}
	if fault.KindOf(a.SetState("kim", agent.Break, "")) != fault.Moved {
		t.Fatal("a command for kim on a after the drop is not sent to b")
	}
}
