package provision

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"ringdesk/internal/site"
	"ringdesk/internal/store"
	"ringdesk/internal/wav"
)

// File is a site file as read: the site it describes, with every audio file path replaced by
// the id the store will give that audio, the audio itself, and where each path is in the file.
type File struct {
	Path  string
	Site  site.Site
	Audio map[string]store.Audio // by id ("sha256:<hex>"); Name is the path as written

	lines map[string]int
	// form holds the problems found reading the file (unknown fields, wrong types, audio);
	// Validate reports them with the rest.
	form []Problem
	// refs are the audio ids written literally in the file (sha256:…), by path: Apply checks
	// that the store has them.
	refs map[string]string
}

// maxAudioBytes bounds a prompt: about 35 minutes of 8 kHz 16-bit audio.
const maxAudioBytes = 32 << 20

// Load reads a site file. Audio paths are resolved against the file's folder, read, and
// checked to be 8 kHz mono WAV. YAML anchors, aliases and merge keys (<<: *name) may be used;
// top-level fields named x-… are the author's own, a place to define shared anchors.
//
// When the file cannot be read or is not YAML at all, Load returns nil and a Problems. When it
// is YAML but has problems of form (unknown fields, wrong types, unplayable audio), Load
// returns the File, decoded as far as it could be, together with a Problems listing them:
// Validate reports them again along with every other problem.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{{File: path, Reason: "cannot read the file: " + unwrapPathError(err)}}
	}
	f := &File{Path: path, Audio: map[string]store.Audio{}, lines: map[string]int{}, refs: map[string]string{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		line, msg := yamlError(err)
		return nil, Problems{{File: path, Line: line, Reason: "not valid YAML: " + msg}}
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		f.form = append(f.form, Problem{Line: next.Line, Reason: "a second YAML document (after ---): put services, agents and trunks in one document"})
	} else if !errors.Is(err, io.EOF) {
		line, msg := yamlError(err)
		return nil, Problems{{File: path, Line: line, Reason: "not valid YAML: " + msg}}
	}
	switch {
	case root.Kind == 0 || len(root.Content) == 0 || root.Content[0].Tag == "!!null":
		f.form = append(f.form, Problem{Reason: "the file is empty: nothing to apply (it should list services, agents or trunks)"})
	case resolve(root.Content[0]).Kind != yaml.MappingNode:
		f.form = append(f.form, Problem{Line: root.Content[0].Line, Reason: "must be a mapping with services, agents and trunks"})
	default:
		d := newDecoder()
		d.lines = f.lines
		d.decode(root.Content[0], reflect.ValueOf(&f.Site).Elem(), "")
		f.form = append(f.form, d.problems...)
	}
	f.loadAudio()
	for i := range f.form {
		f.form[i].File = path
	}
	if len(f.form) > 0 {
		ps := append(Problems(nil), f.form...)
		sortProblems(ps)
		return f, ps
	}
	return f, nil
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError splits yaml.v3's "yaml: line 3: did not find expected key" into 3 and the rest.
func yamlError(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, msg[len(m[0]):]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// loadAudio reads every audio file the site names and puts the id it will be stored under in
// its place. A value that is already a reference (builtin:…, sha256:…) is left for
// ValidateSite and Apply to check.
func (f *File) loadAudio() {
	dir := filepath.Dir(f.Path)
	read := map[string]string{} // resolved path → id, so a prompt used twice is read once
	use := func(ref *string, path string, greeting bool) {
		v := *ref
		switch {
		case v == "", greeting && v == "none", strings.HasPrefix(v, "builtin:"):
			return
		case strings.HasPrefix(v, "sha256:"):
			f.refs[path] = v
			return
		}
		full := v
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, v)
		}
		if id, ok := read[full]; ok {
			*ref = id
			return
		}
		line := f.lines[path]
		fail := func(format string, args ...any) {
			f.form = append(f.form, Problem{Line: line, Path: path, Reason: fmt.Sprintf(format, args...)})
		}
		info, err := os.Stat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fail("audio file %s not found (looked for %s; a relative path is read from the site file's folder)", v, full)
			return
		case err != nil:
			fail("cannot read audio file %s: %s", v, unwrapPathError(err))
			return
		case info.IsDir():
			fail("%s is a folder, not an audio file", v)
			return
		case info.Size() > maxAudioBytes:
			fail("%s is %d MB; a prompt may be at most %d MB", v, info.Size()>>20, maxAudioBytes>>20)
			return
		}
		b, err := os.ReadFile(full)
		if err != nil {
			fail("cannot read audio file %s: %s", v, unwrapPathError(err))
			return
		}
		if _, err := wav.Decode(b); err != nil {
			fail("%s cannot be played: %v (Ringdesk plays 8 kHz mono WAV: 16-bit PCM, mu-law or A-law; e.g. sox in.wav -r 8000 -c 1 -b 16 out.wav)", v, err)
			return
		}
		id := audioID(b)
		f.Audio[id] = store.Audio{ID: id, Name: v, Data: b}
		read[full] = id
		*ref = id
	}
	for i := range f.Site.Services {
		svc := &f.Site.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		use(&svc.HoldAudio, p+".hold_audio", false)
		use(&svc.HangupAnnouncement.Audio, p+".hangup_announcement.audio", false)
		use(&svc.Recording.Announce, p+".recording.announce", true)
		for j := range svc.Numbers {
			use(&svc.Numbers[j].Greeting, fmt.Sprintf("%s.numbers[%d].greeting", p, j), true)
		}
	}
}

// audioID is the id the store gives audio: its content hash, so the same prompt is stored
// once and a site that names it does not change when it is applied again.
func audioID(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// line finds the line of a path, or of its nearest enclosing path the file has (a missing
// field is reported at its entity); 0 when the path is not in the file.
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
