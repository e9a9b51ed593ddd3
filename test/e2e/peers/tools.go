package peers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// Require skips (or, in CI, fails) a test when one of the named programs is missing.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("RINGDESK_E2E_REQUIRE") != "" {
				t.Fatalf("%s is not installed (scripts/install-test-deps.sh installs it)", p)
			}
			t.Skipf("%s is not installed; run scripts/install-test-deps.sh", p)
		}
	}
}

// Test ports come from below the system's ephemeral range (32768 and up on Linux), where
// every outgoing connection and unbound UDP socket takes a random port: a window of 200 free
// ports in a row is then easy to find even while other programs hold thousands of sockets.
const (
	portLow  = 10000
	portHigh = 32000
)

var portMu sync.Mutex
var nextPort = portLow + os.Getpid()%1000*20

// Port returns a port free for both UDP and TCP on 127.0.0.1. Ports are handed out from a
// per-process starting point so that parallel test binaries rarely collide, and each is checked.
func Port(t testing.TB) int {
	t.Helper()
	return Ports(t, 1)
}

// Ports returns the first of n consecutive free ports (UDP and TCP), the first one even: an
// RTP range.
func Ports(t testing.TB, n int) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for tries := 0; tries < 4000; tries++ {
		base := nextPort
		if base%2 == 1 {
			base++
		}
		nextPort = base + n
		if nextPort > portHigh {
			nextPort, base = portLow, portLow
			nextPort = base + n
		}
		ok := true
		for p := base; p < base+n && ok; p++ {
			ok = free(p)
			if !ok {
				nextPort = p + 1 // skip past the port in use
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports on 127.0.0.1")
	return 0
}

func free(port int) bool {
	u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	u.Close()
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Tone writes an 8 kHz mono 16-bit WAV of a sine tone.
func Tone(t testing.TB, path string, hz, seconds int) {
	t.Helper()
	out, err := exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", path,
		"synth", strconv.Itoa(seconds), "sine", strconv.Itoa(hz), "vol", "0.5").CombinedOutput()
	if err != nil {
		t.Fatalf("sox tone: %v: %s", err, out)
	}
}

// Heard is what sox measures of a recording.
type Heard struct {
	RMS       float64 // RMS amplitude, 0..1: well above 0.01 means not silent
	Frequency float64 // sox's rough frequency: the dominant pitch
	Seconds   float64
}

var (
	rmsRe  = regexp.MustCompile(`RMS\s+amplitude:\s+([0-9.]+)`)
	freqRe = regexp.MustCompile(`Rough\s+frequency:\s+([0-9.]+)`)
	lenRe  = regexp.MustCompile(`Length \(seconds\):\s+([0-9.]+)`)
)

// Measure runs `sox FILE -n [trim START LEN] stat` and reads what was heard. start and length
// in seconds select a part (length 0: to the end).
func Measure(t testing.TB, path string, start, length float64) Heard {
	t.Helper()
	args := []string{path, "-n"}
	if start > 0 || length > 0 {
		args = append(args, "trim", strconv.FormatFloat(start, 'f', 2, 64))
		if length > 0 {
			args = append(args, strconv.FormatFloat(length, 'f', 2, 64))
		}
	}
	args = append(args, "stat")
	out, err := exec.Command("sox", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("sox stat %s: %v: %s", path, err, out)
	}
	var h Heard
	if m := rmsRe.FindSubmatch(out); m != nil {
		h.RMS, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := freqRe.FindSubmatch(out); m != nil {
		h.Frequency, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := lenRe.FindSubmatch(out); m != nil {
		h.Seconds, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	return h
}

// Near reports whether a measured frequency is within 10 % of want.
func Near(got, want float64) bool {
	return got > want*0.9 && got < want*1.1
}
