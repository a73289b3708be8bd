package manifest

import (
	"testing"
)

func TestScanKeyLines(t *testing.T) {
	src := "# comment [fake]\n" + // 1
		"title = \"\"\"\n" + // 2
		"[not.a.table]\n" + // 3
		"fake = 1 \\\"\"\"\n" + // 4
		"\"\"\"\n" + // 5
		"lit = '''\n" + // 6
		"[also.not]'''\n" + // 7
		"esc = \"a\\\"[x]\" # tricky\n" + // 8
		"\"quoted key\" = 1\n" + // 9
		"a.b.c = 2   # dotted\n" + // 10
		"arr = [\n" + // 11
		"  1,\n" + // 12
		"  2, # comment ]\n" + // 13
		"  \"]\",\n" + // 14
		"]\n" + // 15
		"inline = { x = 1, y = { z = 2 } }\n" + // 16
		"\n" + // 17
		"[tbl]\n" + // 18
		"k = 'v'\n" + // 19
		"\n" + // 20
		"[[aot]]\n" + // 21
		"n = 1\n" + // 22
		"[aot.sub]\n" + // 23
		"m = 2\n" + // 24
		"\n" + // 25
		"  [[ aot ]]  # spaced\n" + // 26
		"n = 2\n" + // 27
		"date = 1979-05-27 07:32:00Z\n" + // 28
		"after = true\n" // 29
	kl := scanKeyLines(src)
	want := map[string]int{
		"title": 2, "lit": 6, "esc": 8, "quoted key": 9, "a": 10, "a.b": 10, "a.b.c": 10,
		"arr": 11, "arr[0]": 12, "arr[1]": 13, "arr[2]": 14,
		"inline": 16, "inline.x": 16, "inline.y": 16, "inline.y.z": 16,
		"tbl": 18, "tbl.k": 19,
		"aot": 21, "aot[0]": 21, "aot[0].n": 22, "aot[0].sub": 23, "aot[0].sub.m": 24,
		"aot[1]": 26, "aot[1].n": 27, "aot[1].date": 28, "aot[1].after": 29,
	}
	for k, l := range want {
		if got := kl[k]; got != l {
			t.Errorf("%s: line %d, want %d", k, got, l)
		}
	}
	for _, k := range []string{"not", "not.a.table", "fake", "also", "also.not", "x"} {
		if l, ok := kl[k]; ok {
			t.Errorf("%q recorded at line %d: it is inside a string", k, l)
		}
	}
	if len(kl) != len(want) {
		t.Errorf("recorded %d keys, want %d: %v", len(kl), len(want), kl)
	}
	if got := kl.lineOf("inline.y.w"); got != 16 {
		t.Errorf("lineOf falls back to the parent: got %d", got)
	}
	if got := kl.lineOf("aot[1].n[3]"); got != 27 {
		t.Errorf("lineOf(aot[1].n[3]) = %d", got)
	}
	if got := kl.lineOf("nothing.here"); got != 0 {
		t.Errorf("lineOf(unknown) = %d", got)
	}
}

func FuzzScanKeyLines(f *testing.F) {
	for _, s := range []string{"", "a=1", "[a.b]\nc=\"\"\"x", "x = [{a=1},{b='''", "[[", "a.\"b", "k = {", "\\", "a = \"\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kl := scanKeyLines(s) // must terminate without panicking
		for k, l := range kl {
			if l < 1 {
				t.Fatalf("%q: line %d", k, l)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[plugin]\nid = \"a\"\nname = \"b\"\nversion = \"1.0.0\"\nruntime = \"wasm\"\n[hooks.x]\npriority = 1\n[[cron]]\njob_type = \"j\"\ncron_expr = \"* * * * *\"\n"))
	f.Add([]byte("[permissions]\nhttp_allow = [\"*\", \"[::1]:1\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("m.toml", data, []string{"x"})
		if (m == nil) == (err == nil) {
			t.Fatalf("Parse returned manifest %v and error %v", m, err)
		}
		es, _ := err.(Errors)
		for _, e := range es {
			// Every problem with a key is located: the scanner found it.
			if e.Key != "" && e.Line == 0 {
				t.Fatalf("no line for %v in\n%s", e, data)
			}
		}
	})
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"ID": "id", "priorty": "priority", "cron": "cron_expr", "on-post-create": "on-post-created",
		"zzz": "", "x": "",
	} {
		if got := suggest(in, []string{"id", "priority", "cron_expr", "on-post-created", "on-post-creating"}); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
