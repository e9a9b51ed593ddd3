package media

import (
	"testing"

	"ringdesk/internal/telephony"
	"ringdesk/internal/wav"
)

func TestBuiltinWAVIsPlayableAudio(t *testing.T) {
	for _, a := range []telephony.Audio{telephony.AudioHold, telephony.AudioHangup, AudioGreeting} {
		b, ok := BuiltinWAV(a)
		if !ok {
			t.Fatalf("%s: not built in", a)
		}
		w, err := wav.Decode(b)
		if err != nil || len(w.Samples) < rate {
			t.Fatalf("%s: %v, %d samples", a, err, len(w.Samples))
		}
	}
	if _, ok := BuiltinWAV("builtin:nothing"); ok {
		t.Fatal("an unknown name is built in")
	}
}
