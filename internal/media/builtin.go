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

// holdMusic is a gentle 24-second loop, original and generated here: plucked E5 notes (659 Hz)
// in a slow rhythm over a soft E4 and B4 pad, with a quiet harmony a fifth above on every
// other note. Its pitch stays centred on E5 in any second of it, so tests can tell hold audio
// from a caller's test tone.
func holdMusic() []int16 {
	const rate = 8000
	const e5, b5, e4, b4 = 659.25, 987.77, 329.63, 493.88
	durations := []float64{0.75, 0.25, 0.5, 0.5, 1.0, 0.5, 0.5} // a bar of four seconds
	out := make([]int16, 0, 24*rate)
	n := 0
	for bar := 0; len(out) < 24*rate; bar++ {
		for k, d := range durations {
			for i := 0; i < int(d*rate); i++ {
				t := float64(i) / rate
				env := math.Min(1, t/0.015) * math.Exp(-1.8*t) // pluck: quick attack, soft decay
				v := math.Sin(2*math.Pi*e5*t) + 0.12*math.Sin(2*math.Pi*2*e5*t)
				if k%2 == 1 {
					v += 0.18 * math.Sin(2*math.Pi*b5*t)
				}
				g := float64(n) / rate
				pad := 0.08*math.Sin(2*math.Pi*e4*g) + 0.05*math.Sin(2*math.Pi*b4*g)
				out = append(out, int16(7000*(0.35+0.65*env)*v+7000*pad))
				n++
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
