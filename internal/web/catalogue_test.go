package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The console words every message from its catalogue (static/catalogue.js): these tests read
// the catalogue and the server's sources as text (the console must not import the server's
// packages, and the catalogue is JavaScript) and fail when a code the server can send has no
// words, or when Korean and English differ in what they cover.

var keyRe = regexp.MustCompile(`'([a-z][a-z0-9_.-]*)':\s*'`)

// catalogue returns the keys of each language in static/catalogue.js.
func catalogue(t *testing.T) map[string]map[string]bool {
	t.Helper()
	b, err := os.ReadFile("static/catalogue.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	ko, en := strings.Index(src, "const ko = {"), strings.Index(src, "const en = {")
	if ko < 0 || en < 0 {
		t.Fatal("catalogue.js has no const ko / const en")
	}
	keys := func(s string) map[string]bool {
		out := map[string]bool{}
		for _, m := range keyRe.FindAllStringSubmatch(s, -1) {
			out[m[1]] = true
		}
		return out
	}
	return map[string]map[string]bool{"ko": keys(src[ko:en]), "en": keys(src[en:])}
}

// serverWorded are the codes whose Korean is the server's own message (i18n.js serverWorded).
func serverWorded(t *testing.T) []string {
	b, err := os.ReadFile("static/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`export const serverWorded = \[([^\]]*)\]`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("i18n.js has no serverWorded list")
	}
	var out []string
	for _, q := range regexp.MustCompile(`'([a-z_]+)'`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, q[1])
	}
	return out
}

// sourceCodes finds, in the Go sources under dir, the strings that patterns capture.
func sourceCodes(t *testing.T, dir string, patterns ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range patterns {
			for _, m := range regexp.MustCompile(p).FindAllStringSubmatch(string(b), -1) {
				out[m[1]] = f
			}
		}
	}
	return out
}

func covered(keys map[string]bool, prefix string) bool {
	for k := range keys {
		if k == prefix || strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

// Every error code the API and the engine answer with has words in both languages (in Korean
// the engine's own message may stand for a code it words case by case).
func TestCatalogueWordsEveryErrorCode(t *testing.T) {
	cat := catalogue(t)
	worded := serverWorded(t)
	codes := sourceCodes(t, "../api", `errorf\(\d+, "([a-z_]+)"`)
	for k, v := range sourceCodes(t, "../engine",
		`(?:notFound|forbidden|invalid|unavailable|busy|offline)\("([a-z_]+)"`,
		`fault\.(?:New|Wrap)\([^,]*,? ?fault\.[A-Za-z]+, "([a-z_]+)"`) {
		codes[k] = v
	}
	if len(codes) < 30 {
		t.Fatalf("found only %d codes: the patterns no longer match the sources", len(codes))
	}
	for code, file := range codes {
		if !covered(cat["en"], "error."+code) {
			t.Errorf("error code %q (%s) has no English words (error.%s)", code, file, code)
		}
		if !covered(cat["ko"], "error."+code) && !slices.Contains(worded, code) {
			t.Errorf("error code %q (%s) has no Korean words (error.%s)", code, file, code)
		}
	}
}

// Every notice kind the engine sends, every provisioning problem kind, and every hang-up cause
// has words.
func TestCatalogueWordsNoticesProblemsAndCauses(t *testing.T) {
	cat := catalogue(t)
	want := map[string]string{}
	for k, f := range sourceCodes(t, "../engine", `l\.notice\([a-z]+, "([a-z_]+)"`, `Notice\{Kind: "([a-z_]+)"`) {
		want["notice."+k] = f
	}
	for k, f := range sourceCodes(t, "../provision", `because\("([a-z_]+)"`, `Code:\s+"([a-z_]+)"`) {
		want["problem."+k] = f
	}
	for k, f := range sourceCodes(t, "../telephony", `Cause[A-Za-z]+\s+Cause = "([a-z_]+)"`) {
		want["cause."+k] = f
	}
	if len(want) < 40 {
		t.Fatalf("found only %d kinds: the patterns no longer match the sources", len(want))
	}
	for key, file := range want {
		for _, lang := range []string{"ko", "en"} {
			if !cat[lang][key] {
				t.Errorf("%s (%s) has no %s words", key, file, lang)
			}
		}
	}
}

// Korean and English cover the same keys, but for the codes Korean leaves to the server.
func TestCatalogueLanguagesMatch(t *testing.T) {
	cat := catalogue(t)
	worded := serverWorded(t)
	for k := range cat["ko"] {
		if !cat["en"][k] {
			t.Errorf("%s is worded in Korean only", k)
		}
	}
	for k := range cat["en"] {
		code, _, _ := strings.Cut(strings.TrimPrefix(k, "error."), ".")
		if !cat["ko"][k] && !(strings.HasPrefix(k, "error.") && slices.Contains(worded, code)) {
			t.Errorf("%s is worded in English only", k)
		}
	}
}
