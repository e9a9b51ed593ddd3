package peers

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Linphone is a headless linphonec (Debian's linphone-nogtk, liblinphone 5.1): a third
// independent SIP stack for the suite, a desk phone that registers with digest, answers by
// itself, plays a WAV file into its calls and records what it hears to another, holds with
// a re-INVITE (a=sendonly) and, like many desk phones, hangs up after NoRTPTimeout without
// RTP. It is driven through its standard input, one command a line, and its standard output
// is read for what happens.
type Linphone struct {
	t     testing.TB
	Dir   string
	SIP   int
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu      sync.Mutex
	lines   []Line
	changed chan struct{}
	done    chan struct{}
}

// Line is one line linphonec printed, with when it came.
type Line struct {
	Text string
	At   time.Time
}

// LinphoneConfig says how a linphone phone is set up.
type LinphoneConfig struct {
	Extension, Password string
	// Registrar is where it registers (host:port): Ringdesk, or a proxy in front of it.
	Registrar string
	// Domain is the host of its identity (sip:EXT@Domain); the registrar's host when empty.
	Domain string
	// Play is the WAV (8 kHz mono) it sends in every call; Record where it writes what it
	// hears in the current call.
	Play, Record string
	// NoRTPTimeout is how long it waits for RTP before hanging up: 30 s (its default) when 0.
	NoRTPTimeout int
}

// StartLinphone writes a configuration and runs linphonec until the test ends.
func StartLinphone(t testing.TB, cfg LinphoneConfig) *Linphone {
	t.Helper()
	Require(t, "linphonec")
	dir := t.TempDir()
	sip, rtp := Port(t), Ports(t, 12)
	if cfg.NoRTPTimeout == 0 {
		cfg.NoRTPTimeout = 30
	}
	domain := cfg.Domain
	if domain == "" {
		domain, _, _ = strings.Cut(cfg.Registrar, ":")
	}
	// no TCP nor TLS listener, a fixed UDP port, no video, no echo canceller; the proxy
	// registers the one account; G.711 only, as our trunks and phones speak
	conf := fmt.Sprintf(`[sip]
sip_port=%d
sip_tcp_port=0
sip_tls_port=0
sip_random_port=0
default_proxy=0
use_ipv6=0
use_rfc2833=1
media_encryption=none
contact="%s" <sip:%s@127.0.0.1>
auto_send_ringing=1
inc_timeout=60
in_call_timeout=0
register_only_when_network_is_up=0
ping_with_options=0

[rtp]
audio_rtp_port=%d-%d
nortp_timeout=%d

[sound]
echocancellation=0

[video]
enabled=0
capture=0
display=0

[proxy_0]
reg_proxy=<sip:%s>
reg_identity="%s" <sip:%s@%s>
reg_expires=600
reg_sendregister=1
publish=0
avpf=0

[auth_info_0]
username=%s
userid=%s
passwd=%s
domain=%s

[audio_codec_0]
mime=PCMU
rate=8000
channels=1
enabled=1

[audio_codec_1]
mime=PCMA
rate=8000
channels=1
enabled=1
`, sip, cfg.Extension, cfg.Extension, rtp, rtp+10, cfg.NoRTPTimeout, cfg.Registrar, cfg.Extension, cfg.Extension, domain,
		cfg.Extension, cfg.Extension, cfg.Password, domain)
	must(t, os.MkdirAll(filepath.Join(dir, "home", ".local", "share", "linphone"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "linphonerc"), []byte(conf), 0o644))
	l := &Linphone{t: t, Dir: dir, SIP: sip, changed: make(chan struct{}), done: make(chan struct{})}
	l.cmd = exec.Command("linphonec", "-c", filepath.Join(dir, "linphonerc"), "-a", "-d", "6", "-l", filepath.Join(dir, "linphone.log"))
	l.cmd.Env = append(os.Environ(), "HOME="+filepath.Join(dir, "home"))
	var err error
	l.stdin, err = l.cmd.StdinPipe()
	must(t, err)
	out, err := l.cmd.StdoutPipe()
	must(t, err)
	l.cmd.Stderr = l.cmd.Stdout
	must(t, l.cmd.Start())
	go l.read(out)
	t.Cleanup(func() {
		io.WriteString(l.stdin, "quit\n")
		select {
		case <-l.done:
		case <-time.After(5 * time.Second):
			l.cmd.Process.Kill()
		}
		l.cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "linphone.log"))
			t.Logf("linphonec output (%s):\n%s\nlog tail:\n%s", cfg.Extension, l.Output(), tail(b, 3000))
		}
	})
	// file audio instead of a sound card: what it sends, and where what it hears goes
	l.Do("soundcard use files")
	if cfg.Play != "" {
		l.Do("play " + cfg.Play)
	}
	if cfg.Record != "" {
		l.Do("record " + cfg.Record)
	}
	return l
}

func (l *Linphone) read(r io.Reader) {
	defer close(l.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		// the prompt is printed before output, without a newline
		text := strings.TrimSpace(strings.ReplaceAll(sc.Text(), "linphonec>", ""))
		if text == "" {
			continue
		}
		l.mu.Lock()
		l.lines = append(l.lines, Line{Text: text, At: time.Now()})
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
}

// Do sends a command line (e.g. "pause", "terminate").
func (l *Linphone) Do(command string) {
	l.t.Helper()
	if _, err := io.WriteString(l.stdin, command+"\n"); err != nil {
		l.t.Fatalf("linphonec %q: %v", command, err)
	}
}

// Seen is how many lines have been printed so far: Wait looks after a mark.
func (l *Linphone) Seen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// Wait waits for a line printed after the first `after` that contains all of the words
// (case-insensitively), and returns it.
func (l *Linphone) Wait(after int, timeout time.Duration, words ...string) Line {
	l.t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for i := after; i < len(l.lines); i++ {
			if containsAll(l.lines[i].Text, words) {
				line := l.lines[i]
				l.mu.Unlock()
				return line
			}
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			l.t.Fatalf("linphone %s: no line with %q within %v; output:\n%s", l.Dir, words, timeout, l.Output())
		}
	}
}

// Has reports whether a line after the first `after` contains all of the words.
func (l *Linphone) Has(after int, words ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := after; i < len(l.lines); i++ {
		if containsAll(l.lines[i].Text, words) {
			return true
		}
	}
	return false
}

func containsAll(s string, words []string) bool {
	s = strings.ToLower(s)
	for _, w := range words {
		if !strings.Contains(s, strings.ToLower(w)) {
			return false
		}
	}
	return true
}

// WaitRegistered waits until its account is registered.
func (l *Linphone) WaitRegistered(timeout time.Duration) {
	l.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		mark := l.Seen()
		l.Do("status register")
		line := l.Wait(mark, 5*time.Second, "registered")
		if strings.HasPrefix(strings.ToLower(line.Text), "registered,") {
			return
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("linphone %s did not register: %q", l.Dir, line.Text)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Output is everything printed so far.
func (l *Linphone) Output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, x := range l.lines {
		fmt.Fprintf(&b, "%s %s\n", x.At.Format("15:04:05.000"), x.Text)
	}
	return b.String()
}

// Log is liblinphone's own log so far.
func (l *Linphone) Log() string {
	b, _ := os.ReadFile(filepath.Join(l.Dir, "linphone.log"))
	return string(b)
}
