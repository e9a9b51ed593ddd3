package media

import (
	"embed"
	"math"
	"sync"

	"ringdesk/internal/telephony"
	"ringdesk/internal/wav"
)

//go:embed prompts/*.wav
var promptFiles embed.FS

var silenceClip = &clip{samples: make([]int16, frameSamples)}

var (
	builtinOnce sync.Once
	builtins    map[telephony.Audio]*clip
)

// builtinClip returns the built-in audio a names, or nil.
func builtinClip(a telephony.Audio) *clip {
	builtinOnce.Do(func() {
		builtins = map[telephony.Audio]*clip{
			telephony.AudioSilence:  silenceClip,
			telephony.AudioHold:     {samples: holdMusic()},
			telephony.AudioRingback: {samples: ringback()},
		}
		for name, file := range map[telephony.Audio]string{"builtin:greeting": "prompts/greeting.wav", telephony.AudioHangup: "prompts/hangup.wav"} {
			b, err := promptFiles.ReadFile(file)
			if err != nil {
				panic(err) // embedded at build time
			}
			w, err := wav.Decode(b)
			if err != nil {
				panic(err)
			}
			builtins[name] = &clip{samples: w.Samples}
		}
	})
	return builtins[a]
}

// holdMusic is a gentle 24-second loop of plucked notes around E5 (659 Hz), with a quieter
// octave-and-fifth above: original, generated here. Its pitch centre lets tests tell hold
// audio from a caller's test tone.
func holdMusic() []int16 {
	const rate = 8000
	// notes of a bar in Hz, each half a second; most are E5, the others balance around it
	bar := []float64{659.25, 659.25, 493.88, 659.25, 830.61, 659.25, 659.25, 659.25}
	out := make([]int16, 0, 24*rate)
	for len(out) < 24*rate {
		for _, f := range bar {
			n := rate / 2
			for i := 0; i < n; i++ {
				t := float64(i) / rate
				env := math.Min(1, t/0.02) * math.Exp(-2.2*t) // quick attack, soft decay
				v := math.Sin(2*math.Pi*f*t) + 0.15*math.Sin(2*math.Pi*2*f*t)
				out = append(out, int16(7000*env*v))
			}
		}
	}
	return out
}

// ringback is the Korean ringback tone: 440 + 480 Hz, one second on, two off.
func ringback() []int16 {
	const rate = 8000
	out := make([]int16, 3*rate)
	for i := 0; i < rate; i++ {
		t := float64(i) / rate
		out[i] = int16(4000 * (math.Sin(2*math.Pi*440*t) + math.Sin(2*math.Pi*480*t)))
	}
	return out
}
