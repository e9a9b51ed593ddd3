package api

import (
	"errors"
	"net/http/httptest"
	"testing"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
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

// brokenPipe is a response whose connection the listener closed after the headers went out.
type brokenPipe struct{ httptest.ResponseRecorder }

func (b *brokenPipe) Write([]byte) (int, error) { return 0, errors.New("write: broken pipe") }

// A listener who stops a preview closes the connection mid-body. That is not a failed request:
// the status is already sent. (Fails before: the write error came back from the handler, which
// logged "request failed" and tried to write a JSON error over the audio.)
func TestPreviewClosedMidBodyIsNotAFailure(t *testing.T) {
	e := newEnv(t)
	e.stop()
	e.builtin = func(ref string) ([]byte, bool) { return []byte("RIFF-hold"), ref == "builtin:hold" }
	e.start()
	r := httptest.NewRequest("GET", "/api/v1/audio/builtin:hold", nil)
	r.SetPathValue("ref", "builtin:hold")
	w := &brokenPipe{*httptest.NewRecorder()}
	if err := e.api.getAudio(w, r, &auth.Principal{Login: "kim", Role: site.RoleAgent, Services: []string{"support"}}); err != nil {
		t.Fatalf("a preview the listener closed is reported as %v", err)
	}
}
