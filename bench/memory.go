package main

import (
	"fmt"
	"time"
)

// benchMemory: what one registered, logged-in, idle agent costs the server, and what one
// active bridged call with RTP both ways costs (the server process's resident memory and its
// live Go heap plus stacks).
func benchMemory(o opts) (*result, error) {
	agents, calls := 2000, 500
	if o.quick {
		agents, calls = 300, 100
	}
	res := &result{name: "memory", title: fmt.Sprintf("Memory: per registered idle agent (%d agents) and per bridged call (%d calls)", agents, calls),
		command: "go run ./bench -only memory", target: "< 50 KB per agent, < 200 KB per call"}
	uasFile, err := scenario("phone_uas.xml", false)
	if err != nil {
		return nil, err
	}
	uacFile, err := scenario("trunk_uac.xml", true)
	if err != nil {
		return nil, err
	}
	// a frequent collector keeps the live-heap reading close to the truth
	gc := "GOGC=20"
	for run := 0; run < o.runs; run++ {
		// the empty server: one agent configured, nobody registered
		empty, err := startRingdesk(benchSite(1), 40000, 49999, gc)
		if err != nil {
			return nil, err
		}
		time.Sleep(2 * time.Second)
		m0, _ := empty.metrics()
		empty.stop()
		empty.cleanup()
		s := benchSite(agents)
		p, err := startRingdesk(s, 40000, 49999, gc)
		if err != nil {
			return nil, err
		}
		uasPort := freePort()
		uas, err := startSIPp(10*time.Minute, "-sf", uasFile, "-i", "127.0.0.1", "-p", fmt.Sprint(uasPort), "-rtp_echo", "-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort()))
		if err != nil {
			return nil, err
		}
		if err := registerAll(p.sip, s, fmt.Sprintf("127.0.0.1:%d", uasPort)); err != nil {
			return nil, err
		}
		if err := p.readyAll(s); err != nil {
			return nil, err
		}
		time.Sleep(3 * time.Second)
		m1, _ := p.metrics()
		uac, err := startSIPp(5*time.Minute, "127.0.0.1:"+p.sip[len("127.0.0.1:"):], "-sf", uacFile, "-s", "0200000100", "-i", "127.0.0.1",
			"-p", fmt.Sprint(freePort()), "-r", "100", "-m", fmt.Sprint(calls), "-d", "60000", "-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort()))
		if err != nil {
			return nil, err
		}
		var m2 map[string]float64
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			m2, _ = p.metrics()
			if int(m2["ringdesk_rtp_sessions"]) >= 2*calls {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		time.Sleep(2 * time.Second) // RTP flows both ways now
		m2, _ = p.metrics()
		live := m2["ringdesk_calls_live"]
		uac.stop()
		uas.stop()
		p.stop()
		p.cleanup()
		if int(live) < calls {
			return nil, fmt.Errorf("only %.0f of %d calls were up", live, calls)
		}
		heap := func(m map[string]float64) float64 { return m["go_heap_live_bytes"] + m["go_stack_bytes"] }
		res.add("resident memory per agent (configured, registered, logged in, 대기)", "KB", false, (m1["process_resident_memory_bytes"]-m0["process_resident_memory_bytes"])/float64(agents)/1024)
		res.add("live heap and stacks per agent", "KB", false, (heap(m1)-heap(m0))/float64(agents)/1024)
		res.add("resident memory per bridged call", "KB", false, (m2["process_resident_memory_bytes"]-m1["process_resident_memory_bytes"])/float64(calls)/1024)
		res.add("live heap and stacks per bridged call", "KB", false, (heap(m2)-heap(m1))/float64(calls)/1024)
		res.add("server's resident memory at the end", "MB", false, m2["process_resident_memory_bytes"]/1024/1024)
	}
	a, c := res.value("resident memory per agent (configured, registered, logged in, 대기)"), res.value("resident memory per bridged call")
	res.verdict = verdict(a < 50 && c < 200, fmt.Sprintf("%.1f KB per agent, %.1f KB per call (resident)", a, c))
	res.notes = append(res.notes, "Each agent's phone is registered over SIP (digest) and the agent is logged in to CTI and 대기. Each call is a SIPp carrier playing G.711 A-law to a DID, queued, offered to an agent whose phone (SIPp) answers in PCMU and echoes: the server transcodes both ways.")
	return res, nil
}
