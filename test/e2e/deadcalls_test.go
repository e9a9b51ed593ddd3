package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// siteWithSIP is the e2e site with its sip settings.
func siteWithSIP(trunkPort, mediaTimeout int) string {
	return fmt.Sprintf("sip:\n  media_timeout_seconds: %d\n  session_expires_seconds: 1800\n", mediaTimeout) + siteFile(trunkPort)
}

// deadCaller runs SIPp as a customer who calls the DID and then sends nothing — no RTP, no
// refresh — and waits up to wait for Ringdesk's BYE. It returns a function that waits for
// SIPp's end and says how long after the call began the BYE came.
func deadCaller(t *testing.T, in *instance, headers string, wait time.Duration) func() (time.Duration, error) {
	t.Helper()
	file, _ := filepath.Abs("sipp/silent_uac.xml")
	sc := peers.Scenario(t, file, map[string]string{"__HEADERS__": headers, "__WAIT__": fmt.Sprint(wait.Milliseconds())})
	began := time.Now()
	done := peers.SIPpBackground(t, wait+30*time.Second, "127.0.0.1:"+peers.Itoa(in.SIP), "-sf", sc, "-s", did,
		"-i", "127.0.0.1", "-p", peers.Itoa(peers.Port(t)), "-m", "1", "-mp", peers.Itoa(peers.Ports(t, 4)))
	return func() (time.Duration, error) {
		_, err := done()
		return time.Since(began), err
	}
}

// TestSilentCallerIsEndedAfterTheMediaTimeout: a customer bridged to kim whose phone stops
// sending RTP (SIPp sends none at all) is hung up with BYE once the site's
// media_timeout_seconds have passed, and kim gets the end-of-call notice. Fails before the
// fix: nothing watched the media, and the call stayed up with kim on it.
func TestSilentCallerIsEndedAfterTheMediaTimeout(t *testing.T) {
	peers.Require(t, "baresip", "sox", "sipp")
	const timeout = 8
	in := start(t, siteWithSIP(peers.Port(t), timeout), announcement(t))
	in.agentPhone("1001", "kim-sip", 880)
	kim := in.login("kim", "agent-pw")
	kim.ready()
	wait := deadCaller(t, in, "User-Agent: SIPp silent caller", 30*time.Second)
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	kim.await("on_call")
	took, err := wait()
	if err != nil {
		t.Fatalf("no BYE to the silent caller: %v", err)
	}
	t.Logf("the silent caller got its BYE %v after calling (media_timeout_seconds: %d)", took.Round(100*time.Millisecond), timeout)
	if took < timeout*time.Second || took > (timeout+4)*time.Second {
		t.Errorf("BYE %v after the call began, want about %d s", took, timeout)
	}
	kim.await("after_call")
}

// TestCallerThatNeverRefreshesIsEnded: a caller asks for a 90 s session timer (RFC 4028)
// and never refreshes: Ringdesk, which lets it be the refresher, ends the call with BYE
// min(32, 90/3) s before the interval is up — 60 s after the answer. The site's media timeout
// is set far beyond that, so only the session timer can end it. Fails before the fix.
func TestCallerThatNeverRefreshesIsEnded(t *testing.T) {
	t.Parallel()
	peers.Require(t, "sipp")
	in := start(t, siteWithSIP(peers.Port(t), 300), announcement(t))
	took, err := deadCaller(t, in, "Supported: timer\nSession-Expires: 90", 90*time.Second)()
	if err != nil {
		t.Fatalf("no BYE to the caller that stopped refreshing: %v", err)
	}
	t.Logf("BYE %v after calling with Session-Expires: 90", took.Round(100*time.Millisecond))
	if took < 59*time.Second || took > 66*time.Second {
		t.Errorf("BYE %v after the call began, want about 60 s", took)
	}
}

// TestTrunkThatStopsAnsweringIsSkipped: two carriers (SIPp) behind trunks of the same
// prefix, probed every second. The first stops; probing marks it down (API and /metrics), and
// kim's 걸기 goes to the second without waiting on the first (only the second can answer:
// the first is gone).
func TestTrunkThatStopsAnsweringIsSkipped(t *testing.T) {
	peers.Require(t, "baresip", "sox", "sipp")
	firstPort, secondPort := peers.Port(t), peers.Port(t)
	site := strings.Replace(siteFile(firstPort), "trunks:\n",
		"trunks:\n  - { id: first, host: 127.0.0.1, port: "+peers.Itoa(firstPort)+", allow: [\"127.0.0.1/32\"], prefix: \"9\" }\n", 1)
	site = strings.Replace(site, "{ id: carrier, host: 127.0.0.1, port: "+peers.Itoa(firstPort),
		"{ id: carrier, host: 127.0.0.1, port: "+peers.Itoa(secondPort), 1)
	in := start(t, site, announcement(t), "--trunk-probe", "1s")
	file, _ := filepath.Abs("sipp/trunk_uas.xml")
	carrier := func(port int) func() {
		sc := peers.Scenario(t, file, map[string]string{"__CID__": callerID})
		_, stop := peers.SIPpStoppable(t, 120*time.Second, "-sf", sc, "-i", "127.0.0.1", "-p", peers.Itoa(port),
			"-rtp_echo", "-mi", "127.0.0.1", "-mp", peers.Itoa(peers.Ports(t, 4)))
		return stop
	}
	stopFirst := carrier(firstPort)
	carrier(secondPort)
	admin := in.login("admin", adminPassword)
	status := func() map[string]string {
		var list struct {
			Trunks []struct{ ID, Status string }
		}
		admin.do("GET", "/api/v1/trunks", nil, 200, &list)
		out := map[string]string{}
		for _, tr := range list.Trunks {
			out[tr.ID] = tr.Status
		}
		return out
	}
	awaitStatus := func(id, want string, within time.Duration) time.Duration {
		t.Helper()
		began := time.Now()
		for {
			if got := status()[id]; got == want {
				return time.Since(began)
			}
			if time.Since(began) > within {
				t.Fatalf("trunk %s is %q after %v, want %s", id, status()[id], within, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(2500 * time.Millisecond) // a few probes answered
	if s := status(); s["first"] != "up" || s["carrier"] != "up" {
		t.Fatalf("answering carriers: %v", s)
	}
	stopFirst()
	took := awaitStatus("first", "down", 15*time.Second)
	t.Logf("the stopped carrier was marked down %v after it stopped (probes every 1 s, 2 misses)", took.Round(100*time.Millisecond))
	metrics := admin.do("GET", "/metrics", nil, 200, nil)
	if !strings.Contains(metrics, `ringdesk_trunk_up{trunk="first"} 0`) || !strings.Contains(metrics, `ringdesk_trunk_up{trunk="carrier"} 1`) {
		t.Errorf("/metrics:\n%s", metrics)
	}

	kimPhone := in.agentPhone("1001", "kim-sip", 880)
	kim := in.login("kim", "agent-pw")
	kim.ready()
	began := time.Now()
	kim.cmd("dial", map[string]string{"number": "901077778888", "caller_id": callerID})
	kim.await("on_call")
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("on the call %v after 걸기", d)
	}
	kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second)
	kim.cmd("hangup", nil)
	kim.await("after_call")
}
