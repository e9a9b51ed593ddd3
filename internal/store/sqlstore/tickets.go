package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"ringdesk/internal/store"
	"ringdesk/internal/tickets"
)

type ticketStore struct{ s *Store }

func (ts ticketStore) Create(ctx context.Context, t *tickets.Ticket) error {
	if t.Status == "" {
		t.Status = tickets.StatusNew
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	err := ts.s.writeRow(ctx, `INSERT INTO tickets (service, subject, status, assignee, phone, callback, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.Service, t.Subject, string(t.Status), t.Assignee, t.Phone, boolInt(t.Callback), micros(t.CreatedAt), micros(t.UpdatedAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("store: creating a ticket: %w", ts.s.classify(err))
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC().Truncate(time.Microsecond), t.UpdatedAt.UTC().Truncate(time.Microsecond)
	return nil
}

const ticketCols = `id, service, subject, status, assignee, phone, callback, created_at, updated_at`

func scanTicket(sc interface{ Scan(...any) error }) (tickets.Ticket, error) {
	var t tickets.Ticket
	var status string
	var callback int
	var created, updated int64
	err := sc.Scan(&t.ID, &t.Service, &t.Subject, &status, &t.Assignee, &t.Phone, &callback, &created, &updated)
	t.Status, t.Callback, t.CreatedAt, t.UpdatedAt = tickets.Status(status), callback != 0, fromMicros(created), fromMicros(updated)
	return t, err
}

func (ts ticketStore) Get(ctx context.Context, id int64) (tickets.Ticket, error) {
	t, err := scanTicket(ts.s.row(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = ?`, id))
	if err != nil {
		return t, ts.s.classify(err)
	}
	rows, err := ts.s.query(ctx, `SELECT id, author, body, at FROM ticket_notes WHERE ticket_id = ? ORDER BY id`, id)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	t.Notes = []tickets.Note{}
	for rows.Next() {
		var n tickets.Note
		var at int64
		if err := rows.Scan(&n.ID, &n.Author, &n.Body, &at); err != nil {
			return t, err
		}
		n.At = fromMicros(at)
		t.Notes = append(t.Notes, n)
	}
	if err := rows.Err(); err != nil {
		return t, err
	}
	t.Calls, err = callStore{ts.s}.ListForTicket(ctx, id)
	return t, err
}

func (ts ticketStore) List(ctx context.Context, f tickets.Filter) ([]tickets.Ticket, error) {
	if len(f.Services) == 0 {
		return []tickets.Ticket{}, nil
	}
	var where []string
	var args []any
	if len(f.Services) == 1 {
		where = append(where, "service = ?")
		args = append(args, f.Services[0])
	} else {
		where = append(where, "service IN (?"+strings.Repeat(", ?", len(f.Services)-1)+")")
		for _, s := range f.Services {
			args = append(args, s)
		}
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(f.Status))
	}
	if f.Phone != "" {
		where = append(where, "phone = ?")
		args = append(args, f.Phone)
	}
	if f.Assignee != "" {
		where = append(where, "assignee = ?")
		args = append(args, f.Assignee)
	}
	if f.Callback {
		where = append(where, "callback = 1")
	}
	if f.BeforeID > 0 {
		where = append(where, "id < ?")
		args = append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	args = append(args, limit)
	rows, err := ts.s.query(ctx, `SELECT `+ticketCols+` FROM tickets WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: listing tickets: %w", err)
	}
	defer rows.Close()
	out := []tickets.Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (ts ticketStore) Update(ctx context.Context, id int64, u tickets.Update, at time.Time) (tickets.Ticket, error) {
	err := ts.s.InTx(ctx, func(txs store.Store) error {
		tx := txs.(*Store)
		var one int
		if err := tx.row(ctx, `SELECT 1 FROM tickets WHERE id = ?`, id).Scan(&one); err != nil {
			return tx.classify(err)
		}
		sets := []string{"updated_at = ?"}
		args := []any{micros(at)}
		if u.Status != nil {
			sets, args = append(sets, "status = ?"), append(args, string(*u.Status))
		}
		if u.Subject != nil {
			sets, args = append(sets, "subject = ?"), append(args, *u.Subject)
		}
		if u.Assignee != nil {
			sets, args = append(sets, "assignee = ?"), append(args, *u.Assignee)
		}
		if u.Callback != nil {
			sets, args = append(sets, "callback = ?"), append(args, boolInt(*u.Callback))
		}
		args = append(args, id)
		if _, err := tx.exec(ctx, `UPDATE tickets SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...); err != nil {
			return err
		}
		if u.Note != "" {
			if _, err := tx.exec(ctx, `INSERT INTO ticket_notes (ticket_id, author, body, at) VALUES (?, ?, ?, ?)`,
				id, u.Author, u.Note, micros(at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return tickets.Ticket{}, err
	}
	return ts.Get(ctx, id)
}
