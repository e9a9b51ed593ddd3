package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

func apply(t *testing.T, st store.Store, path string) Report {
	t.Helper()
	rep, err := Apply(ctx, st, path)
	if err != nil {
		t.Fatalf("apply %s: %v", filepath.Base(path), err)
	}
	return rep
}

func loadSite(t *testing.T, st store.Store) *site.Site {
	t.Helper()
	s, err := st.Site().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func version(t *testing.T, st store.Store) int64 {
	t.Helper()
	v, err := st.Site().Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func agentOf(t *testing.T, s *site.Site, login string) site.Agent {
	t.Helper()
	for _, a := range s.Agents {
		if a.Login == login {
			return a
		}
	}
	t.Fatalf("no agent %s", login)
	return site.Agent{}
}

func counts(c Counts) [4]int {
	return [4]int{len(c.Created), len(c.Updated), len(c.Unchanged), len(c.Kept)}
}

func TestApplyFullFileTwice(t *testing.T) {
	st := newStore(t)
	path := siteDir(t, example(t))
	rep := apply(t, st, path)
	if !slices.Equal(rep.Services.Created, []string{"support", "billing", "sales"}) ||
		!slices.Equal(rep.Agents.Created, []string{"kim", "lee", "park", "choi", "boss", "root"}) ||
		!slices.Equal(rep.Trunks.Created, []string{"carrier", "backup"}) || len(rep.Audio.Created) != 4 || !rep.Changed() {
		t.Fatalf("first apply:\n%s\n%+v", rep, rep)
	}
	s := loadSite(t, st)

	// secrets: hashed, plain text gone
	for login, pw := range map[string]string{"kim": "change-me", "lee": "change-me-too", "park": "park-pw-1", "root": "root-pw-long"} {
		a := agentOf(t, s, login)
		if !auth.VerifyPassword(a.PasswordHash, pw) || a.Password != "" || a.SIPPassword != "" {
			t.Errorf("%s's password: %+v", login, a)
		}
	}
	kim := agentOf(t, s, "kim")
	if kim.SIPHA1 != auth.SIPHA1("1001", "s1p-secret") || kim.SIPHA1SHA256 != auth.SIPHA1SHA256("1001", "s1p-secret") {
		t.Errorf("kim's SIP secret: %+v", kim)
	}
	if lee := agentOf(t, s, "lee"); lee.SIPHA1 != "" || lee.Phone != site.PhoneBrowser {
		t.Errorf("lee has no SIP phone: %+v", lee)
	}

	// merge keys and defaults
	park, choi, boss, root := agentOf(t, s, "park"), agentOf(t, s, "choi"), agentOf(t, s, "boss"), agentOf(t, s, "root")
	if park.Role != site.RoleAgent || park.Phone != site.PhoneSIP || park.AutoAccept || !choi.AutoAccept || !slices.Equal(choi.Services, []string{"billing"}) {
		t.Errorf("<<: *agent: park %+v choi %+v", park, choi)
	}
	if boss.Role != site.RoleManager || boss.Phone != site.PhoneSIP || root.Role != site.RoleAdmin || root.Phone != "" {
		t.Errorf("defaults: boss %+v root %+v", boss, root)
	}
	support, billing, sales := s.Services[0], s.Services[1], s.Services[2]
	if support.Queues[1].Strategy != site.StrategyLongestIdle || sales.RecallSeconds != 30 || sales.NoAnswer != site.NoAnswerBreak ||
		billing.RecallSeconds != 20 || billing.NoAnswer != site.NoAnswerReady || billing.AfterCallSeconds != 15 {
		t.Errorf("service settings: %+v / %+v / %+v", support, billing, sales)
	}
	if s.Trunks[1].Port != 5060 || s.Trunks[1].Password != "carrier-secret" || !slices.Equal(s.Trunks[1].Allow, []string{"203.0.113.0/24", "2001:db8::1"}) {
		t.Errorf("backup trunk: %+v", s.Trunks[1])
	}

	// audio, read relative to the file's folder and stored by content
	files := prompts()
	for ref, name := range map[string]string{
		support.HoldAudio: "prompts/moh.wav", support.HangupAnnouncement.Audio: "prompts/hangup.wav",
		support.Numbers[1].Greeting: "prompts/welcome.wav", billing.HoldAudio: "prompts/moh-ulaw.wav",
	} {
		a, err := st.Audio().Get(ctx, ref)
		if err != nil || !slices.Equal(a.Data, files[name]) {
			t.Errorf("%s stored as %q: %v", name, ref, err)
		}
	}
	if support.Numbers[0].Greeting != "" || billing.Numbers[0].Greeting != "none" {
		t.Errorf("greetings: %+v %+v", support.Numbers, billing.Numbers)
	}

	v1 := version(t, st)
	rep = apply(t, st, path)
	if rep.Changed() || counts(rep.Services) != [4]int{0, 0, 3, 0} || counts(rep.Agents) != [4]int{0, 0, 6, 0} ||
		counts(rep.Trunks) != [4]int{0, 0, 2, 0} || len(rep.Audio.Unchanged) != 4 {
		t.Fatalf("second apply changed something:\n%s", rep)
	}
	if v2 := version(t, st); v2 != v1 || rep.Version != v1 {
		t.Fatalf("version moved %d → %d (report %d) on an identical apply", v1, v2, rep.Version)
	}
	if again := loadSite(t, st); !reflect.DeepEqual(again, s) {
		t.Fatal("the site changed on an identical apply (a password rehashed?)")
	}
}

func TestApplyInvalidFileWritesNothing(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	before, v := loadSite(t, st), version(t, st)

	// a valid change (a new prompt, a renamed service, a new agent) next to mistakes
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"new.wav": tone(1000, 1234)})
	bad := `services:
  - id: support
    name: 새 이름
    hold_audio: new.wav
    groups: [{ id: tier1 }, { id: tier2 }]
    recall_seconds: 2
    numbers:
      - { number: "0212345678", queue: "900" }
    queues:
      - { number: "100", members: [kim, ghost] }
agents:
  - { login: new, password: pw, services: [support] }
  - { login: kim, services: [support], extension: "100" }
trunks:
  - { id: carrier, host: "bad host", prefix: "9" }
`
	writeFiles(t, dir, map[string][]byte{"site.yaml": []byte(bad)})
	path := filepath.Join(dir, "site.yaml")
	_, err := Apply(ctx, st, path)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v, want Problems", err)
	}
	sameLines(t, brief(ps), []string{
		"6: services[0].recall_seconds: must be 5 to 600 seconds (got 2)",
		`8: services[0].numbers[0].queue: "900" is not a queue of service "support"`,
		`10: services[0].queues[0].members[1]: "ghost" is not an agent`,
		`13: agents[1].extension: 100 is already queue 100 of service "support": a dialled number must mean one thing`,
		"13: agents[1].sip_password: is required when the extension changes (1001 → 100): the SIP secret is made from both",
		`15: trunks[0].host: "bad host" is not a host name or IP address`,
	})
	for _, p := range ps {
		if p.File != path {
			t.Errorf("problem without its file: %+v", p)
		}
	}
	if want := "6 problems; nothing was applied:\n" + path + ":6: services[0].recall_seconds: must be 5 to 600 seconds (got 2)\n"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message:\n%s\nwant it to start:\n%s", err, want)
	}
	if after := loadSite(t, st); !reflect.DeepEqual(after, before) || version(t, st) != v {
		t.Fatal("an invalid file changed the stored site")
	}
	if _, err := st.Audio().Get(ctx, audioID(tone(1000, 1234))); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an invalid file stored its audio: %v", err)
	}
}

