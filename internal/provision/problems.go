package provision

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Path   string `json:"path"` // e.g. services[0].queues[1].members[2]
	Reason string `json:"reason"`
}

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

// Problems is a refused configuration: every problem found, one a line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s); nothing was applied:\n%s", len(ps), strings.Join(lines, "\n"))
}

type collector struct{ list []Problem }

func (c *collector) add(path, format string, args ...any) {
	c.list = append(c.list, Problem{Path: path, Reason: fmt.Sprintf(format, args...)})
}
