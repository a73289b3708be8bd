package witmodel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnsupportedTuples: a 16-tuple binds, a 17-tuple is named in the error.
func TestUnsupportedTuples(t *testing.T) {
	tuple := func(n int) string { return "tuple<" + strings.TrimSuffix(strings.Repeat("u8, ", n), ", ") + ">" }
	for _, c := range []struct {
		n   int
		bad bool
	}{{16, false}, {17, true}} {
		dir := t.TempDir()
		src := "package t:t;\nworld w {\n  export f: func(x: " + tuple(c.n) + ");\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "t.wit"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		err := load(t, dir, "w").Unsupported()
		if c.bad != (err != nil) {
			t.Fatalf("%d-tuple: Unsupported() = %v", c.n, err)
		}
		if c.bad && !strings.Contains(err.Error(), "more than 16 elements") {
			t.Errorf("%d-tuple: %v", c.n, err)
		}
	}
}
