package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"ringdesk/internal/agent"
	"ringdesk/internal/directory"
	"ringdesk/internal/engine"
	"ringdesk/internal/events"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
	"ringdesk/internal/telephony/telephonytest"
)

// routingSite: queue 100 has every agent; queue 200 has none, so its calls wait forever and
// make the distributor large.
func routingSite(agents int) *site.Site {
	s := &site.Site{Services: []site.Service{{ID: "support", Name: "support", CTI: true, RecallSeconds: 600, NoAnswer: site.NoAnswerBreak,
		Numbers: []site.Number{{Number: "0200000100", Queue: "100", Greeting: "none"}, {Number: "0200000200", Queue: "200", Greeting: "none"}},
		Queues:  []site.Queue{{Number: "100", Strategy: site.StrategyLongestIdle}, {Number: "200", Strategy: site.StrategyLongestIdle}}}}}
	for i := 0; i < agents; i++ {
		login := fmt.Sprintf("a%05d", i)
		s.Agents = append(s.Agents, site.Agent{Login: login, Role: site.RoleAgent, Services: []string{"support"},
			Extension: fmt.Sprint(10000 + i), Phone: site.PhoneSIP, SIPHA1: "x", PasswordHash: "x"})
		s.Services[0].Queues[0].Members = append(s.Services[0].Queues[0].Members, login)
	}
	return s
}

type engineRig struct {
	eng *engine.Engine
	net *telephonytest.Network
	st  store.Store
	bus *events.Bus
	dir string
}

func newEngineRig(s *site.Site) (*engineRig, error) {
	dir, _ := os.MkdirTemp("", "ringdesk-bench")
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "ringdesk.db"))
	if err != nil {
		return nil, err
	}
	if err := st.Site().Save(context.Background(), s); err != nil {
		return nil, err
	}
	r := &engineRig{st: st, bus: events.NewBus(), net: telephonytest.New(), dir: dir}
	live, err := directory.Open(context.Background(), st.Site(), nil)
	if err != nil {
		return nil, err
	}
	r.eng, err = engine.New(engine.Config{Store: st, Directory: live, Bus: r.bus, Phone: r.net})
	if err != nil {
		return nil, err
	}
	r.net.SetHandler(r.eng)
	return r, r.eng.Start(context.Background())
}

func (r *engineRig) close() {
	r.eng.Close()
	r.st.Close()
	os.RemoveAll(r.dir)
}

// benchRouting: with 5,000 agents logged in and 50,000 calls waiting, how long from a call
// entering a queue to its offer being published? Anchor: one value passed between two
// goroutines on a channel, the floor of any hand-over inside a process.
func benchRouting(o opts) (*result, error) {
	agents, waiting, samples := 5000, 50000, 2000
	if o.quick {
		agents, waiting, samples = 500, 5000, 200
	}
	res := &result{name: "routing", title: fmt.Sprintf("Routing: a call enters a queue → its offer is published (%d agents, %d queued calls)", agents, waiting),
		command: "go run ./bench -only routing", target: "p99 < 1 ms"}
	for run := 0; run < o.runs; run++ {
		r, err := newEngineRig(routingSite(agents))
		if err != nil {
			return nil, err
		}
		for i := 0; i < agents; i++ {
			login := fmt.Sprintf("a%05d", i)
			if err := r.eng.Login(login, "support"); err != nil {
				return nil, err
			}
			if err := r.eng.SetState(login, agent.Ready, ""); err != nil {
				return nil, err
			}
		}
		for i := 0; i < waiting; i++ {
			if _, err := r.net.Call(fmt.Sprint("0101", i), "0200000200"); err != nil {
				return nil, err
			}
		}
		sub := r.bus.Subscribe(events.Filter{All: true}, 1<<16)
		var lat []time.Duration
		for i := 0; i < samples; i++ {
			t0 := time.Now()
			if _, err := r.net.Call(fmt.Sprint("0109", i), "0200000100"); err != nil {
				return nil, err
			}
			for m := range sub.C {
				if m.Type == events.CallOffered {
					lat = append(lat, time.Since(t0))
					break
				}
			}
		}
		r.bus.Unsubscribe(sub)
		r.close()
		res.add("offer published, p50", "µs", false, us(percentile(lat, 50)))
		res.add("offer published, p99", "µs", false, us(percentile(lat, 99)))
		a50, a99 := channelFloor(samples)
		res.add("channel send between goroutines, p50", "µs", true, us(a50))
		res.add("channel send between goroutines, p99", "µs", true, us(a99))
	}
	p99 := res.value("offer published, p99")
	res.verdict = verdict(p99 < 1000, fmt.Sprintf("p99 %.0f µs, %.0f× the channel floor's p99", p99, p99/res.value("channel send between goroutines, p99")))
	res.notes = append(res.notes, "The time includes what the engine does for every call before it is offered: the call record is written to SQLite (committed), the distributor picks the longest-idle agent, the agent's state change is recorded and the event is published.")
	return res, nil
}

func channelFloor(n int) (time.Duration, time.Duration) {
	ch := make(chan time.Time)
	out := make(chan time.Duration, n)
	go func() {
		for t := range ch {
			out <- time.Since(t)
		}
		close(out)
	}()
	for i := 0; i < n; i++ {
		ch <- time.Now()
		time.Sleep(50 * time.Microsecond)
	}
	close(ch)
	var lat []time.Duration
	for d := range out {
		lat = append(lat, d)
	}
	return percentile(lat, 50), percentile(lat, 99)
}

func verdict(ok bool, detail string) string {
	if ok {
		return "Met: " + detail + "."
	}
	return "Not met: " + detail + "."
}
