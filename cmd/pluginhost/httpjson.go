package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Error codes of the API. Every error response is
//
//	{"error": "<what is wrong, for a human>", "code": "<one of these>"}
//
// with the HTTP status given here.
const (
	codeBadJSON          = "bad_json"           // 400: not JSON, wrong types, trailing data, not an object
	codeUnknownField     = "unknown_field"      // 400: a field the endpoint does not know
	codeEmptyBody        = "empty_body"         // 400
	codeInvalidInput     = "invalid_input"      // 400: well-formed JSON the endpoint cannot accept (bad id, empty user_id…)
	codeTooLarge         = "too_large"          // 413
	codeUnsupportedMedia = "unsupported_media"  // 415
	codeNotFound         = "not_found"          // 404
	codeMethodNotAllowed = "method_not_allowed" // 405
	codeInvalidPost      = "invalid_post"       // 422: the post (after the plugins' filters) fails validation
	codeSlugTaken        = "slug_taken"         // 409
	codeInvalidComment   = "invalid_comment"    // 422: the comment (before or after the filters) fails validation
	codeCommentRejected  = "comment_rejected"   // 422: an on-comment-creating filter rejected the comment
	codeContentRejected  = "content_rejected"   // 422: an on-content-creating/-updating filter rejected the content
	codeInvalidContent   = "invalid_content"    // 422: a filter returned data that is not a JSON object
	codeUnavailable      = "unavailable"        // 503: shutting down, database down
	codeInternal         = "internal"           // 500
)

// apiError is an error with its HTTP status and code.
type apiError struct {
	Status int
	Code   string
	Msg    string
}

func (e *apiError) Error() string { return e.Msg }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// writeJSON writes v as the JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"encoding the response failed","code":"internal"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeError writes err as a JSON error. Errors that are not *apiError are
// internal: logged in full, reported without detail.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		log.ErrorContext(r.Context(), "pluginhost: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errorf(http.StatusInternalServerError, codeInternal, "internal error")
	}
	writeJSON(w, ae.Status, errorBody{Error: ae.Msg, Code: ae.Code})
}

// readBody reads the request body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "request body larger than %d bytes", limit)
		}
		return nil, errorf(http.StatusBadRequest, codeBadJSON, "reading the request body: %v", err)
	}
	return b, nil
}

// checkJSONType refuses bodies that announce another media type. A missing
// Content-Type, application/json, any +json type and
// application/x-www-form-urlencoded (what `curl -d` sends) are accepted.
func checkJSONType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "application/json", strings.HasSuffix(mt, "+json"), mt == "application/x-www-form-urlencoded", mt == "text/json":
		return nil
	}
	return errorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "Content-Type %q: want application/json", mt)
}

// decodeJSON reads a JSON object from the body into v strictly: a size
// limit, no unknown fields, exactly one value, an object.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if err := checkJSONType(r); err != nil {
		return err
	}
	b, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	return unmarshalStrict(b, v)
}

// unmarshalStrict decodes exactly one JSON object from b into v, refusing
// unknown fields, with errors that say where.
func unmarshalStrict(b []byte, v any) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return errorf(http.StatusBadRequest, codeEmptyBody, "empty request body: want a JSON object")
	}
	if t[0] != '{' {
		return errorf(http.StatusBadRequest, codeBadJSON, "request body must be a JSON object")
	}
	if !utf8.Valid(t) {
		return errorf(http.StatusBadRequest, codeBadJSON, "request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, codeBadJSON, "unexpected data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, codeBadJSON, "unexpected data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into an apiError naming the offset or
// field.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, codeBadJSON, "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(value)"
		}
		return errorf(http.StatusBadRequest, codeBadJSON, "field %s: got JSON %s, want %s", field, te.Value, jsonTypeName(te.Type.String()))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, codeBadJSON, "malformed JSON: unexpected end of input")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errorf(http.StatusBadRequest, codeUnknownField, "unknown field %s", f)
	}
	return errorf(http.StatusBadRequest, codeBadJSON, "malformed JSON: %v", err)
}

func jsonTypeName(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	case "int64", "int", "uint32":
		return "an integer"
	case "bool":
		return "a boolean"
	}
	return goType
}
