package interrupt

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// memoryOf returns a copy of m's memory.
func memoryOf(t *testing.T, m api.Module) []byte {
	t.Helper()
	b, ok := m.Memory().Read(0, m.Memory().Size())
	if !ok {
		t.Fatal("memory unreadable")
	}
	return bytes.Clone(b)
}

// TestImageDataSegments checks that an image-prepared module's
// initialiser writes memory exactly as instantiation of the original does
// (segments out of order, overlapping, with gaps, at an imported global's
// offset), then runs the original initialiser, once.
func TestImageDataSegments(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ name, data string }{
		{"in order with gaps", `(data (i32.const 16) "abc") (data (i32.const 20) "de") (data (i32.const 5000) "far") (data (i32.const 30000) "farther")`},
		{"out of order, disjoint", `(data (i32.const 300) "late") (data (i32.const 100) "early") (data (i32.const 200) "middle")`},
		{"out of order, overlapping", `(data (i32.const 100) "aaaaaaaa") (data (i32.const 96) "bbbbbb") (data (i32.const 104) "cc")`},
		{"in order, overlapping", `(data (i32.const 10) "xxxxxxxx") (data (i32.const 12) "yy") (data (i32.const 40) "z")`},
		{"offset from a global", `(data (i32.const 64) "const") (data (global.get $base) "global") (data (i32.const 70) "after")`},
		{"passive kept", `(data $p "passive") (data (i32.const 8) "active")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			wat := `(module
  (import "env" "base" (global $base i32))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 7))
  (global $f (mut f64) (f64.const 1.5))
  ` + c.data + `
  (func (export "_initialize")
    (global.set $n (i32.add (global.get $n) (i32.load8_u (i32.const 16))))
    (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1))))
  (func (export "n") (result i32) (global.get $n)))`
			wasm := assemble(t, wat)
			res, err := Rewrite(wasm, Options{YieldEvery: 100, Image: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Image {
				t.Fatalf("no image: %v", res.ImageRefused)
			}
			r := newRuntime(t, compiler)
			env := assemble(t, `(module (global (export "base") i32 (i32.const 1000)))`)
			if _, err := r.InstantiateWithConfig(ctx, env, wazero.NewModuleConfig().WithName("env")); err != nil {
				t.Fatal(err)
			}
			run := func(w []byte) (api.Module, []byte) {
				cm, err := r.CompileModule(ctx, w)
				if err != nil {
					t.Fatalf("compile: %v", err)
				}
				m, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
				if err != nil {
					t.Fatalf("instantiate: %v", err)
				}
				if _, err := m.ExportedFunction("_initialize").Call(ctx); err != nil {
					t.Fatalf("_initialize: %v", err)
				}
				return m, memoryOf(t, m)
			}
			orig, want := run(wasm)
			img, got := run(res.Wasm)
			if i := firstDiffAt(want, got); i >= 0 {
				t.Fatalf("memory differs at %d: %q, want %q", i, got[i:min(i+16, len(got))], want[i:min(i+16, len(want))])
			}
			n0, _ := orig.ExportedFunction("n").Call(ctx)
			n1, _ := img.ExportedFunction("n").Call(ctx)
			if n0[0] != n1[0] {
				t.Errorf("n = %d, want %d", n1[0], n0[0])
			}
			// Once only: a second call (as on an instance started from an
			// image) changes nothing.
			if _, err := img.ExportedFunction("_initialize").Call(ctx); err != nil {
				t.Fatal(err)
			}
			if i := firstDiffAt(memoryOf(t, img), got); i >= 0 {
				t.Errorf("the second _initialize wrote memory at %d", i)
			}
			// Every mutable global is exported, the flag excepted.
			if len(res.Globals) != 4 { // $n, $f, the countdown, $inited
				t.Errorf("Globals = %q", res.Globals)
			}
			for _, g := range res.Globals {
				if _, ok := img.ExportedGlobal(g).(api.MutableGlobal); !ok {
					t.Errorf("%s is not an exported mutable global", g)
				}
			}
		})
	}
}

func firstDiffAt(a, b []byte) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestImageNoInitialiser checks that a module without _initialize gets one
// (its data segments are applied there).
func TestImageNoInitialiser(t *testing.T) {
	ctx := context.Background()
	wasm := assemble(t, `(module (memory (export "memory") 1) (data (i32.const 8) "hi") (func (export "f")))`)
	res, err := Rewrite(wasm, Options{Image: true})
	if err != nil || !res.Image {
		t.Fatalf("Rewrite: %v, %v", err, res.ImageRefused)
	}
	r := newRuntime(t, compiler)
	m := instantiate(t, r, res.Wasm)
	if got, _ := m.Memory().Read(8, 2); string(got) != "\x00\x00" {
		t.Fatalf("before _initialize: %q", got)
	}
	if _, err := m.ExportedFunction(InitExport).Call(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Memory().Read(8, 2); string(got) != "hi" {
		t.Fatalf("after _initialize: %q", got)
	}
}

// TestImageRefused checks the modules an image cannot hold: they are
// instrumented all the same, without images, and the reason is given.
func TestImageRefused(t *testing.T) {
	for _, c := range []struct{ name, wat, want string }{
		{"table.set", `(module (memory 1) (table $t 1 funcref) (elem declare func $f)
  (func $f) (func (export "_initialize") (table.set $t (i32.const 0) (ref.func $f))))`, "changes tables"},
		{"table.grow", `(module (memory 1) (table $t 1 funcref)
  (func (export "_initialize") (drop (table.grow $t (ref.null func) (i32.const 1)))))`, "changes tables"},
		{"memory.init", `(module (memory 1) (data $d "x")
  (func (export "_initialize") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))))`, "segment state"},
		{"start function", `(module (memory 1) (func $s) (start $s))`, "start function"},
		{"imported memory", `(module (import "env" "m" (memory 1)) (func (export "_initialize")))`, "imports its memory"},
		{"imported mutable global", `(module (import "env" "g" (global (mut i32))) (memory 1) (func (export "_initialize")))`, "mutable global"},
		{"mutable funcref global", `(module (memory 1) (global (mut funcref) (ref.null func)) (func (export "_initialize")))`, "not a number"},
		{"no memory", `(module (func (export "_initialize")))`, "memories"},
		{"name clash", `(module (memory 1) (global (export "wasmplug:global:9") i32 (i32.const 0)) (func (export "f")))`, "a name images need"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wasm := assemble(t, c.wat)
			res, err := Rewrite(wasm, Options{Image: true})
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if res.Image || res.ImageRefused == nil || !strings.Contains(res.ImageRefused.Error(), c.want) || !errors.Is(res.ImageRefused, ErrUnsupported) {
				t.Fatalf("Image %v, refused %v; want a refusal about %q", res.Image, res.ImageRefused, c.want)
			}
			plain, err := Instrument(wasm)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plain, res.Wasm) {
				t.Error("a refused module is not the plain instrumentation")
			}
		})
	}
}

// TestImageGuests rewrites the repository's guests with images: every
// one compiles, and those that are reactors are prepared.
func TestImageGuests(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every guest")
	}
	ctx := context.Background()
	r := newRuntime(t, compiler)
	for _, g := range guestFiles(t) {
		t.Run(g.name, func(t *testing.T) {
			res, err := Rewrite(readGuest(t, g), Options{YieldEvery: 1 << 16, Image: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Image {
				t.Logf("%s (%s): no image: %v", g.name, g.lang, res.ImageRefused)
			}
			cm, err := r.CompileModule(ctx, res.Wasm)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			cm.Close(ctx)
		})
	}
}
