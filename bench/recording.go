package main

import (
	"fmt"
	"time"

	"ringdesk/internal/site"
)

// benchRecording: what recording costs. The concurrent benchmark's calls (RTP both ways, 50
// packets a second each way) on one server recording none of them and on one recording all of
// them (mode all, no announcement), in the same run: the most calls each carries within the
// same bounds (loss < 0.1 %, p99 jitter < 5 ms above the generator's own), and the server's
// CPU time per call-minute at one fixed load.
func benchRecording(o opts) (*result, error) {
	levels, seconds, cpuLoad, err := rtpLoad(o, []int{250, 500, 750, 1000, 1250, 1500})
	if err != nil {
		return nil, err
	}
	res := &result{name: "recording", title: "Recording cost: concurrent recorded calls",
		command: "go run ./bench -only recording",
		target:  "recorded calls within the same loss and jitter bounds as unrecorded ones, and the CPU per recorded call-minute (issue 12)"}
	cpuPlain := fmt.Sprintf("Unrecorded: server CPU per call-minute at %d calls", cpuLoad)
	cpuRec := fmt.Sprintf("Recorded: server CPU per call-minute at %d calls", cpuLoad)
	var notes []string
	for run := 0; run < o.runs; run++ {
		base := baselineJitters(levels, seconds)
		plain, pd, pcpu, pcd, err := ringdeskRecorded(levels, seconds, base, cpuLoad, false, false)
		if err != nil {
			return nil, err
		}
		rec, rd, rcpu, rcd, err := ringdeskRecorded(levels, seconds, base, cpuLoad, true, run == 0)
		if err != nil {
			return nil, err
		}
		res.add("Recorded: most calls within the loss and jitter bounds", "calls", false, float64(rec))
		res.add("Unrecorded: most calls within the same bounds, same run", "calls", true, float64(plain))
		res.add(cpuRec, "ms", false, rcpu)
		res.add(cpuPlain, "ms", true, pcpu)
		notes = append(notes, fmt.Sprintf("Run %d — recorded: %s; CPU %s. Unrecorded: %s; CPU %s.", run+1, rd, rcd, pd, pcd))
	}
	r, p := res.value("Recorded: most calls within the loss and jitter bounds"), res.value("Unrecorded: most calls within the same bounds, same run")
	rc, pc := res.value(cpuRec), res.value(cpuPlain)
	ratio := 0.0
	if p > 0 {
		ratio = r / p
	}
	res.verdict = verdict(ratio >= 0.8, fmt.Sprintf("%.0f recorded calls, %.2f × the %.0f unrecorded; %.0f ms of CPU per recorded call-minute, %.0f ms more than unrecorded", r, ratio, p, rc, rc-pc))
	res.notes = append(res.notes, fmt.Sprintf("Levels tried: %v, %d s of traffic each, on one server per variant; the generator, the server and SIP share the machine's cores. Recordings are WAV (16-bit stereo 8 kHz, 32 kB a second a call) in the data folder on the machine's disk.", levels, seconds))
	res.notes = append(res.notes, fmt.Sprintf("CPU per call-minute: %d calls for %d s after a second of warm-up, the server's utime+stime from /proc/PID/stat before and after, divided by the call-minutes carried. A recorded call costs its two taps (decoding what each leg sends), a stereo frame every 20 ms on the pacer and the file's writes.", cpuLoad, seconds))
	res.notes = append(res.notes, notes...)
	if recordingProfile != "" {
		res.notes = append(res.notes, fmt.Sprintf("While run 1 measured the recorded server's CPU at %d calls: %s", cpuLoad, recordingProfile))
	}
	return res, nil
}

// recordingProfile is what the recorded server's CPU profile showed.
var recordingProfile string

// ringdeskRecorded climbs the levels on one server, recording every call or none, after
// measuring its CPU per call-minute at cpuLoad calls (profiling the server meanwhile when
// profile is set).
func ringdeskRecorded(levels []int, seconds int, base map[int]float64, cpuLoad int, record, profile bool) (best int, detail string, cpu float64, cpuDetail string, err error) {
	agents := max(levels[len(levels)-1], cpuLoad) + 100
	s := benchSite(agents)
	if record {
		s.Services[0].Recording = site.Recording{Mode: site.RecordAll, RetentionDays: 1, Announce: "none"}
	}
	p, err := startRingdesk(s, 20000, 39999)
	if err != nil {
		return 0, "", 0, "", err
	}
	defer func() { p.stop(); p.cleanup() }()
	ph, err := newBenchPhones()
	if err != nil {
		return 0, "", 0, "", err
	}
	defer ph.close()
	if err := registerAll(p.sip, s, ph.addr); err != nil {
		return 0, "", 0, "", err
	}
	if err := p.readyAll(s); err != nil {
		return 0, "", 0, "", err
	}
	pairs := makePairs(cpuLoad)
	calls, err := ph.setUp(p.sip, pairs)
	if err == nil {
		var prof chan string
		if profile {
			prof = make(chan string, 1)
			go func() {
				time.Sleep(1500 * time.Millisecond) // past the warm-up
				txt, err := p.profile(time.Duration(seconds-2)*time.Second, "recording")
				if err != nil {
					txt = "profile: " + err.Error()
				}
				prof <- txt
			}()
		}
		cpu, cpuDetail, err = cpuPerCallMinute(pairs, time.Duration(seconds)*time.Second, p.pid())
		if prof != nil {
			recordingProfile = <-prof
		}
	}
	if err == nil && record {
		// every call must really be recorded, or the figure means nothing
		if m, merr := p.metrics(); merr == nil && m["ringdesk_recordings_active"] != float64(cpuLoad) {
			err = fmt.Errorf("%v of %d calls were being recorded", m["ringdesk_recordings_active"], cpuLoad)
		}
	}
	ph.hangUpAll(calls)
	closePairs(pairs)
	if err != nil {
		return 0, "", 0, "", err
	}
	best, detail = climbLevels(levels, func(n int) (bool, string) {
		pairs := makePairs(n)
		defer closePairs(pairs)
		calls, err := ph.setUp(p.sip, pairs)
		defer ph.hangUpAll(calls)
		if err != nil {
			return false, err.Error()
		}
		loss, jit, _ := measure(pairs, time.Duration(seconds)*time.Second)
		ok, d := judge(loss, jit, base[n])
		if m, err := p.metrics(); err == nil {
			d += fmt.Sprintf(", %.0f recorded, %.0f recording failures", m["ringdesk_recordings_active"], m["ringdesk_recording_failures_total"])
			if record && m["ringdesk_recording_failures_total"] > 0 {
				ok = false
			}
		}
		return ok, d
	})
	return best, detail, cpu, cpuDetail, nil
}

// cpuPerCallMinute is the server's CPU time per call-minute while pairs talk for d.
func cpuPerCallMinute(pairs [][2]*end, d time.Duration, pid int) (float64, string, error) {
	var ends []*end
	for _, p := range pairs {
		ends = append(ends, p[0], p[1])
	}
	pace(ends, time.Second)
	cpu0, err := processCPU(pid)
	if err != nil {
		return 0, "", err
	}
	pace(ends, d)
	cpu1, err := processCPU(pid)
	if err != nil {
		return 0, "", err
	}
	used := cpu1 - cpu0
	callMinutes := float64(len(pairs)) * d.Minutes()
	return ms(used) / callMinutes, fmt.Sprintf("%.2f s over %.1f call-minutes (%.0f %% of a core)", used.Seconds(), callMinutes, 100*used.Seconds()/d.Seconds()), nil
}
