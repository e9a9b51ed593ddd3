package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/events"
	"ringdesk/internal/telephony/telephonytest"
	"ringdesk/internal/tickets"
)

// TestCallBackJoinsTheTicket: 걸기 back from the missed-call list links the answered call to
// the missed call's ticket — no new ticket — and clears its 콜백 필요, even when the customer is
// reached on another number; a call back to the ticket's own number notes it once.
func TestCallBackJoinsTheTicket(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.ok(h.eng.Login("kim", "support")) // in 기본: nobody takes the call
	missed := func(from string) tickets.Ticket {
		t.Helper()
		leg := h.call(from)
		h.clk.Advance(20 * time.Second)
		h.net.HangUp(leg)
		h.eng.Flush()
		list, err := h.st.Tickets().List(ctx, tickets.Filter{Services: []string{"support"}, Phone: from, Callback: true})
		h.ok(err)
		if len(list) != 1 {
			t.Fatalf("missed call from %s: %+v", from, list)
		}
		return list[0]
	}
	count := func() int {
		list, err := h.st.Tickets().List(ctx, tickets.Filter{Services: []string{"support"}, Limit: 100})
		h.ok(err)
		return len(list)
	}
	callBack := func(number string, ticket int64) string {
		t.Helper()
		h.ok(h.eng.DialFor("kim", number, "0212345678", ticket))
		h.net.AnswerLeg(h.net.WaitPlaced(t, telephonytest.ToExtension("1001")))
		cust := h.net.WaitPlaced(t, telephonytest.ToTrunk(number))
		h.net.AnswerLeg(cust)
		v := h.state("kim", agent.OnCall)
		h.net.HangUp(cust)
		h.state("kim", agent.AfterCall)
		h.ok(h.eng.AfterCall("kim", "work"))
		return v.Call.ID
	}

	// reached on another number than the one that called
	a := missed("01055550001")
	h.events()
	before := count()
	id := callBack("01055559999", a.ID)
	evs := h.events()
	if count() != before {
		t.Fatalf("a call back opened a ticket: %d → %d", before, count())
	}
	c, err := h.st.Calls().Get(ctx, id)
	h.ok(err)
	if c.TicketID != a.ID || c.Outcome != tickets.OutcomeAnswered {
		t.Fatalf("call back record: ticket %d, want %d (%s)", c.TicketID, a.ID, c.Outcome)
	}
	got, err := h.st.Tickets().Get(ctx, a.ID)
	h.ok(err)
	if got.Callback || got.Assignee != "kim" || len(got.Calls) != 2 || !hasNote(got, "콜백 완료", "kim") {
		t.Fatalf("ticket after the call back: %+v", got)
	}
	if e := has(evs, events.TicketUpdated, "kim"); e == nil || e.Data.(map[string]any)["ticket"] != a.ID {
		t.Fatalf("ticket.updated: %+v", e)
	}
	if e := has(evs, events.TicketCreated, ""); e != nil {
		t.Fatalf("ticket.created for a call back: %+v", e)
	}
	if e := has(evs, events.CallAnswered, "kim"); e == nil || e.Data.(map[string]any)["ticket"] != a.ID {
		t.Fatalf("call.answered: %+v", e)
	}

	// the ticket's own number: cleared once, one note
	b := missed("01055550002")
	callBack("01055550002", b.ID)
	got, err = h.st.Tickets().Get(ctx, b.ID)
	h.ok(err)
	n := 0
	for _, x := range got.Notes {
		if x.Body == "콜백 완료" {
			n++
		}
	}
	if got.Callback || n != 1 || len(got.Calls) != 2 {
		t.Fatalf("own number: callback %v, %d notes of it, %d calls", got.Callback, n, len(got.Calls))
	}

	// a plain 걸기 opens a ticket as before
	before = count()
	callBack("01055550003", 0)
	if count() != before+1 {
		t.Fatalf("a plain 걸기 opened %d tickets", count()-before)
	}
}

func hasNote(t tickets.Ticket, body, author string) bool {
	for _, n := range t.Notes {
		if strings.Contains(n.Body, body) && n.Author == author {
			return true
		}
	}
	return false
}
