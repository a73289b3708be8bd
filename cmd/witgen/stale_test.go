package main

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsCurrent re-runs every `//go:generate go run …/cmd/witgen`
// directive of the repository into a temporary directory and fails when a
// committed generated file differs: `go generate ./...` must be a no-op.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var directives []struct{ dir, line string }
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "//go:generate go run ") && strings.Contains(line, "cmd/witgen") {
				directives = append(directives, struct{ dir, line string }{filepath.Dir(path), line})
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(directives) < 2 {
		t.Fatalf("found %d witgen directives; expected at least gen/plugin and the all-types world", len(directives))
	}
	for _, d := range directives {
		fields := strings.Fields(strings.TrimPrefix(d.line, "//go:generate go run "))
		args := fields[1:] // after the cmd/witgen path
		if args[0] != "host" && args[0] != "guest" {
			continue // scaffolding or other sub-commands write no bindings
		}
		rel, _ := filepath.Rel(root, d.dir)
		t.Run(rel, func(t *testing.T) {
			t.Chdir(d.dir)
			tmp := t.TempDir()
			out := ""
			for i, a := range args {
				if a == "-out" {
					out = args[i+1]
				}
			}
			// Generate into tmp but keep the -out spelling for the header.
			gen := generators[args[0]]
			if gen == nil {
				t.Skipf("no generator %q in this build", args[0])
			}
			runArgs := replaceOut(args, tmp)
			if args[0] == "guest" {
				// The guest bindings import their own subpackages: generate
				// them for the import path of the real output directory.
				ip, err := importPath(out)
				if err != nil {
					t.Fatal(err)
				}
				runArgs = append(runArgs, "-import", ip)
			}
			var stderr bytes.Buffer
			if err := run(context.Background(), runArgs, &bytes.Buffer{}, &stderr); err != nil {
				t.Fatalf("witgen %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			// Compare every generated file, in subdirectories too (the
			// guest bindings are a tree of packages).
			err := filepath.WalkDir(tmp, func(p string, e fs.DirEntry, err error) error {
				if err != nil || e.IsDir() {
					return err
				}
				name, _ := filepath.Rel(tmp, p)
				want, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				want = bytes.ReplaceAll(want, []byte("-out "+filepath.ToSlash(tmp)), []byte("-out "+out))
				got, err := os.ReadFile(filepath.Join(out, name))
				if err != nil {
					t.Errorf("%s: %v (run go generate ./...)", name, err)
				} else if !bytes.Equal(got, want) {
					t.Errorf("%s/%s is stale: run go generate ./...", rel, name)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func replaceOut(args []string, dir string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		if a == "-out" {
			out[i+1] = dir
		}
	}
	return out
}
