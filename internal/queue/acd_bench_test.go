package queue

import (
	"fmt"
	"testing"
	"time"
)

// The benchmarks keep the ACD at a fixed size: every iteration makes one assignment and then
// restores the population, so ns/op is the cost of one assignment with n agents and m calls.

func benchSetup(b *testing.B, agents, queues int) (*ACD, []string) {
	a := New()
	logins := make([]string, agents)
	for i := range logins {
		logins[i] = fmt.Sprintf("agent%05d", i)
	}
	// each agent belongs to two queues
	for q := 0; q < queues; q++ {
		var mem []string
		for i, l := range logins {
			if i%queues == q || (i+1)%queues == q {
				mem = append(mem, l)
			}
		}
		a.SetQueue(fmt.Sprint(100+q), mem, t0)
	}
	// Agents who have worked before: their distributor records exist (steady state).
	for _, l := range logins {
		a.Ready(l, t0, t0)
		a.NotReady(l)
	}
	return a, logins
}

var queueNames = func() []string {
	out := make([]string, 10)
	for i := range out {
		out[i] = fmt.Sprint(100 + i)
	}
	return out
}()

// BenchmarkAgentReadyTakesCall: 50,000 calls wait; an agent becomes ready and is offered the
// oldest call among its queues; the call is answered and a new one arrives.
func BenchmarkAgentReadyTakesCall(b *testing.B) {
	for _, size := range []struct{ agents, calls int }{{500, 5000}, {5000, 50000}, {50000, 500000}} {
		b.Run(fmt.Sprintf("agents=%d/calls=%d", size.agents, size.calls), func(b *testing.B) {
			const queues = 10
			a, logins := benchSetup(b, size.agents, queues)
			ids := make([]string, size.calls+b.N)
			for i := range ids {
				ids[i] = fmt.Sprint("c", i)
			}
			now := t0
			for i := 0; i < size.calls; i++ {
				now = now.Add(time.Millisecond)
				a.Enqueue(ids[i], queueNames[i%queues], now)
			}
			next := size.calls
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				now = now.Add(time.Millisecond)
				ag := logins[i%len(logins)]
				as, ok := a.Ready(ag, now, now)
				if !ok {
					b.Fatal("no assignment")
				}
				a.Accept(as.Call, now)
				a.Answer(as.Call, now)
				a.Enqueue(ids[next], as.Queue, now)
				next++
			}
		})
	}
}

// BenchmarkCallFindsReadyAgent: 5,000 agents are ready; a call arrives and is offered to the
// longest-idle member; the agent answers and becomes ready again.
func BenchmarkCallFindsReadyAgent(b *testing.B) {
	for _, agents := range []int{500, 5000, 50000} {
		b.Run(fmt.Sprintf("agents=%d", agents), func(b *testing.B) {
			const queues = 10
			a, logins := benchSetup(b, agents, queues)
			now := t0
			for _, l := range logins {
				now = now.Add(time.Millisecond)
				a.Ready(l, now, now)
			}
			ids := make([]string, b.N)
			for i := range ids {
				ids[i] = fmt.Sprint("c", i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				now = now.Add(time.Millisecond)
				as, ok, _ := a.Enqueue(ids[i], queueNames[i%queues], now)
				if !ok {
					b.Fatal("no assignment")
				}
				a.Accept(as.Call, now)
				a.Answer(as.Call, now)
				a.Ready(as.Agent, now, now)
			}
		})
	}
}

// BenchmarkAssign measures one assignment and nothing else: with 5,000 agents and 50,000
// waiting calls, an agent becomes ready and is offered the oldest call it may take
// (agent-ready), or, with 5,000 ready agents, a call arrives and is offered to the longest-idle
// member (call-arrives). The distributor is rebuilt, untimed, whenever its supply runs out.
func BenchmarkAssign(b *testing.B) {
	const agents, calls, queues = 5000, 50000, 10
	b.Run("agent-ready", func(b *testing.B) {
		var a *ACD
		var logins []string
		now := t0
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if i%agents == 0 {
				b.StopTimer()
				a, logins = benchSetup(b, agents, queues)
				for j := 0; j < calls; j++ {
					now = now.Add(time.Millisecond)
					a.Enqueue(fmt.Sprint("c", j), queueNames[j%queues], now)
				}
				b.StartTimer()
			}
			now = now.Add(time.Millisecond)
			if _, ok := a.Ready(logins[i%agents], now, now); !ok {
				b.Fatal("no assignment")
			}
		}
	})
	b.Run("call-arrives", func(b *testing.B) {
		var a *ACD
		ids := make([]string, agents)
		for i := range ids {
			ids[i] = fmt.Sprint("c", i)
		}
		now := t0
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if i%agents == 0 {
				b.StopTimer()
				var logins []string
				a, logins = benchSetup(b, agents, queues)
				for _, l := range logins {
					now = now.Add(time.Millisecond)
					a.Ready(l, now, now)
				}
				b.StartTimer()
			}
			now = now.Add(time.Millisecond)
			if _, ok, _ := a.Enqueue(ids[i%agents], queueNames[i%queues], now); !ok {
				b.Fatal("no assignment")
			}
		}
	})
}
