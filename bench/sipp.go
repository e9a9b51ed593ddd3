package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sippRun is one SIPp process.
type sippRun struct {
	cmd  *exec.Cmd
	dir  string
	out  *bytes.Buffer
	done chan error
}

// scenario returns a scenario file from bench/sipp, optionally changed: with rtp, the carrier
// offers PCMA and plays SIPp's G.711 A-law sample after the answer.
func scenario(name string, rtp bool) (string, error) {
	b, err := os.ReadFile(filepath.Join("bench", "sipp", name))
	if err != nil {
		return "", err
	}
	s := string(b)
	if rtp {
		s = strings.Replace(s, "m=audio [media_port] RTP/AVP 0\n      a=rtpmap:0 PCMU/8000", "m=audio [media_port] RTP/AVP 8\n      a=rtpmap:8 PCMA/8000", 1)
		s = strings.Replace(s, "  <pause/>", "  <nop><action><exec play_pcap_audio=\"pcap/g711a.pcap\"/></action></nop>\n  <pause/>", 1)
	}
	dir, _ := os.MkdirTemp("", "ringdesk-bench-sipp")
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, []byte(s), 0o644)
}

// startSIPp runs sipp with args in a fresh directory (with pcap/ linked for play_pcap_audio).
func startSIPp(timeout time.Duration, args ...string) (*sippRun, error) {
	dir, _ := os.MkdirTemp("", "ringdesk-bench-sipp-run")
	os.Symlink("/usr/share/sip-tester", filepath.Join(dir, "pcap"))
	// -buff_size: SIPp's own default socket buffer (64 KiB) overflows when the 2-core machine
	// keeps SIPp off the processor for a few milliseconds, and every datagram it drops costs
	// a 500 ms retransmission; every system in a run gets the same 4 MiB.
	all := append([]string{"-nostdin", "-trace_stat", "-stf", filepath.Join(dir, "stat.csv"), "-fd", "1",
		"-trace_err", "-error_file", filepath.Join(dir, "err.log"), "-buff_size", "4194304"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	r := &sippRun{dir: dir, out: &bytes.Buffer{}, done: make(chan error, 1)}
	r.cmd = exec.CommandContext(ctx, "sipp", all...)
	r.cmd.Dir = dir
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	go func() { r.done <- r.cmd.Wait(); cancel() }()
	time.Sleep(300 * time.Millisecond)
	return r, nil
}

// firstError is the first line SIPp wrote to its error file, for a failed step's detail.
func (r *sippRun) firstError() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "err.log"))
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if line == "" {
		return ""
	}
	return ": " + line
}

func (r *sippRun) wait() error { err := <-r.done; r.done <- err; return err }

func (r *sippRun) stop() {
	if r.cmd.Process != nil {
		r.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
	}
	os.RemoveAll(r.dir)
}

// stats reads the last row of SIPp's statistics file.
func (r *sippRun) stats() (map[string]string, error) {
	f, err := os.Open(filepath.Join(r.dir, "stat.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := csv.NewReader(f)
	rd.Comma = ';'
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("no SIPp statistics (%v)", err)
	}
	out := map[string]string{}
	last := rows[len(rows)-1]
	for i, h := range rows[0] {
		if i < len(last) {
			out[h] = last[i]
		}
	}
	return out, nil
}

func statInt(m map[string]string, k string) int {
	v, _ := strconv.Atoi(strings.TrimSpace(m[k]))
	return v
}