// Relative audio paths are read from the site file's folder, wherever the command runs.
func TestApplyReadsAudioBesideTheFile(t *testing.T) {
	st := newStore(t)
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"site/prompts/moh.wav": tone(8000, 2000),
		"shared/hangup.wav":    tone(4000, 4000),
		"site/site.yaml": []byte(`services:
  - id: a
    hold_audio: prompts/moh.wav
    hangup_announcement: { audio: ../shared/hangup.wav }
`),
	})
	elsewhere := t.TempDir()
	writeFiles(t, elsewhere, map[string][]byte{"prompts/moh.wav": tone(100, 1)}) // a decoy
	t.Chdir(elsewhere)
	apply(t, st, filepath.Join(root, "site", "site.yaml"))
	svc := loadSite(t, st).Services[0]
	if svc.HoldAudio != audioID(tone(8000, 2000)) || svc.HangupAnnouncement.Audio != audioID(tone(4000, 4000)) {
		t.Fatalf("audio read from the wrong place: %+v", svc)
	}
}

func TestApplyKeepsSecrets(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	kim0 := agentOf(t, loadSite(t, st), "kim")
	kimFile := func(extra string) string {
		return "agents:\n  - { login: kim, name: 김상담, services: [support], groups: [tier1], extension: \"1001\"" + extra + " }\n"
	}

	// omitted: kept; the entry is otherwise the same, so nothing changes
	v := version(t, st)
	rep := apply(t, st, siteDir(t, kimFile("")))
	kim := agentOf(t, loadSite(t, st), "kim")
	if kim.PasswordHash != kim0.PasswordHash || kim.SIPHA1 != kim0.SIPHA1 || kim.SIPHA1SHA256 != kim0.SIPHA1SHA256 {
		t.Fatalf("secrets lost when omitted: %+v", kim)
	}
	if rep.Changed() || version(t, st) != v || counts(rep.Agents) != [4]int{0, 0, 1, 5} {
		t.Fatalf("omitting secrets changed something:\n%s", rep)
	}
	// given and the same: kept (no fresh salt)
	rep = apply(t, st, siteDir(t, kimFile(`, password: change-me, sip_password: s1p-secret`)))
	if kim := agentOf(t, loadSite(t, st), "kim"); kim.PasswordHash != kim0.PasswordHash || rep.Changed() {
		t.Fatalf("same password rehashed:\n%s", rep)
	}
	// a new password: a new hash
	rep = apply(t, st, siteDir(t, kimFile(`, password: new-password`)))
	kim = agentOf(t, loadSite(t, st), "kim")
	if !auth.VerifyPassword(kim.PasswordHash, "new-password") || kim.SIPHA1 != kim0.SIPHA1 || !slices.Equal(rep.Agents.Updated, []string{"kim"}) {
		t.Fatalf("new password: %+v\n%s", kim, rep)
	}
	// a new extension needs the SIP password again: the secret is made from both
	_, err := Apply(ctx, st, siteDir(t, strings.Replace(kimFile(""), `"1001"`, `"1011"`, 1)))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	sameLines(t, brief(ps), []string{"2: agents[0].sip_password: is required when the extension changes (1001 → 1011): the SIP secret is made from both"})
	apply(t, st, siteDir(t, strings.Replace(kimFile(`, sip_password: s1p-secret`), `"1001"`, `"1011"`, 1)))
	if kim := agentOf(t, loadSite(t, st), "kim"); kim.SIPHA1 != auth.SIPHA1("1011", "s1p-secret") || kim.SIPHA1SHA256 != auth.SIPHA1SHA256("1011", "s1p-secret") {
		t.Fatalf("SIP secret for the new extension: %+v", kim)
	}
	// a trunk's password omitted is kept while its username stays
	apply(t, st, siteDir(t, "trunks:\n  - { id: backup, host: sip.carrier.example, username: ringdesk, prefix: \"8\" }\n"))
	if tr := loadSite(t, st).Trunks[1]; tr.Password != "carrier-secret" {
		t.Fatalf("trunk password lost: %+v", tr)
	}
}

