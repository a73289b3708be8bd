package sqldb

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseParams(t *testing.T) {
	got, err := ParseParams(` ["a", 1, -2, 1.5, 1e3, 9223372036854775807, 1e400000, true, false, null] `, 0)
	if err == nil {
		t.Fatalf("accepted an out-of-range number: %v", got)
	}
	got, err = ParseParams(`["a", 1, -2, 1.5, 1e3, 9223372036854775807, 18446744073709551616, true, false, null]`, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"a", int64(1), int64(-2), 1.5, 1000.0, int64(9223372036854775807), 18446744073709551616.0, true, false, nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	for _, none := range []string{"", "  ", "null", "[]"} {
		got, err := ParseParams(none, 0)
		if err != nil || len(got) != 0 {
			t.Errorf("ParseParams(%q) = %v, %v", none, got, err)
		}
	}
}

func TestParseParamsRefusals(t *testing.T) {
	for _, bad := range []string{
		`{"a":1}`, `"a"`, `1`, `[1,`, `[[1]]`, `[{"a":1}]`, `[1] [2]`, `[1] x`, `[1,2,3]`,
	} {
		_, err := ParseParams(bad, 2)
		if !errors.Is(err, ErrBadParams) {
			t.Errorf("ParseParams(%q) = %v, want bad_params", bad, err)
		}
	}
}
