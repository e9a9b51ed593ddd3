package provision

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder maps a YAML node tree onto Go structs by their yaml tags, strictly: an unknown field
// or a value of the wrong kind is a problem with its path and line, and decoding goes on so
// that every problem is found in one pass. It also remembers the line of every path, for the
// problems validation finds later.
type decoder struct {
	problems []Problem
	lines    map[string]int
	// budget bounds the nodes decoded: aliases (*name) are expanded, and a few lines of
	// nested aliases can stand for millions of values.
	budget int
}

const nodeBudget = 1_000_000

func newDecoder() *decoder { return &decoder{lines: map[string]int{}, budget: nodeBudget} }

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Line: n.Line, Path: path, Reason: fmt.Sprintf(format, args...)})
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// kindOf says what a node is, for "must be a list (got a mapping)".
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.fail(n, path, "too many values: does an alias (*name) repeat a large part of the file?")
		}
		return
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = n.Line
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // written but empty: the zero value, as if absent
	}
	switch v.Kind() {
	case reflect.Pointer:
		// a value that may be left out altogether: written, it is there even when empty
		// ([] is an empty list, not an absent one)
		p := reflect.New(v.Type().Elem())
		if e := p.Elem(); e.Kind() == reflect.Slice {
			e.Set(reflect.MakeSlice(e.Type(), 0, 0))
		}
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "must be a list (got %s)", kindOf(n))
			return
		}
		if len(n.Content) == 0 {
			return // [] and absent are the same, so that rewriting one as the other changes nothing
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "must be a single value (got %s)", kindOf(n))
			return
		}
		// the text as written: an unquoted 0212345678 keeps its leading zero
		v.SetString(n.Value)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "must be a whole number (got %s)", kindOf(n))
			return
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			d.fail(n, path, "must be a whole number (got %q)", n.Value)
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "must be true or false (got %s)", kindOf(n))
			return
		}
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			v.SetBool(true)
		case "false", "no", "off":
			v.SetBool(false)
		default:
			d.fail(n, path, "must be true or false (got %q)", n.Value)
		}
	default:
		d.fail(n, path, "cannot be read into %s", v.Type()) // a schema type this decoder does not know
	}
}

type pair struct{ key, value *yaml.Node }

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping of fields (got %s)", kindOf(n))
		return
	}
	fields := map[string]reflect.Value{}
	var names []string
	t := v.Type()
	for i := range t.NumField() {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			fields[tag] = v.Field(i)
			names = append(names, tag)
		}
	}
	seen := map[string]bool{}
	for _, p := range d.pairs(n, path, 0) {
		key := p.key.Value
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		f, ok := fields[key]
		switch {
		case path == "" && strings.HasPrefix(key, "x-"):
			// top-level x-… fields are the file author's own (as in Compose files): a place to
			// define anchors that entries share with <<: *name
		case p.key.Kind != yaml.ScalarNode:
			d.fail(p.key, path, "a field name must be a single word (got %s)", kindOf(p.key))
		case !ok:
			if hint := closest(key, names); hint != "" {
				d.fail(p.key, sub, "unknown field %q (did you mean %q?)", key, hint)
			} else {
				d.fail(p.key, sub, "unknown field %q (known: %s)", key, strings.Join(names, ", "))
			}
		case seen[key]:
			d.fail(p.key, sub, "field %q appears twice", key)
		default:
			seen[key] = true
			d.lines[sub] = p.key.Line
			d.decode(p.value, f, sub)
		}
	}
}

// pairs lists a mapping's fields with YAML merge keys (<<: *defaults) resolved: a field
// written in the mapping wins over a merged one, and an earlier merged mapping over a later
// one. Duplicates written in the mapping itself are kept, to be reported.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	var own, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			sources := []*yaml.Node{v}
			if r := resolve(v); r.Kind == yaml.SequenceNode {
				sources = r.Content
			}
			for _, s := range sources {
				s = resolve(s)
				if s.Kind != yaml.MappingNode || depth > 20 {
					d.fail(k, path, "<< must name a mapping to merge in (<<: *defaults)")
					continue
				}
				merged = append(merged, d.pairs(s, path, depth+1)...)
			}
			continue
		}
		own = append(own, pair{k, v})
	}
	have := map[string]bool{}
	for _, p := range own {
		have[p.key.Value] = true
	}
	for _, p := range merged {
		if !have[p.key.Value] {
			have[p.key.Value] = true
			own = append(own, p)
		}
	}
	return own
}

// closest suggests the known field an unknown one was probably meant to be: the same but for
// case or - for _, or at most two edits away.
func closest(key string, names []string) string {
	norm := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	best, bestDist := "", 3
	for _, name := range names {
		if norm == name || strings.HasPrefix(norm, name+"_") || strings.HasPrefix(name, norm+"_") {
			return name // same but for case or dashes; or one word more or less: password_hash, recall
		}
		if dist := editDistance(norm, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