func TestApplyPartialFiles(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	before := loadSite(t, st)

	// only a trunk: services and agents are left alone
	rep := apply(t, st, siteDir(t, "trunks:\n  - { id: spare, host: spare.example, prefix: \"7\" }\n"))
	if counts(rep.Trunks) != [4]int{1, 0, 0, 2} || counts(rep.Services) != [4]int{0, 0, 0, 3} || counts(rep.Agents) != [4]int{0, 0, 0, 6} {
		t.Fatalf("report:\n%s", rep)
	}
	s := loadSite(t, st)
	if !reflect.DeepEqual(s.Services, before.Services) || !reflect.DeepEqual(s.Agents, before.Agents) || len(s.Trunks) != 3 || s.Trunks[2].Port != 5060 {
		t.Fatalf("a trunks-only file touched the rest: %+v", s.Trunks)
	}

	// a listed service is taken whole: its inner lists are the file's
	rep = apply(t, st, siteDir(t, `services:
  - id: billing
    name: 요금
    cti: true
    queues:
      - { number: "300", members: [choi] }
    numbers:
      - { number: "0215880000", queue: "300" }
`))
	if !slices.Equal(rep.Services.Updated, []string{"billing"}) || len(rep.Services.Kept) != 2 {
		t.Fatalf("report:\n%s", rep)
	}
	s = loadSite(t, st)
	billing := s.Services[1]
	if billing.ID != "billing" || len(billing.Groups) != 0 || len(billing.CallerIDs) != 0 || billing.HoldAudio != "" ||
		!slices.Equal(billing.Queues[0].Members, []string{"choi"}) || billing.RecallSeconds != 30 {
		t.Fatalf("billing after a new definition: %+v", billing)
	}
	if !reflect.DeepEqual(s.Services[0], before.Services[0]) || s.Services[2].ID != "sales" {
		t.Fatal("the other services moved or changed")
	}
}

