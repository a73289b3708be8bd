package wasmtools

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/reference (same as go run ./internal/wasmtools/cmd/refdump)")

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func root(t *testing.T) string {
	t.Helper()
	r := RepoRoot()
	if r == "" {
		t.Fatal("cannot find the repository root")
	}
	return r
}

func pluginWIT(t *testing.T) string { return filepath.Join(root(t), "wit", "plugin.wit") }

// writeWIT writes a single-file WIT package into a temporary directory.
func writeWIT(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.wit")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	v, err := Version(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if v != "wasm-tools 1.230.0" {
		t.Errorf("Version = %q, want wasm-tools 1.230.0 (go.bytecodealliance.org changed?)", v)
	}
}

func TestReferencesCurrent(t *testing.T) {
	ctx, r := testContext(t), root(t)
	if *update {
		written, err := WriteReferences(ctx, r)
		for _, name := range written {
			t.Log("wrote", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, ref := range References {
		for _, mangling := range Manglings {
			t.Run(ref.Name+"."+mangling, func(t *testing.T) {
				want, err := ref.Table(ctx, r, mangling)
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(r, ref.File(mangling)))
				if err != nil {
					t.Fatalf("%v; run go run ./internal/wasmtools/cmd/refdump", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s is stale; run go run ./internal/wasmtools/cmd/refdump (or go test ./internal/wasmtools -run References -update)\n%s",
						ref.File(mangling), lineDiff(string(got), string(want)))
				}
			})
		}
	}
}

// lineDiff lists the lines only one of a and b has.
func lineDiff(a, b string) string {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		inA[l] = true
	}
	for _, l := range strings.Split(b, "\n") {
		inB[l] = true
	}
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !inB[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !inA[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

func find(sigs []FuncSig, name string) (FuncSig, bool) {
	for _, s := range sigs {
		if s.Name == name {
			return s, true
		}
	}
	return FuncSig{}, false
}

// TestContractNames checks the names DESIGN.md §2 states against wasm-tools.
func TestContractNames(t *testing.T) {
	ctx := testContext(t)
	cases := []struct {
		mangling                    string
		importModule, dataModule    string
		export, post                string
		memory, realloc, initialize string
		flat22, flat29              string // the memory-passed filters and actions
	}{
		{
			mangling:     Legacy,
			importModule: "raisfast:plugin-wit/host-api@0.1.1",
			dataModule:   "raisfast:plugin-wit/data@0.1.1",
			export:       "raisfast:plugin-wit/plugin-hooks@0.1.1#on-post-creating",
			post:         "cabi_post_raisfast:plugin-wit/plugin-hooks@0.1.1#on-post-creating",
			memory:       "memory", realloc: "cabi_realloc", initialize: "_initialize",
			flat22: "raisfast:plugin-wit/plugin-hooks@0.1.1#on-post-updating",
			flat29: "raisfast:plugin-wit/plugin-hooks@0.1.1#on-post-created",
		},
		{
			mangling:     Standard32,
			importModule: "cm32p2|raisfast:plugin-wit/host-api@0.1",
			dataModule:   "cm32p2|raisfast:plugin-wit/data@0.1",
			export:       "cm32p2|raisfast:plugin-wit/plugin-hooks@0.1|on-post-creating",
			post:         "cm32p2|raisfast:plugin-wit/plugin-hooks@0.1|on-post-creating_post",
			memory:       "cm32p2_memory", realloc: "cm32p2_realloc", initialize: "cm32p2_initialize",
			flat22: "cm32p2|raisfast:plugin-wit/plugin-hooks@0.1|on-post-updating",
			flat29: "cm32p2|raisfast:plugin-wit/plugin-hooks@0.1|on-post-updated",
		},
	}
	for _, c := range cases {
		t.Run(c.mangling, func(t *testing.T) {
			wasm, err := DummyModule(ctx, pluginWIT(t), "plugin-world", c.mangling)
			if err != nil {
				t.Fatal(err)
			}
			imports, exports, err := CoreSignatures(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			if len(imports) != 21+9 {
				t.Errorf("%d imports, want the 21 host-api and 9 data functions", len(imports))
			}
			for _, s := range imports {
				if s.Module != c.importModule && s.Module != c.dataModule || s.Kind != KindFunc {
					t.Errorf("import %v: want only functions from %q and %q (types has no core imports)", s, c.importModule, c.dataModule)
				}
			}
			if s, _ := find(imports, "log"); s.Signature() != "(i32 i32 i32 i32) -> ()" {
				t.Errorf("log: %v", s)
			}
			if s, _ := find(imports, "get-config"); s.Signature() != "(i32 i32 i32) -> ()" {
				t.Errorf("get-config (result through a return pointer): %v", s)
			}
			want := map[string]string{
				c.export:     "(i32) -> (i32)",
				c.post:       "(i32) -> ()",
				c.flat22:     "(i32) -> (i32)",
				c.flat29:     "(i32) -> ()",
				c.realloc:    "(i32 i32 i32 i32) -> (i32)",
				c.initialize: "() -> ()",
			}
			for name, sig := range want {
				if s, ok := find(exports, name); !ok || s.Kind != KindFunc || s.Signature() != sig {
					t.Errorf("export %q = %v, want func %s", name, s, sig)
				}
			}
			if s, ok := find(exports, c.memory); !ok || s.Kind != KindMemory {
				t.Errorf("no memory export %q", c.memory)
			}
			// 16 hooks, each with a post-return, plus memory, realloc, initialize.
			if len(exports) != 16*2+3 {
				t.Errorf("%d exports, want 35", len(exports))
			}
		})
	}
}

// TestStandard32Versions records how standard32 shortens versions.
func TestStandard32Versions(t *testing.T) {
	ctx := testContext(t)
	for _, c := range []struct{ version, legacy, standard32 string }{
		{"", "a:b/i", "cm32p2|a:b/i"}, // unversioned packages are representable
		{"@0.1.0", "a:b/i@0.1.0", "cm32p2|a:b/i@0.1"},
		{"@0.2.3", "a:b/i@0.2.3", "cm32p2|a:b/i@0.2"},
		{"@1.0.0", "a:b/i@1.0.0", "cm32p2|a:b/i@1"},
		{"@1.2.3", "a:b/i@1.2.3", "cm32p2|a:b/i@1"},
		{"@0.0.1", "a:b/i@0.0.1", "cm32p2|a:b/i@0.0.1"},
		{"@1.0.0-rc.1", "a:b/i@1.0.0-rc.1", "cm32p2|a:b/i@1.0.0-rc.1"},
		{"@2.0.0+build", "a:b/i@2.0.0+build", "cm32p2|a:b/i@2"},
	} {
		wit := writeWIT(t, "package a:b"+c.version+";\ninterface i { f: func(); }\nworld w { import i; export i; }\n")
		for mangling, module := range map[string]string{Legacy: c.legacy, Standard32: c.standard32} {
			wasm, err := DummyModule(ctx, wit, "w", mangling)
			if err != nil {
				t.Fatal(err)
			}
			imports, exports, err := CoreSignatures(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			export := module + "#f"
			if mangling == Standard32 {
				export = module + "|f"
			}
			if len(imports) != 1 || imports[0].Module != module || imports[0].Name != "f" {
				t.Errorf("%q %s: imports %v, want module %q", c.version, mangling, imports, module)
			}
			if len(exports) == 0 || exports[0].Name != export {
				t.Errorf("%q %s: exports %v, want %q first", c.version, mangling, exports, export)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	ctx := testContext(t)
	wit := pluginWIT(t)
	for _, mangling := range Manglings {
		wasm, err := DummyModule(ctx, wit, "plugin-world", mangling)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(ctx, wasm, wit, "plugin-world"); err != nil {
			t.Errorf("%s dummy does not validate: %v", mangling, err)
		}
		// The dummy already embeds its world.
		component, err := ComponentNew(ctx, wasm, ComponentOptions{RejectLegacyNames: mangling == Legacy})
		if mangling == Legacy {
			if err == nil {
				t.Error("legacy names accepted with RejectLegacyNames")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(component, []byte("\x00asm")) || component[4] != 0x0d {
			t.Errorf("ComponentNew did not return a component: % x", component[:8])
		}
	}

	small := writeWIT(t, `package a:b@0.1.0;
interface host { log: func(msg: string); }
interface hooks { on-login: func(user-id: string) -> option<string>; }
world w { import host; export hooks; }
`)
	const good = `(module
  (import "a:b/host@0.1.0" "log" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "a:b/hooks@0.1.0#on-login") (param i32 i32) (result i32) unreachable)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable))`
	if err := Validate(ctx, []byte(good), small, "w"); err != nil {
		t.Errorf("good WAT module: %v", err)
	}
	for name, c := range map[string]struct{ from, to, msg string }{
		"wrong import signature": {`(func (param i32 i32)))`, `(func (param i32)))`, "log"},
		"wrong export signature": {`(param i32 i32) (result i32) unreachable`, `(param i32 i32) unreachable`, "on-login"},
		"missing export":         {`(export "a:b/hooks@0.1.0#on-login")`, `(export "on-login")`, "on-login"},
		"unknown import module":  {`"a:b/host@0.1.0"`, `"a:b/host@0.2.0"`, "a:b/host@0.2.0"},
	} {
		bad := strings.Replace(good, c.from, c.to, 1)
		err := Validate(ctx, []byte(bad), small, "w")
		var wtErr *Error
		if !errors.As(err, &wtErr) {
			t.Errorf("%s: err = %v, want a *wasmtools.Error", name, err)
			continue
		}
		if !strings.Contains(wtErr.Stderr, c.msg) {
			t.Errorf("%s: message does not name %q:\n%s", name, c.msg, wtErr.Stderr)
		}
		t.Logf("%s: %s", name, strings.TrimSpace(wtErr.Stderr))
	}
}

func TestCoreSignatures(t *testing.T) {
	ctx := testContext(t)
	empty := writeWIT(t, "package a:empty;\nworld w {}\n")
	wasm, err := Embed(ctx, []byte(`(module
  (import "env" "f" (func (param i64 f32) (result f64)))
  (import "env" "mem" (memory 1))
  (import "env" "g" (global i32))
  (import "env" "t" (table 1 funcref))
  (global $h (mut i64) (i64.const -1))
  (global $k f32 (f32.const 1.5))
  (func $one (param i32) (result i32 i64) unreachable)
  (export "b_one" (func $one))
  (export "a_h" (global $h))
  (export "k" (global $k))
  (export "g" (global 0))
  (export "t" (table 0))
  (export "mem" (memory 0)))`), empty, "w")
	if err != nil {
		t.Fatal(err)
	}
	imports, exports, err := CoreSignatures(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range append(imports, exports...) {
		got = append(got, s.String())
	}
	want := []string{
		`import func "env" "f" (i64 f32) -> (f64)`,
		`import memory "env" "mem"`,
		`import global "env" "g" i32`,
		`import table "env" "t"`,
		`export func "b_one" (i32) -> (i32 i64)`,
		`export global "a_h" mut i64`,
		`export global "k" f32`,
		`export global "g" i32`,
		`export table "t"`,
		`export memory "mem"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if _, _, err := CoreSignatures(ctx, []byte("\x00asm\x0d\x00\x01\x00")); err == nil {
		t.Error("a component was accepted as a core module")
	}
}

func TestRunError(t *testing.T) {
	ctx := testContext(t)
	_, _, err := Run(ctx, t.TempDir(), "component", "embed", "missing.wit", "--dummy")
	var wtErr *Error
	if !errors.As(err, &wtErr) || wtErr.ExitCode == 0 || !strings.Contains(wtErr.Stderr, "missing.wit") {
		t.Fatalf("err = %#v", err)
	}
	if _, err := DummyModule(ctx, pluginWIT(t), "plugin-world", "standard64"); err == nil {
		t.Error("unknown mangling accepted")
	}
}

// TestRunDir checks that Run mounts dir as the guest's root, writable.
func TestRunDir(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	src, err := os.ReadFile(pluginWIT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.wit"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := Run(ctx, dir, "component", "embed", "--dummy-names", "legacy", "plugin.wit", "-w", "plugin-world", "-o", "out/dummy.wasm")
	if err == nil {
		t.Fatalf("output into a missing directory succeeded: %q", stdout)
	}
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Run(ctx, dir, "component", "embed", "--dummy-names", "legacy", "plugin.wit", "-w", "plugin-world", "-o", "/out/dummy.wasm"); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(filepath.Join(dir, "out", "dummy.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := DummyModule(ctx, filepath.Join(dir, "plugin.wit"), "plugin-world", Legacy)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wasm, want) {
		t.Error("-o output differs from standard output")
	}
}

func TestConcurrentRuns(t *testing.T) {
	ctx := testContext(t)
	wit := pluginWIT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := DummyModule(ctx, wit, "plugin-world", Manglings[i%2])
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
