// Package wav reads and writes the WAV files Ringdesk plays to callers: 8 kHz mono, as 16-bit
// PCM, mu-law or A-law. It must not import anything but the standard library.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Format is a WAV sample encoding.
type Format uint16

const (
	FormatPCM  Format = 1
	FormatALaw Format = 6
	FormatULaw Format = 7
)

func (f Format) String() string {
	switch f {
	case FormatPCM:
		return "PCM"
	case FormatALaw:
		return "A-law"
	case FormatULaw:
		return "mu-law"
	}
	return fmt.Sprintf("format %d", uint16(f))
}

// Audio is a decoded prompt.
type Audio struct {
	Format   Format // as stored in the file
	Rate     int
	Channels int
	// Samples holds the samples as 16-bit linear PCM, whatever the file's format.
	Samples []int16
}

// ErrUnsupported is returned for a WAV file Ringdesk cannot play.
var ErrUnsupported = errors.New("unsupported audio")

// Decode parses a WAV file and checks that it is 8 kHz mono PCM16, mu-law or A-law.
func Decode(data []byte) (*Audio, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a WAV file (no RIFF/WAVE header)", ErrUnsupported)
	}
	var (
		fmtFound bool
		a        Audio
		bits     int
	)
	p := data[12:]
	for len(p) >= 8 {
		id := string(p[0:4])
		size := int(binary.LittleEndian.Uint32(p[4:8]))
		p = p[8:]
		if size < 0 || size > len(p) {
			if id == "data" { // tolerate a truncated or streaming-size data chunk
				size = len(p)
			} else {
				return nil, fmt.Errorf("%w: chunk %q runs past the end of the file", ErrUnsupported, id)
			}
		}
		body := p[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: fmt chunk too short", ErrUnsupported)
			}
			a.Format = Format(binary.LittleEndian.Uint16(body[0:2]))
			a.Channels = int(binary.LittleEndian.Uint16(body[2:4]))
			a.Rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits = int(binary.LittleEndian.Uint16(body[14:16]))
			if a.Format == 0xFFFE && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format decides
				a.Format = Format(binary.LittleEndian.Uint16(body[24:26]))
			}
			fmtFound = true
		case "data":
			if !fmtFound {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk", ErrUnsupported)
			}
			if err := check(&a, bits); err != nil {
				return nil, err
			}
			a.Samples = decodeSamples(a.Format, body)
			if len(a.Samples) == 0 {
				return nil, fmt.Errorf("%w: no audio samples", ErrUnsupported)
			}
			return &a, nil
		}
		p = p[size:]
		if size%2 == 1 && len(p) > 0 { // chunks are padded to even sizes
			p = p[1:]
		}
	}
	if !fmtFound {
		return nil, fmt.Errorf("%w: no fmt chunk", ErrUnsupported)
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrUnsupported)
}

func check(a *Audio, bits int) error {
	switch {
	case a.Format == FormatPCM && bits != 16:
		return fmt.Errorf("%w: PCM with %d bits per sample; want 16", ErrUnsupported, bits)
	case (a.Format == FormatULaw || a.Format == FormatALaw) && bits != 8:
		return fmt.Errorf("%w: %s with %d bits per sample; want 8", ErrUnsupported, a.Format, bits)
	case a.Format != FormatPCM && a.Format != FormatULaw && a.Format != FormatALaw:
		return fmt.Errorf("%w: %s; want 16-bit PCM, mu-law or A-law", ErrUnsupported, a.Format)
	case a.Rate != 8000:
		return fmt.Errorf("%w: %d Hz; want 8000 Hz", ErrUnsupported, a.Rate)
	case a.Channels != 1:
		return fmt.Errorf("%w: %d channels; want mono", ErrUnsupported, a.Channels)
	}
	return nil
}

func decodeSamples(f Format, body []byte) []int16 {
	switch f {
	case FormatPCM:
		out := make([]int16, len(body)/2)
		for i := range out {
			out[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
		}
		return out
	case FormatULaw:
		out := make([]int16, len(body))
		for i, b := range body {
			out[i] = ULawToLinear(b)
		}
		return out
	default:
		out := make([]int16, len(body))
		for i, b := range body {
			out[i] = ALawToLinear(b)
		}
		return out
	}
}

// EncodePCM16 writes 8 kHz mono 16-bit PCM samples as a WAV file.
func EncodePCM16(samples []int16) []byte {
	n := len(samples) * 2
	b := make([]byte, 44+n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], uint16(FormatPCM))
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	return b
}

// ULawToLinear decodes one G.711 mu-law byte.
func ULawToLinear(u byte) int16 {
	u = ^u
	t := (int(u&0x0F) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

// ALawToLinear decodes one G.711 A-law byte.
func ALawToLinear(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
