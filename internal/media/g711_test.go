package media

import (
	"math"
	"testing"

	"ringdesk/internal/wav"
)

// The decoders must give exactly the reconstruction levels of ITU-T G.711 (Tables 1 and 2),
// written here from the standard's formulas rather than from our bit twiddling.
func TestG711DecodeIsTheStandardsLevels(t *testing.T) {
	for c := 0; c < 256; c++ {
		u := ^byte(c)
		exp, man := int(u>>4&7), int(u&0x0F)
		want := 4 * (((2*man + 33) << exp) - 33) // μ-law, in 16-bit units (14-bit level × 4)
		if u&0x80 != 0 {
			want = -want
		}
		if got := int(ulawDecode[c]); got != want {
			t.Errorf("μ-law %#02x: got %d, want %d", c, got, want)
		}

		a := byte(c) ^ 0x55
		seg, aman := int(a>>4&7), int(a&0x0F)
		level := 2*aman + 1 // A-law, 13-bit level
		if seg > 0 {
			level = (2*aman + 33) << (seg - 1)
		}
		wantA := 8 * level
		if a&0x80 == 0 {
			wantA = -wantA
		}
		if got := int(alawDecode[c]); got != wantA {
			t.Errorf("A-law %#02x: got %d, want %d", c, got, wantA)
		}
		// the WAV reader decodes files with its own copy of the tables
		if wav.ULawToLinear(byte(c)) != ulawDecode[c] || wav.ALawToLinear(byte(c)) != alawDecode[c] {
			t.Errorf("%#02x: internal/wav decodes differently", c)
		}
	}
}

// The encoders must put each sample in the right decision interval: a code's level is the
// middle of its interval, so the error is at most half the step of the code's segment (up to
// the bits G.711 drops before quantising: 2 for μ-law's 14-bit input, 3 for A-law's 13-bit).
// Larger samples never get smaller codes; samples beyond the last interval get the last
// level.
func TestG711EncodeQuantisesToTheNearestLevel(t *testing.T) {
	for _, tc := range []struct {
		c        Codec
		table    *[256]int16
		halfStep func(code byte) int
		tol      int
	}{
		{PCMU, &ulawDecode, func(c byte) int { return 4 << (^c >> 4 & 7) }, 4},
		{PCMA, &alawDecode, func(c byte) int { return 8 << max(int((c^0x55)>>4&7)-1, 0) }, 8},
	} {
		top := 0
		for c := range 256 {
			top = max(top, int(tc.table[c])+tc.halfStep(byte(c)))
		}
		prev := math.MinInt
		for i := -32768; i < 32768; i++ {
			code := Encode(tc.c, nil, []int16{int16(i)})[0]
			y := int(tc.table[code])
			if y < prev {
				t.Fatalf("%s: %d decodes to %d, below %d for a smaller sample", tc.c.Name, i, y, prev)
			}
			prev = y
			if abs(i) >= top {
				continue // clipped
			}
			if d := abs(y - i); d > tc.halfStep(code)+tc.tol {
				t.Fatalf("%s: %d → %#02x → %d: off by %d, more than half its step", tc.c.Name, i, code, y, d)
			}
		}
	}
	if Encode(PCMU, nil, []int16{0})[0] != 0xFF || Encode(PCMA, nil, []int16{0})[0] != 0xD5 {
		t.Fatal("silence is not encoded as 0xFF (μ-law) and 0xD5 (A-law)")
	}
}

// The segmented codes follow the continuous companding laws of G.711 to within a code or two
// (the segments are a piecewise-linear approximation of the logarithm).
func TestG711FollowsTheCompandingLaws(t *testing.T) {
	const mu, A = 255.0, 87.6
	for i := 0; i < 32768; i += 3 {
		x := float64(i) / 32768
		wantU := 127 * math.Log(1+mu*x) / math.Log(1+mu)
		gotU := float64(^Encode(PCMU, nil, []int16{int16(i)})[0] & 0x7F)
		if math.Abs(gotU-wantU) > 2.5 {
			t.Fatalf("μ-law of %d: code %v, the law says %.1f", i, gotU, wantU)
		}
		var wantA float64
		if x < 1/A {
			wantA = 128 * A * x / (1 + math.Log(A))
		} else {
			wantA = 128 * (1 + math.Log(A*x)) / (1 + math.Log(A))
		}
		gotA := float64((Encode(PCMA, nil, []int16{int16(i)})[0] ^ 0xD5) & 0x7F)
		if math.Abs(gotA-wantA) > 2.5 {
			t.Fatalf("A-law of %d: code %v, the law says %.1f", i, gotA, wantA)
		}
	}
}

