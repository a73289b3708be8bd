package witdiff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/wasmtools"
	"go.bytecodealliance.org/wit"
)

// semverCheck runs the reference judgement on the same pair of worlds:
//
//	wasm-tools component semver-check [--features F,…] --prev PREV --new NEW WIT
//
// (found with `component semver-check --help` under internal/wasmtools).
// It wants both worlds in one package of one package set, and compares
// with package versions cleared. So the two sides are loaded afresh, their
// main packages get versions of their own (999.0.0-old, 999.0.0-new: newer
// than any @since, so they still parse), every package is rendered back to
// WIT into deps/ of a scratch directory, and a main package holds
// `world prev { include OLD; }` and `world next { include NEW; }`.
//
// It reports whether semver-check passes and its message; applicable is
// false when the two sides share a dependency of one name and version
// whose contents differ (the set cannot hold both).
func semverCheck(t *testing.T, oldPath, newPath string, opts Options) (pass bool, msg string, applicable bool) {
	t.Helper()
	dir := t.TempDir()
	deps := filepath.Join(dir, "deps")
	if err := os.Mkdir(deps, 0o755); err != nil {
		t.Fatal(err)
	}
	rendered := map[string]string{} // package name → WIT text
	var includes [2]string
	for i, p := range []string{oldPath, newPath} {
		res, err := loadWIT(p)
		if err != nil {
			t.Fatalf("semver-check: loading %s: %v", p, err)
		}
		w, err := findWorld(res, opts.World)
		if err != nil {
			t.Fatalf("semver-check: %s: %v", p, err)
		}
		id, err := wit.ParseIdent("witdiff:check@999.0.0-" + [2]string{"old", "new"}[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Package.Name.Version = id.Version
		includes[i] = pkgID(w.Package) + "/" + w.Name + "@" + id.Version.String()
		for _, pkg := range res.Packages {
			name := pkg.Name.String()
			text := pkg.WIT(nil, "")
			if prev, ok := rendered[name]; ok {
				if prev != text {
					return false, "dependency " + name + " differs between OLD and NEW", false
				}
				continue
			}
			rendered[name] = text
			file := filepath.Join(deps, fmt.Sprintf("%d.wit", len(rendered)))
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	main := fmt.Sprintf("package witdiff:check;\n\nworld prev { include %s; }\nworld next { include %s; }\n", includes[0], includes[1])
	if err := os.WriteFile(filepath.Join(dir, "check.wit"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"component", "semver-check"}
	switch {
	case opts.AllFeatures:
		args = append(args, "--all-features")
	case len(opts.Features) > 0:
		args = append(args, "--features", strings.Join(opts.Features, ","))
	}
	args = append(args, "--prev", "prev", "--new", "next", ".")
	_, _, err := wasmtools.Run(context.Background(), dir, args...)
	var werr *wasmtools.Error
	switch {
	case err == nil:
		return true, "", true
	case errors.As(err, &werr) && strings.Contains(werr.Stderr, "not semver-compatible"):
		return false, strings.Join(strings.Fields(werr.Stderr), " "), true
	}
	t.Fatalf("semver-check did not judge: %v\n%s", err, main)
	return false, "", false
}
