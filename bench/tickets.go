package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
	"ringdesk/internal/tickets"
)

// benchTickets: with 1,000,000 tickets in the embedded SQLite database, how fast are tickets
// created (each its own committed transaction, as a call answered creates one), and how long
// does listing a service's tickets by the caller's phone take?
func benchTickets(o opts) (*result, error) {
	total, creates, lists := 1_000_000, 10_000, 2000
	if o.quick {
		total, creates, lists = 100_000, 2000, 500
	}
	const phones = 100_000
	res := &result{name: "tickets", title: fmt.Sprintf("Tickets: create and list with %d tickets in SQLite", total),
		command: "go run ./bench -only tickets", target: "≥ 5,000 creates/s; list by service and phone p99 < 10 ms"}
	ctx := context.Background()
	for run := 0; run < o.runs; run++ {
		dir, _ := os.MkdirTemp("", "ringdesk-bench-tickets")
		st, err := sqlite.Open(ctx, filepath.Join(dir, "ringdesk.db"))
		if err != nil {
			return nil, err
		}
		now := time.Now()
		phone := func(i int) string { return fmt.Sprintf("010%08d", i%phones) }
		svc := func(i int) string { return []string{"support", "sales", "billing"}[i%3] }
		for i := 0; i < total; {
			err := st.InTx(ctx, func(tx store.Store) error {
				for j := 0; j < 20000 && i < total; j, i = j+1, i+1 {
					t := tickets.Ticket{Service: svc(i), Subject: "전화 문의", Status: tickets.StatusOpen, Phone: phone(i), CreatedAt: now, UpdatedAt: now}
					if err := tx.Tickets().Create(ctx, &t); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		t0 := time.Now()
		for i := 0; i < creates; i++ {
			t := tickets.Ticket{Service: svc(i), Subject: "전화 문의", Status: tickets.StatusNew, Phone: phone(rand.IntN(phones)), CreatedAt: now, UpdatedAt: now}
			if err := st.Tickets().Create(ctx, &t); err != nil {
				return nil, err
			}
		}
		rate := float64(creates) / time.Since(t0).Seconds()
		var byPhone, bySvc []time.Duration
		for i := 0; i < lists; i++ {
			p := rand.IntN(phones)
			t := time.Now()
			l, err := st.Tickets().List(ctx, tickets.Filter{Services: []string{svc(p)}, Phone: phone(p), Limit: 50})
			if err != nil || len(l) == 0 {
				return nil, fmt.Errorf("list by phone: %v (%d found)", err, len(l))
			}
			byPhone = append(byPhone, time.Since(t))
			t = time.Now()
			if _, err := st.Tickets().List(ctx, tickets.Filter{Services: []string{svc(i)}, Limit: 50, BeforeID: int64(rand.IntN(total) + 100)}); err != nil {
				return nil, err
			}
			bySvc = append(bySvc, time.Since(t))
		}
		st.Close()
		os.RemoveAll(dir)
		res.add("creates, one committed transaction each", "/s", false, rate)
		res.add("list by service and phone, p50", "ms", false, ms(percentile(byPhone, 50)))
		res.add("list by service and phone, p99", "ms", false, ms(percentile(byPhone, 99)))
		res.add("list a service's page of 50, p99", "ms", false, ms(percentile(bySvc, 99)))
	}
	rate, p99 := res.value("creates, one committed transaction each"), res.value("list by service and phone, p99")
	res.verdict = verdict(rate >= 5000 && p99 < 10, fmt.Sprintf("%.0f creates/s, list p99 %.2f ms", rate, p99))
	res.notes = append(res.notes, "SQLite in WAL mode with synchronous=NORMAL: a committed ticket survives a crash of the process; the last transactions before a power loss may not. Lists are range scans of (service, phone, id) and (service, id) indexes, newest first.")
	return res, nil
}
