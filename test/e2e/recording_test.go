package e2e

import (
	"bytes"
	"database/sql"
	le "encoding/binary"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// recordingSite records every call of support (announcement included); boss manages support
// from a desk phone; han works another service.
func recordingSite(trunkPort int) string {
	return fmt.Sprintf(`services:
  - id: support
    name: 고객지원
    cti: true
    recording: { mode: all, retention_days: 30, announce: builtin:recording }
    numbers:
      - { number: "%s", queue: "100", greeting: none }
    caller_ids:
      - { number: "%s", status: registered }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee] }
  - id: sales
    name: 영업
    cti: true
    numbers:
      - { number: "0299990000", queue: "300", greeting: none }
    queues:
      - { number: "300", name: 영업, members: [han] }
agents:
  - { login: kim, name: 김상담, password: agent-pw, services: [support], extension: "1001", sip_password: kim-sip }
  - { login: lee, name: 이상담, password: agent-pw, services: [support], extension: "1002", sip_password: lee-sip }
  - { login: han, name: 한영업, password: agent-pw, services: [sales], extension: "1009", sip_password: han-sip }
  - { login: boss, name: 관리자, password: boss-pw, role: manager, services: [support], extension: "1010", sip_password: boss-sip }
trunks:
  - { id: carrier, host: 127.0.0.1, port: %d, allow: ["127.0.0.1/32"], prefix: "9" }
`, did, callerID, trunkPort)
}

// pcm is one channel of a recording as 8 kHz samples, read through sox (channel 1 or 2 of a
// stereo file; 1 of a mono one).
func pcm(t *testing.T, file string, channel int) []int16 {
	t.Helper()
	out, err := exec.Command("sox", file, "-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1", "-",
		"remix", strconv.Itoa(channel)).Output()
	if err != nil {
		t.Fatalf("sox %s: %v", file, err)
	}
	x := make([]int16, len(out)/2)
	le.Read(bytes.NewReader(out), le.LittleEndian, x)
	return x
}

// span is the samples between two instants, given when the recording began, trimmed 0.4 s at
// each end for the parties' clocks.
func span(x []int16, began, from, to time.Time) []int16 {
	a := int((from.Sub(began).Seconds() + 0.4) * 8000)
	b := int((to.Sub(began).Seconds() - 0.4) * 8000)
	a, b = max(a, 0), min(b, len(x))
	if a >= b {
		return nil
	}
	return x[a:b]
}

// power is the Goertzel power of x at hz, per sample.
func power(x []int16, hz float64) float64 {
	if len(x) == 0 {
		return 0
	}
	w := 2 * math.Pi * hz / 8000
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s := float64(v)/32768 + c*s1 - s2
		s2, s1 = s1, s
	}
	return (s1*s1 + s2*s2 - c*s1*s2) / float64(len(x)*len(x))
}

func rmsOf(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(s/float64(len(x))) / 32768
}

// tones checks that x carries each of want, each at least ten times as strongly as each of
// not.
func tones(t *testing.T, who string, x []int16, want []float64, not ...float64) {
	t.Helper()
	if len(x) < 4000 {
		t.Errorf("%s: only %d samples to measure", who, len(x))
		return
	}
	for _, w := range want {
		pw := power(x, w)
		if pw < 1e-4 {
			t.Errorf("%s: no %.0f Hz (power %.2g, RMS %.3f)", who, w, pw, rmsOf(x))
		}
		for _, n := range not {
			if pn := power(x, n); pw < 10*pn {
				t.Errorf("%s: %.0f Hz (%.2g) not clearly above %.0f Hz (%.2g)", who, w, pw, n, pn)
			}
		}
	}
}

func silent(t *testing.T, who string, x []int16) {
	t.Helper()
	if len(x) < 4000 || rmsOf(x) > 0.002 {
		t.Errorf("%s: RMS %.4f over %d samples, want silence", who, rmsOf(x), len(x))
	}
}

