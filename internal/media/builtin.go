package media

import (
	"embed"
	"fmt"
	"math"
	"sync"

	"ringdesk/internal/telephony"
	"ringdesk/internal/wav"
)

// The spoken prompts are made by prompts/make.sh (espeak-ng and sox) and committed, so that a
// build needs neither tool. Both are ours: synthesised speech, no third-party recordings.
//
//go:embed prompts/*.wav
var promptFiles embed.FS

// AudioGreeting is the built-in greeting: "안녕하세요. 고객센터입니다. 잠시만 기다려 주십시오."
const AudioGreeting telephony.Audio = "builtin:greeting"

var (
	builtinOnce sync.Once
	builtins    map[telephony.Audio]*clip
)

// loadBuiltins makes the built-in audio once per process: hold music and ringback are
// synthesised, the spoken prompts decoded from the embedded files.
func loadBuiltins() {
	builtinOnce.Do(func() {
		builtins = map[telephony.Audio]*clip{
			telephony.AudioSilence:  newClip(make([]int16, frameSamples)),
			telephony.AudioHold:     newClip(holdMusic()),
			telephony.AudioRingback: newClip(ringback()),
		}
		for name, file := range map[telephony.Audio]string{
			AudioGreeting:         "prompts/greeting.wav",
			telephony.AudioHangup: "prompts/hangup.wav",
			// "통화 내용이 녹음됩니다", before a recorded conversation
			telephony.AudioRecording: "prompts/recording.wav",
		} {
			b, err := promptFiles.ReadFile(file)
			if err != nil {
				panic(fmt.Sprintf("media: embedded prompt %s: %v", file, err)) // a broken build
			}
			w, err := wav.Decode(b)
			if err != nil {
				panic(fmt.Sprintf("media: embedded prompt %s: %v", file, err))
			}
			builtins[name] = newClip(w.Samples)
		}
	})
}

// builtinClip returns the built-in audio a names, or nil.
func builtinClip(a telephony.Audio) *clip {
	loadBuiltins()
	return builtins[a]
}

const (
	rate     = 8000
	holdLoop = 24 // seconds
)

// holdMusic is our own hold music, synthesised here: a 24-second loop in E major. Over a soft
// bass and a slow arpeggio (E, C#m, A, B, six seconds each) rings a bell-like E5 (659.25 Hz)
// that swells on a gentle rhythm. The E5 is always the loudest voice, so the music's pitch
// reads as ~660 Hz in any second of it and a test can tell it from a 440 Hz caller.
//
// Everything is built on a circular buffer: every frequency makes a whole number of cycles in
// the loop and notes near the end ring on into its start, so the loop has no seam.
func holdMusic() []int16 {
	const n = holdLoop * rate
	buf := make([]float64, n)
	tone := func(f float64) float64 { return math.Round(f*holdLoop) / holdLoop } // whole cycles per loop

	// the bell: a steady E5 with a slightly detuned partner (a slow shimmer), swelling on
	// each strike and never fading below half
	e5 := tone(659.25)
	strikes := []float64{0, 1.5, 3, 4.5, 5.25}
	swell := make([]float64, n)
	for chord := 0; chord < 4; chord++ {
		for _, at := range strikes {
			pluck(swell, float64(chord)*6+at, 1, 0.02, 1.1, 4)
		}
	}
	for i := range buf {
		t := float64(i) / rate
		env := 0.55 + 0.45*math.Min(1, swell[i])
		buf[i] = env * (math.Sin(2*math.Pi*e5*t) + 0.25*math.Sin(2*math.Pi*(e5+0.5)*t) + 0.05*math.Sin(2*math.Pi*2*e5*t))
	}

	// the arpeggio and the bass under it
	chords := [4][3]float64{
		{329.63, 415.30, 493.88}, // E:   E4 G#4 B4
		{277.18, 329.63, 415.30}, // C#m: C#4 E4 G#4
		{220.00, 277.18, 329.63}, // A:   A3 C#4 E4
		{246.94, 311.13, 369.99}, // B:   B3 D#4 F#4
	}
	pattern := []int{0, 1, 2, 1, 0, 2, 1, 2, 0, 1, 2, 1}
	for c, notes := range chords {
		start := float64(c) * 6
		for k, idx := range pattern {
			at := start + float64(k)*0.5
			note(buf, at, tone(notes[idx]), 0.13, 0.01, 2.2, 2.5)
		}
		bass := tone(notes[0] / 4)
		note(buf, start, bass, 0.16, 0.8, 0.25, 6.4)
		note(buf, start, tone(notes[0]/2), 0.07, 0.8, 0.4, 6.4)
	}

	peak := 0.0
	for _, v := range buf {
		peak = math.Max(peak, math.Abs(v))
	}
	out := make([]int16, n)
	for i, v := range buf {
		out[i] = int16(math.Round(v / peak * 12000)) // about -9 dBFS: soft, and no clipping in G.711
	}
	return out
}

// note adds a sine of frequency f starting at second at: amplitude amp, an attack of attack
// seconds, then an exponential decay at rate decay per second, lasting length seconds. It
// wraps around the end of buf.
func note(buf []float64, at, f, amp, attack, decay, length float64) {
	start := int(at * rate)
	for i := 0; i < int(length*rate); i++ {
		t := float64(i) / rate
		env := math.Min(1, t/attack) * math.Exp(-decay*t)
		if end := length - t; end < 0.05 { // fade the tail out rather than cut it
			env *= end / 0.05
		}
		buf[(start+i)%len(buf)] += amp * env * math.Sin(2*math.Pi*f*t)
	}
}

// pluck adds an envelope alone (no tone) to env: used to swell the bell.
func pluck(env []float64, at, amp, attack, decay, length float64) {
	start := int(at * rate)
	for i := 0; i < int(length*rate); i++ {
		t := float64(i) / rate
		v := math.Min(1, t/attack) * math.Exp(-decay*t)
		if end := length - t; end < 0.05 {
			v *= end / 0.05
		}
		env[(start+i)%len(env)] += amp * v
	}
}

// ringback is the Korean ringback tone: 440 Hz and 480 Hz together, one second on and two
// off. Both make whole cycles in the second, so the tone starts and stops at zero: no click.
func ringback() []int16 {
	out := make([]int16, 3*rate)
	for i := 0; i < rate; i++ {
		t := float64(i) / rate
		out[i] = int16(4000 * (math.Sin(2*math.Pi*440*t) + math.Sin(2*math.Pi*480*t)))
	}
	return out
}
