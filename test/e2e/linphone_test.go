package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// linphone joins baresip and SIPp as a third, independent SIP stack (liblinphone and
// belle-sip): an agent's desk phone registered directly or through Kamailio, which adds Path
// and record-routes.

// deskPhone is kim's linphone, sending a tone of hz and recording what it hears.
func (in *instance) deskPhone(t *testing.T, registrar string, hz int) (*peers.Linphone, string) {
	t.Helper()
	dir := t.TempDir()
	tone, heard := filepath.Join(dir, "tone.wav"), filepath.Join(dir, "heard.wav")
	peers.Tone(t, tone, hz, 180)
	p := peers.StartLinphone(t, peers.LinphoneConfig{Extension: "1001", Password: "kim-sip", Registrar: registrar,
		Domain: "127.0.0.1", Play: tone, Record: heard})
	p.WaitRegistered(15 * time.Second)
	return p, heard
}

// customerHeld says whether the agent's view shows the customer holding the call.
func (c *client) customerHeld() (held bool, state string) {
	var v struct {
		State string `json:"state"`
		Call  *struct {
			CustomerHeld bool `json:"customer_held"`
		} `json:"call"`
	}
	c.do("GET", "/api/v1/cti", nil, 200, &v)
	return v.Call != nil && v.Call.CustomerHeld, v.State
}

