package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/engine"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/telephony/telephonytest"
	"ringdesk/internal/tickets"
)

// getWith fetches a path with headers and returns the response (body read).
func (c *client) getWith(path string, header map[string]string) (*http.Response, []byte) {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// A recorded call from the agent's side of the API: the administrator turns recording on;
// the agent pauses and resumes it; a manager listens in; the ticket's call carries the
// recording, which plays (with ranges) for the call's agent, the service's managers and
// administrators and nobody else, and every play is logged for the managers to read.
func TestRecordingsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	root, boss, kim, lee, han := e.login("root"), e.login("boss"), e.login("kim"), e.login("lee"), e.login("han")
	boss.fails("PUT", "/api/v1/services/support/recording", site.Recording{Mode: site.RecordAll}, 403, "forbidden")
	root.fails("PUT", "/api/v1/services/support/recording", map[string]any{"mode": "always"}, 422, "invalid_config")
	root.fails("PUT", "/api/v1/services/support/recording", map[string]any{"mode": "all", "keep": 3}, 400, "unknown_field")
	var svc site.Service
	root.must("PUT", "/api/v1/services/support/recording", map[string]any{"mode": "all", "announce": "none"}, 200, &svc)
	if svc.Recording.Mode != site.RecordAll || svc.Recording.RetentionDays != 90 {
		t.Fatalf("recording settings: %+v", svc.Recording)
	}

	kim.must("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	kim.must("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
	cust, err := e.net.Call("01055556666", did)
	if err != nil {
		t.Fatal(err)
	}
	kim.wantState("offered")
	kim.must("POST", "/api/v1/cti/offer/accept", nil, 200, nil)
	kimLeg := e.net.WaitPlaced(t, telephonytest.ToExtension("1001"))
	e.net.AnswerLeg(kimLeg)
	v := kim.wantState("on_call")
	if v.Call.Recording == nil || v.Call.Recording.State != "recording" {
		t.Fatalf("the call's recording in the widget: %+v", v.Call.Recording)
	}
	recID := v.Call.Recording.ID
	// the network writes the file as sip would
	w, err := e.files.Create(recID)
	if err != nil {
		t.Fatal(err)
	}
	audio := make([]int16, 2*8000)
	for i := range audio {
		audio[i] = int16(i)
	}
	w.WriteFrames(audio)
	w.Close()

	lee.fails("POST", "/api/v1/cti/recording/pause", nil, 409, "invalid_state")
	e.clk.Advance(4 * time.Second)
	kim.must("POST", "/api/v1/cti/recording/pause", nil, 200, &v)
	if v.Call.Recording.State != "paused" {
		t.Fatalf("after pause: %+v", v.Call.Recording)
	}
	e.clk.Advance(3 * time.Second)
	kim.must("POST", "/api/v1/cti/recording/resume", nil, 200, nil)
	kim.fails("POST", "/api/v1/cti/recording/start", nil, 409, "invalid_state")

	// a manager listens in; an agent may not; the parties' views say nothing of it
	callID := v.Call.ID
	kim.fails("POST", "/api/v1/calls/"+callID+"/monitor", map[string]string{"mode": "listen"}, 403, "forbidden")
	boss.fails("POST", "/api/v1/calls/"+callID+"/monitor", map[string]string{"mode": "spy"}, 422, "invalid_mode")
	boss.fails("POST", "/api/v1/calls/C-none/monitor", map[string]string{"mode": "listen"}, 404, "call_not_found")
	var mv engine.MonitorView
	boss.must("POST", "/api/v1/calls/"+callID+"/monitor", map[string]string{"mode": "listen"}, 200, &mv)
	if mv.State != "ringing" || mv.Mode != engine.MonitorListen {
		t.Fatalf("monitor: %+v", mv)
	}
	bossLeg := e.net.WaitPlaced(t, telephonytest.ToExtension("1010"))
	e.net.AnswerLeg(bossLeg)
	boss.must("PUT", "/api/v1/calls/"+callID+"/monitor", map[string]string{"mode": "barge"}, 200, &mv)
	if mv.State != "joined" || mv.Mode != engine.MonitorBarge {
		t.Fatalf("monitor after switching: %+v", mv)
	}
	var live struct {
		Monitors []engine.MonitorView `json:"monitors"`
	}
	boss.must("GET", "/api/v1/live?service=support", nil, 200, &live)
	if len(live.Monitors) != 1 || live.Monitors[0].By != "boss" {
		t.Fatalf("live monitors: %+v", live.Monitors)
	}
	boss.must("DELETE", "/api/v1/calls/"+callID+"/monitor", nil, 204, nil)
	e.clk.Advance(3 * time.Second)
	e.net.HangUp(cust)
	kim.wantState("after_call")

	var tk tickets.Ticket
	kim.must("GET", fmt.Sprintf("/api/v1/tickets/%d", v.Call.Ticket), nil, 200, &tk)
	if len(tk.Calls) != 1 || tk.Calls[0].Recording == nil {
		t.Fatalf("the ticket's call has no recording: %+v", tk.Calls)
	}
	if r := tk.Calls[0].Recording; r.ID != recID || r.Seconds != 10 || r.PausedSeconds != 3 {
		t.Fatalf("the ticket's recording %+v, want %s of 10 s with 3 s paused", r, recID)
	}

	path := "/api/v1/recordings/" + recID
	res, body := kim.getWith(path, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/wav" || len(body) != 44+32000 || string(body[:4]) != "RIFF" {
		t.Fatalf("kim plays: %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	res, part := kim.getWith(path, map[string]string{"Range": "bytes=1044-1143"})
	if res.StatusCode != 206 || len(part) != 100 || string(part) != string(body[1044:1144]) {
		t.Fatalf("a range: %d, %d bytes", res.StatusCode, len(part))
	}
	for _, c := range []*client{lee, han} {
		c.fails("GET", path, nil, 403, "forbidden")
	}
	// a HEAD was logged as a play before plays were counted on GET only (this failed then)
	head, _ := http.NewRequest("HEAD", e.srv.URL+path, nil)
	head.Header.Set("Authorization", "Bearer "+boss.token)
	if res, err := http.DefaultClient.Do(head); err != nil || res.StatusCode != 200 || res.ContentLength != 44+32000 {
		t.Fatalf("HEAD: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if res, _ := boss.getWith(path, nil); res.StatusCode != 200 {
		t.Fatalf("a manager of the service: %d", res.StatusCode)
	}
	res, _ = root.getWith(path+"?download=1", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("an administrator's download: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	kim.fails("GET", path+"/access-log", nil, 403, "forbidden")
	kim.fails("GET", "/api/v1/recordings/R-none", nil, 404, "not_found")
	var log struct {
		Access []store.RecordingAccess `json:"access"`
	}
	boss.must("GET", path+"/access-log", nil, 200, &log)
	var got []string
	for _, a := range log.Access {
		got = append(got, a.Login+":"+a.Action)
	}
	if want := "root:download boss:play kim:play"; strings.Join(got, " ") != want {
		t.Fatalf("access log %q, want %q (a seek or a HEAD is not a new play; refused requests are not plays)", strings.Join(got, " "), want)
	}
}
