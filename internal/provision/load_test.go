package provision

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ringdesk/internal/site"
)

// brief writes problems as "line: path: reason", the file name left out.
func brief(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		p.File = ""
		out[i] = fmt.Sprintf("%d: %s", p.Line, p)
	}
	return out
}

func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// Mistakes in the file's form: every one a problem with its line, decoding going on past it.
func TestLoadFormProblems(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level field", "servics: []\n",
			[]string{`1: servics: unknown field "servics" (did you mean "services"?)`}},
		{"unknown field, dash for underscore", "services:\n  - id: a\n    recall-seconds: 20\n",
			[]string{`3: services[0].recall-seconds: unknown field "recall-seconds" (did you mean "recall_seconds"?)`}},
		{"unknown field, nothing close", "trunks:\n  - id: a\n    colour: blue\n    host: h\n",
			[]string{`3: trunks[0].colour: unknown field "colour" (known: id, host, port, allow, username, password, prefix, outbound_proxy, transport)`}},
		{"secrets are not fields", "agents:\n  - login: a\n    password_hash: x\n    password: p\n",
			[]string{`3: agents[0].password_hash: unknown field "password_hash" (did you mean "password"?)`}},
		{"a list where a mapping belongs", "- just a list\n",
			[]string{"1: must be a mapping with services, agents and trunks"}},
		{"services not a list", "services: 3\n",
			[]string{`1: services: must be a list (got "3")`}},
		{"a service not a mapping", "services:\n  - support\n",
			[]string{`2: services[0]: must be a mapping of fields (got "support")`}},
		{"id a list", "services:\n  - id: [a, b]\n",
			[]string{"2: services[0].id: must be a single value (got a list)"}},
		{"prefix of a field", "services:\n  - id: a\n    recall: 20\n",
			[]string{`3: services[0].recall: unknown field "recall" (did you mean "recall_seconds"?)`}},
		{"recall not a number", "services:\n  - id: a\n    recall_seconds: soon\n",
			[]string{`3: services[0].recall_seconds: must be a whole number (got "soon")`}},
		{"recall a fraction", "services:\n  - id: a\n    recall_seconds: 30.5\n",
			[]string{`3: services[0].recall_seconds: must be a whole number (got "30.5")`}},
		{"cti not a bool", "services:\n  - id: a\n    cti: maybe\n",
			[]string{`3: services[0].cti: must be true or false (got "maybe")`}},
		{"members not a list", "services:\n  - id: a\n    queues:\n      - { number: \"1\", members: kim }\n",
			[]string{`4: services[0].queues[0].members: must be a list (got "kim")`}},
		{"a field twice", "agents:\n  - login: a\n    login: b\n    password: p\n",
			[]string{`3: agents[0].login: field "login" appears twice`}},
		{"several at once, in line order", "services:\n  - id: a\n    colour: blue\n    cti: maybe\nagents: {}\ntrunks:\n  - port: [1]\n    id: t\n    host: h\n",
			[]string{
				`3: services[0].colour: unknown field "colour" (known: id, name, cti, recall_seconds, no_answer, after_call_seconds, hold_audio, hangup_announcement, numbers, caller_ids, favorites, groups, queues, dial_plan, recording)`,
				`4: services[0].cti: must be true or false (got "maybe")`,
				"5: agents: must be a list (got a mapping)",
				"7: trunks[0].port: must be a whole number (got a list)",
			}},
		{"a second document", "services: []\n---\ntrunks: []\n",
			[]string{"2: a second YAML document (after ---): put services, agents and trunks in one document"}},
		{"empty", "# nothing yet\n",
			[]string{"0: the file is empty: nothing to apply (it should list services, agents or trunks)"}},
		{"sip settings misspelt", "sip:\n  media_timout_seconds: 30\n",
			[]string{`2: sip.media_timout_seconds: unknown field "media_timout_seconds" (did you mean "media_timeout_seconds"?)`}},
		{"sip settings not a mapping", "sip: 60\n",
			[]string{`1: sip: must be a mapping of fields (got "60")`}},
		{"time zone as a list", "timezone: [Asia/Seoul]\n",
			[]string{`1: timezone: must be a single value (got a list)`}},
		{"session interval not a number", "sip:\n  session_expires_seconds: 30m\n",
			[]string{`2: sip.session_expires_seconds: must be a whole number (got "30m")`}},
		{"merge from something not a mapping", "x-list: &l [1]\nagents:\n  - <<: *l\n    login: a\n",
			[]string{"3: agents[0]: << must name a mapping to merge in (<<: *defaults)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := siteDir(t, c.yaml)
			f, err := Load(path)
			var ps Problems
			if f == nil || !errors.As(err, &ps) {
				t.Fatalf("Load: %v, %v; want the file and its problems", f, err)
			}
			sameLines(t, brief(ps), c.want)
			for _, p := range ps {
				if p.File != path {
					t.Errorf("problem without its file: %+v", p)
				}
			}
			// Validate reports them again, and nothing more comes of the same values
			sameLines(t, brief(Validate(f, nil)), c.want)
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.yaml")
	f, err := Load(missing)
	var ps Problems
	if f != nil || !errors.As(err, &ps) || len(ps) != 1 || ps[0].String() != missing+": cannot read the file: no such file or directory" {
		t.Fatalf("missing file: %v %v", f, err)
	}
	path := siteDir(t, "services:\n  - id: a\n    name: [\n")
	f, err = Load(path)
	if f != nil || !errors.As(err, &ps) || len(ps) != 1 || ps[0].Line != 3 || !strings.HasPrefix(ps[0].Reason, "not valid YAML: ") {
		t.Fatalf("broken YAML: %v %v", f, err)
	}
}

// What YAML lets an operator write, read as meant.
func TestLoadYAMLForms(t *testing.T) {
	path := siteDir(t, `x-agent: &agent
  role: manager
  services: [support]
  auto_accept: yes
x-members: &members [kim, lee]
services:
  - id: support
    recall_seconds: "45"
    numbers:
      - { number: 0212345678, queue: 100 }
    queues:
      - { number: 100, members: *members }
agents:
  - <<: *agent
    login: kim
    extension: 01001
  - <<: *agent
    login: lee
    role: agent
    services: ~
`)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Site
	if n := s.Services[0].Numbers[0]; n.Number != "0212345678" || n.Queue != "100" || s.Services[0].RecallSeconds != 45 {
		t.Errorf("unquoted numbers must keep their text: %+v", s.Services[0])
	}
	if m := s.Services[0].Queues[0].Members; !slices.Equal(m, []string{"kim", "lee"}) {
		t.Errorf("alias: %v", m)
	}
	kim, lee := s.Agents[0], s.Agents[1]
	if kim.Role != site.RoleManager || !kim.AutoAccept || kim.Extension != "01001" || !slices.Equal(kim.Services, []string{"support"}) {
		t.Errorf("merged into kim: %+v", kim)
	}
	if lee.Role != site.RoleAgent || lee.Services != nil {
		t.Errorf("a field written beside << wins: %+v", lee)
	}
}

func TestLoadAudio(t *testing.T) {
	dir := t.TempDir()
	stereo := tone(800, 1000)
	stereo[22] = 2
	wide := tone(800, 1000)
	wide[24], wide[25] = 0x80, 0x3e // 16000 Hz
	writeFiles(t, dir, map[string][]byte{
		"conf/prompts/moh.wav":   tone(8000, 3000),
		"shared/hangup.wav":      tone(4000, 5000),
		"conf/prompts/alaw.wav":  wavOf(6, 8000, 1, 8, make([]byte, 800)),
		"conf/prompts/ulaw.wav":  wavOf(7, 8000, 1, 8, make([]byte, 800)),
		"conf/stereo.wav":        stereo,
		"conf/16k.wav":           wide,
		"conf/8bit.wav":          wavOf(1, 8000, 1, 8, make([]byte, 800)),
		"conf/notes.txt":         []byte("not audio"),
		"conf/folder.wav/x":      nil,
		"conf/prompts/empty.wav": wavOf(1, 8000, 1, 16, nil),
	})
	abs := filepath.Join(dir, "shared", "hangup.wav")
	yaml := fmt.Sprintf(`services:
  - id: a
    hold_audio: prompts/moh.wav
    hangup_announcement: { audio: ../shared/hangup.wav }
    numbers:
      - { number: "1", queue: "100", greeting: prompts/alaw.wav }
      - { number: "2", queue: "100", greeting: prompts/ulaw.wav }
      - { number: "3", queue: "100", greeting: %s }
      - { number: "4", queue: "100", greeting: prompts/moh.wav }
      - { number: "5", queue: "100", greeting: none }
      - { number: "6", queue: "100", greeting: builtin:greeting }
    queues: [{ number: "100" }]
  - id: b
    hold_audio: stereo.wav
    hangup_announcement: { audio: 16k.wav }
    numbers:
      - { number: "7", queue: "200", greeting: 8bit.wav }
      - { number: "8", queue: "200", greeting: notes.txt }
      - { number: "9", queue: "200", greeting: missing.wav }
      - { number: "10", queue: "200", greeting: folder.wav }
      - { number: "11", queue: "200", greeting: prompts/empty.wav }
      - { number: "12", queue: "200", greeting: sha256:%s }
    queues: [{ number: "200" }]
    recording: { mode: on_demand, announce: prompts/alaw.wav }
`, abs, strings.Repeat("0", 64))
	path := filepath.Join(dir, "conf", "site.yaml")
	writeFiles(t, dir, map[string][]byte{"conf/site.yaml": []byte(yaml)})
	hint := " (Ringdesk plays 8 kHz mono WAV: 16-bit PCM, mu-law or A-law; e.g. sox in.wav -r 8000 -c 1 -b 16 out.wav)"
	f, err := Load(path)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load: %v", err)
	}
	sameLines(t, brief(ps), []string{
		"14: services[1].hold_audio: stereo.wav cannot be played: unsupported audio: 2 channels; want mono" + hint,
		"15: services[1].hangup_announcement.audio: 16k.wav cannot be played: unsupported audio: 16000 Hz; want 8000 Hz" + hint,
		"17: services[1].numbers[0].greeting: 8bit.wav cannot be played: unsupported audio: PCM with 8 bits per sample; want 16" + hint,
		"18: services[1].numbers[1].greeting: notes.txt cannot be played: unsupported audio: not a WAV file (no RIFF/WAVE header)" + hint,
		fmt.Sprintf("19: services[1].numbers[2].greeting: audio file missing.wav not found (looked for %s; a relative path is read from the site file's folder)", filepath.Join(dir, "conf", "missing.wav")),
		"20: services[1].numbers[3].greeting: folder.wav is a folder, not an audio file",
		"21: services[1].numbers[4].greeting: prompts/empty.wav cannot be played: unsupported audio: no audio samples" + hint,
	})
	a := f.Site.Services[0]
	ids := []string{a.HoldAudio, a.HangupAnnouncement.Audio, a.Numbers[0].Greeting, a.Numbers[1].Greeting, a.Numbers[2].Greeting, a.Numbers[3].Greeting}
	for i, id := range ids {
		if !audioRef(id) || !strings.HasPrefix(id, "sha256:") {
			t.Errorf("audio %d not replaced by its id: %q", i, id)
		}
	}
	if ids[0] != ids[5] || ids[1] != ids[4] {
		t.Error("the same file, named twice (once by an absolute path), must get the same id")
	}
	if len(f.Audio) != 4 {
		t.Errorf("%d audio files kept, want 4 distinct ones", len(f.Audio))
	}
	for id, au := range f.Audio {
		if au.ID != id || audioID(au.Data) != id || au.Name == "" {
			t.Errorf("audio %s: %+v", id, au.Name)
		}
	}
	if got := f.Site.Services[1].Recording.Announce; got != ids[2] {
		t.Errorf("the recording announcement's file is not replaced by its id: %q, want %q", got, ids[2])
	}
	if a.Numbers[4].Greeting != "none" || a.Numbers[5].Greeting != "builtin:greeting" {
		t.Errorf("references must be left as written: %+v", a.Numbers[4:])
	}
	if f.refs["services[1].numbers[5].greeting"] != "sha256:"+strings.Repeat("0", 64) {
		t.Errorf("a written id is remembered for Apply to check: %v", f.refs)
	}
	// the failures are reported once, not again as "not stored audio"
	sameLines(t, brief(Validate(f, nil)), brief(ps))
}

func TestLoadAudioTooBig(t *testing.T) {
	path := siteDir(t, "services:\n  - id: a\n    hold_audio: big.wav\n")
	big, err := os.Create(filepath.Join(filepath.Dir(path), "big.wav"))
	if err != nil {
		t.Fatal(err)
	}
	big.Truncate(maxAudioBytes + 1)
	big.Close()
	_, err = Load(path)
	if err == nil || !strings.Contains(err.Error(), ":3: services[0].hold_audio: big.wav is 32 MB; a prompt may be at most 32 MB") {
		t.Fatalf("got %v", err)
	}
}

func TestAliasBomb(t *testing.T) {
	// a hundred services of a hundred queues of a hundred members, from four short lines
	hundred := func(x string) string { return "[" + strings.TrimSuffix(strings.Repeat(x+", ", 100), ", ") + "]" }
	y := "x-m: &m " + hundred("kim") + "\n" +
		"x-q: &q {number: \"1\", members: *m}\n" +
		"x-s: &s {id: s, queues: " + hundred("*q") + "}\n" +
		"services: " + hundred("*s") + "\n"
	_, err := Load(siteDir(t, y))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || !strings.Contains(ps[0].Reason, "too many values") {
		t.Fatalf("got %v", err)
	}
}
