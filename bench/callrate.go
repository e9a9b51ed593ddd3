package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

// step is one rate tried for one system.
type step struct {
	rate                    int
	ok                      bool
	attempted, done, failed int
	p50, p99                time.Duration // ringdesk: DID arrival → agent answered
	detail                  string
}

// benchCallRate: the full inbound path at increasing call rates — a SIPp carrier calls a DID,
// the call queues, is offered to an auto-accepting agent whose phone (SIPp) answers, is
// bridged, lasts half a second and is hung up — next to SIPp calling SIPp directly and through
// a Kamailio stateful proxy. The figure is the highest rate at which every call succeeded.
func benchCallRate(o opts) (*result, error) {
	rates := []int{100, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 2000, 2400}
	seconds, agents := 8, 4000
	if o.quick {
		rates, seconds, agents = []int{50, 100, 200}, 4, 400
	}
	res := &result{name: "callrate", title: "Call set-up rate: carrier → DID → queue → agent's phone → bridged → BYE",
		command: "go run ./bench -only callrate", target: "≥ 1.0 × Kamailio's rate with every call answered by an agent, synchronous=FULL included (issue 10)"}
	uac, err := scenario("trunk_uac.xml", false)
	if err != nil {
		return nil, err
	}
	uas, err := scenario("phone_uas.xml", false)
	if err != nil {
		return nil, err
	}
	kamcfg, _ := os.ReadFile(filepath.Join("bench", "kamailio", "proxy.cfg"))
	if rates, err = envInts("BENCH_RATES", rates); err != nil {
		return nil, err
	}
	anchors := os.Getenv("BENCH_NO_ANCHORS") == "" // while working on Ringdesk alone; never for the table
	var notes []string
	for run := 0; run < o.runs; run++ {
		// the anchors: SIPp to SIPp, and through Kamailio
		var direct, kam step
		if anchors {
			direct = climb(rates, func(rate int) step { return anchorStep(uac, uas, rate, seconds, "") })
			kam = climb(rates, func(rate int) step { return anchorStep(uac, uas, rate, seconds, string(kamcfg)) })
		}
		// Ringdesk
		s := benchSite(agents)
		p, err := startRingdesk(s, 40000, 49999, strings.Fields(os.Getenv("BENCH_SERVER_ENV"))...) // e.g. GOGC=200, while tuning
		if err != nil {
			return nil, err
		}
		phonePort := freePort()
		phones, err := startSIPp(30*time.Minute, "-sf", uas, "-i", "127.0.0.1", "-p", fmt.Sprint(phonePort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort()))
		if err != nil {
			return nil, err
		}
		if err := registerAll(p.sip, s, fmt.Sprintf("127.0.0.1:%d", phonePort)); err != nil {
			return nil, err
		}
		if err := p.readyAll(s); err != nil {
			return nil, err
		}
		var best step
		rd := climb(rates, func(rate int) step {
			st := ringdeskStep(p, uac, rate, seconds)
			if st.ok {
				best = st
			}
			time.Sleep(3 * time.Second) // wrap-up: agents back to 대기
			return st
		})
		if run == 0 && rd.rate > 0 {
			// profile the server at the highest rate it passed
			prof := make(chan string, 1)
			go func() {
				txt, err := p.profile(time.Duration(seconds-2)*time.Second, "callrate")
				if err != nil {
					txt = "profile: " + err.Error()
				}
				prof <- txt
			}()
			time.Sleep(time.Second)
			runUAC(step{rate: rd.rate, attempted: rd.rate * seconds}, uac, p.sip, rd.rate, seconds)
			notes = append(notes, <-prof)
		}
		if run == 0 {
			// what is left once every transaction of the climb has timed out (64 × T1 = 32 s)
			time.Sleep(40 * time.Second)
			if res, err := httpc.Get("http://" + p.pprof + "/debug/pprof/heap?gc=1"); err == nil { // collect first
				res.Body.Close()
			}
			if m, err := p.metrics(); err == nil {
				notes = append(notes, fmt.Sprintf("40 s after the last step, with no call up: live heap %.0f MB, resident %.0f MB, %.0f calls live, %.0f SIP legs.",
					m["go_heap_live_bytes"]/1e6, m["process_resident_memory_bytes"]/1e6, m["ringdesk_calls_live"], m["ringdesk_sip_legs"]))
			}
		}
		phones.stop()
		p.stop()
		p.cleanup()
		res.add("Ringdesk: highest rate with every call answered by an agent", "calls/s", false, float64(rd.rate))
		res.add("Ringdesk: DID → agent answered, p50 at that rate", "ms", false, ms(best.p50))
		res.add("Ringdesk: DID → agent answered, p99 at that rate", "ms", false, ms(best.p99))
		res.add("SIPp → SIPp directly", "calls/s", true, float64(direct.rate))
		res.add("SIPp → Kamailio (stateful, record-routing) → SIPp", "calls/s", true, float64(kam.rate))
		notes = append(notes, fmt.Sprintf("Run %d: Ringdesk %s; Kamailio %s; direct %s.", run+1, rd.detail, kam.detail, direct.detail))
	}
	r, k := res.value("Ringdesk: highest rate with every call answered by an agent"), res.value("SIPp → Kamailio (stateful, record-routing) → SIPp")
	res.verdict = verdict(r >= k, fmt.Sprintf("%.0f calls/s, %.2f × Kamailio's %.0f", r, r/k, k))
	res.notes = append(res.notes, fmt.Sprintf("Each rate runs for %d s; a rate passes when SIPp reports no failed call and, for Ringdesk, every call was answered by an agent's phone (from the call records). Rates tried: %v; the climb stops at the first failure. Agents accept offers by themselves and wrap up for 1 s, %d of them.", seconds, rates, agents))
	res.notes = append(res.notes, notes...)
	return res, nil
}

