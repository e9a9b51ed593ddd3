package api

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Every account of a service hears of its tickets: an agent's ticket list refreshes when a
// colleague's call makes a ticket. Other services' agents hear nothing of them. (Fails
// before: only the ticket's own agent and the managers were told.)
func TestTicketEventsReachTheServicesAgents(t *testing.T) {
	e := newEnv(t)
	tk := ticketOf("support", "01055556666", time.Now())
	if err := e.st.Tickets().Create(context.Background(), &tk); err != nil {
		t.Fatal(err)
	}
	kim, lee, han := e.login("kim"), e.login("lee"), e.login("han")
	wl, wh := lee.watch(), han.watch()
	kim.must("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), map[string]string{"assignee": "kim"}, 200, nil)
	if ev := wl.next("ticket.updated", ""); ev.Service != "support" {
		t.Fatalf("lee was told %+v", ev)
	}
	// han's own change comes after kim's: had the ticket been shown to han, it would come first
	hanTk := ticketOf("sales", "01099998888", time.Now())
	if err := e.st.Tickets().Create(context.Background(), &hanTk); err != nil {
		t.Fatal(err)
	}
	han.must("PATCH", fmt.Sprintf("/api/v1/tickets/%d", hanTk.ID), map[string]string{"note": "메모"}, 200, nil)
	if ev := wh.next("ticket.updated", ""); ev.Service != "sales" {
		t.Fatalf("han, of sales, was told of a support ticket: %+v", ev)
	}
}
