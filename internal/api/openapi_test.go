package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden OpenAPI document")

// TestOpenAPIGolden keeps the published document stable: a change to the API shows up as a
// diff of testdata/openapi.golden.json (refresh with go test ./internal/api -run OpenAPI -update).
func TestOpenAPIGolden(t *testing.T) {
	e := newEnv(t)
	anon := &client{e: e}
	_, got := anon.do("GET", "/api/v1/openapi.json", nil)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	if *update {
		os.WriteFile("testdata/openapi.golden.json", pretty.Bytes(), 0o644)
	}
	want, err := os.ReadFile("testdata/openapi.golden.json")
	if err != nil {
		t.Fatalf("no golden file (run with -update): %v", err)
	}
	if !bytes.Equal(bytes.TrimSpace(pretty.Bytes()), bytes.TrimSpace(want)) {
		t.Fatal("the OpenAPI document changed; check the diff and refresh with -update")
	}
}

// TestEveryRouteIsDocumented: a route without an entry in docs would publish an empty
// operation.
func TestEveryRouteIsDocumented(t *testing.T) {
	s := &Server{}
	seen := map[string]bool{}
	for _, r := range s.routeList() {
		k := r.method + " " + r.path
		seen[k] = true
		if d, ok := docs[k]; !ok || d.summary == "" || d.tag == "" {
			t.Errorf("%s has no documentation", k)
		}
	}
	for k := range docs {
		if !seen[k] {
			t.Errorf("docs for %s, which is not a route", k)
		}
	}
	sch := schemas()
	for k, d := range docs {
		for _, name := range []string{d.body, d.resp} {
			if name == "" || name == "wav" || name == "object" {
				continue
			}
			if _, ok := sch[name]; !ok {
				t.Errorf("%s refers to schema %q which does not exist", k, name)
			}
		}
	}
}
