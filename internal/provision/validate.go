package provision

import (
	"fmt"
	"regexp"
	"slices"

	"ringdesk/internal/site"
)

// Validate checks f as it would be applied over stored (nil: an empty site) and returns every
// problem, ordered by line: the file's own (unknown fields, wrong types, audio) and every rule
// of ValidateSite on the merged site. Paths are the file's (services[0].queues[1]); a problem
// in a stored entity the file does not list is named by its key (services[id=sales]) and has
// no line. A value with a problem of form is not reported again by the rules.
func Validate(f *File, stored *site.Site) []Problem {
	_, probs := f.check(stored)
	return probs
}

// inFileRe matches a path into an entity the file lists (by position); a stored entity's path
// (services[id=sales]) has no line in the file.
var inFileRe = regexp.MustCompile(`^((services|agents|trunks)\[\d+\]|sip\.)`)

// check merges, fills defaults, validates, and maps every problem onto the file.
func (f *File) check(stored *site.Site) (*site.Site, []Problem) {
	if stored == nil {
		stored = &site.Site{}
	}
	merged, from := merge(stored, &f.Site)
	Defaults(merged)
	probs := append([]Problem(nil), f.form...)
	var covered []string
	for _, p := range probs {
		if p.Path != "" { // a problem with the whole file (a second document) covers nothing
			covered = append(covered, p.Path)
		}
	}
	name := func(kind string, i int) (string, bool) {
		if j := from[kind][i]; j >= 0 {
			return fmt.Sprintf("%s[%d]", kind, j), false
		}
		switch kind {
		case "services":
			return fmt.Sprintf("services[id=%s]", merged.Services[i].ID), true
		case "agents":
			return fmt.Sprintf("agents[login=%s]", merged.Agents[i].Login), true
		}
		return fmt.Sprintf("trunks[id=%s]", merged.Trunks[i].ID), true
	}
	var rules []Problem
next:
	for _, p := range validate(merged, name) {
		for _, c := range covered {
			if within(p.Path, c) {
				continue next
			}
		}
		if inFileRe.MatchString(p.Path) {
			p.Line = f.line(p.Path)
		}
		rules = append(rules, p)
	}
	// where the extension changed, the need for a new SIP password says more than the rule's
	// "sip_password is required" (and names the old extension, which shows up a typo)
	for _, sp := range f.secretRules(stored) {
		if slices.ContainsFunc(covered, func(c string) bool { return within(sp.Path, c) }) {
			continue
		}
		rules = slices.DeleteFunc(rules, func(p Problem) bool { return p.Path == sp.Path })
		rules = append(rules, sp)
	}
	probs = append(probs, rules...)
	for i := range probs {
		probs[i].File = f.Path
	}
	sortProblems(probs)
	return merged, probs
}

// secretRules are the rules that need the stored agent as well as the file's: a SIP secret is
// a hash over the extension, so moving an agent that has one to a new extension needs its
// sip_password again. (The store keeps a stored secret whenever none is given, so without this
// a stale secret would linger under the new extension and fail every REGISTER, silently.)
func (f *File) secretRules(stored *site.Site) []Problem {
	old := map[string]*site.Agent{}
	for i := range stored.Agents {
		old[stored.Agents[i].Login] = &stored.Agents[i]
	}
	var probs []Problem
	for j, a := range f.Site.Agents {
		o := old[a.Login]
		if o == nil || a.Extension == "" || a.Extension == o.Extension || a.SIPPassword != "" || (o.SIPHA1 == "" && o.SIPHA1SHA256 == "") {
			continue
		}
		path := fmt.Sprintf("agents[%d].sip_password", j)
		probs = append(probs, Problem{Path: path, Line: f.line(path),
			Reason: fmt.Sprintf("is required when the extension changes (%s → %s): the SIP secret is made from both", o.Extension, a.Extension),
			Code:   "extension_changed", Params: map[string]string{"old": o.Extension, "new": a.Extension}})
	}
	return probs
}
