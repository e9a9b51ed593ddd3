package e2e

import (
	"syscall"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// countOf counts the phone's events of a type.
func countOf(p *peers.Phone, typ string) int {
	n := 0
	for _, ty := range p.Types() {
		if ty == typ {
			n++
		}
	}
	return n
}

// TestRestartKeepsPhonesRegistered: a baresip desk phone registers; the server is stopped and
// started again on the same data directory; kim logs in to CTI and goes 대기, and a customer's
// call reaches the phone — which never registered again. Fails before the fix: after the
// restart the registrar was empty and the offer could not ring the phone.
func TestRestartKeepsPhonesRegistered(t *testing.T) {
	peers.Require(t, "baresip", "sox")
	in := start(t, siteFile(peers.Port(t)), announcement(t))
	kimPhone := in.agentPhone("1001", "kim-sip", 880)
	registered := countOf(kimPhone, "REGISTER_OK")
	if _, code, ok := in.signal(syscall.SIGTERM, 10*time.Second); !ok || code != 0 {
		t.Fatalf("stopping: exit %d", code)
	}
	in.launch()

	kim := in.login("kim", "agent-pw")
	kim.ready()
	cust := customerPhone(t, 440)
	cust.MustDo("dial", in.sipURI(did))
	cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second)
	kim.await("offered")
	kim.cmd("offer/accept", nil)
	kim.await("on_call")
	kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second)
	if n := countOf(kimPhone, "REGISTER_OK"); n != registered {
		t.Fatalf("the phone registered %d times more", n-registered)
	}
	cust.MustDo("hangup", "")
	kim.await("after_call")
}
