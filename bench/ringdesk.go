package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
)

var binaryOnce sync.Once
var binaryPath string
var binaryErr error

// ringdeskBinary builds the server once per bench run (without the race detector).
func ringdeskBinary() (string, error) {
	binaryOnce.Do(func() {
		dir, _ := os.MkdirTemp("", "ringdesk-bench-bin")
		binaryPath = filepath.Join(dir, "ringdesk")
		out, err := exec.Command("go", "build", "-o", binaryPath, "ringdesk/cmd/ringdesk").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	return binaryPath, binaryErr
}

func freePort() int {
	for {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			continue
		}
		p := u.LocalAddr().(*net.UDPAddr).Port
		u.Close()
		if l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			return p
		}
	}
}

// benchSite is one service whose queue 100 (DID 0200000100) has every agent; agents accept
// offers by themselves and return to 대기 one second after a call.
func benchSite(agents int) *site.Site {
	s := &site.Site{Services: []site.Service{{ID: "support", Name: "support", CTI: true, RecallSeconds: 30, NoAnswer: site.NoAnswerReady,
		AfterCallSeconds: 1,
		Numbers:          []site.Number{{Number: "0200000100", Queue: "100", Greeting: "none"}},
		Queues:           []site.Queue{{Number: "100", Strategy: site.StrategyLongestIdle}}}},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: 5999, Allow: []string{"127.0.0.1/32"}, Prefix: "9"}}}
	for i := 0; i < agents; i++ {
		ext := strconv.Itoa(20000 + i)
		login := "a" + ext
		s.Agents = append(s.Agents, site.Agent{Login: login, Role: site.RoleAgent, Services: []string{"support"}, Extension: ext,
			Phone: site.PhoneSIP, AutoAccept: true, SIPHA1: auth.SIPHA1(ext, "pw"), SIPHA1SHA256: auth.SIPHA1SHA256(ext, "pw"), PasswordHash: "x"})
		s.Services[0].Queues[0].Members = append(s.Services[0].Queues[0].Members, login)
	}
	return s
}

// proc is a ringdesk server process.
type proc struct {
	cmd    *exec.Cmd
	dir    string
	base   string
	sip    string
	tokens map[string]string // login → bearer token
	pprof  string            // the profiler's address
	log    *bytes.Buffer
	done   chan struct{}
}

