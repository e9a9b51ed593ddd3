package provision

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration.
//
// Path names the offending value the way the file is written, by position:
// services[0].queues[1].members[2]. An entity that is only in the stored site (a partial file
// does not list it) has no position in the file and is named by its key instead —
// services[id=sales], agents[login=kim], trunks[id=carrier] — with no line.
type Problem struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// Code is the kind of problem (required, range, digits, duplicate…) and Params the values
	// the reason names, for a program that words it in the reader's language; a problem with
	// the file's form (YAML, unknown fields) has none.
	Code   string            `json:"code,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// String is file:line: path: reason, leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Problems is a refused configuration: every problem found. Nothing was written.
type Problems []Problem

// Error is a count, then one problem a line (file:line: path: reason), so that a command
// printing "ringdesk: <err>" starts with a sentence and an editor can jump to each line.
func (ps Problems) Error() string {
	var b strings.Builder
	if len(ps) == 1 {
		b.WriteString("1 problem; nothing was applied:")
	} else {
		fmt.Fprintf(&b, "%d problems; nothing was applied:", len(ps))
	}
	for _, p := range ps {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// sortProblems orders problems as an operator reads a file: by line, problems without a line
// (about stored entities) last, and otherwise in the order they were found.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Line, ps[j].Line
		if (a == 0) != (b == 0) {
			return b == 0
		}
		return a < b
	})
}

// within reports whether path is p itself or inside it (p.x, p[3]); "" contains everything.
func within(path, p string) bool {
	if p == "" || path == p {
		return true
	}
	return strings.HasPrefix(path, p) && (path[len(p)] == '.' || path[len(p)] == '[')
}
