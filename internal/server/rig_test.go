package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"ringdesk/internal/engine"
	"ringdesk/internal/media"
	"ringdesk/internal/provision"
	"ringdesk/internal/sip/siptest"
	"ringdesk/internal/site"
	"ringdesk/internal/store/sqlite"
)

const (
	did       = "0212345678" // rings queue 100 without a greeting
	greetDID  = "0212340000" // rings queue 100 after the built-in greeting
	callerID  = "0212345678"
	password  = "pw-secret"
	customerN = "01055556666"
)

// rig is a whole Ringdesk on loopback with a carrier trunk in front of it.
type rig struct {
	t     *testing.T
	srv   *Server
	sip   string
	base  string
	trunk *siptest.UA
}

func rigSite(trunkPort int) *site.Site {
	ag := func(login, ext string, groups ...string) site.Agent {
		return site.Agent{Login: login, Name: login, Role: site.RoleAgent, Services: []string{"support"}, Groups: groups,
			Extension: ext, Phone: site.PhoneSIP, Password: password, SIPPassword: "sip-" + login}
	}
	return &site.Site{
		Services: []site.Service{{
			ID: "support", Name: "고객지원", CTI: true, RecallSeconds: 30, NoAnswer: site.NoAnswerBreak,
			HangupAnnouncement: site.Announcement{Text: "폭언 등으로 상담을 종료합니다."},
			Numbers:            []site.Number{{Number: did, Queue: "100", Greeting: "none"}, {Number: greetDID, Queue: "100"}},
			CallerIDs:          []site.CallerID{{Number: callerID, Status: site.CallerIDRegistered}, {Number: "0299998888", Status: site.CallerIDRequested}},
			Groups:             []site.Group{{ID: "tier1", Name: "1차"}},
			Queues: []site.Queue{{Number: "100", Name: "일반", Members: []string{"kim", "lee"}},
				{Number: "200", Name: "기술", Members: []string{"park"}}},
		}},
		Agents: []site.Agent{ag("kim", "1001", "tier1"), ag("lee", "1002", "tier1"), ag("park", "1003"),
			{Login: "root", Name: "root", Role: site.RoleAdmin, Password: password}},
		Trunks: []site.Trunk{{ID: "carrier", Host: "127.0.0.1", Port: trunkPort, Allow: []string{"127.0.0.1/32"}, Prefix: "9"}},
	}
}

func newRig(t *testing.T, mutate ...func(*site.Site)) *rig {
	t.Helper()
	return newRigWith(t, nil, mutate...)
}

// newRigWith is newRig with the server's configuration changed first.
func newRigWith(t *testing.T, cfg func(*Config), mutate ...func(*site.Site)) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{t: t}
	// the carrier exists first: the site points the trunk at it
	r.trunk = siptest.NewTrunk(t, "", siptest.Options{Tone: 440, AutoAnswer: true})
	_, tp, _ := net.SplitHostPort(r.trunk.Addr())
	port, _ := strconv.Atoi(tp)
	s := rigSite(port)
	for _, m := range mutate {
		m(s)
	}
	for i := range s.Agents {
		if err := provision.Hash(&s.Agents[i]); err != nil {
			t.Fatal(err)
		}
	}
	provision.Defaults(s)
	if probs := provision.ValidateSite(s); len(probs) > 0 {
		t.Fatal(provision.Problems(probs))
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "ringdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Site().Save(context.Background(), s)
	st.Close()
	lo := 20000 + rand.IntN(400)*100
	c := Config{DataDir: dir, HTTP: "127.0.0.1:0", SIP: "127.0.0.1:0", RTPPorts: fmt.Sprintf("%d-%d", lo, lo+99)}
	if cfg != nil {
		cfg(&c)
	}
	r.srv, err = Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.srv.Close() })
	r.sip = r.srv.SIP.Addr()
	r.base = "http://" + r.srv.HTTPAddr()
	r.trunk.Server = r.sip
	return r
}

// phone registers an agent's desk phone.
func (r *rig) phone(login, ext string, o siptest.Options) *siptest.UA {
	r.t.Helper()
	p := siptest.NewPhone(r.t, r.sip, ext, "sip-"+login, o)
	if code, err := p.Register(600); err != nil || code != 200 {
		r.t.Fatalf("%s registers: %d %v", login, code, err)
	}
	return p
}

// agent is an API client logged in as an agent.
type agent struct {
	r     *rig
	login string
	token string
}

func (r *rig) agent(login string) *agent {
	r.t.Helper()
	a := &agent{r: r, login: login}
	var out struct{ Token string }
	a.do("POST", "/api/v1/session", map[string]string{"login": login, "password": password}, 200, &out)
	a.token = out.Token
	return a
}

func (a *agent) do(method, path string, body any, want int, out any) []byte {
	a.r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.r.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if want != 0 && res.StatusCode != want {
		a.r.t.Fatalf("%s %s %s: %d %s, want %d", a.login, method, path, res.StatusCode, b, want)
	}
	if out != nil {
		json.Unmarshal(b, out)
	}
	return b
}

func (a *agent) cmd(path string, body any) {
	a.r.t.Helper()
	a.do("POST", "/api/v1/cti/"+path, body, 200, nil)
}

func (a *agent) ready() {
	a.r.t.Helper()
	a.do("POST", "/api/v1/cti/login", map[string]string{"service": "support"}, 200, nil)
	a.do("PUT", "/api/v1/cti/state", map[string]string{"state": "ready"}, 200, nil)
}

func (a *agent) view() engine.View {
	var v engine.View
	a.do("GET", "/api/v1/cti", nil, 200, &v)
	return v
}

// await waits for the agent to reach a state (the network is asynchronous).
func (a *agent) await(state string) engine.View {
	a.r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := a.view()
		if string(v.State) == state {
			return v
		}
		if time.Now().After(deadline) {
			a.r.t.Fatalf("%s is %s, want %s", a.login, v.State, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listen measures what a call hears over d, skipping the switch-over.
func listen(c *siptest.Call, d time.Duration) siptest.Heard { return c.Listen(d) }

func hears(t *testing.T, who string, h siptest.Heard, hz float64) {
	t.Helper()
	if !siptest.Near(h.Frequency, hz) || h.Level < 0.03 {
		t.Fatalf("%s heard %s, want ~%.0f Hz", who, h, hz)
	}
}

var pcma = media.Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
