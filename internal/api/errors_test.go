package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"ringdesk/internal/fault"
)

// Every kind of refusal has its HTTP status, and the body carries the code, the Korean
// message and its parameters, never the cause.
func TestEveryFaultKindHasAnHTTPStatus(t *testing.T) {
	want := map[fault.Kind]int{fault.Invalid: 422, fault.NotFound: 404, fault.Forbidden: 403, fault.Refused: 422, fault.State: 409,
		fault.Busy: 409, fault.Offline: 409, fault.Unavailable: 503, fault.Moved: 421}
	s := &Server{}
	for _, k := range fault.Kinds {
		w := httptest.NewRecorder()
		err := fmt.Errorf("engine: %w", fault.Wrap(fmt.Errorf("disk on fire"), k, "some_code", "상담원 {agent} 안내",
			"agent", "김상담"))
		s.writeError(w, httptest.NewRequest(http.MethodGet, "/", nil), err)
		if w.Code != want[k] {
			t.Errorf("%s: HTTP %d, want %d", k, w.Code, want[k])
		}
		var body struct {
			Error apiError `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if body.Error.Code != "some_code" || body.Error.Message != "상담원 김상담 안내" || body.Error.Params["agent"] != "김상담" {
			t.Errorf("%s: body %s", k, w.Body)
		}
	}
}
