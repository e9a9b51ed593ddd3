package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"ringdesk/internal/auth"
	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/wav"
)

// File is a parsed site file with the audio it refers to, read and checked.
type File struct {
	Path  string
	Site  site.Site
	Audio map[string]store.Audio // by the path as written → the file's bytes (ID filled)
	lines map[string]int
}

// Load reads and decodes a site file and its audio. Problems in the file's form (unknown
// fields, wrong types, unreadable or unplayable audio) come back as Problems.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{{File: path, Reason: fmt.Sprintf("cannot read: %v", err)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems{{File: path, Line: yamlLine(err), Reason: "not valid YAML: " + err.Error()}}
	}
	f := &File{Path: path, Audio: map[string]store.Audio{}}
	d := &decoder{lines: map[string]int{}}
	if len(root.Content) > 0 && root.Content[0].Kind != yaml.MappingNode {
		return nil, Problems{{File: path, Line: root.Content[0].Line, Reason: "must be a mapping with services, agents and trunks"}}
	}
	d.decode(&root, reflect.ValueOf(&f.Site).Elem(), "")
	f.lines = d.lines
	probs := d.problems
	dir := filepath.Dir(path)
	check := func(ref *string, p string) {
		v := *ref
		if v == "" || v == "none" || strings.HasPrefix(v, "builtin:") || strings.HasPrefix(v, "sha256:") {
			return
		}
		full := v
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, v)
		}
		b, err := os.ReadFile(full)
		if err != nil {
			probs = append(probs, Problem{Line: d.lines[p], Path: p, Reason: fmt.Sprintf("cannot read audio %s: %v", full, err)})
			return
		}
		if _, err := wav.Decode(b); err != nil {
			probs = append(probs, Problem{Line: d.lines[p], Path: p, Reason: fmt.Sprintf("%s: %v", v, err)})
			return
		}
		a := store.Audio{Name: filepath.Base(v), Data: b}
		a.ID = contentID(b)
		f.Audio[v] = a
		*ref = a.ID
	}
	for i := range f.Site.Services {
		svc := &f.Site.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		check(&svc.HoldAudio, p+".hold_audio")
		check(&svc.HangupAnnouncement.Audio, p+".hangup_announcement.audio")
		for j := range svc.Numbers {
			check(&svc.Numbers[j].Greeting, fmt.Sprintf("%s.numbers[%d].greeting", p, j))
		}
	}
	if len(probs) > 0 {
		for i := range probs {
			probs[i].File = path
		}
		return nil, Problems(probs)
	}
	return f, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// Hash turns an agent's plain-text password and SIP password into the stored secrets and
// clears the plain text.
func Hash(a *site.Agent) error {
	if a.Password != "" {
		h, err := auth.HashPassword(a.Password)
		if err != nil {
			return fmt.Errorf("password: %w", err)
		}
		a.PasswordHash = h
	}
	if a.SIPPassword != "" {
		if a.Extension == "" {
			return fmt.Errorf("sip_password: needs an extension")
		}
		a.SIPHA1 = auth.SIPHA1(a.Extension, a.SIPPassword)
		a.SIPHA1SHA256 = auth.SIPHA1SHA256(a.Extension, a.SIPPassword)
	}
	a.Password, a.SIPPassword = "", ""
	return nil
}

// Counts says what applying did to one kind of entity.
type Counts struct{ Created, Updated, Unchanged int }

// Report says what an apply changed.
type Report struct {
	Services, Agents, Trunks Counts
	Version                  int64 // the configuration version after the apply
}

func (r Report) String() string {
	f := func(name string, c Counts) string {
		return fmt.Sprintf("%s: %d created, %d updated, %d unchanged", name, c.Created, c.Updated, c.Unchanged)
	}
	return strings.Join([]string{f("services", r.Services), f("agents", r.Agents), f("trunks", r.Trunks)}, "\n")
}

// Changed reports whether anything was created or updated.
func (r Report) Changed() bool {
	return r.Services.Created+r.Services.Updated+r.Agents.Created+r.Agents.Updated+r.Trunks.Created+r.Trunks.Updated > 0
}

