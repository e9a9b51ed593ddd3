package wav

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestRoundTripPCM16(t *testing.T) {
	in := []int16{0, 1000, -1000, 32767, -32768}
	a, err := Decode(EncodePCM16(in))
	if err != nil {
		t.Fatal(err)
	}
	if a.Format != FormatPCM || a.Rate != 8000 || a.Channels != 1 {
		t.Fatalf("got %v %d Hz %d ch, want PCM 8000 Hz mono", a.Format, a.Rate, a.Channels)
	}
	for i := range in {
		if a.Samples[i] != in[i] {
			t.Fatalf("sample %d: got %d, want %d", i, a.Samples[i], in[i])
		}
	}
}

func header(format, channels, rate, bits int, data []byte) []byte {
	b := EncodePCM16(nil)
	binary.LittleEndian.PutUint16(b[20:], uint16(format))
	binary.LittleEndian.PutUint16(b[22:], uint16(channels))
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint16(b[34:], uint16(bits))
	binary.LittleEndian.PutUint32(b[40:], uint32(len(data)))
	return append(b, data...)
}

func TestRefusals(t *testing.T) {
	cases := map[string][]byte{
		"empty":        nil,
		"not riff":     []byte("hello world, this is not audio"),
		"16 kHz":       header(1, 1, 16000, 16, make([]byte, 10)),
		"stereo":       header(1, 2, 8000, 16, make([]byte, 10)),
		"8-bit pcm":    header(1, 1, 8000, 8, make([]byte, 10)),
		"float":        header(3, 1, 8000, 32, make([]byte, 10)),
		"no samples":   header(1, 1, 8000, 16, nil),
		"fmt too long": append([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\x00\x00\x00"), make([]byte, 8)...),
	}
	for name, data := range cases {
		if _, err := Decode(data); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", name, err)
		}
	}
}

func TestG711Laws(t *testing.T) {
	ulaw := header(7, 1, 8000, 8, []byte{0xFF, 0x7F, 0x00, 0x80})
	a, err := Decode(ulaw)
	if err != nil {
		t.Fatal(err)
	}
	if a.Samples[0] != 0 || a.Samples[1] != 0 || a.Samples[2] != -32124 || a.Samples[3] != 32124 {
		t.Fatalf("mu-law decode: got %v", a.Samples)
	}
	alaw := header(6, 1, 8000, 8, []byte{0xD5, 0x55, 0xAA, 0x2A})
	a, err = Decode(alaw)
	if err != nil {
		t.Fatal(err)
	}
	if a.Samples[0] != 8 || a.Samples[1] != -8 || a.Samples[2] != 32256 || a.Samples[3] != -32256 {
		t.Fatalf("A-law decode: got %v", a.Samples)
	}
}
