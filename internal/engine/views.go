package engine

import (
	"sort"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/call"
	"ringdesk/internal/tickets"
)

// View is an agent's CTI state as the widget shows it (GET /api/v1/cti).
type View struct {
	Login  string       `json:"login"`
	State  agent.State  `json:"state"`
	Label  string       `json:"label"`
	Reason agent.Reason `json:"reason"`
	// Since is when the agent entered the state; left out while logged out, which has no
	// beginning the engine knows of (a widget would count from year 1).
	Since   time.Time  `json:"since,omitzero"`
	Service string     `json:"service"`
	Call    *CallView  `json:"call"`
	Offer   *OfferView `json:"offer"`
	// Notice is something the widget must show on connecting (a restart logged the agent
	// back in), until the agent's next state change.
	Notice *Notice `json:"notice,omitempty"`
}

// CallView is the call an agent is on.
type CallView struct {
	ID         string       `json:"id"`
	Direction  string       `json:"direction"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	CallerID   string       `json:"caller_id,omitempty"`
	Queue      string       `json:"queue,omitempty"`
	State      call.State   `json:"state"`
	Ticket     int64        `json:"ticket,omitempty"`
	AnsweredAt *time.Time   `json:"answered_at,omitempty"`
	Consult    *ConsultView `json:"consult,omitempty"`
	Role       string       `json:"role"` // agent | caller | target
	// CustomerHeld: the customer's side has put the call on hold.
	CustomerHeld bool `json:"customer_held,omitempty"`
	// For the target of a consult (role target): who is transferring, and the customer the
	// transfer is about. The consult itself comes from the colleague's seat, which may have
	// no number at all (a browser phone), so "talking with" names the colleague.
	TransferFrom     string `json:"transfer_from,omitempty"`
	TransferFromName string `json:"transfer_from_name,omitempty"`
	Customer         string `json:"customer,omitempty"`
	// Recording is the call's recording, when it has one.
	Recording *RecordingView `json:"recording,omitempty"`
}

// ConsultView is a consult in progress.
type ConsultView struct {
	Target string `json:"target"`
	To     string `json:"to,omitempty"`
	// ToName names the colleague consulted, when it is an agent.
	ToName string `json:"to_name,omitempty"`
	Up     bool   `json:"up"`
}

// OfferView is the 전화 인입 알림창.
type OfferView struct {
	Call     string    `json:"call"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Queue    string    `json:"queue,omitempty"`
	Service  string    `json:"service"`
	RecallAt time.Time `json:"recall_at"`
	Transfer string    `json:"transfer_from,omitempty"` // a consult from this agent
	// TransferName is that agent's name, for the alert ("김상담 상담원의 호전환 요청").
	TransferName string `json:"transfer_from_name,omitempty"`
	Ringing      bool   `json:"ringing"`
}

// View returns an agent's CTI state.
func (e *Engine) View(login string) View {
	e.mu.RLock()
	svc, ok := e.sessions[login]
	l := e.loops[svc]
	e.mu.RUnlock()
	out := View{Login: login, State: agent.LoggedOut, Label: agent.LoggedOut.Label("ko")}
	if !ok || l == nil {
		return out
	}
	var ref *ticketRef
	l.query(func() {
		if a := l.agents[login]; a != nil {
			out = l.view(a)
			if a.call != nil {
				ref = a.call.ticket
			}
		}
	})
	if out.Call != nil && ref != nil {
		// the ticket's creation is stored by now (query waited for it); its id is known
		out.Call.Ticket = ref.id.Load()
	}
	return out
}

func (l *loop) view(a *agentRT) View {
	v := View{Login: a.login, State: a.st.State, Label: a.st.State.Label("ko"), Reason: a.st.Reason,
		Since: a.st.Since.UTC(), Service: l.service, Notice: a.notice}
	if a.st.State == agent.Work {
		v.Label += "(" + a.st.Reason.Label("ko") + ")"
	}
	c := a.call
	if c == nil {
		return v
	}
	if a.st.State == agent.Offered || a.st.State == agent.Ringing {
		o := &OfferView{Call: c.id, From: c.rec.From, To: c.rec.To, Queue: c.queue, Service: l.service,
			Ringing: a.st.State == agent.Ringing}
		// the recall timer armed for this offer: a re-offer or a consult (which keeps no
		// offered time of its own) counts down from its own start
		if !a.offerUntil.IsZero() {
			o.RecallAt = a.offerUntil.UTC()
		} else if c.rec.OfferedAt != nil {
			o.RecallAt = c.rec.OfferedAt.Add(l.recallTime()).UTC()
		}
		if c.kind == kindConsult && c.parent != nil {
			o.From = c.parent.rec.From
			if c.parent.agent != nil {
				o.Transfer = c.parent.agent.login
				o.TransferName = c.parent.agent.cfg.Name
			}
		}
		v.Offer = o
		return v
	}
	cv := &CallView{ID: c.id, Direction: string(c.rec.Direction), From: c.rec.From, To: c.rec.To, CallerID: c.rec.CallerID,
		Queue: c.queue, State: c.m.State, Ticket: c.ticketID(), AnsweredAt: c.rec.AnsweredAt, Role: "agent",
		CustomerHeld: c.customerHeld, Recording: c.recording.view()}
	switch {
	case c.caller == a:
		cv.Role = "caller"
	case c.kind == kindConsult:
		cv.Role = "target"
		if p := c.parent; p != nil {
			cv.Customer = p.rec.From
			if p.rec.Direction == tickets.Outbound {
				cv.Customer = p.rec.To
			}
			if p.agent != nil {
				cv.TransferFrom, cv.TransferFromName = p.agent.login, p.agent.cfg.Name
			}
		}
	}
	if c.consult != nil {
		cv.Consult = &ConsultView{Target: c.consult.target, To: c.consult.to, Up: c.consult.up}
		if ch := c.consult.child; ch != nil && ch.agent != nil {
			cv.Consult.ToName = ch.agent.cfg.Name
		}
	}
	v.Call = cv
	return v
}

