package e2e

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"ringdesk/test/e2e/peers"
)

// TestSignalEndsCallsAndExits: with a customer and an agent talking, SIGTERM (systemd,
// containers) or SIGINT (Ctrl-C) makes the server end the call with a BYE to each phone and
// exit 0 within the default drain of 5 s. Fails before the fix: the server logged "stopping",
// sent the BYEs and then never exited.
func TestSignalEndsCallsAndExits(t *testing.T) {
	peers.Require(t, "baresip", "sox")
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			in := start(t, siteFile(peers.Port(t)), announcement(t))
			kimPhone := in.agentPhone("1001", "kim-sip", 880)
			kim := in.login("kim", "agent-pw")
			kim.ready()
			cust := customerPhone(t, 440)
			cust.MustDo("dial", in.sipURI(did))
			cust.Wait("CALL_ESTABLISHED", 0, 10*time.Second)
			kim.await("offered")
			kim.cmd("offer/accept", nil)
			kim.await("on_call")
			kimPhone.Wait("CALL_ESTABLISHED", 0, 5*time.Second)
			custMark, kimMark := cust.Seen(), kimPhone.Seen()

			took, code, exited := in.signal(sig, 5*time.Second)
			if !exited {
				t.Fatalf("still running %v after %s", took, sig)
			}
			if code != 0 {
				t.Fatalf("exited %d after %s, want 0", code, sig)
			}
			t.Logf("exited 0 %v after %s", took.Round(time.Millisecond), sig)
			// the server is gone: only a BYE it sent before going can have ended the calls
			for who, p := range map[string]struct {
				phone *peers.Phone
				mark  int
			}{"the customer": {cust, custMark}, "the agent's phone": {kimPhone, kimMark}} {
				ev := p.phone.Wait("CALL_CLOSED", p.mark, 3*time.Second)
				t.Logf("%s: call closed (%s)", who, ev.Param)
			}
			if !strings.Contains(in.log.String(), "stopping: no new calls or logins") {
				t.Error("the log does not say the server is stopping")
			}
		})
	}
}

// TestServeHelp: --help prints the flags and exits 0.
func TestServeHelp(t *testing.T) {
	out, err := exec.Command(binary, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("serve --help: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "-drain") || strings.Contains(string(out), "help requested") {
		t.Fatalf("serve --help printed:\n%s", out)
	}
}
