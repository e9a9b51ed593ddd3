package siptest

import (
	"fmt"
	"math"
)

// Heard is what a party heard during a window: how much audio, its dominant frequency and
// its level.
type Heard struct {
	Samples   int
	Frequency float64 // dominant frequency, Hz (0 when too little was heard)
	Level     float64 // RMS, 0..1 of full scale
}

// String describes what was heard, for test failures.
func (h Heard) String() string {
	return fmt.Sprintf("%.0f Hz at level %.3f over %d samples", h.Frequency, h.Level, h.Samples)
}

// Near reports whether f is within 5 % of want.
func Near(f, want float64) bool { return f > want*0.95 && f < want*1.05 }

// Is reports whether the party heard a tone of hz, loud enough to be more than comfort noise.
func (h Heard) Is(hz float64) bool { return Near(h.Frequency, hz) && h.Level >= 0.02 }

// Silent reports whether the party heard nothing audible (no packets, or near-silence).
func (h Heard) Silent() bool { return h.Level < 0.005 }

// minSamples is the least audio a measurement is made of: 50 ms.
const minSamples = 400

// measure finds the level and the dominant frequency of x. The frequency is the Goertzel
// filter bank's strongest bin from 100 Hz to 3.4 kHz in 10 Hz steps, refined to 1 Hz around
// it: a single filter per candidate is cheap for the few seconds a test listens, and unlike
// counting zero crossings it is not fooled by a quieter second voice or by noise.
func measure(x []int16) Heard {
	h := Heard{Samples: len(x)}
	if len(x) < minSamples {
		return h
	}
	var sum float64
	for _, v := range x {
		f := float64(v) / 32768
		sum += f * f
	}
	h.Level = math.Sqrt(sum / float64(len(x)))
	if h.Level < 1e-4 {
		return h
	}
	best, bestP := 0.0, -1.0
	scan := func(from, to, step float64) {
		for f := from; f <= to; f += step {
			if p := goertzel(x, f); p > bestP {
				best, bestP = f, p
			}
		}
	}
	scan(100, 3400, 10)
	scan(best-10, best+10, 1)
	h.Frequency = best
	return h
}

// goertzel is the power of x at frequency f (8 kHz sampling).
func goertzel(x []int16, f float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*f/8000)
	var s1, s2 float64
	for _, v := range x {
		s := float64(v) + coeff*s1 - s2
		s2, s1 = s1, s
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}
