package peers

import (
	"fmt"
	"testing"
	"time"
)

// TestPhonesHearEachOther checks the harness itself: two baresip phones call each other
// directly, each sending its own tone, and each recording holds the other's tone.
func TestPhonesHearEachOther(t *testing.T) {
	Require(t, "baresip", "sox")
	alice := StartPhone(t, PhoneConfig{Source: "sine:440", Account: ";regint=0;answermode=auto;audio_codecs=PCMU,PCMA"})
	bob := StartPhone(t, PhoneConfig{Source: "sine:880", Account: ";regint=0;answermode=auto;audio_codecs=PCMA"})
	mark := alice.Seen()
	alice.MustDo("dial", fmt.Sprintf("sip:phone@127.0.0.1:%d", bob.SIP))
	alice.Wait("CALL_ESTABLISHED", mark, 10*time.Second)
	time.Sleep(3 * time.Second)
	alice.MustDo("hangup", "")
	alice.Wait("CALL_CLOSED", mark, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	a, b := alice.Recordings(), bob.Recordings()
	if len(a) == 0 || len(b) == 0 {
		t.Fatalf("recordings: alice %v bob %v", a, b)
	}
	ha, hb := Measure(t, a[0], 0.5, 0), Measure(t, b[0], 0.5, 0)
	if !Near(ha.Frequency, 880) || ha.RMS < 0.05 {
		t.Errorf("alice heard %+v, want ~880 Hz", ha)
	}
	if !Near(hb.Frequency, 440) || hb.RMS < 0.05 {
		t.Errorf("bob heard %+v, want ~440 Hz", hb)
	}
}
