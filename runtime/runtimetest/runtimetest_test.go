package runtimetest

import (
	"context"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/tetratelabs/wazero"
)

type nopHost struct{ plugin.HostAPI }

// TestHelpers checks the prelude's helpers through a real call.
func TestHelpers(t *testing.T) {
	g := Guest{
		Data:    map[int]string{1024: "n="},
		Globals: `(global $n (mut i32) (i32.const 41))`,
		Funcs: `
  (func (export "` + Export("render-markdown") + `") (param $p i32) (param $l i32) (result i32)
    (local $dp i32) (local $dl i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (call $utoa (global.get $n))
    (local.set $dl) (local.set $dp)
    (call $some (call $concat (i32.const 1024) (i32.const 2) (local.get $dp) (local.get $dl))
                (i32.add (i32.const 2) (local.get $dl))))
  (func (export "` + Export("filter-html") + `") (param $p i32) (param $l i32) (result i32)
    (call $some (call $hex64 (i64.const 0x0123456789abcdef)) (i32.const 16)))`,
	}
	wasm := g.Wasm(t)
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := plugin.Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports("render-markdown"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: nopHost{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"n=42", "n=43"} {
		s, err := inst.RenderMarkdown(ctx, "x")
		if err != nil || s == nil || *s != want {
			t.Fatalf("render-markdown = %v, %v; want %q", s, err, want)
		}
	}
	s, err := inst.FilterHTML(ctx, "")
	if err != nil || s == nil || *s != "0123456789abcdef" {
		t.Fatalf("filter-html = %v, %v", s, err)
	}
}
