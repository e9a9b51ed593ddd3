package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// supervisionConsoleSite: one queue that turns the wallboard amber and red within seconds
// (a wait over 3 s alerts) and counts any wait of a second or more as a real abandon; a
// browser-phone agent who takes calls, one who never logs in, a manager.
func supervisionConsoleSite() string {
	return fmt.Sprintf(`timezone: Asia/Seoul
services:
  - id: support
    name: 고객지원
    cti: true
    numbers:
      - { number: "%s", queue: "100", greeting: none }
    caller_ids:
      - { number: "%s", status: registered }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee], service_level_seconds: 20, service_level_target: 80, wait_alert_seconds: 3, short_abandon_seconds: 1 }
agents:
  - { login: kim, name: 김상담, password: agent-pw, services: [support], phone: browser }
  - { login: lee, name: 이상담, password: agent-pw, services: [support], phone: browser }
  - { login: boss, name: 박팀장, password: boss-pw, role: manager, services: [support] }
trunks:
  - { id: carrier, host: 127.0.0.1, port: 5999, allow: ["127.0.0.1/32"], prefix: "9" }
`, did, callerID)
}

// TestSupervisionInChromium drives the supervision screens in Chromium (browser/supervision.mjs)
// against real calls from a SIP customer: the wallboard opened by a TV with a read-only token
// shows a queued call within a second; a missed call is listed; the browser phone's keypad
// sends digits the customer's phone receives as RFC 4733 events; a manager puts the agent on
// 휴식 and logs it out from the live view and the agent's widget says who did it; the reports
// screen draws its charts and exports a CSV; the call history finds the calls by number.
// With RINGDESK_DOCS_SCREENS=1 the screenshots refresh docs/screens.
//
// The script's "@@" lines ask for what only this side can do: "@@ call" (the customer dials;
// the answer carries when, in Unix milliseconds), "@@ hangup", "@@ dtmf D" (did the customer's
// phone receive the digit D?).
func TestSupervisionInChromium(t *testing.T) {
	peers.Require(t, "chromium", "node", "baresip")
	for _, mod := range []string{"playwright-core", "axe-core"} {
		if _, err := os.Stat("browser/node_modules/" + mod); err != nil {
			if os.Getenv("RINGDESK_E2E_REQUIRE") != "" {
				t.Fatalf("%s is not installed: scripts/install-test-deps.sh installs it", mod)
			}
			t.Skipf("%s is not installed (cd test/e2e/browser && npm ci)", mod)
		}
	}
	in := start(t, supervisionConsoleSite(), nil)
	cust := customerPhone(t, 440)
	artifacts, _ := filepath.Abs("artifacts/supervision")
	os.RemoveAll(artifacts)

	cmd := exec.Command("node", "supervision.mjs")
	cmd.Dir = "browser"
	cmd.Env = append(os.Environ(), "RINGDESK_URL="+in.base, "ARTIFACTS="+artifacts, "AGENT_PASSWORD=agent-pw",
		"BOSS_PASSWORD=boss-pw", "ADMIN_PASSWORD="+adminPassword, "CUSTOMER="+customer)
	if os.Getenv("RINGDESK_DOCS_SCREENS") != "" {
		docs, _ := filepath.Abs("../../docs/screens")
		cmd.Env = append(cmd.Env, "DOCS_SCREENS="+docs)
	}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	answer := func(s string) { io.WriteString(stdin, s+"\n") }
	callAt := 0 // the customer's events from the current call on
	done := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "@@ call":
			callAt = cust.Seen()
			at := time.Now().UnixMilli()
			if _, err := cust.Do("dial", in.sipURI(did)); err != nil {
				answer("fail " + err.Error())
				continue
			}
			answer(fmt.Sprintf("ok %d", at))
		case line == "@@ hangup":
			seen := cust.Seen()
			if _, err := cust.Do("hangup", ""); err != nil {
				answer("fail " + err.Error())
				continue
			}
			if !waitEvent(cust, seen, 10*time.Second, func(e peers.Event) bool { return e.Type == "CALL_CLOSED" }) {
				answer("fail the customer's call did not close")
				continue
			}
			answer("ok")
		case strings.HasPrefix(line, "@@ dtmf "):
			digit := strings.TrimPrefix(line, "@@ dtmf ")
			if waitEvent(cust, callAt, 10*time.Second, func(e peers.Event) bool { return e.Type == "CALL_DTMF_START" && e.Param == digit }) {
				answer("ok")
			} else {
				answer(fmt.Sprintf("fail the customer's phone received no DTMF %s; its events: %v", digit, cust.Types()))
			}
		case line == "@@ done":
			done = true
		default:
			t.Log(line)
		}
	}
	if err := cmd.Wait(); err != nil || !done {
		t.Fatalf("the browser test failed (%v); screenshots in %s", err, artifacts)
	}
}

// waitEvent polls a phone's events from index from on until one matches or the deadline.
func waitEvent(p *peers.Phone, from int, timeout time.Duration, match func(peers.Event) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		for _, e := range p.Events()[from:] {
			if match(e) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
