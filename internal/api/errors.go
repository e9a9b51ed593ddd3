package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"ringdesk/internal/fault"
	"ringdesk/internal/provision"
	"ringdesk/internal/store"
)

// apiError is what every error response carries.
type apiError struct {
	Status  int              `json:"-"`
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Field   string           `json:"field,omitempty"`
	Details []provisionIssue `json:"details,omitempty"`
	// Params are what the message names, for a console that words it from its catalogue.
	Params map[string]string `json:"params,omitempty"`
}

// provisionIssue is one problem of a refused configuration: where (the path, entities named
// by key: agents[login=kim].extension), its kind and values for the console's catalogue, and
// the reason in English for scripts and logs.
type provisionIssue struct {
	Path   string            `json:"path"`
	Reason string            `json:"reason"`
	Code   string            `json:"code,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// httpStatus is the HTTP status for each kind of refusal the engine and the stores make
// (internal/fault). Every kind is listed; the table test checks that.
var httpStatus = map[fault.Kind]int{
	fault.Invalid:     422,
	fault.NotFound:    404,
	fault.Forbidden:   403,
	fault.Refused:     422,
	fault.State:       409,
	fault.Busy:        409,
	fault.Offline:     409,
	fault.Unavailable: 503,
	// another node serves it: forwarded there when possible (forward.go), else the client is
	// told where (params node, http)
	fault.Moved: 421,
}

// writeError maps any error to its status and JSON body. Unknown errors are 500 with a
// generic message; their detail goes to the log, not to the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var probs provision.Problems
	fe, isFault := fault.As(err)
	switch {
	case errors.As(err, &ae):
	case isFault:
		status, ok := httpStatus[fe.Kind]
		if !ok {
			status = 500
		}
		ae = &apiError{Status: status, Code: fe.Code, Message: fe.Message, Params: fe.Params}
	case errors.As(err, &probs):
		ae = &apiError{Status: 422, Code: "invalid_config", Message: fmt.Sprintf("설정에 문제가 %d개 있어 아무것도 바꾸지 않았습니다", len(probs)),
			Params: map[string]string{"count": fmt.Sprint(len(probs))}}
		for _, p := range probs {
			ae.Details = append(ae.Details, provisionIssue{Path: p.Path, Reason: p.Reason, Code: p.Code, Params: p.Params})
		}
	case errors.Is(err, store.ErrNotFound):
		ae = errorf(404, "not_found", "not found")
	case errors.Is(err, store.ErrConflict):
		ae = errorf(409, "conflict", "conflicts with an existing record")
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errorf(500, "internal", "internal error")
	}
	writeJSON(w, ae.Status, map[string]any{"error": ae})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// maxJSON bounds a JSON request body.
const maxJSON = 1 << 20

// decode reads a JSON body strictly: unknown fields, wrong types, trailing data and oversized
// bodies are 400 errors that name the field.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxJSON)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errorf(400, "invalid_json", "the body must hold exactly one JSON value")
	}
	return nil
}

func jsonError(err error) *apiError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return errorf(413, "too_large", "the body is larger than %d bytes", big.Limit)
	case errors.As(err, &syn):
		return errorf(400, "invalid_json", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		e := errorf(400, "invalid_field", "field %q must be %s", typ.Field, typ.Type)
		e.Field = typ.Field
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := errorf(400, "unknown_field", "unknown field %q", f)
		e.Field = f
		return e
	case err.Error() == "EOF":
		return errorf(400, "invalid_json", "the body is empty; a JSON object is required")
	}
	return errorf(400, "invalid_json", "malformed JSON: %v", err)
}
