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

func consoleSite() string {
	return `services:
  - id: support
    name: 고객지원
    cti: true
    hangup_announcement:
      text: 폭언 등으로 상담을 종료합니다.
    numbers:
      - { number: "0212345678", queue: "100", greeting: none }
    caller_ids:
      - { number: "0212345678", status: registered }
      - { number: "0299998888", status: requested }
    favorites:
      - { name: 기술지원, number: "200" }
    groups:
      - { id: tier1, name: 1차 상담 }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee, park] }
      - { number: "200", name: 기술지원, members: [lee] }
  - id: sales
    name: 영업
    cti: false
agents:
  - { login: kim, name: 김상담, password: agent-pw, services: [support], groups: [tier1], phone: browser }
  - { login: lee, name: 이상담, password: agent-pw, services: [support], groups: [tier1], phone: browser }
  - { login: park, name: 박상담, password: agent-pw, services: [support], extension: "1003", sip_password: park-sip, phone: sip }
  - { login: choi, name: 최상담, password: agent-pw, services: [support, sales], phone: browser }
  - { login: boss, name: 관리자, password: boss-pw, role: admin, services: [support] }
trunks:
  - { id: carrier, host: 127.0.0.1, port: 5999, allow: ["127.0.0.1/32"], prefix: "9" }
`
}

// TestConsoleInChromium walks the console in a real browser (browser/console.test.mjs runs
// the suites: admin.mjs, phone.mjs, tour.mjs) with browser softphones, a desk phone that is
// not registered, and a real SIP caller on the other end, and measures what everyone heard.
// With RINGDESK_DOCS_SCREENS=1 the tour's screenshots refresh docs/screens.
func TestConsoleInChromium(t *testing.T) {
	peers.Require(t, "chromium", "node", "baresip", "sox")
	for _, mod := range []string{"playwright-core", "axe-core"} {
		if _, err := os.Stat("browser/node_modules/" + mod); err != nil {
			if os.Getenv("RINGDESK_E2E_REQUIRE") != "" {
				t.Fatalf("%s is not installed: scripts/install-test-deps.sh installs it (cd test/e2e/browser && npm ci)", mod)
			}
			t.Skipf("%s is not installed (cd test/e2e/browser && npm ci)", mod)
		}
	}
	in := start(t, consoleSite(), nil)
	audio := t.TempDir()
	for name, hz := range map[string]int{"kim": 880, "lee": 550} {
		out, err := exec.Command("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", filepath.Join(audio, name+".wav"),
			"synth", "60", "sine", fmt.Sprint(hz), "vol", "0.5").CombinedOutput()
		if err != nil {
			t.Fatalf("sox: %v %s", err, out)
		}
	}
	cust := customerPhone(t, 440)
	artifacts, _ := filepath.Abs("artifacts/console")
	os.RemoveAll(artifacts)

	cmd := exec.Command("node", "console.test.mjs")
	cmd.Dir = "browser"
	cmd.Env = append(os.Environ(), "RINGDESK_URL="+in.base, "ARTIFACTS="+artifacts, "KIM_AUDIO="+filepath.Join(audio, "kim.wav"),
		"LEE_AUDIO="+filepath.Join(audio, "lee.wav"), "AGENT_PASSWORD=agent-pw", "BOSS_PASSWORD=boss-pw", "CUSTOMER="+customer)
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
	marks := map[string]time.Time{}
	var began time.Time
	calls := 0
	done := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "@@ call":
			seen := cust.Seen()
			cust.MustDo("dial", in.sipURI(did))
			at := cust.Wait("CALL_ESTABLISHED", seen, 10*time.Second).At
			if calls == 0 {
				began = at
			}
			calls++
			io.WriteString(stdin, "ok\n")
		case strings.HasPrefix(line, "@@ mark "):
			marks[strings.TrimPrefix(line, "@@ mark ")] = time.Now()
		case line == "@@ done":
			done = true
		default:
			t.Log(line)
		}
	}
	if err := cmd.Wait(); err != nil || !done {
		t.Fatalf("the browser test failed (%v); screenshots in %s", err, artifacts)
	}
	closed := cust.Wait("CALL_CLOSED", 0, 15*time.Second).At
	time.Sleep(time.Second)
	rec := cust.Recordings()
	if len(rec) != calls {
		t.Fatalf("customer recordings %v of %d calls", rec, calls)
	}
	heard(t, "the customer talking to kim's browser", window(t, rec[0], began, marks["talk"], marks["hold"]), 880)
	heard(t, "the customer on hold", window(t, rec[0], began, marks["hold"], marks["resumed"]), 660)
	heard(t, "the customer after 고객연결 to lee", window(t, rec[0], began, marks["joined"], marks["forced"]), 550)
	ann := window(t, rec[0], began, marks["forced"], closed)
	if ann.RMS < 0.01 || peers.Near(ann.Frequency, 550) {
		t.Errorf("during the announcement the customer heard %.0f Hz at RMS %.3f", ann.Frequency, ann.RMS)
	}
}
