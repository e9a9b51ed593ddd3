package queue

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// model is what the test knows independently of the ACD.
type model struct {
	members  map[string]map[string]bool // queue -> agents
	ready    map[string]time.Time       // agent -> idle since
	offered  map[string]string          // agent -> call
	calls    map[string]*Entry          // live queued calls
	now      time.Time
	nextCall int
}

func (m *model) check(t *rapid.T, a *ACD, as []Assignment) {
	for _, x := range as {
		c := m.calls[x.Call]
		if c == nil || c.State != Waiting {
			t.Fatalf("assigned %s which is not waiting", x.Call)
		}
		since, ok := m.ready[x.Agent]
		if !ok {
			t.Fatalf("assigned to %s who is not ready", x.Agent)
		}
		if !m.members[c.Queue][x.Agent] {
			t.Fatalf("assigned to %s who is not a member of %s", x.Agent, c.Queue)
		}
		if c.Excluded[x.Agent] {
			t.Fatalf("assigned %s to %s who refused it", x.Call, x.Agent)
		}
		if _, busy := m.offered[x.Agent]; busy {
			t.Fatalf("agent %s offered two calls", x.Agent)
		}
		// longest idle among the eligible
		for ag, s := range m.ready {
			if m.members[c.Queue][ag] && !c.Excluded[ag] && s.Before(since) {
				t.Fatalf("assigned %s to %s (idle since %v) though %s idles since %v", x.Call, x.Agent, since, ag, s)
			}
		}
		delete(m.ready, x.Agent)
		m.offered[x.Agent] = x.Call
		c.State, c.Agent = Offered, x.Agent
	}
	// work conserving: no waiting call has an eligible ready agent left
	for _, c := range m.calls {
		if c.State != Waiting {
			continue
		}
		for ag := range m.ready {
			if m.members[c.Queue][ag] && !c.Excluded[ag] {
				t.Fatalf("call %s waits while %s is ready for it", c.Call, ag)
			}
		}
	}
	for ag := range m.ready {
		if !a.IsReady(ag) {
			t.Fatalf("model says %s ready, ACD says not", ag)
		}
	}
	for id, c := range m.calls {
		e, ok := a.Entry(id)
		if !ok || e.State != c.State || e.Agent != c.Agent {
			t.Fatalf("call %s: ACD %+v %v, model %+v", id, e, ok, *c)
		}
	}
}

func TestACDProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := New()
		agents := []string{"a", "b", "c", "d", "e"}
		queues := []string{"100", "200", "300"}
		m := &model{members: map[string]map[string]bool{}, ready: map[string]time.Time{}, offered: map[string]string{}, calls: map[string]*Entry{}, now: t0}
		for _, q := range queues {
			mem := rapid.SliceOfDistinct(rapid.SampledFrom(agents), func(s string) string { return s }).Draw(t, "members"+q)
			m.members[q] = map[string]bool{}
			for _, x := range mem {
				m.members[q][x] = true
			}
			m.check(t, a, a.SetQueue(q, mem, m.now))
		}
		tick := func() time.Time { m.now = m.now.Add(time.Second); return m.now }
		release := func(agent string) {
			delete(m.offered, agent)
		}
		t.Repeat(map[string]func(*rapid.T){
			"ready": func(t *rapid.T) {
				ag := rapid.SampledFrom(agents).Draw(t, "agent")
				if _, busy := m.offered[ag]; busy {
					t.Skip("offered agents are not made ready by the engine")
				}
				now := tick()
				as, ok := a.Ready(ag, now, now)
				if _, was := m.ready[ag]; !was {
					m.ready[ag] = now
				}
				var list []Assignment
				if ok {
					list = append(list, as)
				}
				m.check(t, a, list)
			},
			"notready": func(t *rapid.T) {
				ag := rapid.SampledFrom(agents).Draw(t, "agent")
				a.NotReady(ag)
				delete(m.ready, ag)
				m.check(t, a, nil)
			},
			"enqueue": func(t *rapid.T) {
				q := rapid.SampledFrom(queues).Draw(t, "queue")
				m.nextCall++
				id := fmt.Sprint("call", m.nextCall)
				now := tick()
				m.calls[id] = &Entry{Call: id, Queue: q, State: Waiting, EnqueuedAt: now}
				as, ok, err := a.Enqueue(id, q, now)
				if err != nil {
					t.Fatal(err)
				}
				var list []Assignment
				if ok {
					list = append(list, as)
				}
				m.check(t, a, list)
			},
			"accept": func(t *rapid.T) {
				for id, c := range m.calls {
					if c.State == Offered {
						if err := a.Accept(id, tick()); err != nil {
							t.Fatal(err)
						}
						c.State = Ringing
						break
					}
				}
				m.check(t, a, nil)
			},
			"answer": func(t *rapid.T) {
				for id, c := range m.calls {
					if c.State == Ringing {
						if err := a.Answer(id, tick()); err != nil {
							t.Fatal(err)
						}
						release(c.Agent)
						delete(m.calls, id)
						break
					}
				}
				m.check(t, a, nil)
			},
			"recall": func(t *rapid.T) {
				kind := rapid.SampledFrom([]Kind{Reject, Timeout}).Draw(t, "kind")
				stay := rapid.Bool().Draw(t, "agent stays ready")
				for id, c := range m.calls {
					if c.State != Offered && c.State != Ringing {
						continue
					}
					ag := c.Agent
					now := tick()
					release(ag)
					var list []Assignment
					// The engine makes a refusing agent ready again before recalling the call
					// (and it may be offered another waiting call at once).
					if stay {
						x, ok := a.Ready(ag, now, now)
						m.ready[ag] = now
						if ok {
							m.check(t, a, []Assignment{x})
						}
					}
					if c.Excluded == nil {
						c.Excluded = map[string]bool{}
					}
					c.Excluded[ag] = true
					c.State, c.Agent = Waiting, ""
					as, ok, err := a.Recall(id, kind, now)
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						list = append(list, as)
					}
					m.check(t, a, list)
					return
				}
			},
			"abandon": func(t *rapid.T) {
				for id, c := range m.calls {
					if err := a.Abandon(id, tick()); err != nil {
						t.Fatal(err)
					}
					if c.Agent != "" {
						release(c.Agent)
					}
					delete(m.calls, id)
					break
				}
				m.check(t, a, nil)
			},
			"members": func(t *rapid.T) {
				q := rapid.SampledFrom(queues).Draw(t, "queue")
				mem := rapid.SliceOfDistinct(rapid.SampledFrom(agents), func(s string) string { return s }).Draw(t, "members")
				m.members[q] = map[string]bool{}
				for _, x := range mem {
					m.members[q][x] = true
				}
				// SetQueue may make several offers; feed them to the model in order.
				m.check(t, a, a.SetQueue(q, mem, tick()))
			},
		})
	})
}
