package e2e

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

const (
	did      = "0212345678"
	callerID = "0212345678"
	customer = "01055556666"
)

// site returns the site file: the trunk points at a carrier on trunkPort; the 강성종료
// announcement is a 1 kHz tone so that a recording can tell it apart.
func siteFile(trunkPort int) string {
	return fmt.Sprintf(`services:
  - id: support
    name: 고객지원
    cti: true
    recall_seconds: 30
    hangup_announcement:
      text: 폭언 등으로 상담을 종료합니다.
      audio: prompts/announcement.wav
    numbers:
      - { number: "%s", queue: "100", greeting: none }
    caller_ids:
      - { number: "%s", status: registered }
      - { number: "0299998888", status: requested }
    groups:
      - { id: tier1, name: 1차 상담 }
    queues:
      - { number: "100", name: 일반문의, members: [kim, lee] }
agents:
  - { login: kim, name: 김상담, password: agent-pw, services: [support], groups: [tier1], extension: "1001", sip_password: kim-sip }
  - { login: lee, name: 이상담, password: agent-pw, services: [support], groups: [tier1], extension: "1002", sip_password: lee-sip }
trunks:
  - { id: carrier, host: 127.0.0.1, port: %d, allow: ["127.0.0.1/32"], prefix: "9" }
`, did, callerID, trunkPort)
}

func announcement(t *testing.T) map[string][]byte {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.wav")
	peers.Tone(t, path, 1000, 3)
	b, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"prompts/announcement.wav": b}
}

// customerPhone is a caller on the carrier's side: baresip calling the DID from 127.0.0.1.
func customerPhone(t *testing.T, hz int) *peers.Phone {
	return peers.StartPhone(t, peers.PhoneConfig{Source: fmt.Sprintf("sine:%d", hz),
		AOR: "sip:" + customer + "@127.0.0.1", Account: ";regint=0;audio_codecs=PCMU"})
}

// window measures a recording between two instants, given when the recording began.
func window(t *testing.T, file string, began, from, to time.Time) peers.Heard {
	return peers.Measure(t, file, from.Sub(began).Seconds()+0.4, to.Sub(from).Seconds()-0.8)
}

func heard(t *testing.T, who string, h peers.Heard, hz float64) {
	t.Helper()
	if !peers.Near(h.Frequency, hz) || h.RMS < 0.02 {
		t.Errorf("%s heard %.0f Hz at RMS %.3f, want ~%.0f Hz", who, h.Frequency, h.RMS, hz)
	}
}

func TestAgentsAndCustomerHearTheRightParty(t *testing.T) {
	peers.Require(t, "baresip", "sox")
	in := start(t, siteFile(peers.Port(t)), announcement(t))
	kimPhone := in.agentPhone("1001", "kim-sip", 880)
	leePhone := in.agentPhone("1002", "lee-sip", 550)
	kim, lee := in.login("kim", "agent-pw"), in.login("lee", "agent-pw")
	kim.ready()

	cust := customerPhone(t, 440)
	cust.MustDo("dial", in.sipURI(did))
	began := cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	v := kim.await("on_call")
	if v.Call == nil || v.Call.Ticket == 0 {
		t.Fatal("no ticket for the answered call")
	}
	kimBegan := kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second).At
	talk := time.Now()
	time.Sleep(3 * time.Second)
	kim.cmd("hold", nil)
	hold := time.Now()
	time.Sleep(3 * time.Second)
	kim.cmd("unhold", nil)
	resumed := time.Now()
	time.Sleep(3 * time.Second)
	lee.ready()
	kim.cmd("consult", map[string]string{"target": "agent:lee"})
	lee.await("offered")
	lee.cmd("offer/accept", nil)
	kim.await("consulting")
	leeBegan := leePhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second).At
	time.Sleep(2 * time.Second)
	kim.cmd("consult/complete", nil)
	kim.await("after_call")
	joined := time.Now()
	time.Sleep(3 * time.Second)
	lee.cmd("forced-hangup", nil)
	forced := time.Now()
	closed := cust.Wait("CALL_CLOSED", 0, 10*time.Second).At
	if closed.Sub(forced) < 2500*time.Millisecond {
		t.Errorf("the customer was hung up %v after 강성종료, before the 3 s announcement ended", closed.Sub(forced))
	}
	time.Sleep(time.Second) // baresip writes its recordings when the call ends
	rec := cust.Recordings()
	if len(rec) != 1 {
		t.Fatalf("customer recordings %v", rec)
	}
	heard(t, "the customer talking to kim", window(t, rec[0], began, talk, hold), 880)
	heard(t, "the customer on hold", window(t, rec[0], began, hold, resumed), 660)
	heard(t, "the customer after 해제", window(t, rec[0], began, resumed, resumed.Add(3*time.Second)), 880)
	heard(t, "the customer after 고객연결", window(t, rec[0], began, joined, forced), 550)
	heard(t, "the customer during the announcement", window(t, rec[0], began, forced, closed), 1000)
	kimRec := kimPhone.Recordings()
	heard(t, "kim talking to the customer", window(t, kimRec[0], kimBegan, talk, hold), 440)
	leeRec := leePhone.Recordings()
	heard(t, "lee after 고객연결", window(t, leeRec[0], leeBegan, joined, forced), 440)
}

