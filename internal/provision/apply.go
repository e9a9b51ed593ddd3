package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"ringdesk/internal/site"
	"ringdesk/internal/store"
)

// ErrChanged is returned when the stored site changed while a file was being applied (an
// administrator's edit, another apply). Nothing was written; applying again merges over the
// new state.
var ErrChanged = errors.New("provision: the stored site changed while the file was being applied; nothing was applied, run it again")

// Counts says what applying did to one kind of entity, by id or login, in site order.
type Counts struct {
	Created   []string `json:"created,omitempty"`
	Updated   []string `json:"updated,omitempty"`
	Unchanged []string `json:"unchanged,omitempty"`
	Kept      []string `json:"kept,omitempty"` // stored, not in the file, left as they were
}

// Report says what an apply changed.
type Report struct {
	Services, Agents, Trunks Counts
	// Settings counts the site-wide settings the file gives ("sip", "timezone").
	Settings Counts
	// Audio lists the prompts the file names, by the path written there: Created for the
	// ones the store did not have yet.
	Audio   Counts
	Version int64 // the configuration version after the apply
}

// Changed reports whether anything was created or updated.
func (r Report) Changed() bool {
	for _, c := range []Counts{r.Services, r.Agents, r.Trunks, r.Settings, r.Audio} {
		if len(c.Created)+len(c.Updated) > 0 {
			return true
		}
	}
	return false
}

// String is one line per kind: "agents: 1 created (park), 1 updated (kim), 2 unchanged".
func (r Report) String() string {
	line := func(kind string, c Counts) string {
		var parts []string
		named := func(n int, what string, names []string) {
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s (%s)", n, what, strings.Join(names, ", ")))
			}
		}
		named(len(c.Created), "created", c.Created)
		named(len(c.Updated), "updated", c.Updated)
		if n := len(c.Unchanged); n > 0 {
			parts = append(parts, fmt.Sprintf("%d unchanged", n))
		}
		if n := len(c.Kept); n > 0 {
			parts = append(parts, fmt.Sprintf("%d not in the file, kept", n))
		}
		if len(parts) == 0 {
			parts = []string{"none"}
		}
		return kind + ": " + strings.Join(parts, ", ")
	}
	audio := "audio: none"
	if n := len(r.Audio.Created) + len(r.Audio.Unchanged); n > 0 {
		audio = fmt.Sprintf("audio: %d new, %d already stored", len(r.Audio.Created), len(r.Audio.Unchanged))
	}
	lines := []string{line("services", r.Services), line("agents", r.Agents), line("trunks", r.Trunks)}
	if len(r.Settings.Created)+len(r.Settings.Updated)+len(r.Settings.Unchanged) > 0 {
		lines = append(lines, line("settings", r.Settings))
	}
	return strings.Join(append(lines, audio, fmt.Sprintf("configuration version %d", r.Version)), "\n")
}

