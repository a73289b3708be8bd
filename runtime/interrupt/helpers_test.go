package interrupt

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/runtime/runtimetest"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// features are the core features the tests enable: wazero's defaults plus
// every proposal it implements behind a flag, so that the WAT modules may
// use tail calls, exceptions and typed function references.
const features = api.CoreFeaturesV2 | experimental.CoreFeaturesTailCall |
	experimental.CoreFeaturesExtendedConst | experimental.CoreFeaturesExceptionHandling |
	experimental.CoreFeaturesTypedFunctionReferences | experimental.CoreFeaturesThreads

// cache is shared by the compiler runtimes of this test binary, so a module
// compiled for one test or host binding is not compiled again.
var cache = wazero.NewCompilationCache()

// engine is one of wazero's two engines.
type engine struct {
	name   string
	config func() wazero.RuntimeConfig
}

var (
	compiler    = engine{"compiler", func() wazero.RuntimeConfig { return wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache) }}
	interpreter = engine{"interpreter", wazero.NewRuntimeConfigInterpreter}
)

// newRuntime returns a runtime of e with features, closed at the end of
// the test.
func newRuntime(tb testing.TB, e engine) wazero.Runtime {
	tb.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, e.config().WithCoreFeatures(features))
	tb.Cleanup(func() { r.Close(ctx) })
	return r
}

// assemble turns WAT into a module (with a component-type custom section,
// which the rewriter must carry over).
func assemble(tb testing.TB, wat string) []byte {
	tb.Helper()
	b, err := runtimetest.Assemble(context.Background(), wat)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustInstrument instruments wasm or fails the test.
func mustInstrument(tb testing.TB, wasm []byte) []byte {
	tb.Helper()
	out, err := Instrument(wasm)
	if err != nil {
		tb.Fatalf("Instrument: %v", err)
	}
	return out
}

// instantiate compiles and instantiates wasm (anonymous, so that several
// instances may coexist) in r.
func instantiate(tb testing.TB, r wazero.Runtime, wasm []byte) api.Module {
	tb.Helper()
	ctx := context.Background()
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	m, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		tb.Fatalf("instantiate: %v", err)
	}
	return m
}

// guestFile is a guest module built by .ci/build-guests.sh or by
// guests.BuildGo.
type guestFile struct {
	name string // file name without .wasm
	path string
	lang string // "c", "rust", "go" or "go (wit-bindgen-go)"
}

// guestFiles lists the guests in .cache/guests and .cache/guests/go.
func guestFiles(tb testing.TB) []guestFile {
	tb.Helper()
	dir := filepath.Join(guests.Root(), ".cache", "guests")
	var out []guestFile
	for _, pattern := range []string{"*.wasm", "go/*.wasm"} {
		paths, _ := filepath.Glob(filepath.Join(dir, pattern))
		if pattern == "go/*.wasm" {
			paths = newestBuilds(paths)
		}
		sort.Strings(paths)
		for _, p := range paths {
			name := filepath.Base(p)
			name = name[:len(name)-len(".wasm")]
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			lang := "c"
			switch {
			case bytes.Contains(b, []byte("go:buildid")) && strings.Contains(name, "wbgo"):
				lang = "go (wit-bindgen-go)"
			case bytes.Contains(b, []byte("go:buildid")):
				lang = "go"
			case strings.Contains(name, "rust"):
				lang = "rust"
			}
			out = append(out, guestFile{name, p, lang})
		}
	}
	if len(out) == 0 {
		msg := "no guests in " + dir + "; run: bash .ci/install-toolchains.sh && bash .ci/build-guests.sh"
		if os.Getenv(guests.RequireEnv) != "" {
			tb.Fatal(msg)
		}
		tb.Skip("SKIPPED (interop): " + msg)
	}
	return out
}

func readGuest(tb testing.TB, g guestFile) []byte {
	tb.Helper()
	b, err := os.ReadFile(g.path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// newestBuilds keeps, of the Go guest builds <name>-<hash>.wasm that
// guests.BuildGo leaves in its cache, the newest per name: older hashes
// are builds of sources that have changed since.
func newestBuilds(paths []string) []string {
	newest := map[string]string{}
	mtime := map[string]int64{}
	for _, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), ".wasm")
		name := base
		if i := strings.LastIndexByte(base, '-'); i > 0 {
			name = base[:i]
		}
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if t := fi.ModTime().UnixNano(); newest[name] == "" || t > mtime[name] {
			newest[name], mtime[name] = p, t
		}
	}
	out := make([]string, 0, len(newest))
	for _, p := range newest {
		out = append(out, p)
	}
	return out
}