// A partial file can break what it does not list; that is reported by the stored entity's id.
func TestApplyReportsStoredEntities(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	path := siteDir(t, "agents:\n  - { login: lee, name: 이상담, services: [sales], phone: browser }\n")
	_, err := Apply(ctx, st, path)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	sameLines(t, brief(ps), []string{
		`0: services[id=support].queues[0].members[1]: agent "lee" does not work in service "support" (add support to the agent's services) (in the stored site, which this file leaves as it is)`,
		`0: services[id=support].queues[1].members[0]: agent "lee" does not work in service "support" (add support to the agent's services) (in the stored site, which this file leaves as it is)`,
	})
	if !strings.Contains(err.Error(), "\n"+path+": services[id=support].queues[0].members[1]: ") {
		t.Errorf("message:\n%s", err)
	}
	// a number the file claims that a stored agent already has is reported on the file's line
	_, err = Apply(ctx, st, siteDir(t, "services:\n  - id: new\n    queues:\n      - { number: \"1003\" }\n"))
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	sameLines(t, brief(ps), []string{`4: services[0].queues[0].number: 1003 is also agent "park"'s extension: a dialled number must mean one thing`})
}

func TestApplyChecksStoredAudioIDs(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	moh := loadSite(t, st).Services[0].HoldAudio
	missing := "sha256:" + strings.Repeat("0", 64)
	_, err := Apply(ctx, st, siteDir(t, "services:\n  - id: a\n    hold_audio: "+moh+"\n  - id: b\n    hold_audio: "+missing+"\n"))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	sameLines(t, brief(ps), []string{"5: services[1].hold_audio: no stored audio has the id " + missing})
}

// raceStore is the real store with an administrator's edit slipping in between the apply's
// reading of the site and its write.
type raceStore struct {
	store.Store
	edit func()
}

func (r *raceStore) InTx(c context.Context, fn func(store.Store) error) error {
	if r.edit != nil {
		r.edit()
		r.edit = nil
	}
	return r.Store.InTx(c, fn)
}

