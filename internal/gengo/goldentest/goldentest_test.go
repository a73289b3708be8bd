package goldentest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	if d := Diff([]byte("a\nb\n"), []byte("a\nb\n")); d != "" {
		t.Errorf("equal inputs: %q", d)
	}
	d := Diff([]byte("a\nb\nc\n"), []byte("a\nB\nc\n"))
	for _, want := range []string{"first difference at line 2", "    2\tb\n", "    2\tB\n"} {
		if !strings.Contains(d, want) {
			t.Errorf("Diff lacks %q:\n%s", want, d)
		}
	}
	if d := Diff([]byte("a\n"), []byte("a\nmore\n")); !strings.Contains(d, "line 2") || !strings.Contains(d, "more") {
		t.Errorf("a longer output:\n%s", d)
	}
}

// TestCheckDirUpdate rewrites a golden directory, then checks against it:
// a stale golden file is gone after the update and reported without it.
func TestCheckDirUpdate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "golden")
	stale := filepath.Join(dir, "old.go"+Suffix)
	write(t, stale, []byte("old"))
	files := map[string][]byte{"a.go": []byte("package a\n"), "sub/b.go": []byte("package b\n")}
	CheckDir(t, dir, files, true, "-update")
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale golden file survived the update: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "sub", "b.go"+Suffix))
	if err != nil || string(got) != "package b\n" {
		t.Errorf("sub/b.go.golden = %q, %v", got, err)
	}
	CheckDir(t, dir, files, false, "-update")
}

// recorder is a testing.TB that keeps what a check reports.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) { r.Errorf(format, a...) }
func (r *recorder) Fatal(a ...any)                 { r.msgs = append(r.msgs, fmt.Sprint(a...)) }

// TestCheckDirReports checks what a mismatch, a missing golden file and a
// stale one report: each says how to update.
func TestCheckDirReports(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.go"+Suffix), []byte("package a\n"))
	write(t, filepath.Join(dir, "gone.go"+Suffix), []byte("package gone\n"))
	r := &recorder{}
	CheckDir(r, dir, map[string][]byte{"a.go": []byte("package z\n"), "new.go": []byte("package n\n")}, false, "go test -update")
	all := strings.Join(r.msgs, "\n")
	for _, want := range []string{"differs from", "first difference at line 1", "package z", "new.go.golden", "gone.go.golden is not generated any more"} {
		if !strings.Contains(all, want) {
			t.Errorf("reports lack %q:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "go test -update"); n != 3 {
		t.Errorf("%d of 3 reports say how to update:\n%s", n, all)
	}
}
