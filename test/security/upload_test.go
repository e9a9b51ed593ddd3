package security_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"ringdesk/internal/wav"
)

// rawPut sends only the head of a PUT with a body of length bytes and reads the status line:
// an answer before the body is sent proves the server decided without reading it.
func rawPut(t *testing.T, addr, path, token string, length int) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: audio/wav\r\nContent-Length: %d\r\n\r\n",
		path, addr, token, length)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "no answer before the body: " + err.Error()
	}
	return strings.TrimSpace(line)
}

// An agent who may not change the hold music uploads large files to it anyway.
//
// Fails on today's code: the body was read and stored before the role check, so each refused
// 9 MB upload grew the database by 9 MB (46 MB for five), and the server waited for the
// whole body before saying no.
func TestUploadsAreAuthorizedBeforeTheBodyIsRead(t *testing.T) {
	s := start(t)
	c := from("127.0.0.1")
	kim := login(t, c, s.Base, "kim", "kim-pw")
	boss := login(t, c, s.Base, "boss", "boss-pw")
	const path = "/api/v1/services/support/audio/hold"

	if got := rawPut(t, s.HTTP, path, kim, 9<<20); !strings.Contains(got, " 403 ") {
		t.Errorf("an agent's upload, head only: %q, want 403 before the body", got)
	}
	big := wav.EncodePCM16(make([]int16, 9<<19)) // 9 MiB of silence, a valid prompt
	before := dirSize(t, s.DataDir)
	for i := range 5 {
		big[len(big)-1] = byte(i) // five different files: stored audio is shared by content
		r, err := try(c, "PUT", s.Base+path, big, map[string]string{"Authorization": "Bearer " + kim, "Content-Type": "audio/wav"})
		if err == nil && r.Status != 403 {
			t.Fatalf("refused upload %d: %s", i, r)
		}
	}
	if grew := dirSize(t, s.DataDir) - before; grew > 1<<20 {
		t.Errorf("five refused uploads grew the database by %d MiB", grew>>20)
	}

	// the manager's oversized upload is refused from its length alone
	if got := rawPut(t, s.HTTP, path, boss, 11<<20); !strings.Contains(got, " 413 ") {
		t.Errorf("an oversized upload, head only: %q, want 413 before the body", got)
	}
	// and a chunked one that runs past the limit
	req, _ := http.NewRequest("PUT", s.Base+path, bytes.NewReader(append(big, make([]byte, 2<<20)...)))
	req.ContentLength = -1 // sent chunked: the size is known only by reading
	req.Header.Set("Authorization", "Bearer "+boss)
	if res, err := c.Do(req); err == nil {
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Errorf("a chunked upload past the limit: %d, want 413", res.StatusCode)
		}
	}

	// the manager's real prompt goes in and comes back
	prompt := wav.EncodePCM16(make([]int16, 8000))
	r := call(t, c, "PUT", s.Base+path+"?name=hold.wav", prompt, map[string]string{"Authorization": "Bearer " + boss, "Content-Type": "audio/wav"})
	if r.Status != 200 {
		t.Fatalf("the manager's upload: %s", r)
	}
	var svc struct {
		HoldAudio string `json:"hold_audio"`
	}
	json.Unmarshal(r.Body, &svc)
	got := call(t, c, "GET", s.Base+"/api/v1/audio/"+svc.HoldAudio, nil, bearer(boss))
	if got.Status != 200 || !bytes.Equal(got.Body, prompt) {
		t.Fatalf("the stored prompt %q: %d, %d bytes", svc.HoldAudio, got.Status, len(got.Body))
	}
}
