package peers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Phone is a headless baresip softphone controlled over its ctrl_tcp socket.
type Phone struct {
	t    testing.TB
	Dir  string
	SIP  int // local SIP port
	cmd  *exec.Cmd
	conn net.Conn

	mu      sync.Mutex
	events  []Event
	changed chan struct{}
	replies chan reply
	token   int
}

// PhoneConfig says how a phone is set up.
type PhoneConfig struct {
	// Source is what the phone sends: "sine:440" for a tone, or a WAV path (8 kHz mono; it
	// must be longer than the call, baresip hangs up when it ends).
	Source string
	// Account is baresip's account line without the address, e.g.
	// ";auth_pass=secret;regint=60;answermode=auto;audio_codecs=PCMU".
	Account string
	// AOR is the account's address, e.g. "sip:1001@127.0.0.1:5060". Empty: a local
	// sip:phone@127.0.0.1:<port> with no registrar.
	AOR string
	// Config is more lines for baresip's config, e.g. "sip_cafile /path/ca.pem" for a phone
	// that registers over TLS.
	Config string
	// Trace writes every SIP message the phone sends and receives to its log (baresip -s).
	Trace bool
}

// Event is one baresip event.
type Event struct {
	Type      string `json:"type"`
	Class     string `json:"class"`
	Param     string `json:"param"`
	PeerURI   string `json:"peeruri"`
	ID        string `json:"id"`
	Direction string `json:"direction"`
	At        time.Time
}

type reply struct {
	OK    bool   `json:"ok"`
	Data  string `json:"data"`
	Token string `json:"token"`
}

// StartPhone writes a config and runs baresip until the test ends.
func StartPhone(t testing.TB, cfg PhoneConfig) *Phone {
	t.Helper()
	Require(t, "baresip")
	dir := t.TempDir()
	sip := Port(t)
	ctrl := Port(t)
	rtp := Ports(t, 40)
	source, srate, chans := "aufile,"+cfg.Source, 8000, 1
	if len(cfg.Source) > 5 && cfg.Source[:5] == "sine:" {
		source, srate, chans = "ausine,"+cfg.Source[5:], 48000, 2
	}
	conf := fmt.Sprintf(`poll_method		epoll
sip_listen		127.0.0.1:%d
net_interface		127.0.0.1
call_local_timeout	120
call_max_calls		4
audio_player		alsa,null
audio_alert		alsa,null
audio_source		%s
ausrc_srate		%d
ausrc_channels		%d
auplay_srate		8000
auplay_channels		1
rtp_ports		%d-%d
jitter_buffer_delay	5-10
module_path		/usr/lib/baresip/modules
module			g711.so
module			alsa.so
module			aufile.so
module			ausine.so
module			sndfile.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:%d
snd_path		%s
%s
`, sip, source, srate, chans, rtp, rtp+39, ctrl, filepath.Join(dir, "rec"), cfg.Config)
	aor := cfg.AOR
	if aor == "" {
		aor = fmt.Sprintf("sip:phone@127.0.0.1:%d", sip)
	}
	must(t, os.MkdirAll(filepath.Join(dir, "rec"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "accounts"), []byte("<"+aor+">"+cfg.Account+"\n"), 0o644))
	log, err := os.Create(filepath.Join(dir, "log"))
	must(t, err)
	p := &Phone{t: t, Dir: dir, SIP: sip, changed: make(chan struct{}), replies: make(chan reply, 16)}
	args := []string{"-f", dir}
	if cfg.Trace {
		args = append(args, "-s")
	}
	p.cmd = exec.Command("baresip", args...)
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = nil, log, log
	must(t, p.cmd.Start())
	t.Cleanup(func() {
		if p.conn != nil {
			p.conn.Close()
		}
		p.cmd.Process.Kill()
		p.cmd.Wait()
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Logf("baresip log (%s):\n%s", aor, tail(b, 4000))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ctrl))
		if err == nil {
			p.conn = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip did not open its control port: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	go p.read()
	return p
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// read splits the control stream into netstrings: events and command replies.
func (p *Phone) read() {
	r := bufio.NewReader(p.conn)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(lenStr[:len(lenStr)-1])
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		if m["response"] == true {
			var rp reply
			json.Unmarshal(buf[:n], &rp)
			select {
			case p.replies <- rp:
			default:
			}
			continue
		}
		var ev Event
		json.Unmarshal(buf[:n], &ev)
		ev.At = time.Now()
		p.mu.Lock()
		p.events = append(p.events, ev)
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
}

// Do sends a command (e.g. "dial", "sip:100@127.0.0.1:5060") and returns its reply data.
func (p *Phone) Do(command, params string) (string, error) {
	p.mu.Lock()
	p.token++
	tok := strconv.Itoa(p.token)
	p.mu.Unlock()
	msg, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": tok})
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d:%s,", len(msg), msg)
	if _, err := p.conn.Write(b.Bytes()); err != nil {
		return "", err
	}
	select {
	case rp := <-p.replies:
		if !rp.OK {
			return rp.Data, fmt.Errorf("baresip %s %s: %s", command, params, rp.Data)
		}
		return rp.Data, nil
	case <-time.After(5 * time.Second):
		return "", fmt.Errorf("baresip %s: no reply", command)
	}
}

// MustDo is Do that fails the test on error.
func (p *Phone) MustDo(command, params string) string {
	p.t.Helper()
	out, err := p.Do(command, params)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// Wait waits for the next event of a type that arrives after `after` events were seen (use
// Seen() to mark), returning it.
func (p *Phone) Wait(typ string, after int, timeout time.Duration) Event {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for i := after; i < len(p.events); i++ {
			if p.events[i].Type == typ {
				ev := p.events[i]
				p.mu.Unlock()
				return ev
			}
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			p.t.Fatalf("phone %s: no %s within %v; events: %v", p.Dir, typ, timeout, p.Types())
		}
	}
}

// Events returns a copy of the events that have arrived so far, in order.
func (p *Phone) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// Seen returns how many events have arrived so far.
func (p *Phone) Seen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events)
}

// Types lists the event types seen, in order.
func (p *Phone) Types() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.events {
		out = append(out, e.Type)
	}
	return out
}

// WaitRegistered waits until the phone's account is registered (asked with reginfo: the
// REGISTER_OK event may come before the control connection does).
func (p *Phone) WaitRegistered(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, _ := p.Do("reginfo", "")
		if strings.Contains(out, "OK") {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("phone %s did not register: %q", p.Dir, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// RegisterFailed waits until the phone's registration has failed.
func (p *Phone) RegisterFailed(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, _ := p.Do("reginfo", "")
		if strings.Contains(out, "OK") {
			return false
		}
		if strings.Contains(out, "ERR") {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// Log is what the phone has written to its log so far.
func (p *Phone) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "log"))
	return string(b)
}

// Recordings returns the WAV files of what the phone heard (received audio), oldest first.
func (p *Phone) Recordings() []string {
	files, _ := filepath.Glob(filepath.Join(p.Dir, "rec", "dump-*-dec.wav"))
	sort.Strings(files)
	return files
}