// A tone through G.711 keeps the signal-to-noise ratio the standard promises (about 38 dB for
// a loud signal); the bridge's transcoding loses little more.
func TestG711SignalToNoise(t *testing.T) {
	x := make([]int16, 8000)
	for i := range x {
		x[i] = int16(10000 * math.Sin(2*math.Pi*1004*float64(i)/8000))
	}
	snr := func(y []int16) float64 {
		var s, n float64
		for i := range x {
			s += float64(x[i]) * float64(x[i])
			d := float64(y[i]) - float64(x[i])
			n += d * d
		}
		return 10 * math.Log10(s/n)
	}
	for _, tc := range []struct {
		name string
		via  func([]int16) []int16
		min  float64
	}{
		{"PCMU", func(x []int16) []int16 { return Decode(PCMU, nil, Encode(PCMU, nil, x)) }, 35},
		{"PCMA", func(x []int16) []int16 { return Decode(PCMA, nil, Encode(PCMA, nil, x)) }, 35},
		{"PCMU→PCMA", func(x []int16) []int16 {
			b := Encode(PCMU, nil, x)
			transcode(PCMU, PCMA, b, b)
			return Decode(PCMA, nil, b)
		}, 32},
		{"PCMA→PCMU", func(x []int16) []int16 {
			b := Encode(PCMA, nil, x)
			transcode(PCMA, PCMU, b, b)
			return Decode(PCMU, nil, b)
		}, 32},
	} {
		if got := snr(tc.via(x)); got < tc.min {
			t.Errorf("%s: SNR %.1f dB, want at least %.0f", tc.name, got, tc.min)
		}
	}
}

// The direct transcoding tables are the trip through linear, and going there and back moves
// a sample by at most one step of the coarser law.
func TestG711TranscodingTables(t *testing.T) {
	for c := 0; c < 256; c++ {
		if ulawToAlaw[c] != alawEncode[uint16(ulawDecode[c])] {
			t.Errorf("μ→A %#02x: %#02x, want %#02x", c, ulawToAlaw[c], alawEncode[uint16(ulawDecode[c])])
		}
		if alawToUlaw[c] != ulawEncode[uint16(alawDecode[c])] {
			t.Errorf("A→μ %#02x: %#02x, want %#02x", c, alawToUlaw[c], ulawEncode[uint16(alawDecode[c])])
		}
		x := int(ulawDecode[c])
		back := int(ulawDecode[alawToUlaw[ulawToAlaw[c]]])
		if d := abs(back - x); d > 2*stepAround(x) {
			t.Errorf("μ %#02x (%d) → A → μ = %d: off by %d", c, x, back, d)
		}
		xa := int(alawDecode[c])
		backA := int(alawDecode[ulawToAlaw[alawToUlaw[c]]])
		if d := abs(backA - xa); d > 2*stepAround(xa) {
			t.Errorf("A %#02x (%d) → μ → A = %d: off by %d", c, xa, backA, d)
		}
	}
	// μ-law has a zero level, A-law's smallest is ±8: silence stays (next to) silence
	if ulawToAlaw[0xFF] != 0xD5 || abs(int(ulawDecode[alawToUlaw[0xD5]])) > 8 {
		t.Error("silence does not stay silence across laws")
	}
	// in place, as the receive path uses it
	b := []byte{0xFF, 0x00, 0x80, 0x7F}
	want := []byte{ulawToAlaw[0xFF], ulawToAlaw[0x00], ulawToAlaw[0x80], ulawToAlaw[0x7F]}
	transcode(PCMU, PCMA, b, b)
	if string(b) != string(want) {
		t.Errorf("in place: %x, want %x", b, want)
	}
}

// stepAround is the larger of the two laws' quantisation steps near x (16-bit units).
func stepAround(x int) int {
	m := abs(x)
	step := 16
	for lim := 512; lim <= 32768 && m >= lim; lim <<= 1 {
		step <<= 1
	}
	return max(step, 16)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
