package engine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/agent"
)

// A logged-out agent has no time in state: the view says nothing of one. (Fails before the
// view left it out: "since":"0001-01-01T00:00:00Z", and the widget counted from year 1.)
func TestLoggedOutViewHasNoSince(t *testing.T) {
	h := newHarness(t)
	b, err := json.Marshal(h.eng.View("kim"))
	h.ok(err)
	if strings.Contains(string(b), "since") {
		t.Fatalf("logged-out view %s carries a since", b)
	}
	h.ok(h.eng.Login("kim", "support"))
	v := h.state("kim", agent.Default)
	if v.Since.IsZero() {
		t.Fatal("a logged-in view must say since when")
	}
	h.ok(h.eng.Logout("kim"))
	b, _ = json.Marshal(h.eng.View("kim"))
	if strings.Contains(string(b), "since") {
		t.Fatalf("view after CTI 로그아웃 %s carries a since", b)
	}
}

// The target of a transfer sees a countdown to its own recall and the sender by name; while
// the consult is up, "통화 상대" names the colleague and the customer. (Fails before: the
// consult offer's recall_at was the zero time — "호회수까지 0초" — the alert named the sender by
// login, and the target's call had no party, since a browser seat has no number.)
func TestTransferOfferCountsDownAndNamesTheSender(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	h.call("01011112222")
	h.connect("kim", "1001")
	h.ready("lee")
	h.ok(h.eng.Consult("kim", "agent:lee"))
	v := h.state("lee", agent.Offered)
	now := h.clk.Now()
	if got := v.Offer.RecallAt.Sub(now); got != 30*time.Second {
		t.Fatalf("the transfer alert counts down %v, want 30s (recall_at %v)", got, v.Offer.RecallAt)
	}
	if v.Offer.TransferName != "김상담" || v.Offer.Transfer != "kim" {
		t.Fatalf("the transfer alert names %q (%q), want 김상담 (kim)", v.Offer.TransferName, v.Offer.Transfer)
	}
	h.clk.Advance(10 * time.Second)
	if got := h.eng.View("lee").Offer.RecallAt.Sub(h.clk.Now()); got != 20*time.Second {
		t.Fatalf("after 10 s the alert counts down %v, want 20s", got)
	}
	h.connect("lee", "1002")
	h.state("kim", agent.Consulting)
	c := h.eng.View("lee").Call
	if c == nil || c.Role != "target" || c.TransferFromName != "김상담" || c.TransferFrom != "kim" || c.Customer != "01011112222" {
		t.Fatalf("the consult target's call: %+v", c)
	}
	if cons := h.eng.View("kim").Call.Consult; cons == nil || cons.ToName != "이상담" {
		t.Fatalf("kim's consult names %+v, want 이상담", cons)
	}
}

// A re-offered call counts down from the new offer, not the first one.
func TestReofferCountsDownAfresh(t *testing.T) {
	h := newHarness(t)
	h.ready("kim", "lee")
	h.call("01011112222")
	h.state("kim", agent.Offered)
	h.clk.Advance(5 * time.Second)
	h.ok(h.eng.Reject("kim"))
	v := h.state("lee", agent.Offered)
	if got := v.Offer.RecallAt.Sub(h.clk.Now()); got != 30*time.Second {
		t.Fatalf("the re-offer counts down %v, want 30s", got)
	}
}

// A new ticket's subject reads the number the Korean way. (Fails before: 전화 문의 01011112222.)
func TestTicketSubjectReadsTheNumber(t *testing.T) {
	h := newHarness(t)
	h.ready("kim")
	h.call("01011112222")
	h.connect("kim", "1001")
	tk, err := h.st.Tickets().Get(context.Background(), h.eng.View("kim").Call.Ticket)
	h.ok(err)
	if tk.Subject != "전화 문의 010-1111-2222" || tk.Phone != "01011112222" {
		t.Fatalf("ticket subject %q, phone %q", tk.Subject, tk.Phone)
	}
}