// climb tries rates upwards until one fails, and returns the last that passed (with the
// failure's detail).
func climb(rates []int, try func(rate int) step) step {
	var last step
	for _, r := range rates {
		st := try(r)
		if !st.ok {
			last.detail = fmt.Sprintf("passed %d/s, failed at %d/s (%s)", last.rate, r, st.detail)
			return last
		}
		last = st
	}
	last.detail = fmt.Sprintf("passed every rate up to %d/s", last.rate)
	return last
}

// anchorStep runs SIPp against SIPp, through Kamailio when cfg is given.
func anchorStep(uac, uas string, rate, seconds int, cfg string) step {
	st := step{rate: rate, attempted: rate * seconds}
	phonePort := freePort()
	phones, err := startSIPp(time.Duration(seconds+60)*time.Second, "-sf", uas, "-i", "127.0.0.1", "-p", fmt.Sprint(phonePort), "-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort()))
	if err != nil {
		st.detail = err.Error()
		return st
	}
	defer phones.stop()
	target := fmt.Sprintf("127.0.0.1:%d", phonePort)
	if cfg != "" {
		stop, addr, err := startKamailio(cfg, target)
		if err != nil {
			st.detail = err.Error()
			return st
		}
		defer stop()
		target = addr
	}
	return runUAC(st, uac, target, rate, seconds)
}

func runUAC(st step, uac, target string, rate, seconds int) step {
	calls, err := startSIPp(time.Duration(seconds+60)*time.Second, target, "-sf", uac, "-s", "0200000100", "-i", "127.0.0.1",
		"-p", fmt.Sprint(freePort()), "-r", fmt.Sprint(rate), "-m", fmt.Sprint(st.attempted), "-d", "500",
		"-mi", "127.0.0.1", "-mp", fmt.Sprint(freePort()), "-recv_timeout", "10000")
	if err != nil {
		st.detail = err.Error()
		return st
	}
	werr := calls.wait()
	stats, serr := calls.stats()
	first := calls.firstError()
	calls.stop()
	if serr != nil {
		st.detail = serr.Error()
		return st
	}
	st.done, st.failed = statInt(stats, "SuccessfulCall(C)"), statInt(stats, "FailedCall(C)")
	st.ok = werr == nil && st.failed == 0 && st.done == st.attempted
	st.detail = fmt.Sprintf("%d of %d calls succeeded, %d failed", st.done, st.attempted, st.failed)
	if werr != nil {
		st.detail += fmt.Sprintf(" (SIPp: %v%s)", werr, first)
	}
	return st
}

// ringdeskStep runs the carrier against Ringdesk and checks the call records.
func ringdeskStep(p *proc, uac string, rate, seconds int) step {
	since := time.Now()
	m0, _ := p.metrics()
	st := runUAC(step{rate: rate, attempted: rate * seconds}, uac, p.sip, rate, seconds)
	time.Sleep(2 * time.Second)
	commits := ""
	if m1, err := p.metrics(); err == nil && m0 != nil {
		per := func(k string) float64 { return (m1[k] - m0[k]) / float64(st.attempted) }
		commits = fmt.Sprintf("; per call %.2f group commits carrying %.1f engine turns; live heap %.0f MB, resident %.0f MB",
			per("ringdesk_store_commits_total"), per("ringdesk_store_committed_turns_total"),
			m1["go_heap_live_bytes"]/1e6, m1["process_resident_memory_bytes"]/1e6)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(p.dir, "ringdesk.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		st.ok, st.detail = false, err.Error()
		return st
	}
	defer db.Close()
	lat, err := answerTimes(db, "?", since)
	if err != nil {
		st.ok, st.detail = false, err.Error()
		return st
	}
	st.p50, st.p99 = percentile(lat, 50), percentile(lat, 99)
	if len(lat) != st.attempted {
		st.ok = false
	}
	st.detail += fmt.Sprintf(", %d answered by an agent%s", len(lat), commits)
	fmt.Fprintf(os.Stderr, "  ringdesk at %d calls/s: %s\n", rate, st.detail)
	return st
}

// startKamailio runs the stateful proxy in front of target; it returns its address.
func startKamailio(cfg, target string) (func(), string, error) {
	dir, _ := os.MkdirTemp("", "ringdesk-bench-kam")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort())
	c := strings.NewReplacer("@LISTEN@", addr, "@TARGET@", target).Replace(cfg)
	file := filepath.Join(dir, "kamailio.cfg")
	os.WriteFile(file, []byte(c), 0o644)
	run, err := startProcess("kamailio", "-f", file, "-DD", "-E", "-Y", dir, "-m", "256", "-M", "32")
	if err != nil {
		return nil, "", err
	}
	time.Sleep(time.Second)
	return func() { run(); os.RemoveAll(dir) }, addr, nil
}

// answerTimes reads, from a server's call records, how long each call that started at or
// after since took from arriving to being answered by an agent; param is the database's
// placeholder (? for SQLite, $1 for PostgreSQL).
func answerTimes(db *sql.DB, param string, since time.Time) ([]time.Duration, error) {
	rows, err := db.Query(`SELECT answered_at - started_at FROM calls WHERE started_at >= `+param+` AND answered_at IS NOT NULL`, since.UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lat []time.Duration
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		lat = append(lat, time.Duration(d)*time.Microsecond)
	}
	return lat, rows.Err()
}