// Apply reads the site file at path, checks all of it against the stored site, and writes it
// in one transaction: its audio, then the merged site (see Merge). If anything is wrong it
// returns a Problems listing every problem and writes nothing. Applying the same file twice
// reports everything unchanged and leaves the configuration version where it was.
func Apply(ctx context.Context, st store.Store, path string) (Report, error) {
	f, err := Load(path)
	if f == nil {
		return Report{}, err
	}
	// the version first: if the site changes after it is read, the write below notices
	version, err := st.Site().Version(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("provision: reading the configuration version: %w", err)
	}
	stored, err := st.Site().Load(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("provision: reading the stored site: %w", err)
	}
	merged, probs := f.check(stored)
	missing, err := f.missingAudio(ctx, st.Audio())
	if err != nil {
		return Report{}, err
	}
	if probs = append(probs, missing...); len(probs) > 0 {
		sortProblems(probs)
		return Report{}, Problems(probs)
	}
	if err := hashAll(merged.Agents); err != nil {
		return Report{}, fmt.Errorf("provision: %w", err) // validation admits only hashable secrets
	}
	var rep Report
	err = st.InTx(ctx, func(tx store.Store) error {
		rep = Report{} // the transaction may be retried
		if v, err := tx.Site().Version(ctx); err != nil {
			return err
		} else if v != version {
			return ErrChanged
		}
		for _, id := range slices.Sorted(maps.Keys(f.Audio)) {
			a := f.Audio[id]
			switch _, err := tx.Audio().Get(ctx, id); {
			case err == nil:
				rep.Audio.Unchanged = append(rep.Audio.Unchanged, a.Name)
				continue
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			if err := tx.Audio().Put(ctx, &a); err != nil {
				return fmt.Errorf("provision: storing %s: %w", a.Name, err)
			}
			if a.ID != id {
				return fmt.Errorf("provision: the store named %s %s, not %s", a.Name, a.ID, id)
			}
			rep.Audio.Created = append(rep.Audio.Created, a.Name)
		}
		if err := tx.Site().Save(ctx, merged); err != nil {
			return err
		}
		after, err := tx.Site().Load(ctx)
		if err != nil {
			return err
		}
		rep.tally(stored, after, &f.Site)
		rep.Version, err = tx.Site().Version(ctx)
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return rep, nil
}

// missingAudio lists the sha256:… ids written in the file that the store does not have.
func (f *File) missingAudio(ctx context.Context, as store.AudioStore) ([]Problem, error) {
	var probs []Problem
	for _, path := range slices.Sorted(maps.Keys(f.refs)) {
		id := f.refs[path]
		if !audioRef(id) {
			continue // malformed: the rules say so
		}
		switch _, err := as.Get(ctx, id); {
		case errors.Is(err, store.ErrNotFound):
			probs = append(probs, Problem{File: f.Path, Line: f.line(path), Path: path, Reason: fmt.Sprintf("no stored audio has the id %s", id)})
		case err != nil:
			return nil, fmt.Errorf("provision: looking up audio %s: %w", id, err)
		}
	}
	return probs, nil
}

// hashAll hashes the agents' plain-text secrets, several at a time: verifying or hashing an
// argon2id password takes tens of milliseconds and 19 MiB, and a site has hundreds of agents.
func hashAll(agents []site.Agent) error {
	work := make(chan int)
	errs := make([]error, len(agents))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := Hash(&agents[i]); err != nil {
					errs[i] = fmt.Errorf("agent %s: %w", agents[i].Login, err)
				}
			}
		}()
	}
	for i := range agents {
		if agents[i].Password != "" || agents[i].SIPPassword != "" {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// tally compares each entity the file lists with what was stored before; the ones it does not
// list were kept.
func (r *Report) tally(before, after, file *site.Site) {
	fp := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	agentFP := func(a site.Agent) string {
		// the secrets are hidden from JSON; they count as a change too
		return fp(struct {
			site.Agent
			H, S1, S2 string
		}{a, a.PasswordHash, a.SIPHA1, a.SIPHA1SHA256})
	}
	trunkFP := func(t site.Trunk) string {
		return fp(struct {
			site.Trunk
			P string
		}{t, t.Password})
	}
	old := map[string]string{}
	for _, s := range before.Services {
		old["s:"+s.ID] = fp(s)
	}
	for _, a := range before.Agents {
		old["a:"+a.Login] = agentFP(a)
	}
	for _, t := range before.Trunks {
		old["t:"+t.ID] = trunkFP(t)
	}
	listed := map[string]bool{}
	for _, s := range file.Services {
		listed["s:"+s.ID] = true
	}
	for _, a := range file.Agents {
		listed["a:"+a.Login] = true
	}
	for _, t := range file.Trunks {
		listed["t:"+t.ID] = true
	}
	count := func(c *Counts, key, name, now string) {
		prev, existed := old[key]
		switch {
		case !listed[key]:
			c.Kept = append(c.Kept, name)
		case !existed:
			c.Created = append(c.Created, name)
		case prev == now:
			c.Unchanged = append(c.Unchanged, name)
		default:
			c.Updated = append(c.Updated, name)
		}
	}
	for _, s := range after.Services {
		count(&r.Services, "s:"+s.ID, s.ID, fp(s))
	}
	for _, a := range after.Agents {
		count(&r.Agents, "a:"+a.Login, a.Login, agentFP(a))
	}
	for _, t := range after.Trunks {
		count(&r.Trunks, "t:"+t.ID, t.ID, trunkFP(t))
	}
	if file.SIP != (site.SIPSettings{}) {
		if before.SIP == after.SIP {
			r.Settings.Unchanged = append(r.Settings.Unchanged, "sip")
		} else {
			r.Settings.Updated = append(r.Settings.Updated, "sip")
		}
	}
	if file.Timezone != "" {
		if before.Timezone == after.Timezone {
			r.Settings.Unchanged = append(r.Settings.Unchanged, "timezone")
		} else {
			r.Settings.Updated = append(r.Settings.Updated, "timezone")
		}
	}
}
