package api

import (
	"testing"
)

// Every account can listen to the built-in prompts the admin screens offer, as WAV. (Fails
// before: only stored audio could be fetched; the preview of a built-in prompt was a 404.)
func TestBuiltinAudioCanBePreviewed(t *testing.T) {
	e := newEnv(t)
	e.stop()
	e.builtin = func(ref string) ([]byte, bool) {
		if ref == "builtin:hold" {
			return []byte("RIFF-hold"), true
		}
		return nil, false
	}
	e.start()
	kim := e.login("kim")
	status, body := kim.do("GET", "/api/v1/audio/builtin:hold", nil)
	if status != 200 || string(body) != "RIFF-hold" {
		t.Fatalf("builtin:hold: %d %q", status, body)
	}
	kim.fails("GET", "/api/v1/audio/builtin:nothing", nil, 404, "not_found")
}
