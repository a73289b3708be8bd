package sqldb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ParseParams decodes the params argument of db-query/db-execute: a JSON
// array whose elements are strings, numbers, booleans or null. Integers that
// fit in int64 bind as INTEGER, other numbers as REAL, booleans as 1/0, null
// as NULL. The empty string and the JSON literal null mean "no parameters".
// Nested arrays and objects are refused with ErrBadParams, as is any
// trailing data after the array.
func ParseParams(s string, maxParams int) ([]any, error) {
	trimmed := bytes.TrimSpace([]byte(s))
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, newErr(CodeBadParams, err, "params must be a JSON array: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, newErr(CodeBadParams, nil, "params: trailing data after the JSON array")
	}
	if maxParams > 0 && len(raw) > maxParams {
		return nil, newErr(CodeBadParams, nil, "params: %d values, limit %d", len(raw), maxParams)
	}
	out := make([]any, len(raw))
	for i, v := range raw {
		switch v := v.(type) {
		case nil, string, bool:
			out[i] = v
		case json.Number:
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				out[i] = n
			} else if f, err := strconv.ParseFloat(string(v), 64); err == nil {
				out[i] = f
			} else {
				return nil, newErr(CodeBadParams, err, "params[%d]: number %s out of range", i, v)
			}
		default:
			return nil, newErr(CodeBadParams, nil, "params[%d]: %s not allowed (use strings, numbers, booleans or null)", i, jsonKind(v))
		}
	}
	return out, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