func TestOutboundCallPresentsTheRegisteredCallerID(t *testing.T) {
	peers.Require(t, "baresip", "sox", "sipp")
	trunkPort := peers.Port(t)
	in := start(t, siteFile(trunkPort), announcement(t))
	kimPhone := in.agentPhone("1001", "kim-sip", 880)
	kim := in.login("kim", "agent-pw")
	kim.ready()
	// the carrier answers the server's OPTIONS probes too, so it serves until stopped
	file, _ := filepath.Abs("sipp/trunk_uas.xml")
	scenario := peers.Scenario(t, file, map[string]string{"__CID__": callerID})
	wait, stop := peers.SIPpStoppable(t, 60*time.Second, "-sf", scenario, "-i", "127.0.0.1", "-p", peers.Itoa(trunkPort),
		"-rtp_echo", "-mi", "127.0.0.1", "-mp", peers.Itoa(peers.Ports(t, 4)))
	time.Sleep(500 * time.Millisecond)
	kim.do("POST", "/api/v1/cti/dial", map[string]string{"number": "01077778888", "caller_id": "0299998888"}, 422, nil)
	kim.cmd("dial", map[string]string{"number": "01077778888", "caller_id": callerID})
	kim.await("on_call")
	began := kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second).At
	talk := time.Now()
	time.Sleep(3 * time.Second)
	kim.cmd("hangup", nil)
	end := time.Now()
	kimPhone.Wait("CALL_CLOSED", 0, 5*time.Second)
	stop()
	// the scenario logs the call only when From and P-Asserted-Identity both carry the caller ID
	want := fmt.Sprintf("outbound call from sip:%s@ asserted sip:%s@", callerID, callerID)
	if out, _ := wait(); !strings.Contains(out, want) {
		t.Fatalf("the trunk did not see the registered caller ID in From and P-Asserted-Identity:\n%s", out)
	}
	time.Sleep(time.Second)
	// the carrier echoes what it hears: kim hears his own tone back through the trunk
	heard(t, "kim through the echoing trunk", window(t, kimPhone.Recordings()[0], began, talk, end), 880)
}

