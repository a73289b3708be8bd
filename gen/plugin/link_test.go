package plugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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
	if err := os.WriteFile(unversioned, []byte(strings.Replace(string(src), "package raisfast:plugin-wit@0.1.0;", "package raisfast:plugin-wit;", 1)), 0o644); err != nil {
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
			if mod.linked.Realloc == "" || mod.linked.Memory == "" || mod.linked.Init == "" {
				t.Errorf("realloc/memory/init not found: %+v", mod.linked)
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
  (import "raisfast:plugin-wit/host-api@0.1.0" "log" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))`,
			[]string{"host-api@0.1.0#log", "module has (i32 i32) -> ()", "world wants (i32 i32 i32 i32) -> ()"}},
		{"unknown import", `(module
  (import "raisfast:plugin-wit/host-api@0.1.0" "teleport" (func))
  (memory (export "memory") 1))`,
			[]string{`no function "teleport"`}},
		{"unknown module", `(module
  (import "env" "abort" (func))
  (memory (export "memory") 1))`,
			[]string{`no module "env"`}},
		{"wrong export signature", `(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#on-login") (param i32) ))`,
			[]string{"plugin-hooks@0.1.0#on-login", "module has (i32) -> ()", "world wants (i32 i32) -> ()"}},
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
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#on-login") (param i32 i32)))`
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