// getRecording fetches a recording as c; it returns the status and writes a 200's body to a
// file.
func (c *client) getRecording(id, file string, header map[string]string) int {
	c.in.t.Helper()
	req, _ := http.NewRequest("GET", c.in.base+"/api/v1/recordings/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.in.t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	if res.StatusCode == 200 && file != "" {
		os.WriteFile(file, b.Bytes(), 0o644)
	}
	return res.StatusCode
}

type ticketCalls struct {
	Calls []struct {
		ID        string `json:"id"`
		Recording *struct {
			ID            string  `json:"id"`
			Seconds       float64 `json:"seconds"`
			PausedSeconds float64 `json:"paused_seconds"`
		} `json:"recording"`
	} `json:"calls"`
}

// A customer (660 Hz) and an agent (440 Hz) talk, with a hold and a pause; a manager's phone
// (880 Hz) listens, whispers and barges in. The recording holds the customer on the left and
// the agent on the right, nothing on the right during the hold, silence in both while paused
// and the manager on the right once barged in; what each party heard, measured on its own
// recording, is what its mode allows. Then access: another service's agent and a colleague
// get 403, the agent and the manager play it, and the plays are in the access log.
func TestRecordingAndSupervisorModes(t *testing.T) {
	peers.Require(t, "baresip", "sox")
	in := start(t, recordingSite(peers.Port(t)), nil)
	kimPhone := in.agentPhone("1001", "kim-sip", 440)
	bossPhone := in.agentPhone("1010", "boss-sip", 880)
	kim, boss := in.login("kim", "agent-pw"), in.login("boss", "boss-pw")
	kim.ready()

	cust := customerPhone(t, 660)
	cust.MustDo("dial", in.sipURI(did))
	custBegan := cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	kim.await("offered") // after the announcement
	kim.cmd("offer/accept", nil)
	v := kim.await("on_call")
	recBegan := kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second).At
	var cv struct {
		Call struct {
			ID        string `json:"id"`
			Ticket    int64  `json:"ticket"`
			Recording struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"recording"`
		} `json:"call"`
	}
	kim.do("GET", "/api/v1/cti", nil, 200, &cv)
	if cv.Call.Recording.State != "recording" {
		t.Fatalf("the call is not being recorded: %+v", cv.Call)
	}
	talk := time.Now()
	time.Sleep(3 * time.Second)
	kim.cmd("hold", nil)
	held := time.Now()
	time.Sleep(3 * time.Second)
	kim.cmd("unhold", nil)
	unheld := time.Now()
	time.Sleep(2 * time.Second)
	kim.cmd("recording/pause", nil)
	paused := time.Now()
	time.Sleep(3 * time.Second)
	kim.cmd("recording/resume", nil)
	resumed := time.Now()
	time.Sleep(2 * time.Second)

	monitor := "/api/v1/calls/" + cv.Call.ID + "/monitor"
	kim.do("POST", monitor, map[string]string{"mode": "listen"}, 403, nil)
	boss.do("POST", monitor, map[string]string{"mode": "listen"}, 200, nil)
	bossBegan := bossPhone.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	listen := time.Now()
	time.Sleep(3 * time.Second)
	boss.do("PUT", monitor, map[string]string{"mode": "whisper"}, 200, nil)
	whisper := time.Now()
	time.Sleep(3 * time.Second)
	boss.do("PUT", monitor, map[string]string{"mode": "barge"}, 200, nil)
	barge := time.Now()
	time.Sleep(3 * time.Second)
	boss.do("DELETE", monitor, nil, 204, nil)
	left := time.Now()
	bossPhone.Wait("CALL_CLOSED", 0, 5*time.Second)
	time.Sleep(2 * time.Second)
	end := time.Now()
	cust.MustDo("hangup", "")
	cust.Wait("CALL_CLOSED", 0, 5*time.Second)
	kim.await("after_call")
	time.Sleep(time.Second) // baresip writes its recordings when the call ends

	// the ticket carries the recording
	var tk ticketCalls
	kim.do("GET", fmt.Sprintf("/api/v1/tickets/%d", v.Call.Ticket), nil, 200, &tk)
	if len(tk.Calls) != 1 || tk.Calls[0].Recording == nil || tk.Calls[0].Recording.ID != cv.Call.Recording.ID {
		t.Fatalf("the ticket's call: %+v", tk.Calls)
	}
	r := tk.Calls[0].Recording
	if whole := end.Sub(recBegan).Seconds(); r.Seconds < whole-1 || r.Seconds > whole+2 || r.PausedSeconds < 2.5 || r.PausedSeconds > 4 {
		t.Errorf("recording of %.1f s with %.1f s paused; the call lasted %.1f s with 3 s paused", r.Seconds, r.PausedSeconds, whole)
	}
	file := filepath.Join(t.TempDir(), "call.wav")
	if code := kim.getRecording(r.ID, file, nil); code != 200 {
		t.Fatalf("the call's agent plays the recording: %d", code)
	}
	L, R := pcm(t, file, 1), pcm(t, file, 2)
	tones(t, "recording left while talking", span(L, recBegan, talk, held), []float64{660}, 440, 880)
	tones(t, "recording right while talking", span(R, recBegan, talk, held), []float64{440}, 660, 880)
	tones(t, "recording left on hold", span(L, recBegan, held, unheld), []float64{660}, 440)
	silent(t, "recording right on hold (no hold music, not the held agent)", span(R, recBegan, held, unheld))
	silent(t, "recording left while paused", span(L, recBegan, paused, resumed))
	silent(t, "recording right while paused", span(R, recBegan, paused, resumed))
	tones(t, "recording right while listened to", span(R, recBegan, listen, whisper), []float64{440}, 880)
	tones(t, "recording right while whispered to", span(R, recBegan, whisper, barge), []float64{440}, 880)
	tones(t, "recording right after barging in", span(R, recBegan, barge, left), []float64{440, 880}, 660)
	tones(t, "recording left after barging in", span(L, recBegan, barge, left), []float64{660}, 880)

	custHeard, kimHeard, bossHeard := pcm(t, cust.Recordings()[0], 1), pcm(t, kimPhone.Recordings()[0], 1), pcm(t, bossPhone.Recordings()[0], 1)
	tones(t, "the customer while listened to", span(custHeard, custBegan, listen, whisper), []float64{440}, 880)
	tones(t, "kim while listened to", span(kimHeard, recBegan, listen, whisper), []float64{660}, 880)
	tones(t, "the manager listening", span(bossHeard, bossBegan, listen, whisper), []float64{660, 440}, 880)
	tones(t, "kim whispered to", span(kimHeard, recBegan, whisper, barge), []float64{880, 660}, 440)
	tones(t, "the customer during a whisper", span(custHeard, custBegan, whisper, barge), []float64{440}, 880)
	tones(t, "the customer in the three-way call", span(custHeard, custBegan, barge, left), []float64{440, 880}, 660)
	tones(t, "kim in the three-way call", span(kimHeard, recBegan, barge, left), []float64{660, 880}, 440)
	tones(t, "the manager in the three-way call", span(bossHeard, bossBegan, barge, left), []float64{660, 440}, 880)
	tones(t, "the customer after the manager left", span(custHeard, custBegan, left, end), []float64{440}, 880)

	// access
	for _, who := range []struct{ login, pw string }{{"han", "agent-pw"}, {"lee", "agent-pw"}} {
		if code := in.login(who.login, who.pw).getRecording(r.ID, "", nil); code != 403 {
			t.Errorf("%s played another's recording: %d, want 403", who.login, code)
		}
	}
	if code := boss.getRecording(r.ID, "", map[string]string{"Range": "bytes=44-1043"}); code != 206 {
		t.Errorf("a manager's ranged read: %d, want 206", code)
	}
	if code := boss.getRecording(r.ID, "", nil); code != 200 {
		t.Errorf("the manager plays it: %d", code)
	}
	kim.do("GET", "/api/v1/recordings/"+r.ID+"/access-log", nil, 403, nil)
	var log struct {
		Access []struct{ Login, Action string }
	}
	boss.do("GET", "/api/v1/recordings/"+r.ID+"/access-log", nil, 200, &log)
	var got []string
	for _, a := range log.Access {
		got = append(got, a.Login+":"+a.Action)
	}
	if strings.Join(got, " ") != "boss:play kim:play" {
		t.Errorf("access log %v, want boss's and kim's plays", got)
	}
}

// metric reads one value from /metrics.
func (in *instance) metric(name string) float64 {
	in.t.Helper()
	res, err := http.Get(in.base + "/metrics")
	if err != nil {
		in.t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	for _, line := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	in.t.Fatalf("no %s in /metrics", name)
	return 0
}

// A disk that fills during a call (a 256 kB tmpfs as the recordings' folder, about 8 s of
// audio) stops the recording, never the call: the parties go on hearing each other, the
// failure is counted and the file keeps what fitted, playable.
func TestFullDiskStopsRecordingNotTheCall(t *testing.T) {
	peers.Require(t, "baresip", "sox")
	dir := t.TempDir()
	recs := filepath.Join(dir, "recs")
	os.MkdirAll(recs, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", recs).CombinedOutput(); err != nil {
		if os.Getenv("RINGDESK_E2E_REQUIRE") != "" && os.Geteuid() == 0 {
			t.Fatalf("mounting a small tmpfs: %v %s", err, out)
		}
		t.Skipf("a small filesystem cannot be mounted here (needs root): %s", out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", recs).Run() })
	in := start(t, recordingSite(peers.Port(t)), nil, "--recordings", recs)
	kimPhone := in.agentPhone("1001", "kim-sip", 440)
	kim := in.login("kim", "agent-pw")
	kim.ready()
	cust := customerPhone(t, 660)
	cust.MustDo("dial", in.sipURI(did))
	custBegan := cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	v := kim.await("on_call")
	kimBegan := kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second).At
	deadline := time.Now().Add(30 * time.Second)
	for in.metric("ringdesk_recording_failures_total") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the recording never failed on a full disk")
		}
		time.Sleep(200 * time.Millisecond)
	}
	full := time.Now()
	kim.await("on_call")
	time.Sleep(4 * time.Second)
	end := time.Now()
	cust.MustDo("hangup", "")
	cust.Wait("CALL_CLOSED", 0, 5*time.Second)
	kim.await("after_call")
	time.Sleep(time.Second)
	tones(t, "the customer after the disk filled", span(pcm(t, cust.Recordings()[0], 1), custBegan, full, end), []float64{440}, 660)
	tones(t, "kim after the disk filled", span(pcm(t, kimPhone.Recordings()[0], 1), kimBegan, full, end), []float64{660}, 440)
	var tk ticketCalls
	kim.do("GET", fmt.Sprintf("/api/v1/tickets/%d", v.Call.Ticket), nil, 200, &tk)
	r := tk.Calls[0].Recording
	if r == nil || r.Seconds > 12 {
		t.Fatalf("the failed recording's record: %+v", r)
	}
	file := filepath.Join(dir, "kept.wav")
	if code := kim.getRecording(r.ID, file, nil); code != 200 {
		t.Fatalf("what fitted does not play: %d", code)
	}
	if got := peers.Measure(t, file, 0, 0).Seconds; got < 3 || got > 9 {
		t.Errorf("%.1f s kept of a recording on 256 kB, want what fitted", got)
	}
	if n := in.metric("ringdesk_recording_files_open"); n != 0 {
		t.Errorf("%.0f recording files still open after the failure and the call's end", n)
	}
}

// Recordings past their service's retention go, file and record, when the server starts (and
// daily after), and the deletion is in the access log; younger ones stay.
func TestRetentionDeletesAnExpiredRecording(t *testing.T) {
	peers.Require(t, "baresip", "sox")
	in := start(t, recordingSite(peers.Port(t)), nil)
	in.agentPhone("1001", "kim-sip", 440)
	kim, boss := in.login("kim", "agent-pw"), in.login("boss", "boss-pw")
	kim.ready()
	var ids []string
	for range 2 {
		cust := customerPhone(t, 660)
		cust.MustDo("dial", in.sipURI(did))
		cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second)
		kim.await("offered")
		kim.cmd("offer/accept", nil)
		v := kim.await("on_call")
		time.Sleep(time.Second)
		cust.MustDo("hangup", "")
		kim.await("after_call")
		kim.cmd("after-call", map[string]string{"action": "ready"})
		var tk ticketCalls
		kim.do("GET", fmt.Sprintf("/api/v1/tickets/%d", v.Call.Ticket), nil, 200, &tk)
		ids = append(ids, tk.Calls[len(tk.Calls)-1].Recording.ID)
	}
	in.stop()
	// the first recording is now 31 days old (support keeps 30)
	dbPath := filepath.Join(in.dir, "data", "ringdesk.db")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-31 * 24 * time.Hour).UnixMicro()
	if _, err := db.Exec(`UPDATE recordings SET started_at = ? WHERE id = ?`, old, ids[0]); err != nil {
		t.Fatal(err)
	}
	db.Close()
	oldFile := filepath.Join(in.dir, "data", "recordings", ids[0]+".wav")
	if _, err := os.Stat(oldFile); err != nil {
		t.Fatalf("the recording's file is not in the data folder: %v", err)
	}
	in.launch()
	deadline := time.Now().Add(15 * time.Second)
	for in.metric("ringdesk_recordings_deleted_total") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the expired recording was not deleted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(oldFile); !os.IsNotExist(err) {
		t.Errorf("the expired file is still there: %v", err)
	}
	boss = in.login("boss", "boss-pw")
	if code := boss.getRecording(ids[0], "", nil); code != 404 {
		t.Errorf("the expired recording still plays: %d", code)
	}
	if code := boss.getRecording(ids[1], "", nil); code != 200 {
		t.Errorf("the younger recording: %d", code)
	}
	if !strings.Contains(in.log.String(), "deleted a recording past its retention") {
		t.Error("the deletion is not in the log")
	}
}

// The recording plays in Chromium from the ticket screen (the "plays in Chromium"),
// seeking included, and that play is in the access log.
func TestRecordingPlaysInChromium(t *testing.T) {
	peers.Require(t, "chromium", "node", "baresip", "sox")
	for _, mod := range []string{"playwright-core", "axe-core"} {
		if _, err := os.Stat("browser/node_modules/" + mod); err != nil {
			if os.Getenv("RINGDESK_E2E_REQUIRE") != "" {
				t.Fatalf("%s is not installed: scripts/install-test-deps.sh installs it", mod)
			}
			t.Skipf("%s is not installed (cd test/e2e/browser && npm ci)", mod)
		}
	}
	in := start(t, recordingSite(peers.Port(t)), nil)
	in.agentPhone("1001", "kim-sip", 440)
	kim, boss := in.login("kim", "agent-pw"), in.login("boss", "boss-pw")
	kim.ready()
	cust := customerPhone(t, 660)
	cust.MustDo("dial", in.sipURI(did))
	cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second)
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	v := kim.await("on_call")
	time.Sleep(6 * time.Second)
	cust.MustDo("hangup", "")
	kim.await("after_call")
	var tk ticketCalls
	kim.do("GET", fmt.Sprintf("/api/v1/tickets/%d", v.Call.Ticket), nil, 200, &tk)
	r := tk.Calls[0].Recording
	artifacts, _ := filepath.Abs("artifacts/recording")
	os.RemoveAll(artifacts)
	cmd := exec.Command("node", "recording.mjs")
	cmd.Dir = "browser"
	cmd.Env = append(os.Environ(), "RINGDESK_URL="+in.base, "ARTIFACTS="+artifacts, "AGENT_PASSWORD=agent-pw",
		"TICKET="+strconv.FormatInt(v.Call.Ticket, 10), "SECONDS="+strconv.FormatFloat(r.Seconds, 'f', 1, 64))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !strings.Contains(string(out), "@@ done") {
		t.Fatalf("the browser did not play the recording (%v); screenshots in %s", err, artifacts)
	}
	var log struct {
		Access []struct{ Login, Action, Source string }
	}
	boss.do("GET", "/api/v1/recordings/"+r.ID+"/access-log", nil, 200, &log)
	if len(log.Access) == 0 || log.Access[len(log.Access)-1].Login != "kim" || log.Access[len(log.Access)-1].Action != "play" {
		t.Errorf("the browser's play is not in the access log: %+v", log.Access)
	}
}