func TestRefusalsLeaveCallsUp(t *testing.T) {
	peers.Require(t, "baresip", "sox", "sipp")
	in := start(t, siteFile(peers.Port(t)), announcement(t))
	kimPhone := in.agentPhone("1001", "kim-sip", 880)
	kim := in.login("kim", "agent-pw")
	kim.ready()
	cust := customerPhone(t, 440)
	cust.MustDo("dial", in.sipURI(did))
	began := cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	kim.await("on_call")
	kimBegan := kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second).At
	from := time.Now()

	// a wrong SIP password and an unknown extension do not register
	for _, c := range []struct{ ext, pw string }{{"1002", "not-lees"}, {"1999", "whatever"}} {
		p := peers.StartPhone(t, peers.PhoneConfig{Source: "sine:300", AOR: fmt.Sprintf("sip:%s@127.0.0.1:%d", c.ext, in.SIP),
			Account: ";auth_pass=" + c.pw + ";regint=600"})
		if !p.RegisterFailed(10 * time.Second) {
			t.Errorf("extension %s with password %q registered", c.ext, c.pw)
		}
	}
	// a caller from an address no trunk allows is refused (SIPp from 127.0.0.2)
	refused, _ := filepath.Abs("sipp/refused_uac.xml")
	sc := peers.Scenario(t, refused, map[string]string{"__CODE__": "403", "__FORMATS__": "0"})
	if _, err := peers.SIPp(t, 30*time.Second, "127.0.0.1:"+peers.Itoa(in.SIP), "-sf", sc, "-s", did, "-i", "127.0.0.2",
		"-p", peers.Itoa(peers.Port(t)), "-m", "1"); err != nil {
		t.Errorf("a caller from an unallowed address: %v", err)
	}
	// an offer with no codec we speak is 488; garbage is dropped
	sc = peers.Scenario(t, refused, map[string]string{"__CODE__": "488", "__FORMATS__": "18"})
	if _, err := peers.SIPp(t, 30*time.Second, "127.0.0.1:"+peers.Itoa(in.SIP), "-sf", sc, "-s", did, "-i", "127.0.0.1",
		"-p", peers.Itoa(peers.Port(t)), "-m", "1"); err != nil {
		t.Errorf("an offer without G.711: %v", err)
	}
	if c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", in.SIP)); err == nil {
		c.Write([]byte("NOT SIP\r\n\r\n\x00\xff"))
		c.Write([]byte("INVITE sip:x SIP/2.0\r\nVia: garbage\r\n\r\n"))
		c.Close()
	}
	// a caller ID that is not registered cannot be used
	in.login("lee", "agent-pw").do("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	out := in.login("lee", "agent-pw").do("POST", "/api/v1/cti/dial", map[string]string{"number": "0101", "caller_id": "0299998888"}, 422, nil)
	if !strings.Contains(out, "invalid_caller_id") {
		t.Errorf("unregistered caller ID: %s", out)
	}
	time.Sleep(2 * time.Second)
	to := time.Now()
	cust.MustDo("hangup", "")
	cust.Wait("CALL_CLOSED", 0, 5*time.Second)
	kim.await("after_call")
	time.Sleep(time.Second)
	heard(t, "the customer through the refusals", window(t, cust.Recordings()[0], began, from, to), 880)
	heard(t, "kim through the refusals", window(t, kimPhone.Recordings()[0], kimBegan, from, to), 440)
}

func readFile(p string) ([]byte, error) { return exec.Command("cat", p).Output() }

// TestCarrierWithReliable183: a carrier that answers kim's 걸기 as IMS trunks do — a reliable
// 183 with its SDP (Require: 100rel), sent again until PRACKed, then a 200 without SDP — is
// PRACKed and the call is up with the 183's media: kim hears his own tone echoed back. Fails
// before issue 15: no PRACK went out (SIPp waits for it), and a 200 without SDP was refused.
func TestCarrierWithReliable183(t *testing.T) {
	t.Parallel()
	peers.Require(t, "baresip", "sox", "sipp")
	trunkPort := peers.Port(t)
	in := start(t, siteFile(trunkPort), announcement(t))
	kimPhone := in.agentPhone("1001", "kim-sip", 880)
	kim := in.login("kim", "agent-pw")
	kim.ready()
	file, _ := filepath.Abs("sipp/prack_uas.xml")
	wait, stop := peers.SIPpStoppable(t, 60*time.Second, "-sf", file, "-i", "127.0.0.1", "-p", peers.Itoa(trunkPort),
		"-rtp_echo", "-mi", "127.0.0.1", "-mp", peers.Itoa(peers.Ports(t, 4)))
	kim.cmd("dial", map[string]string{"number": "01077778888", "caller_id": callerID})
	kim.await("on_call")
	began := kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second).At
	talk := time.Now()
	time.Sleep(3 * time.Second)
	kim.cmd("hangup", nil)
	end := time.Now()
	kimPhone.Wait("CALL_CLOSED", 0, 5*time.Second)
	stop()
	out, _ := wait()
	if !strings.Contains(out, "PRACK with RAck") || !strings.Contains(out, "INVITE supports") {
		t.Fatalf("the carrier saw no PRACK naming its 183, or no Supported: 100rel:\n%s", out)
	}
	time.Sleep(time.Second)
	heard(t, "kim through the carrier's reliable 183 media", window(t, kimPhone.Recordings()[0], began, talk, end), 880)
}
