package manifest

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// treeDepth is how deep a decoded TOML value nests: a table or an array is
// one level above its deepest element.
func treeDepth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			d = max(d, treeDepth(e))
		}
		return d + 1
	case []map[string]any:
		for _, e := range x {
			d = max(d, treeDepth(e))
		}
		return d + 1
	case []any:
		for _, e := range x {
			d = max(d, treeDepth(e))
		}
		return d + 1
	}
	return 0
}

// checkDepth never refuses a document the parser reads as MaxDepth levels
// or fewer: it may only err on the side of letting the parser decide.
func FuzzCheckDepth(f *testing.F) {
	deep := strings.Repeat("a.", MaxDepth) + "a"
	for _, s := range []string{
		"[plugin]\nid = \"x\"\n[[cron]]\njob_type = \"j\"\n[permissions]\nhttp_allow = [\"a\", 'b']\n",
		"x = {a = {b = [1, {c.d = 2}]}, e = [[1], [2]]}\n",
		"[a.\"b.c\".d]\ne.f = '''\n[[[.'''\ng = \"\"\"\\\"\"\"\"\"\n",
		"[" + deep + "]\n", deep + " = 1\n", "x = " + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		"x = " + strings.Repeat("{a=", MaxDepth) + "1" + strings.Repeat("}", MaxDepth),
		"a = [ # [[[[\n 1, # ]\n]\nb = 2\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		at := checkDepth(src)
		if at < -1 || at >= len(src) {
			t.Fatalf("checkDepth = %d for %d bytes", at, len(src))
		}
		if at < 0 {
			return
		}
		var doc map[string]any
		if _, err := toml.Decode(src, &doc); err != nil {
			return // the parser would have refused it too
		}
		if d := treeDepth(doc); d <= MaxDepth {
			t.Fatalf("refused at %d a document %d levels deep:\n%s", at, d, src)
		}
	})
}