// awaitCustomerHeld waits until the view's customer_held is want while the call goes on.
func (c *client) awaitCustomerHeld(want bool, within time.Duration) time.Time {
	c.in.t.Helper()
	deadline := time.Now().Add(within)
	for {
		held, state := c.customerHeld()
		if held == want {
			return time.Now()
		}
		if time.Now().After(deadline) {
			c.in.t.Fatalf("%s: customer_held is %v (state %s), want %v", c.login, held, state, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// deskPhoneFlows runs what a desk phone must do with a customer (baresip, 440 Hz) calling
// the service: answer by itself, two-way audio, hold and resume from the phone (the CTI state
// follows), hang-up from the phone; then a second call hung up by the customer.
func deskPhoneFlows(t *testing.T, in *instance, phone *peers.Linphone, heardFile string) {
	kim := in.login("kim", "agent-pw")
	kim.ready()
	cust := customerPhone(t, 440)
	cust.MustDo("dial", in.sipURI(did))
	custBegan := cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second).At
	mark := phone.Seen()
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	kim.await("on_call")
	phoneBegan := phone.Wait(mark, 10*time.Second, "call", "connected").At
	talk := time.Now()
	time.Sleep(3 * time.Second)

	mark = phone.Seen()
	phone.Do("pause")
	phone.Wait(mark, 5*time.Second, "now paused")
	kim.await("held")
	time.Sleep(2 * time.Second)
	phone.Do("resume")
	kim.await("on_call")
	resumed := time.Now()
	time.Sleep(3 * time.Second)
	end := time.Now()

	mark = phone.Seen()
	phone.Do("terminate")
	phone.Wait(mark, 5*time.Second, "ended")
	cust.Wait("CALL_CLOSED", 0, 10*time.Second)
	kim.await("after_call")
	time.Sleep(time.Second) // both write their recordings when the call ends
	// each hears the other: the customer kim's 880 Hz, linphone the customer's 440 Hz
	heard(t, "linphone talking to the customer", window(t, heardFile, phoneBegan, talk, talk.Add(3*time.Second)), 440)
	heard(t, "the customer talking to linphone", window(t, cust.Recordings()[0], custBegan, talk, talk.Add(3*time.Second)), 880)
	heard(t, "the customer after linphone resumed", window(t, cust.Recordings()[0], custBegan, resumed, end), 880)

	// the customer hangs up the second call
	kim.do("POST", "/api/v1/cti/after-call", map[string]string{"action": "ready"}, 200, nil)
	kim.await("ready")
	n := cust.Seen()
	cust.MustDo("dial", in.sipURI(did))
	cust.Wait("CALL_ESTABLISHED", n, 10*time.Second)
	mark = phone.Seen()
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	kim.await("on_call")
	phone.Wait(mark, 10*time.Second, "call", "connected")
	time.Sleep(time.Second)
	cust.MustDo("hangup", "")
	phone.Wait(mark, 10*time.Second, "ended")
	kim.await("after_call")
}

// TestLinphoneDeskPhone: linphone registered with Ringdesk directly.
func TestLinphoneDeskPhone(t *testing.T) {
	t.Parallel()
	peers.Require(t, "linphonec", "baresip", "sox")
	in := start(t, siteFile(peers.Port(t)), announcement(t))
	phone, heardFile := in.deskPhone(t, fmt.Sprintf("127.0.0.1:%d", in.SIP), 880)
	deskPhoneFlows(t, in, phone, heardFile)
}

// TestLinphoneBehindKamailio: linphone registered through Kamailio, which adds its Path to the
// REGISTER and record-routes: Ringdesk calls the phone through Kamailio (the INVITE carries
// the Path as its Route), and every request of the calls passes it both ways. Fails before
// issue 15: Ringdesk dropped the Path and sent the INVITE straight to the phone's Contact.
func TestLinphoneBehindKamailio(t *testing.T) {
	t.Parallel()
	peers.Require(t, "linphonec", "baresip", "sox", "kamailio")
	in := start(t, siteFile(peers.Port(t)), announcement(t))
	edge, _ := filepath.Abs("kamailio/edge.cfg")
	k := peers.StartKamailio(t, edge, map[string]string{"@RINGDESK@": fmt.Sprintf("127.0.0.1:%d", in.SIP)})
	phone, heardFile := in.deskPhone(t, k.Addr, 880)
	deskPhoneFlows(t, in, phone, heardFile)
	log := k.Log()
	for _, want := range []string{"to ringdesk: REGISTER", "path: INVITE sip:1001@"} {
		if !strings.Contains(log, want) {
			t.Errorf("kamailio never logged %q: the calls did not follow the Path", want)
		}
	}
}

// TestLinphoneSurvivesACustomerHold: a customer (SIPp) talks, falls silent without a word for
// 12 s, then holds with a=sendonly and goes on sending nothing, 34 s of silence in all —
// beyond linphone's 30 s no-RTP timeout. The call survives: Ringdesk keeps linphone fed
// with silence, the customer's re-INVITEs and BYE are all answered (SIPp fails on anything
// else), and kim's view says customer_held from the silence on until the resume. Fails before
// issue 15 for the silence: only a hold said in SDP was shown (and before fill.go linphone
// hung up 30 s into the hold, cutting the customer off).
func TestLinphoneSurvivesACustomerHold(t *testing.T) {
	t.Parallel()
	peers.Require(t, "linphonec", "sipp", "sox")
	in := start(t, siteFile(peers.Port(t)), announcement(t))
	phone, _ := in.deskPhone(t, fmt.Sprintf("127.0.0.1:%d", in.SIP), 880)
	customerHoldFlow(t, in, phone)
}

// TestLinphoneBehindKamailioSurvivesACustomerHold: the same, the phone behind Kamailio.
func TestLinphoneBehindKamailioSurvivesACustomerHold(t *testing.T) {
	t.Parallel()
	peers.Require(t, "linphonec", "sipp", "sox", "kamailio")
	in := start(t, siteFile(peers.Port(t)), announcement(t))
	edge, _ := filepath.Abs("kamailio/edge.cfg")
	k := peers.StartKamailio(t, edge, map[string]string{"@RINGDESK@": fmt.Sprintf("127.0.0.1:%d", in.SIP)})
	phone, _ := in.deskPhone(t, k.Addr, 880)
	customerHoldFlow(t, in, phone)
	if !strings.Contains(k.Log(), "path: INVITE sip:1001@") {
		t.Error("the call to the phone did not go through its Path")
	}
}

// customerHoldFlow runs the customer's long hold against kim's phone.
func customerHoldFlow(t *testing.T, in *instance, phone *peers.Linphone) {
	kim := in.login("kim", "agent-pw")
	kim.ready()
	file, _ := filepath.Abs("sipp/hold_uac.xml")
	const quiet, hold = 12 * time.Second, 22 * time.Second
	sc := peers.Scenario(t, file, map[string]string{"__QUIET__": fmt.Sprint(quiet.Milliseconds()),
		"__HOLD__": fmt.Sprint(hold.Milliseconds())})
	mark := phone.Seen()
	wait := peers.SIPpBackground(t, 90*time.Second, "127.0.0.1:"+peers.Itoa(in.SIP), "-sf", sc, "-s", did,
		"-i", "127.0.0.1", "-p", peers.Itoa(peers.Port(t)), "-m", "1", "-mp", peers.Itoa(peers.Ports(t, 4)))
	began := time.Now()
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	kim.await("on_call")
	phone.Wait(mark, 10*time.Second, "call", "connected")

	// silence alone: held after a few seconds of it, before the re-INVITE says so
	heldAt := kim.awaitCustomerHeld(true, 7100*time.Millisecond+quiet+5*time.Second)
	if !strings.Contains(in.log.String(), "taken as a hold") || heldAt.Sub(began) > 7100*time.Millisecond+quiet-time.Second {
		t.Errorf("the customer's silence was not taken as a hold (held %v after the call began, the re-INVITE at %v)",
			heldAt.Sub(began).Round(100*time.Millisecond), 7100*time.Millisecond+quiet)
	}
	// through the hold: still held, and the phone still in the call past its no-RTP timeout
	resumedAt := kim.awaitCustomerHeld(false, quiet+hold+10*time.Second)
	silent := resumedAt.Sub(began) - 7100*time.Millisecond
	t.Logf("customer silent for about %v (held shown from %v to %v after the call began)", silent.Round(time.Second),
		heldAt.Sub(began).Round(100*time.Millisecond), resumedAt.Sub(began).Round(100*time.Millisecond))
	if silent < 31*time.Second {
		t.Fatalf("the hold ended after %v of silence, before linphone's 30 s timeout could have fired", silent)
	}
	if phone.Has(mark, "ended") {
		t.Fatalf("linphone hung up during the customer's hold:\n%s", phone.Output())
	}
	if out, err := wait(); err != nil {
		t.Fatalf("the customer's call did not survive its hold: %v\n%s", err, out)
	}
	phone.Wait(mark, 10*time.Second, "ended") // the customer's BYE
	kim.await("after_call")
}
