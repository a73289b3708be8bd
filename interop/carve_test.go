package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// reallocCounter counts the guest's cabi_realloc calls.
type reallocCounter struct{ n int }

func (c *reallocCounter) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	for _, name := range def.ExportNames() {
		if name == "cabi_realloc" {
			return c
		}
	}
	return nil
}

func (c *reallocCounter) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	c.n++
}
func (c *reallocCounter) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (c *reallocCounter) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// TestCarvableRealloc: the host lowers a post (the record, 6 strings, the
// tag list and its strings: 11 allocations) with one cabi_realloc call into
// a guest that exports abi.CarvableExport (the witgen Go guest, once a
// first call taught the host the size) and with one call per allocation
// into every other guest, whose wit-bindgen bindings free each string; the
// results are those of a fresh instance's first call, which allocates one
// by one, call after call with posts of different sizes.
func TestCarvableRealloc(t *testing.T) {
	small := plugin.PostInput{Title: "Hello World", Content: "body", Slug: nil, Excerpt: ptr("e"), CategoryID: ptr("c"),
		TagIDs: &[]string{"a", "b", "c"}, Status: ptr("draft"), CoverImage: ptr("img")}
	big := small
	big.Content = string(make([]byte, 3000))
	for _, name := range builds {
		t.Run(name, func(t *testing.T) {
			wasm := loadBuild(t, name)
			counter := &reallocCounter{}
			ctx := experimental.WithFunctionListenerFactory(context.Background(), counter)
			r := wazero.NewRuntime(ctx)
			defer r.Close(ctx)
			if err := plugin.Define(ctx, r); err != nil {
				t.Fatal(err)
			}
			mod, err := plugin.Compile(ctx, r, wasm)
			if err != nil {
				t.Fatal(err)
			}
			newInst := func() *plugin.Instance {
				h := &fakeHost{}
				inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: h, Data: h}, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { inst.Close(ctx) })
				return inst
			}
			// A fresh instance's first call allocates one by one: the
			// reference the carved calls must match.
			reference := func(in plugin.PostInput) string {
				out, err := newInst().OnPostCreating(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(out)
				return string(b)
			}
			inst := newInst()
			carvable := inst.Module().ExportedFunction(abi.CarvableExport) != nil
			if want := name == "conformance-go"; carvable != want {
				t.Fatalf("exports %s: %v, want %v", abi.CarvableExport, carvable, want)
			}
			var calls []int
			for i, in := range []plugin.PostInput{small, small, big, small, big} {
				want := reference(in)
				before := counter.n
				out, err := inst.OnPostCreating(ctx, in)
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				calls = append(calls, counter.n-before)
				if b, _ := json.Marshal(out); string(b) != want {
					t.Fatalf("call %d: %s, want %s", i, b, want)
				}
			}
			// Per call: the record, 6 strings, the tag list and its 3 strings.
			ok := fmt.Sprint(calls) == "[11 11 11 11 11]"
			if carvable {
				// After a call that taught the host the size, a post of the
				// same size takes one block; a larger one a few.
				ok = calls[1] == 1 && calls[3] == 1 && slices.Max(calls) < 11
			}
			if !ok {
				t.Errorf("cabi_realloc calls per call %v (carvable %v)", calls, carvable)
			}
			t.Logf("cabi_realloc calls per call: %v", calls)
		})
	}
}
