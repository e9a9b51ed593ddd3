package api

import (
	"testing"
)

// A refused edit says, per problem, where (the entity by its key), what kind of problem and
// with which values: the console words it in Korean beside the field. (Fails before: the path
// was a position in the whole site — agents[5].extension — and the reason English only.)
func TestRefusedEditsSayWhereAndWhatKind(t *testing.T) {
	e := newEnv(t)
	root := e.login("root")
	out := root.fails("PUT", "/api/v1/agents/park", map[string]any{"password": "pw-12345", "role": "agent", "services": []string{"support"},
		"phone": "sip"}, 422, "invalid_config")
	d := out["details"].([]any)[0].(map[string]any)
	if d["path"] != "agents[login=park].extension" || d["code"] != "required" {
		t.Fatalf("problem %v, want agents[login=park].extension required", d)
	}
	out = root.fails("PUT", "/api/v1/services/support", map[string]any{"id": "support", "cti": true, "recall_seconds": 2}, 422, "invalid_config")
	d = out["details"].([]any)[0].(map[string]any)
	params, _ := d["params"].(map[string]any)
	if d["path"] != "services[id=support].recall_seconds" || d["code"] != "range" || params["min"] != "5" || params["max"] != "600" || params["value"] != "2" {
		t.Fatalf("problem %v", d)
	}
}
