package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestNewFormatsWithParams(t *testing.T) {
	e := New(State, "invalid_state", "상담원 {agent}은(는) {state} 상태입니다", "agent", "kim", "state", "on_call")
	if e.Message != "상담원 kim은(는) on_call 상태입니다" {
		t.Errorf("message %q", e.Message)
	}
	if e.Params["agent"] != "kim" || e.Params["state"] != "on_call" {
		t.Errorf("params %v", e.Params)
	}
	if New(NotFound, "not_found", "{x}% 없음").Message != "{x}% 없음" {
		t.Error("a message without params is taken as it is")
	}
}

func TestKindsMatchThroughWrapping(t *testing.T) {
	cause := errors.New("disk full")
	err := fmt.Errorf("saving: %w", Wrap(cause, Unavailable, "unavailable", "저장하지 못했습니다"))
	if !errors.Is(err, ErrKind(Unavailable)) || errors.Is(err, ErrKind(State)) {
		t.Error("errors.Is must match the kind, and only it")
	}
	if !errors.Is(err, cause) {
		t.Error("the cause must stay reachable")
	}
	if KindOf(err) != Unavailable || KindOf(cause) != "" || KindOf(nil) != "" {
		t.Error("KindOf")
	}
}
