package abi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// JSONCall is a hook called with its arguments as JSON (the single
// parameter's value, or an object of all parameters by snake_case name)
// that returns its result as JSON (null for none and for actions), on a
// guest of type G.
type JSONCall[G any] func(G, context.Context, []byte) ([]byte, error)

// CallJSON makes the JSONCall of export name from its typed call: A holds
// the arguments (struct{} when there are none, and then the JSON is not
// read), R the result. The result is encoded without HTML escaping, so
// "<p>" stays "<p>".
func CallJSON[G, A, R any](name string, call func(G, context.Context, A) (R, error)) JSONCall[G] {
	return func(g G, ctx context.Context, args []byte) ([]byte, error) {
		var a A
		if err := decodeArgs(name, args, &a); err != nil {
			return nil, err
		}
		out, err := call(g, ctx, a)
		if err != nil {
			return nil, err
		}
		return encodeJSON(out)
	}
}

// ActionJSON is CallJSON for an export without a result; it returns null.
func ActionJSON[G, A any](name string, call func(G, context.Context, A) error) JSONCall[G] {
	return func(g G, ctx context.Context, args []byte) ([]byte, error) {
		var a A
		if err := decodeArgs(name, args, &a); err != nil {
			return nil, err
		}
		if err := call(g, ctx, a); err != nil {
			return nil, err
		}
		return []byte("null"), nil
	}
}

func decodeArgs[A any](name string, args []byte, a *A) error {
	if _, none := any(a).(*struct{}); none {
		return nil
	}
	if err := json.Unmarshal(args, a); err != nil {
		return fmt.Errorf("%s: arguments: %w", name, err)
	}
	return nil
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
