package recording

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// The file is a canonical 44-byte WAV header and the samples. Its two size fields are
// rewritten every second while the call goes on, so a process that dies mid-call leaves a
// file that plays up to its last second; Repair sets them from the file's real length.

const (
	headerLen    = 44
	sampleRate   = 8000
	channels     = 2
	bytesPerSec  = sampleRate * channels * 2
	frameBytes   = channels * 2 // one sample of each channel
	headerPeriod = bytesPerSec  // rewrite the sizes every second of audio
)

// header returns the WAV header for dataLen bytes of samples.
func header(dataLen uint32) [headerLen]byte {
	var h [headerLen]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataLen)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], channels)
	binary.LittleEndian.PutUint32(h[24:], sampleRate)
	binary.LittleEndian.PutUint32(h[28:], bytesPerSec)
	binary.LittleEndian.PutUint16(h[32:], frameBytes)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataLen)
	return h
}

// writeSizes sets the header's two size fields for dataLen bytes of samples.
func writeSizes(f *os.File, dataLen int64) error {
	h := header(uint32(dataLen))
	if _, err := f.WriteAt(h[4:8], 4); err != nil {
		return err
	}
	_, err := f.WriteAt(h[40:44], 40)
	return err
}

// Seconds is how long dataLen bytes of samples play.
func Seconds(dataLen int64) float64 { return float64(dataLen) / bytesPerSec }

// errNotOurs refuses to repair a file that is not one of our recordings.
var errNotOurs = errors.New("recording: not a recording's WAV file")

// Repair makes the header of the recording at path say how much it really holds, cutting off
// a half-written sample at its end, and returns that length in bytes of samples. A file a
// crash interrupted then plays to its end.
func Repair(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var h [headerLen]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0, fmt.Errorf("%w: %v", errNotOurs, err)
	}
	want := header(0)
	if string(h[0:4]) != "RIFF" || string(h[8:40]) != string(want[8:40]) {
		return 0, errNotOurs
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	data := (st.Size() - headerLen) / frameBytes * frameBytes
	if data < 0 {
		data = 0
	}
	if err := f.Truncate(headerLen + data); err != nil {
		return 0, err
	}
	if err := writeSizes(f, data); err != nil {
		return 0, err
	}
	return data, f.Sync()
}