func TestApplyNoticesAConcurrentEdit(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	before := loadSite(t, st)
	edited := *before
	edited.Trunks = before.Trunks[:1]
	r := &raceStore{Store: st, edit: func() {
		if err := st.Site().Save(ctx, &edited); err != nil {
			t.Fatal(err)
		}
	}}
	_, err := Apply(ctx, r, siteDir(t, "trunks:\n  - { id: spare, host: spare.example, prefix: \"7\" }\n"))
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("got %v, want ErrChanged", err)
	}
	if s := loadSite(t, st); len(s.Trunks) != 1 {
		t.Fatalf("the apply wrote over the concurrent edit: %+v", s.Trunks)
	}
}

func TestReportString(t *testing.T) {
	r := Report{
		Services: Counts{Created: []string{"new"}, Unchanged: []string{"a", "b"}},
		Agents:   Counts{Updated: []string{"kim", "lee"}, Kept: []string{"x"}},
		Audio:    Counts{Created: []string{"moh.wav"}, Unchanged: []string{"x.wav"}},
		Version:  7,
	}
	want := "services: 1 created (new), 2 unchanged\nagents: 2 updated (kim, lee), 1 not in the file, kept\ntrunks: none\naudio: 1 new, 1 already stored\nconfiguration version 7"
	if r.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", r, want)
	}
	if !r.Changed() || (Report{Services: Counts{Unchanged: []string{"a"}}}).Changed() {
		t.Error("Changed")
	}
}

