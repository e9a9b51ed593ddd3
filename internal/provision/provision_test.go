package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/store/sqlite"
	"ringdesk/internal/wav"
)

var ctx = context.Background()

func newStore(t *testing.T) store.Store {
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ringdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// siteDir copies a site file next to freshly made prompts, as an operator's folder would be.
func siteDir(t *testing.T, yamlText string) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "prompts"), 0o755)
	tone := make([]int16, 8000)
	for i := range tone {
		tone[i] = int16((i % 20) * 500)
	}
	os.WriteFile(filepath.Join(dir, "prompts", "moh.wav"), wav.EncodePCM16(tone), 0o644)
	os.WriteFile(filepath.Join(dir, "prompts", "hangup.wav"), wav.EncodePCM16(tone[:4000]), 0o644)
	p := filepath.Join(dir, "site.yaml")
	os.WriteFile(p, []byte(yamlText), 0o644)
	return p
}

func example(t *testing.T) string {
	b, err := os.ReadFile("testdata/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyExampleTwice(t *testing.T) {
	st := newStore(t)
	path := siteDir(t, example(t))
	rep, err := Apply(ctx, st, path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Services.Created != 2 || rep.Agents.Created != 3 || rep.Trunks.Created != 1 {
		t.Fatalf("first apply: %+v", rep)
	}
	s, _ := st.Site().Load(ctx)
	kim := s.Agents[0]
	if !auth.VerifyPassword(kim.PasswordHash, "change-me") || kim.SIPHA1 != auth.SIPHA1("1001", "s1p-secret") || kim.Password != "" {
		t.Fatalf("kim's secrets: %+v", kim)
	}
	svc := s.Services[0]
	if !strings.HasPrefix(svc.HoldAudio, "sha256:") || !strings.HasPrefix(svc.HangupAnnouncement.Audio, "sha256:") {
		t.Fatalf("audio not stored: %q %q", svc.HoldAudio, svc.HangupAnnouncement.Audio)
	}
	if _, err := st.Audio().Get(ctx, svc.HoldAudio); err != nil {
		t.Fatalf("hold audio: %v", err)
	}
	if svc.Queues[1].Strategy != site.StrategyLongestIdle || s.Agents[1].Role != site.RoleAgent || s.Services[1].RecallSeconds != 30 {
		t.Fatalf("defaults not filled: %+v", s)
	}
	v1, _ := st.Site().Version(ctx)
	rep, err = Apply(ctx, st, path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed() || rep.Agents.Unchanged != 3 {
		t.Fatalf("second apply changed something: %+v", rep)
	}
	if v2, _ := st.Site().Version(ctx); v2 != v1 {
		t.Fatalf("version moved %d → %d on an identical apply", v1, v2)
	}
	s2, _ := st.Site().Load(ctx)
	if s2.Agents[0].PasswordHash != kim.PasswordHash {
		t.Fatal("password rehashed on an identical apply")
	}
}

func TestPartialFileKeepsTheRest(t *testing.T) {
	st := newStore(t)
	if _, err := Apply(ctx, st, siteDir(t, example(t))); err != nil {
		t.Fatal(err)
	}
	rep, err := Apply(ctx, st, siteDir(t, "trunks:\n  - { id: backup, host: carrier.example, prefix: \"8\" }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Trunks.Created != 1 || rep.Trunks.Unchanged != 1 || rep.Services.Unchanged != 2 {
		t.Fatalf("report %+v", rep)
	}
	s, _ := st.Site().Load(ctx)
	if len(s.Services) != 2 || len(s.Agents) != 3 || len(s.Trunks) != 2 || s.Trunks[0].Port != 5060 {
		t.Fatalf("site after a partial file: %+v", s)
	}
	// an agent listed without passwords keeps them
	rep, err = Apply(ctx, st, siteDir(t, "agents:\n  - { login: kim, name: 김상담2, services: [support], groups: [tier1], extension: \"1001\" }\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ = st.Site().Load(ctx)
	for _, a := range s.Agents {
		if a.Login == "kim" && (a.Name != "김상담2" || !auth.VerifyPassword(a.PasswordHash, "change-me") || a.SIPHA1 == "") {
			t.Fatalf("kim: %+v", a)
		}
	}
}

func TestInvalidFileListsEveryProblemAndAppliesNothing(t *testing.T) {
	st := newStore(t)
	bad := `services:
  - id: Support!
    recall_seconds: 2
    no_answer: maybe
    hold_audio: prompts/missing.wav
    numbers:
      - { number: "02-1234", queue: "900" }
    queues:
      - { number: "100", strategy: random, members: [ghost, lee] }
    caller_ids:
      - { number: "0212345678", status: pending }
    colour: blue
agents:
  - login: kim
    role: boss
    services: [nowhere]
    extension: "100"
    phone: pager
  - login: lee
    password: x
trunks:
  - id: carrier
    host: "bad host"
    port: 70000
    allow: [not-an-ip]
    prefix: "9a"
`
	path := siteDir(t, bad)
	_, err := Apply(ctx, st, path)
	var probs Problems
	if !errors.As(err, &probs) {
		t.Fatalf("got %v, want Problems", err)
	}
	text := err.Error()
	// the form check stops before the semantic one: the unknown field and missing audio first
	for _, want := range []string{"services[0].colour: unknown field", "services[0].hold_audio: cannot read audio"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	for _, p := range probs {
		if p.File != path || p.Line == 0 {
			t.Errorf("problem without file and line: %+v", p)
		}
	}
	// with the form fixed, the semantic problems all come out at once
	fixed := strings.Replace(strings.Replace(bad, "    colour: blue\n", "", 1), "    hold_audio: prompts/missing.wav\n", "", 1)
	_, err = Apply(ctx, st, siteDir(t, fixed))
	if !errors.As(err, &probs) {
		t.Fatalf("got %v", err)
	}
	text = err.Error()
	for _, want := range []string{
		`services[0].id: "Support!" must be lower-case`,
		"services[0].recall_seconds: must be 5..600",
		"services[0].no_answer: must be break or ready",
		`services[0].numbers[0].number: "02-1234" must be digits`,
		`services[0].numbers[0].queue: queue "900" is not a queue`,
		"services[0].queues[0].strategy: must be longest_idle",
		`services[0].queues[0].members[0]: "ghost" is not an agent`,
		`services[0].queues[0].members[1]: agent "lee" does not work in service`,
		"services[0].caller_ids[0].status: must be requested, registered or rejected",
		"agents[0].role: must be agent, manager or admin",
		"agents[0].password: is required",
		`agents[0].services[0]: service "nowhere" does not exist`,
		"agents[0].extension: extension 100 is already used by queue number",
		"agents[0].phone: must be sip or browser",
		`trunks[0].host: "bad host" is not a host name`,
		"trunks[0].port: must be 1..65535",
		`trunks[0].allow[0]: "not-an-ip" is not an IP address`,
		`trunks[0].prefix: "9a" must be digits`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	for _, p := range probs {
		if p.Line == 0 {
			t.Errorf("no line for %s", p)
		}
	}
	s, _ := st.Site().Load(ctx)
	if len(s.Services)+len(s.Agents)+len(s.Trunks) != 0 {
		t.Fatalf("an invalid file changed the store: %+v", s)
	}
	if v, _ := st.Site().Version(ctx); v != 0 {
		t.Fatal("version moved")
	}
}

func TestFormProblems(t *testing.T) {
	cases := map[string]string{
		"services: 3\n":            "services: must be a list",
		"services:\n  - id: [a]\n": "services[0].id: must be a single value",
		"services:\n  - { id: a, recall_seconds: soon }\n": `services[0].recall_seconds: must be a whole number (got "soon")`,
		"services:\n  - { id: a, cti: maybe }\n":           `services[0].cti: must be true or false`,
		"agents:\n  - login: a\n    login: b\n":            `agents[0].login: field "login" appears twice`,
		"- just a list\n":                                  "must be a mapping",
		"services: [\n":                                    "not valid YAML",
		"servics: []\n":                                    `servics: unknown field "servics"`,
	}
	for in, want := range cases {
		_, err := Load(siteDir(t, in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "cannot read") {
		t.Errorf("missing file: %v", err)
	}
}

func TestBadAudio(t *testing.T) {
	path := siteDir(t, "services:\n  - id: a\n    hold_audio: prompts/stereo.wav\n")
	stereo := wav.EncodePCM16(make([]int16, 100))
	stereo[22] = 2 // channels
	os.WriteFile(filepath.Join(filepath.Dir(path), "prompts", "stereo.wav"), stereo, 0o644)
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "want mono") || !strings.Contains(err.Error(), ":3: ") {
		t.Fatalf("stereo prompt: %v", err)
	}
}

func TestCollisions(t *testing.T) {
	s := &site.Site{
		Services: []site.Service{{ID: "a", Numbers: []site.Number{{Number: "1001", Queue: "100"}},
			Queues: []site.Queue{{Number: "100"}}}},
		Agents: []site.Agent{{Login: "kim", PasswordHash: "x", Extension: "1001", Phone: site.PhoneBrowser},
			{Login: "lee", PasswordHash: "x", Extension: "1001", Phone: site.PhoneBrowser}},
		Trunks: []site.Trunk{{ID: "t1", Host: "h", Prefix: "9"}, {ID: "t2", Host: "h", Prefix: "9", Password: "p"}},
	}
	Defaults(s)
	var got []string
	for _, p := range ValidateSite(s) {
		got = append(got, p.String())
	}
	text := strings.Join(got, "\n")
	for _, want := range []string{"agents[0].extension: extension 1001 is already used by number", "agents[1].extension: extension 1001 is already kim's",
		`trunks[1].prefix: prefix "9" already selects trunk "t1"`, "trunks[1].username: is required with a password"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
}