// startRingdesk prepares the database (site, and a session for every agent, so that no
// password hashing slows the set-up) and runs `ringdesk serve`.
func startRingdesk(s *site.Site, rtpLo, rtpHi int, env ...string) (*proc, error) {
	bin, err := ringdeskBinary()
	if err != nil {
		return nil, err
	}
	dir, _ := os.MkdirTemp("", "ringdesk-bench-srv")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "ringdesk.db"))
	if err != nil {
		return nil, err
	}
	if err := st.Site().Save(ctx, s); err != nil {
		return nil, err
	}
	p := &proc{dir: dir, tokens: map[string]string{}, log: &bytes.Buffer{}, done: make(chan struct{})}
	err = st.InTx(ctx, func(tx store.Store) error {
		for _, a := range s.Agents {
			tok, hash, _ := auth.NewToken()
			p.tokens[a.Login] = tok
			if err := tx.Sessions().Create(ctx, store.Session{TokenHash: hash, Login: a.Login, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(24 * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		return nil, err
	}
	httpPort, sipPort := freePort(), freePort()
	p.pprof = fmt.Sprintf("127.0.0.1:%d", freePort())
	p.base = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	p.sip = fmt.Sprintf("127.0.0.1:%d", sipPort)
	p.cmd = exec.Command(bin, "serve", "--data", dir, "--http", fmt.Sprintf("127.0.0.1:%d", httpPort), "--sip", p.sip,
		"--rtp-ports", fmt.Sprintf("%d-%d", rtpLo, rtpHi), "--log-level", "error", "--pprof", p.pprof)
	p.cmd.Env = append(append(os.Environ(), "RINGDESK_ADMIN_PASSWORD=bench-admin-pw", "GOMAXPROCS=2"), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(p.base + "/api/v1/health"); err == nil {
			res.Body.Close()
			break
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("ringdesk exited: %s", p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("ringdesk did not start: %s", p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// cleanup removes the server's data directory, unless BENCH_KEEP asks to keep it for a look.
func (p *proc) cleanup() {
	if os.Getenv("BENCH_KEEP") != "" {
		fmt.Fprintln(os.Stderr, "kept", p.dir)
		return
	}
	os.RemoveAll(p.dir)
}

var httpc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

func (p *proc) call(login, method, path string, body any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+p.tokens[login])
	res, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("%s %s as %s: %d %s", method, path, login, res.StatusCode, b)
	}
	return nil
}

// readyAll logs every agent in to CTI and sets it 대기, many at a time.
func (p *proc) readyAll(s *site.Site) error {
	return parallel(len(s.Agents), 16, func(i int) error {
		login := s.Agents[i].Login
		if err := p.call(login, "POST", "/api/v1/cti/login", map[string]string{"service": "support"}); err != nil {
			return err
		}
		return p.call(login, "PUT", "/api/v1/cti/state", map[string]string{"state": "ready"})
	})
}

// metrics reads /metrics.
func (p *proc) metrics() (map[string]float64, error) {
	res, err := httpc.Get(p.base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) == 2 {
			v, _ := strconv.ParseFloat(f[1], 64)
			out[f[0]] = v
		}
	}
	return out, nil
}

func parallel(n, workers int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

// registerAll registers every agent's extension with its binding at contact (host:port of
// the phones: SIPp, or the bench's own user agent).
func registerAll(server string, s *site.Site, contact string) error {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ringdesk-bench"))
	if err != nil {
		return err
	}
	defer ua.Close()
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		return err
	}
	host, portStr, _ := net.SplitHostPort(server)
	port, _ := strconv.Atoi(portStr)
	chost, cportStr, _ := net.SplitHostPort(contact)
	cport, _ := strconv.Atoi(cportStr)
	return parallel(len(s.Agents), 32, func(i int) error {
		ext := s.Agents[i].Extension
		aor := sip.Uri{Scheme: "sip", User: ext, Host: host, Port: port}
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
		from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(10))
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: aor})
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: chost, Port: cport}})
		req.AppendHeader(sip.NewHeader("Expires", "3600"))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := cli.Do(ctx, req)
		if err == nil && res.StatusCode == 401 {
			res, err = cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: "pw"})
		}
		if err != nil {
			return err
		}
		if res.StatusCode != 200 {
			return fmt.Errorf("REGISTER %s: %d", ext, res.StatusCode)
		}
		return nil
	})
}

// profile takes a CPU profile of the server for d, saves it under bench/profiles and returns
// the top of it as text.
func (p *proc) profile(d time.Duration, name string) (string, error) {
	if file := os.Getenv("BENCH_TRACE"); file != "" {
		// an execution trace beside the profile, for where the time goes that is not CPU:
		// go tool trace FILE
		go func() {
			res, err := (&http.Client{Timeout: d + 30*time.Second}).Get(fmt.Sprintf("http://%s/debug/pprof/trace?seconds=%d", p.pprof, int(d.Seconds())))
			if err != nil {
				return
			}
			defer res.Body.Close()
			if f, err := os.Create(file); err == nil {
				io.Copy(f, res.Body)
				f.Close()
			}
		}()
	}
	res, err := (&http.Client{Timeout: d + 30*time.Second}).Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.pprof, int(d.Seconds())))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	os.MkdirAll(filepath.Join("bench", "profiles"), 0o755)
	path := filepath.Join("bench", "profiles", name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	io.Copy(f, res.Body)
	f.Close()
	// the heap as the profile ends, beside it: what the collector has to mark
	if res, err := httpc.Get(fmt.Sprintf("http://%s/debug/pprof/heap", p.pprof)); err == nil {
		if f, err := os.Create(filepath.Join("bench", "profiles", name+".heap.pprof")); err == nil {
			io.Copy(f, res.Body)
			f.Close()
		}
		res.Body.Close()
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=15", path).Output()
	if err != nil {
		return "", err
	}
	lines := strings.Split(string(out), "\n")
	var keep []string
	for _, l := range lines {
		if strings.Contains(l, "flat%") || strings.Contains(l, "%") && !strings.HasPrefix(l, "Showing") && !strings.HasPrefix(l, "Dropped") {
			keep = append(keep, l)
		}
	}
	return "CPU profile of the server (`" + path + "`, `go tool pprof -top`):\n\n```\n" + strings.Join(keep, "\n") + "\n```", nil
}