// An operator's first draft, one mistake a line: every one reported, once, at its line.
func TestApplyFirstDraft(t *testing.T) {
	b, err := os.ReadFile("testdata/mistakes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	path := siteDir(t, string(b))
	_, err = Apply(ctx, st, path)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	sameLines(t, brief(ps), []string{
		`3: services[0].id: "Support" must be a slug: lower-case letters, digits, - and _, starting with a letter or digit, at most 63`,
		"6: services[0].recall_seconds: must be 5 to 600 seconds (got 3)",
		`7: services[0].no_answer: must be break or ready (got "wait")`,
		"8: services[0].hold_audio: audio file prompts/music.wav not found (looked for " + filepath.Join(filepath.Dir(path), "prompts/music.wav") + "; a relative path is read from the site file's folder)",
		`10: services[0].numbers[0].number: "02-1234-5678" must be digits, optionally after a leading + (at most 32)`,
		`11: services[0].numbers[1].queue: "110" is not a queue of service "Support"`,
		`13: services[0].caller_ids[0].status: must be requested, registered or rejected (got "approved")`,
		`15: services[0].favorites[0].number: 01012345678 is not an extension, a queue of service "Support", or an outside number with a trunk prefix (9)`,
		`19: services[0].queues[0].members[1]: "kimm" is not an agent`,
		`20: services[0].queues[1].strategy: must be longest_idle (got "round_robin")`,
		`23: services[1].reacll_seconds: unknown field "reacll_seconds" (did you mean "recall_seconds"?)`,
		"32: agents[1].password: is required for a new account",
		"32: agents[1].sip_password: is required for a sip phone with a new or changed extension: the digest secret is made from both",
		`35: agents[1].extension: 1002 is already queue 1002 of service "Support": a dialled number must mean one thing`,
		`37: agents[2].login: agent "kim" is defined twice`,
		`43: trunks[0].allow[1]: "10.0.0.300" is not an IP address or CIDR (e.g. 203.0.113.7 or 203.0.113.0/24)`,
		"45: trunks[1].username: is required with a password: the digest credentials toward the carrier",
		`47: trunks[1].port: must be a whole number (got "0x13c4")`,
	})
}

// TestShippedExample: the README's tour applies examples/site.yaml; it must stay valid.
func TestShippedExample(t *testing.T) {
	st := newStore(t)
	rep, err := Apply(context.Background(), st, filepath.Join("..", "..", "examples", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Services.Created, []string{"support"}) || len(rep.Agents.Created) != 4 || len(rep.Trunks.Created) != 1 {
		t.Fatalf("created %+v", rep)
	}
}

// TestApplyTimezone: the time zone is applied with its line checked, idempotently; a file
// that leaves it out keeps the stored one.
func TestApplyTimezone(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	if got := loadSite(t, st).Timezone; got != "Asia/Seoul" {
		t.Fatalf("default stored: %q", got)
	}
	path := siteDir(t, "timezone: Asia/Tokyo\n")
	rep := apply(t, st, path)
	if !slices.Equal(rep.Settings.Updated, []string{"timezone"}) || !strings.Contains(rep.String(), "settings: 1 updated (timezone)") {
		t.Fatalf("report:\n%s", rep)
	}
	v1 := version(t, st)
	rep = apply(t, st, path)
	if rep.Changed() || !slices.Equal(rep.Settings.Unchanged, []string{"timezone"}) || version(t, st) != v1 {
		t.Fatalf("the same file again changed something:\n%s", rep)
	}
	apply(t, st, siteDir(t, "sip:\n  media_timeout_seconds: 30\n"))
	if got := loadSite(t, st); got.Timezone != "Asia/Tokyo" || got.Location().String() != "Asia/Tokyo" {
		t.Fatalf("a file without a time zone changed it: %q", got.Timezone)
	}
	bad := siteDir(t, "sip:\n  media_timeout_seconds: 40\ntimezone: Seoul\n")
	_, err := Apply(ctx, st, bad)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	sameLines(t, brief(ps), []string{`3: timezone: "Seoul" is not a time zone: give an IANA name such as Asia/Seoul or UTC`})
	if s := loadSite(t, st); s.Timezone != "Asia/Tokyo" || s.SIP.MediaTimeoutSeconds != 30 {
		t.Fatalf("a refused file changed the site: %q %+v", s.Timezone, s.SIP)
	}
}

// TestApplySIPSettings: the site-wide SIP settings are applied with their lines checked,
// idempotently; a file that leaves one out keeps the stored value.
func TestApplySIPSettings(t *testing.T) {
	st := newStore(t)
	apply(t, st, siteDir(t, example(t)))
	if got := loadSite(t, st).SIP; got != (site.SIPSettings{MediaTimeoutSeconds: 60, SessionExpiresSeconds: 1800}) {
		t.Fatalf("defaults stored: %+v", got)
	}
	v0 := version(t, st)
	path := siteDir(t, "sip:\n  media_timeout_seconds: 20\n  session_expires_seconds: 600\n")
	rep := apply(t, st, path)
	if !slices.Equal(rep.Settings.Updated, []string{"sip"}) || !rep.Changed() || !strings.Contains(rep.String(), "settings: 1 updated (sip)") {
		t.Fatalf("report:\n%s", rep)
	}
	if got := loadSite(t, st).SIP; got != (site.SIPSettings{MediaTimeoutSeconds: 20, SessionExpiresSeconds: 600}) {
		t.Fatalf("stored: %+v", got)
	}
	v1 := version(t, st)
	if v1 == v0 {
		t.Fatal("the version did not move")
	}
	rep = apply(t, st, path)
	if rep.Changed() || !slices.Equal(rep.Settings.Unchanged, []string{"sip"}) || version(t, st) != v1 {
		t.Fatalf("the same file again changed something:\n%s", rep)
	}
	// one setting given: the other is kept
	apply(t, st, siteDir(t, "sip:\n  media_timeout_seconds: 30\n"))
	if got := loadSite(t, st).SIP; got != (site.SIPSettings{MediaTimeoutSeconds: 30, SessionExpiresSeconds: 600}) {
		t.Fatalf("after a partial file: %+v", got)
	}
	// out of range: refused whole, with the line, nothing written
	bad := siteDir(t, "trunks:\n  - { id: spare, host: spare.example, prefix: \"7\" }\nsip:\n  media_timeout_seconds: 2\n")
	_, err := Apply(ctx, st, bad)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	sameLines(t, brief(ps), []string{"4: sip.media_timeout_seconds: must be 5 to 3600 seconds (got 2)"})
	if s := loadSite(t, st); len(s.Trunks) != 2 || s.SIP.MediaTimeoutSeconds != 30 {
		t.Fatalf("a refused file changed the site: %+v", s.SIP)
	}
}
