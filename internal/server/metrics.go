package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

var runtimeSamples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/heap/stacks:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/sched/goroutines:goroutines"},
}

// writeMetrics is GET /metrics: the Prometheus text format.
func (s *Server) writeMetrics(w io.Writer) {
	metrics.Read(runtimeSamples)
	g := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, v)
	}
	c := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	g("go_heap_live_bytes", "Heap held by objects live at the last collection.", float64(runtimeSamples[0].Value.Uint64()))
	g("go_stack_bytes", "Memory of goroutine stacks.", float64(runtimeSamples[1].Value.Uint64()))
	g("go_memory_total_bytes", "All memory the Go runtime has mapped.", float64(runtimeSamples[2].Value.Uint64()))
	g("go_goroutines", "Goroutines.", float64(runtime.NumGoroutine()))
	g("process_resident_memory_bytes", "Resident set size.", float64(rss()))
	agents, calls := s.Engine.Counts()
	g("ringdesk_agents_logged_in", "Agents logged in to CTI.", float64(agents))
	g("ringdesk_calls_live", "Calls in progress.", float64(calls))
	commits, turns, failed := s.Engine.CommitStats()
	c("ringdesk_store_commits_total", "Group commits of the engine's writes.", commits)
	c("ringdesk_store_committed_turns_total", "Engine turns whose writes those commits carried.", turns)
	c("ringdesk_store_commit_failures_total", "Engine turns whose writes could not be stored (their announcements were dropped).", failed)
	g("ringdesk_sip_registrations", "Extensions with a registered phone.", float64(s.SIP.Registrations()))
	g("ringdesk_sip_legs", "SIP and browser call legs up.", float64(s.SIP.Legs()))
	sc := s.SIP.Counters()
	c("ringdesk_sip_auth_failures_total", "SIP digests that did not prove the password (answered 403).", sc.AuthFailures)
	c("ringdesk_sip_auth_throttled_total", "SIP requests ignored from a source locked out after failed digests.", sc.Throttled)
	c("ringdesk_sip_auth_replays_total", "SIP digests used again, or for another Request-URI (challenged again).", sc.Replays)
	c("ringdesk_sip_stray_responses_dropped_total", "SIP 2xx answers to INVITEs the server never sent, dropped.", sc.StrayAnswers)
	c("ringdesk_sip_malformed_total", "SIP messages that could not be parsed, dropped.", sc.Malformed)
	c("ringdesk_sip_tcp_refused_total", "SIP TCP and TLS connections closed as accepted: too many from one address or in all.", sc.TCPRefused)
	t, open := s.Media.Totals()
	g("ringdesk_rtp_sessions", "RTP sessions open.", float64(open))
	c("ringdesk_rtp_packets_received_total", "RTP packets received.", t.PacketsIn)
	c("ringdesk_rtp_packets_sent_total", "RTP packets sent.", t.PacketsOut)
	c("ringdesk_rtp_packets_lost_total", "RTP packets the far ends sent that never arrived.", t.Lost)
	c("ringdesk_rtp_packets_malformed_total", "Packets on RTP ports that were not usable RTP.", t.Malformed)
	g("ringdesk_rtp_jitter_max_milliseconds", "Largest interarrival jitter of an open session.", t.Jitter)
	writing, recFailed, uploadFailed, deleted := s.Files.Stats()
	g("ringdesk_recordings_active", "Calls being recorded.", float64(s.SIP.Recordings()))
	g("ringdesk_recording_files_open", "Recording files open for writing.", float64(writing))
	c("ringdesk_recording_failures_total", "Recordings that could not be started or written (a full disk); their calls went on.", recFailed)
	c("ringdesk_recording_upload_failures_total", "Complete recordings the bucket did not take (kept in the folder).", uploadFailed)
	c("ringdesk_recordings_deleted_total", "Recordings deleted for being older than their service's retention.", deleted)
	g("ringdesk_recording_disk_bytes", "Bytes the recordings folder holds.", float64(s.Files.DiskBytes()))
	trunks := s.SIP.TrunkStatus()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Counters.WriteMetrics(ctx, w); err != nil {
		// the rest of the scrape is still worth having; the operator sees why these are missing
		s.cfg.Logger.Warn("queue metrics not written", "err", err)
	}
	fmt.Fprint(w, "# HELP ringdesk_trunk_up Whether the trunk answers OPTIONS (1) or missed two probes in a row (0).\n# TYPE ringdesk_trunk_up gauge\n")
	for _, ts := range trunks {
		up := 0
		if ts.Up {
			up = 1
		}
		fmt.Fprintf(w, "ringdesk_trunk_up{trunk=%q} %d\n", ts.Trunk, up)
	}
	fmt.Fprint(w, "# HELP ringdesk_trunk_rtt_seconds Round trip of the trunk's last answer to OPTIONS.\n# TYPE ringdesk_trunk_rtt_seconds gauge\n")
	for _, ts := range trunks {
		if !ts.LastAnswer.IsZero() {
			fmt.Fprintf(w, "ringdesk_trunk_rtt_seconds{trunk=%q} %g\n", ts.Trunk, ts.RTT.Seconds())
		}
	}
}

// rss reads the resident set size from /proc (0 where there is none).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
