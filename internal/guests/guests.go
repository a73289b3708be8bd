// Package guests locates wasm guests built by .ci/build-guests.sh for
// tests. Locally a missing guest skips the test with the command that
// builds it; under CI (WASMPLUG_REQUIRE_GUESTS=1) it fails, so interop
// tests can never pass by not running.
package guests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// RequireEnv makes missing guests fail instead of skip.
const RequireEnv = "WASMPLUG_REQUIRE_GUESTS"

// Root returns the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Load returns the bytes of .cache/guests/<name>.wasm.
func Load(tb testing.TB, name string) []byte {
	tb.Helper()
	path := filepath.Join(Root(), ".cache", "guests", name+".wasm")
	b, err := os.ReadFile(path)
	if err == nil {
		return b
	}
	msg := "guest " + name + " is not built (" + err.Error() + "); run: bash .ci/install-toolchains.sh && bash .ci/build-guests.sh"
	if os.Getenv(RequireEnv) != "" {
		tb.Fatal(msg)
	}
	skipped.add(name)
	tb.Skip("SKIPPED (interop): " + msg)
	return nil
}

// skips collects the guests Load found missing in this test binary, for
// the summary Main prints.
type skips struct {
	mu    sync.Mutex
	names []string
	tests int
}

func (s *skips) add(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tests++
	if !slices.Contains(s.names, name) {
		s.names = append(s.names, name)
	}
}

// skipped is the test binary's record of skips (one per process: a test
// helper, not library state).
var skipped skips

// Main runs the package's tests (call it from TestMain) and then, if Load
// skipped any, prints one summary line naming the missing guests. go test
// shows a passing package's output only with -v, so the line goes to the
// terminal (/dev/tty) when there is one, and to stderr otherwise.
func Main(m *testing.M) int {
	code := m.Run()
	skipped.mu.Lock()
	defer skipped.mu.Unlock()
	if skipped.tests == 0 {
		return code
	}
	_, file, _, _ := runtime.Caller(1)
	pkg, _ := filepath.Rel(Root(), filepath.Dir(file))
	line := fmt.Sprintf("SKIPPED in ./%s: %d interop tests, guests not built: %s (run: bash .ci/install-toolchains.sh && bash .ci/build-guests.sh)\n",
		filepath.ToSlash(pkg), skipped.tests, strings.Join(skipped.names, ", "))
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		fmt.Fprint(tty, line)
		tty.Close()
	} else {
		fmt.Fprint(os.Stderr, line)
	}
	return code
}

// BuildGo builds the Go package pkg (a path relative to the repository
// root, such as "internal/evolve/testplugins/go011") as a wasip1 reactor
// (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared) and returns the
// module. Builds are kept in .cache/guests/go/<name>-<hash>.wasm, where the
// hash covers the Go sources under dirs (relative to the root; pkg itself
// is always included), go.mod, go.sum and the go command's version, so an
// unchanged guest is built once per machine. Go guests need no toolchain
// beyond go itself, so a failed build fails the test.
func BuildGo(tb testing.TB, pkg string, dirs ...string) []byte {
	tb.Helper()
	root := Root()
	gv, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		tb.Fatalf("go env GOVERSION: %v", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", bytes.TrimSpace(gv), os.Getenv("GOFLAGS"))
	for _, d := range append([]string{pkg, "go.mod", "go.sum"}, dirs...) {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			base := filepath.Base(path)
			if !(strings.HasSuffix(base, ".go") && !strings.HasSuffix(base, "_test.go") || base == "go.mod" || base == "go.sum") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(src))
			h.Write(src)
			return nil
		})
		if err != nil {
			tb.Fatalf("hash %s: %v", d, err)
		}
	}
	dir := filepath.Join(root, ".cache", "guests", "go")
	out := filepath.Join(dir, filepath.Base(pkg)+"-"+hex.EncodeToString(h.Sum(nil))[:16]+".wasm")
	if wasm, err := os.ReadFile(out); err == nil {
		return wasm
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(pkg)+"-*.tmp")
	if err != nil {
		tb.Fatal(err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	// A plugin with its own go.mod (examples/plugins/markdown) is built
	// in its module; the others as packages of this one.
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", tmp.Name(), "./"+filepath.ToSlash(pkg))
	cmd.Dir = root
	if _, err := os.Stat(filepath.Join(root, pkg, "go.mod")); err == nil {
		cmd.Args[len(cmd.Args)-1] = "."
		cmd.Dir = filepath.Join(root, pkg)
	}
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWORK=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, msg)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		tb.Fatal(err)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return wasm
}
