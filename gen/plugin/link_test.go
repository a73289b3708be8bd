package plugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/internal/wasmtools"
	"github.com/tetratelabs/wazero"
)

const witPath = "../../wit/plugin.wit"

func newRuntime(t testing.TB) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	if err := Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := Define(ctx, r); err != nil { // idempotent
		t.Fatalf("second Define: %v", err)
	}
	return r
}

// TestLinksReferenceModules links the dummy core modules the reference
// toolchain (wasm-tools component embed --dummy-names) derives from
// plugin.wit, under each mangling and with an unversioned package: every
// name and core signature the generator expects must match.
func TestLinksReferenceModules(t *testing.T) {
	ctx := context.Background()
	unversioned := filepath.Join(t.TempDir(), "plugin.wit")
	src, err := os.ReadFile(witPath)
	if err != nil {
		t.Fatal(err)
	}
	// An unversioned package cannot carry @since gates: drop them too.
	plain := regexp.MustCompile(`(?m)^\s*@since\(version = [0-9.]+\)\n`).ReplaceAllString(string(src), "")
	if err := os.WriteFile(unversioned, []byte(strings.Replace(plain, "package raisfast:plugin-wit@0.1.1;", "package raisfast:plugin-wit;", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ wit, mangling string }{
		{witPath, wasmtools.Legacy}, {witPath, wasmtools.Standard32},
		{unversioned, wasmtools.Legacy}, {unversioned, wasmtools.Standard32},
	} {
		t.Run(filepath.Base(filepath.Dir(c.wit))+"/"+c.mangling, func(t *testing.T) {
			dummy, err := wasmtools.DummyModule(ctx, c.wit, "plugin-world", c.mangling)
			if err != nil {
				t.Fatal(err)
			}
			r := newRuntime(t)
			mod, err := Compile(ctx, r, dummy)
			if err != nil {
				t.Fatalf("reference module rejected: %v", err)
			}
			for k := range HookList {
				if !mod.HasExport(k) {
					t.Errorf("export %s not found", HookList[k].Name)
				}
			}
			if mod.m.Linked().Realloc == "" || mod.m.Linked().Memory == "" || mod.m.Linked().Init == "" {
				t.Errorf("realloc/memory/init not found: %+v", mod.m.Linked())
			}
		})
	}
}

// TestRejectsMismatches checks that a module whose import or export has
// the wrong core signature, or that imports an unknown function, is
// rejected with a message naming the function and both signatures.
func TestRejectsMismatches(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, wat string
		want      []string
	}{
		{"wrong import signature", `(module
  (import "raisfast:plugin-wit/host-api@0.1.1" "log" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))`,
			[]string{"host-api@0.1.1#log", "module has (i32 i32) -> ()", "world wants (i32 i32 i32 i32) -> ()"}},
		{"unknown import", `(module
  (import "raisfast:plugin-wit/host-api@0.1.1" "teleport" (func))
  (memory (export "memory") 1))`,
			[]string{`no function "teleport"`}},
		{"unknown module", `(module
  (import "env" "abort" (func))
  (memory (export "memory") 1))`,
			[]string{`no module "env"`}},
		{"wrong export signature", `(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login") (param i32) ))`,
			[]string{"plugin-hooks@0.1.1#on-login", "module has (i32) -> ()", "world wants (i32 i32) -> ()"}},
		{"missing memory and realloc", `(module)`,
			[]string{"memory is missing", "cabi_realloc is missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wasm, err := wasmtools.Embed(ctx, []byte(c.wat), witPath, "plugin-world")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compile(ctx, newRuntime(t), wasm, OptionalExports())
			if !errors.Is(err, abi.ErrLink) {
				t.Fatalf("got %v, want a link error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestRequiredExports: by default every export is required; with
// OptionalExports only the named ones are.
func TestRequiredExports(t *testing.T) {
	ctx := context.Background()
	wat := `(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 8)
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login") (param i32 i32)))`
	wasm, err := wasmtools.Embed(ctx, []byte(wat), witPath, "plugin-world")
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t)
	if _, err := Compile(ctx, r, wasm); err == nil || !strings.Contains(err.Error(), "on-post-creating is missing") {
		t.Fatalf("strict compile: %v", err)
	}
	if _, err := Compile(ctx, r, wasm, OptionalExports("on-login")); err != nil {
		t.Fatalf("optional exports: %v", err)
	}
	_, err = Compile(ctx, r, wasm, OptionalExports("on-login", "render-markdown"))
	if err == nil || !strings.Contains(err.Error(), "render-markdown is missing") {
		t.Fatalf("required render-markdown: %v", err)
	}
	mod, _ := Compile(ctx, r, wasm, OptionalExports())
	inst, err := mod.Instantiate(ctx, Imports{HostAPI: nopHost{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.RenderMarkdown(ctx, "x"); !errors.Is(err, abi.ErrNotExported) {
		t.Fatalf("missing export call: %v", err)
	}
	if err := inst.OnLogin(ctx, "u1"); err != nil {
		t.Fatalf("on-login: %v", err)
	}
}

type nopHost struct{}

func (nopHost) Log(context.Context, string, string)                     {}
func (nopHost) GetConfig(context.Context, string) (string, bool)        { return "", false }
func (nopHost) HTTPGet(context.Context, string) (string, bool)          { return "", false }
func (nopHost) HTTPPost(context.Context, string, string) (string, bool) { return "", false }
func (nopHost) GetData(context.Context, string) (string, bool)          { return "", false }
func (nopHost) SetData(context.Context, string, string) bool            { return false }
func (nopHost) GetPost(context.Context, string) (string, bool)          { return "", false }
func (nopHost) DBQuery(context.Context, string, *string) string         { return "" }
func (nopHost) DBExecute(context.Context, string, *string) string       { return "" }
func (nopHost) DBBegin(context.Context) string                          { return "" }
func (nopHost) DBCommit(context.Context) string                         { return "" }
func (nopHost) DBRollback(context.Context) string                       { return "" }
func (nopHost) VFSRead(context.Context, string) (string, bool)          { return "", false }
func (nopHost) VFSWrite(context.Context, string, string) bool           { return false }
func (nopHost) VFSDelete(context.Context, string) bool                  { return false }
func (nopHost) VFSExists(context.Context, string) bool                  { return false }
func (nopHost) VFSList(context.Context, string) (string, bool)          { return "", false }
func (nopHost) VFSStat(context.Context, string) (string, bool)          { return "", false }
func (nopHost) EmitEvent(context.Context, string, string) string        { return "" }
func (nopHost) NewID(context.Context) string                            { return "" }
func (nopHost) DBPh(context.Context, uint32) string                     { return "?" }

// trackModule is a guest in WAT that names the world's interfaces at
// version ver (legacy mangling): it imports host-api's log under that
// version (plus the functions in extra) and exports on-login, which logs
// its argument.
func trackModule(t *testing.T, ver string, extra ...string) []byte {
	t.Helper()
	imports := ""
	for _, e := range extra {
		imports += "\n  (import \"raisfast:plugin-wit/host-api@" + ver + "\" \"" + e + "\" (func))"
	}
	wat := `(module
  (import "raisfast:plugin-wit/host-api@` + ver + `" "log" (func $log (param i32 i32 i32 i32)))` + imports + `
  (memory (export "memory") 1)
  (data (i32.const 0) "info")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "raisfast:plugin-wit/plugin-hooks@` + ver + `#on-login") (param i32 i32)
    i32.const 0 i32.const 4 local.get 0 local.get 1 call $log))`
	wasm, err := wasmtools.Embed(context.Background(), []byte(wat), witPath, "plugin-world")
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

type logHost struct {
	nopHost
	got *[]string
}

func (h logHost) Log(_ context.Context, level, msg string) { *h.got = append(*h.got, level+":"+msg) }

// TestSemverTrack: this host (0.1.1) takes modules that name any version
// on track 0.1, defines the host modules they import under those names,
// and dispatches to exports named with them; a later version that imports
// what the host lacks, and other tracks, are refused with both versions.
func TestSemverTrack(t *testing.T) {
	ctx := context.Background()
	if WorldVersion != "0.1.1" || abi.Track(WorldVersion) != "0.1" {
		t.Fatalf("test assumes a 0.1.1 contract, bindings are %s", WorldVersion)
	}
	for _, c := range []struct {
		ver  string
		take abi.Take
	}{{"0.1.1", abi.TakeSame}, {"0.1.7", abi.TakeCompatible}, {"0.1.1-rc.1", abi.TakeRefused}} {
		t.Run(c.ver, func(t *testing.T) {
			r := newRuntime(t)
			mod, err := Compile(ctx, r, trackModule(t, c.ver), OptionalExports())
			if c.take == abi.TakeRefused {
				var le *abi.LinkError
				if !errors.As(err, &le) || le.Contract.Take != abi.TakeRefused || !strings.Contains(err.Error(), "built for raisfast:plugin-wit@0.1.1-rc.1, this host provides raisfast:plugin-wit@0.1.1") {
					t.Fatalf("pre-release: got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := mod.Contract(); got.Take != c.take || got.Built != c.ver || got.Host != "0.1.1" {
				t.Fatalf("contract %+v, want take %v built %s", got, c.take, c.ver)
			}
			var logs []string
			inst, err := mod.Instantiate(ctx, Imports{HostAPI: logHost{got: &logs}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := inst.OnLogin(ctx, "u1"); err != nil {
				t.Fatal(err)
			}
			if len(logs) != 1 || logs[0] != "info:u1" {
				t.Fatalf("on-login logged %q, want [info:u1]", logs)
			}
		})
	}
	t.Run("later version importing what the host lacks", func(t *testing.T) {
		_, err := Compile(ctx, newRuntime(t), trackModule(t, "0.1.4", "db-insert", "now-millis"), OptionalExports())
		var le *abi.LinkError
		if !errors.As(err, &le) {
			t.Fatalf("got %v, want a link error", err)
		}
		for _, w := range []string{"built for raisfast:plugin-wit@0.1.4, a later version than this host's raisfast:plugin-wit@0.1.1",
			"imports 2 function(s) the host does not provide: host-api#db-insert, host-api#now-millis"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if len(le.Problems) != 1 || le.Contract.Take != abi.TakeRefused || le.Contract.Built != "0.1.4" {
			t.Errorf("want one problem and a refused 0.1.4 contract, got %q %+v", le.Problems, le.Contract)
		}
	})
	for _, other := range []string{"0.2.0", "1.0.0", "0.0.1"} {
		t.Run("other track "+other, func(t *testing.T) {
			_, err := Compile(ctx, newRuntime(t), trackModule(t, other), OptionalExports())
			want := "the module was built for raisfast:plugin-wit@" + other + ", this host provides raisfast:plugin-wit@0.1.1: different semver tracks (" + abi.Track(other) + " and 0.1)"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want %q", err, want)
			}
		})
	}
	t.Run("standard32 track name", func(t *testing.T) {
		wat := `(module
  (import "cm32p2|raisfast:plugin-wit/host-api@0.1" "log" (func $log (param i32 i32 i32 i32)))
  (memory (export "cm32p2_memory") 1)
  (func (export "cm32p2_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "cm32p2|raisfast:plugin-wit/plugin-hooks@0.1|on-login") (param i32 i32)))`
		wasm, err := wasmtools.Embed(ctx, []byte(wat), witPath, "plugin-world")
		if err != nil {
			t.Fatal(err)
		}
		mod, err := Compile(ctx, newRuntime(t), wasm, OptionalExports())
		if err != nil {
			t.Fatal(err)
		}
		if c := mod.Contract(); c.Take != abi.TakeCompatible || c.Built != "0.1" {
			t.Fatalf("contract %+v", c)
		}
	})
	t.Run("exports of interfaces the host does not know still tell the version", func(t *testing.T) {
		for ver, ok := range map[string]bool{"0.1.4": true, "0.3.0": false} {
			wat := `(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login") (param i32 i32))
  (func (export "raisfast:plugin-wit/extra-hooks@` + ver + `#on-archive") (param i32 i32)))`
			wasm, err := wasmtools.Embed(ctx, []byte(wat), witPath, "plugin-world")
			if err != nil {
				t.Fatal(err)
			}
			mod, err := Compile(ctx, newRuntime(t), wasm, OptionalExports())
			switch {
			case ok && (err != nil || mod.Contract().Built != ver || mod.Contract().Take != abi.TakeCompatible):
				t.Errorf("%s: %v", ver, err)
			case !ok && (err == nil || !strings.Contains(err.Error(), "built for raisfast:plugin-wit@0.3.0")):
				t.Errorf("%s: got %v, want a refusal naming 0.3.0", ver, err)
			}
		}
	})
	t.Run("mixed versions prefer the host's exact name", func(t *testing.T) {
		wat := `(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.9#on-login") (param i32 i32))
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login") (param i32 i32)))`
		wasm, err := wasmtools.Embed(ctx, []byte(wat), witPath, "plugin-world")
		if err != nil {
			t.Fatal(err)
		}
		mod, err := Compile(ctx, newRuntime(t), wasm, OptionalExports())
		if err != nil {
			t.Fatal(err)
		}
		if k := ExportIndex("on-login"); mod.m.Linked().Exports[k] != "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login" || mod.Contract().Built != "0.1.9" {
			t.Fatalf("export %q, contract %+v", mod.m.Linked().Exports[k], mod.Contract())
		}
	})
}
