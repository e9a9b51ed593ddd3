package api

import (
	"time"

	"ringdesk/internal/tickets"
)

func ticketOf(service, phone string, at time.Time) tickets.Ticket {
	return tickets.Ticket{Service: service, Subject: "문의 " + phone, Status: tickets.StatusNew, Phone: phone, CreatedAt: at, UpdatedAt: at}
}
