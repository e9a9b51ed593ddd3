package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"ringdesk/internal/store"
	"ringdesk/internal/wav"
)

// stalledBody sends a little of an upload and then nothing until released, as a client on a
// slow line would: a server that answers meanwhile decided without the body.
type stalledBody struct {
	first   io.Reader
	release chan struct{}
}

func (b *stalledBody) Read(p []byte) (int, error) {
	if n, err := b.first.Read(p); err != io.EOF {
		return n, err
	}
	<-b.release
	return 0, io.ErrUnexpectedEOF
}

// uploadStalled declares length bytes, sends 64 KiB of them, and waits up to five seconds for
// the answer (-1: none came).
func (c *client) uploadStalled(path string, length int64) int {
	c.e.t.Helper()
	body := &stalledBody{first: bytes.NewReader(make([]byte, 64<<10)), release: make(chan struct{})}
	defer close(body.release)
	req, _ := http.NewRequest("PUT", c.e.srv.URL+path, body)
	req.ContentLength = length
	req.Header.Set("Authorization", "Bearer "+c.token)
	type answer struct {
		code int
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- answer{-1, err}
			return
		}
		res.Body.Close()
		got <- answer{res.StatusCode, nil}
	}()
	select {
	case a := <-got:
		return a.code
	case <-time.After(5 * time.Second):
		return -1
	}
}

func (c *client) upload(path string, body []byte, chunked bool) int {
	c.e.t.Helper()
	req, _ := http.NewRequest("PUT", c.e.srv.URL+path, bytes.NewReader(body))
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "audio/wav")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Who may upload, where and how much is settled before the body is read.
//
// Fails before issue 9: an agent's refused upload was read whole and stored, then refused.
func TestAudioUploadIsAuthorizedFirst(t *testing.T) {
	e := newEnv(t)
	kim, boss := e.login("kim"), e.login("boss")
	const hold = "/api/v1/services/support/audio/hold"
	for _, c := range []struct {
		who    *client
		path   string
		length int64
		want   int
	}{
		{kim, hold, 8 << 20, 403},                                    // an agent
		{boss, "/api/v1/services/sales/audio/hold", 8 << 20, 403},    // another service's manager
		{boss, "/api/v1/services/nowhere/audio/hold", 8 << 20, 403},  // no such service
		{boss, "/api/v1/services/support/audio/music", 8 << 20, 404}, // no such kind
		{boss, hold, maxAudio + 1, 413},                              // too large by its own account
	} {
		if got := c.who.uploadStalled(c.path, c.length); got != c.want {
			t.Errorf("%s PUT %s (%d bytes, 64 KiB sent): %d, want %d before the body", c.who.login, c.path, c.length, got, c.want)
		}
	}
	// nothing refused was stored
	big := wav.EncodePCM16(make([]int16, 1<<20))
	if got := kim.upload(hold, big, false); got != 403 {
		t.Fatalf("an agent's whole upload: %d", got)
	}
	sum := sha256.Sum256(big)
	if _, err := e.st.Audio().Get(t.Context(), "sha256:"+hex.EncodeToString(sum[:])); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused upload was stored: %v", err)
	}
	// found too large on the way; then the manager's real uploads
	if got := boss.upload(hold, make([]byte, maxAudio+100), true); got != 413 {
		t.Fatalf("chunked past the limit: %d, want 413", got)
	}
	if got := boss.upload(hold, big, true); got != 200 {
		t.Fatalf("the manager's chunked upload: %d", got)
	}
	if got := boss.upload("/api/v1/services/support/audio/hangup", big, false); got != 200 {
		t.Fatalf("the manager's upload: %d", got)
	}
	if _, err := e.st.Audio().Get(t.Context(), "sha256:"+hex.EncodeToString(sum[:])); err != nil {
		t.Fatalf("the manager's upload was not stored: %v", err)
	}
}

func TestReadLimitedNeverHoldsMoreThanTheLimit(t *testing.T) {
	const limit = 100_000
	for _, c := range []struct {
		size, declared int64
		err            bool
	}{
		{0, 0, false}, {10, 10, false}, {limit, limit, false}, {limit, -1, false}, {70_000, -1, false},
		{limit + 1, -1, true}, {limit * 3, -1, true},
	} {
		data := bytes.Repeat([]byte{7}, int(c.size))
		got, err := readLimited(http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(data)), limit), c.declared, limit)
		var big *http.MaxBytesError
		if c.err {
			if !errors.As(err, &big) {
				t.Errorf("%d bytes: %v, want MaxBytesError", c.size, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes (declared %d): %d back, %v", c.size, c.declared, len(got), err)
		}
		if cap(got) > limit+1 {
			t.Errorf("%d bytes: a buffer of %d", c.size, cap(got))
		}
	}
}
