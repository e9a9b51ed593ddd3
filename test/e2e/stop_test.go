package e2e

import (
	"fmt"
	"net"
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

// stubbornCaller calls the DID from a bare UDP socket, ACKs the answer and then ignores
// everything — the server's BYE included — as a caller whose network went away would.
func stubbornCaller(t *testing.T, in *instance) {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	me := conn.LocalAddr().String()
	server := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: in.SIP}
	sdp := fmt.Sprintf("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\n", peers.Ports(t, 2))
	head := fmt.Sprintf("Via: SIP/2.0/UDP %s;rport;branch=z9hG4bK-stubborn%%s\r\nFrom: <sip:01033332222@127.0.0.1>;tag=stubborn\r\n"+
		"To: <sip:%s@127.0.0.1:%d>%%s\r\nCall-ID: stubborn-%d@127.0.0.1\r\nCSeq: 1 %%s\r\nMax-Forwards: 70\r\nContact: <sip:01033332222@%s>\r\n",
		me, did, in.SIP, in.SIP, me)
	invite := fmt.Sprintf("INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n", did, in.SIP) + fmt.Sprintf(head, "1", "", "INVITE") +
		fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(sdp), sdp)
	conn.WriteToUDP([]byte(invite), server)
	buf := make([]byte, 65535)
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn.SetReadDeadline(deadline)
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no answer to the stubborn caller: %v", err)
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, "SIP/2.0 200") || !strings.Contains(msg, "INVITE") {
			continue
		}
		toTag := ""
		for _, line := range strings.Split(msg, "\r\n") {
			if strings.HasPrefix(strings.ToLower(line), "to:") {
				if i := strings.Index(line, ";tag="); i >= 0 {
					toTag = line[i:]
				}
			}
		}
		ack := fmt.Sprintf("ACK sip:%s@127.0.0.1:%d SIP/2.0\r\n", did, in.SIP) + fmt.Sprintf(head, "2", toTag, "ACK") + "Content-Length: 0\r\n\r\n"
		conn.WriteToUDP([]byte(ack), server)
		return
	}
}

// TestDrainIsBoundedAndASecondSignalStopsAtOnce: a caller that never answers the server's
// BYE cannot hold the stop past --drain: the server still exits 0 within it. And when an
// operator signals again while it drains, it stops at once, non-zero.
func TestDrainIsBoundedAndASecondSignalStopsAtOnce(t *testing.T) {
	in := start(t, siteFile(peers.Port(t)), announcement(t), "--drain", "3s")
	stubbornCaller(t, in)
	took, code, exited := in.signal(syscall.SIGTERM, 6*time.Second)
	if !exited || code != 0 || took > 3*time.Second {
		t.Fatalf("with a BYE never answered and --drain 3s: exited %v, code %d, after %v", exited, code, took)
	}
	t.Logf("exited 0 %v after SIGTERM, its BYE unanswered", took.Round(time.Millisecond))

	in.args = []string{"--drain", "20s"}
	in.launch()
	stubbornCaller(t, in)
	in.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond) // the drain is under way
	took, code, exited = in.signal(syscall.SIGTERM, 5*time.Second)
	if !exited || code == 0 || took > 2*time.Second {
		t.Fatalf("a second signal while draining: exited %v, code %d, after %v", exited, code, took)
	}
	if !strings.Contains(in.log.String(), "stopped at once") {
		t.Error("the log does not say it stopped at once")
	}
}
