package media

import (
	"ringdesk/internal/telephony"
	"ringdesk/internal/wav"
)

// BuiltinWAV is the built-in audio a names (builtin:hold, builtin:hangup, builtin:greeting…)
// as an 8 kHz mono 16-bit WAV file, for people to listen to before choosing it (the admin
// screens' preview). It reports false for a name that is not built in.
func BuiltinWAV(a telephony.Audio) ([]byte, bool) {
	c := builtinClip(a)
	if c == nil {
		return nil, false
	}
	return wav.EncodePCM16(c.samples), true
}
