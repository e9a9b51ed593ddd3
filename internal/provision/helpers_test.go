package provision

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
	"ringdesk/internal/wav"
)

var ctx = context.Background()

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ringdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// tone is n samples of a square-ish wave at level, as 8 kHz mono PCM16 WAV.
func tone(n int, level int16) []byte {
	s := make([]int16, n)
	for i := range s {
		if i/10%2 == 0 {
			s[i] = level
		} else {
			s[i] = -level
		}
	}
	return wav.EncodePCM16(s)
}

// wavOf builds a WAV file by hand, for formats EncodePCM16 does not write.
func wavOf(format uint16, rate, channels, bits int, data []byte) []byte {
	le := binary.LittleEndian
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, format)
	b = le.AppendUint16(b, uint16(channels))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*channels*bits/8))
	b = le.AppendUint16(b, uint16(channels*bits/8))
	b = le.AppendUint16(b, uint16(bits))
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	le.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// writeFiles creates files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// prompts are the audio files testdata/site.yaml names, generated rather than committed.
func prompts() map[string][]byte {
	ulaw := make([]byte, 4000)
	for i := range ulaw {
		ulaw[i] = byte(0x80 + i%16)
	}
	return map[string][]byte{
		"prompts/moh.wav":      tone(8000, 3000),
		"prompts/hangup.wav":   tone(4000, 6000),
		"prompts/welcome.wav":  tone(2000, 9000),
		"prompts/moh-ulaw.wav": wavOf(7, 8000, 1, 8, ulaw),
	}
}

// siteDir puts a site file and the prompts into a fresh folder, as an operator keeps them, and
// returns the file's path.
func siteDir(t *testing.T, yamlText string) string {
	t.Helper()
	dir := t.TempDir()
	files := prompts()
	files["site.yaml"] = []byte(yamlText)
	writeFiles(t, dir, files)
	return filepath.Join(dir, "site.yaml")
}

func example(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