// Apply reads a site file and applies it: services, agents and trunks it lists are created or
// replaced (the inner lists of a service are the file's), those it does not list are kept. A
// password that still matches keeps its stored hash, so applying twice changes nothing.
// Nothing is written when any problem is found.
func Apply(ctx context.Context, st store.Store, path string) (Report, error) {
	f, err := Load(path)
	if err != nil {
		return Report{}, err
	}
	cur, err := st.Site().Load(ctx)
	if err != nil {
		return Report{}, err
	}
	merged, rep := merge(cur, &f.Site)
	Defaults(merged)
	if probs := ValidateSite(merged); len(probs) > 0 {
		for i := range probs {
			probs[i].File = path
			probs[i].Line = f.line(probs[i].Path)
		}
		return Report{}, Problems(probs)
	}
	for i := range merged.Agents {
		if err := Hash(&merged.Agents[i]); err != nil {
			return Report{}, Problems{{File: path, Path: fmt.Sprintf("agents[%d]", i), Reason: err.Error()}}
		}
	}
	for _, a := range f.Audio {
		a := a
		if err := st.Audio().Put(ctx, &a); err != nil {
			return Report{}, err
		}
	}
	if err := st.Site().Save(ctx, merged); err != nil {
		return Report{}, err
	}
	after, err := st.Site().Load(ctx)
	if err != nil {
		return Report{}, err
	}
	rep.count(cur, after)
	rep.Version, err = st.Site().Version(ctx)
	return rep, err
}

// line finds the file line of a problem's path (or of its nearest parent the file has); a path
// beyond the file's own entities is about what was already stored and has none.
func (f *File) line(path string) int {
	for p := path; p != ""; {
		if l, ok := f.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// merge lays the file over the stored site. The file's entities come first in file order (so
// the file's paths name the same entities in the merged site), stored ones it does not list
// follow. A stored agent keeps its secrets unless the file gives new, different ones.
func merge(cur, file *site.Site) (*site.Site, Report) {
	out := &site.Site{}
	inFile := map[string]bool{}
	for _, s := range file.Services {
		out.Services = append(out.Services, s)
		inFile["s:"+s.ID] = true
	}
	for _, s := range cur.Services {
		if !inFile["s:"+s.ID] {
			out.Services = append(out.Services, s)
		}
	}
	stored := map[string]site.Agent{}
	for _, a := range cur.Agents {
		stored[a.Login] = a
	}
	for _, a := range file.Agents {
		if old, ok := stored[a.Login]; ok {
			if a.Password == "" || auth.VerifyPassword(old.PasswordHash, a.Password) {
				a.Password, a.PasswordHash = "", old.PasswordHash
			}
			if a.SIPPassword == "" && a.Extension == old.Extension ||
				a.SIPPassword != "" && auth.SIPHA1(a.Extension, a.SIPPassword) == old.SIPHA1 {
				a.SIPPassword, a.SIPHA1, a.SIPHA1SHA256 = "", old.SIPHA1, old.SIPHA1SHA256
			}
		}
		out.Agents = append(out.Agents, a)
		inFile["a:"+a.Login] = true
	}
	for _, a := range cur.Agents {
		if !inFile["a:"+a.Login] {
			out.Agents = append(out.Agents, a)
		}
	}
	for _, t := range file.Trunks {
		out.Trunks = append(out.Trunks, t)
		inFile["t:"+t.ID] = true
	}
	for _, t := range cur.Trunks {
		if !inFile["t:"+t.ID] {
			out.Trunks = append(out.Trunks, t)
		}
	}
	return out, Report{}
}

// count compares the site before and after an apply.
func (r *Report) count(before, after *site.Site) {
	key := func(v any) []byte { b, _ := json.Marshal(v); return b }
	bs := map[string][]byte{}
	for _, s := range before.Services {
		bs["s:"+s.ID] = key(s)
	}
	for _, a := range before.Agents {
		bs["a:"+a.Login] = key(struct {
			site.Agent
			H, S1, S2 string
		}{a, a.PasswordHash, a.SIPHA1, a.SIPHA1SHA256})
	}
	for _, t := range before.Trunks {
		bs["t:"+t.ID] = key(struct {
			site.Trunk
			P string
		}{t, t.Password})
	}
	tally := func(c *Counts, k string, now []byte) {
		old, ok := bs[k]
		switch {
		case !ok:
			c.Created++
		case bytes.Equal(old, now):
			c.Unchanged++
		default:
			c.Updated++
		}
	}
	for _, s := range after.Services {
		tally(&r.Services, "s:"+s.ID, key(s))
	}
	for _, a := range after.Agents {
		tally(&r.Agents, "a:"+a.Login, key(struct {
			site.Agent
			H, S1, S2 string
		}{a, a.PasswordHash, a.SIPHA1, a.SIPHA1SHA256}))
	}
	for _, t := range after.Trunks {
		tally(&r.Trunks, "t:"+t.ID, key(struct {
			site.Trunk
			P string
		}{t, t.Password}))
	}
}
