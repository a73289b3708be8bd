// Package goldentest compares generated code with checked-in golden files,
// for the generators' tests. A golden file is the generated file's name
// plus ".golden", so Go tools and gofmt leave it alone.
package goldentest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Suffix ends every golden file's name.
const Suffix = ".golden"

// context is how many lines a mismatch report shows from the first
// differing one.
const context = 6

// Check compares got with the golden file path; with update it rewrites
// the file instead. how is the command that updates it, for the failure
// message.
func Check(t testing.TB, path string, got []byte, update bool, how string) {
	t.Helper()
	if update {
		write(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with %s)", err, how)
		return
	}
	if d := Diff(want, got); d != "" {
		t.Errorf("generated code differs from %s; if the change is intended, run %s\n%s", path, how, d)
	}
}

// CheckDir compares files (slash-separated paths relative to dir, as a
// generator returns them) with the golden files under dir, which must hold
// no others; with update it rewrites dir to hold exactly files.
func CheckDir(t testing.TB, dir string, files map[string][]byte, update bool, how string) {
	t.Helper()
	if update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		Check(t, filepath.Join(dir, filepath.FromSlash(name))+Suffix, files[name], update, how)
	}
	if update {
		return
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.ToSlash(rel), Suffix)
		if _, ok := files[name]; !ok {
			t.Errorf("%s is not generated any more; run %s", p, how)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Diff describes where got first differs from want: the line number and
// up to context lines of each from there, or "" if they are equal.
func Diff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	wl, gl := lines(want), lines(got)
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (golden %d lines, generated %d):\n", i+1, len(wl), len(gl))
	excerpt(&b, "golden", wl, i)
	excerpt(&b, "generated", gl, i)
	return b.String()
}

// lines splits src into lines, without the empty one after a final
// newline.
func lines(src []byte) []string {
	return strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
}

func excerpt(b *strings.Builder, label string, lines []string, from int) {
	fmt.Fprintf(b, "--- %s:\n", label)
	if from >= len(lines) {
		b.WriteString("\t(end of file)\n")
		return
	}
	for i := from; i < len(lines) && i < from+context; i++ {
		fmt.Fprintf(b, "%5d\t%s\n", i+1, lines[i])
	}
}

func write(t testing.TB, path string, src []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
}