// AgentSummary is one agent in a list: 대기 상담원 확인 and the live view.
type AgentSummary struct {
	Login     string       `json:"login"`
	Name      string       `json:"name"`
	Extension string       `json:"extension,omitempty"`
	State     agent.State  `json:"state"`
	Reason    agent.Reason `json:"reason,omitempty"`
	Since     time.Time    `json:"since"`
	Call      string       `json:"call,omitempty"`
	Groups    []string     `json:"groups,omitempty"`
}

// ReadyAgents lists the ready agents of a group in the asking agent's service (대기 상담원 확인).
// An empty group lists every ready agent.
func (e *Engine) ReadyAgents(login, group string) ([]AgentSummary, error) {
	var out []AgentSummary
	err := e.withAgent(login, func(l *loop, me *agentRT) error {
		for _, a := range l.agents {
			if a == me || a.st.State != agent.Ready {
				continue
			}
			if group != "" && !contains(a.cfg.Groups, group) {
				continue
			}
			out = append(out, l.summary(a))
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *loop) summary(a *agentRT) AgentSummary {
	return AgentSummary{Login: a.login, Name: a.cfg.Name, Extension: a.cfg.Extension, State: a.st.State,
		Reason: a.st.Reason, Since: a.st.Since.UTC(), Call: a.st.Call, Groups: a.cfg.Groups}
}

// QueueSummary is one queue in the live view.
type QueueSummary struct {
	Number  string        `json:"number"`
	Name    string        `json:"name"`
	Ready   int           `json:"ready"`
	Waiting []WaitingCall `json:"waiting"`
}

// WaitingCall is a call waiting in a queue.
type WaitingCall struct {
	Call  string    `json:"call"`
	From  string    `json:"from"`
	Since time.Time `json:"since"`
}

// Live is a service's live view for supervisors.
type Live struct {
	Service string         `json:"service"`
	At      time.Time      `json:"at"`
	Agents  []AgentSummary `json:"agents"`
	Queues  []QueueSummary `json:"queues"`
	Calls   int            `json:"calls"`
	// Monitors are the supervisors on calls (managers see the live view; agents never do).
	Monitors []MonitorView `json:"monitors"`
}

// Live returns the agents and queues of a service as they are now.
func (e *Engine) Live(service string) (Live, error) {
	l, ok := e.loopFor(service)
	if !ok && e.served(service) {
		return Live{}, e.notHere(service)
	}
	if !ok {
		return Live{}, notFound("not_found", "서비스 {service}이(가) 없습니다", "service", service)
	}
	var out Live
	var err error
	l.query(func() {
		out = Live{Service: service, At: l.now().UTC(), Agents: []AgentSummary{}, Queues: []QueueSummary{}, Monitors: []MonitorView{}}
		for _, a := range l.agents {
			out.Agents = append(out.Agents, l.summary(a))
		}
		if l.cfg != nil {
			for _, q := range l.cfg.Queues {
				qs := QueueSummary{Number: q.Number, Name: q.Name, Ready: l.acd.ReadyCount(q.Number), Waiting: []WaitingCall{}}
				for _, w := range l.acd.WaitingCalls(q.Number) {
					wc := WaitingCall{Call: w.Call, Since: w.EnqueuedAt.UTC()}
					if c := l.calls[w.Call]; c != nil {
						wc.From = c.rec.From
					}
					qs.Waiting = append(qs.Waiting, wc)
				}
				out.Queues = append(out.Queues, qs)
			}
		}
		for _, c := range l.calls {
			if c.kind != kindConsult {
				out.Calls++
			}
			if c.monitor != nil {
				out.Monitors = append(out.Monitors, c.monitorView())
			}
		}
	})
	sort.Slice(out.Monitors, func(i, j int) bool { return out.Monitors[i].Call < out.Monitors[j].Call })
	sort.Slice(out.Agents, func(i, j int) bool { return out.Agents[i].Login < out.Agents[j].Login })
	return out, err
}

// Session returns the service an agent is CTI-logged in to, if any.
func (e *Engine) Session(login string) (string, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.sessions[login]
	return s, ok
}

// Counts reports how many agents are logged in to CTI and how many calls are live, site-wide.
func (e *Engine) Counts() (agents, calls int) {
	e.mu.RLock()
	loops := make([]*loop, 0, len(e.loops))
	for _, l := range e.loops {
		loops = append(loops, l)
	}
	agents = len(e.sessions)
	e.mu.RUnlock()
	for _, l := range loops {
		l.query(func() {
			for _, c := range l.calls {
				if c.kind != kindConsult {
					calls++
				}
			}
		})
	}
	return agents, calls
}
