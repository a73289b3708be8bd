package plugin

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/internal/wasmtools"
)

// echoGuest is the cheapest possible guest: on-post-creating returns
// some(input) by copying the 88-byte record into its return area, so a
// call measures only the host's lowering, the call, and lifting the whole
// post back.
const echoGuest = `(module
  (memory (export "memory") 2)
  (global $bump (mut i32) (i32.const 65536))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $bump (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $bump) (i32.const 131072))
      (then (global.set $bump (i32.add (i32.const 65536) (local.get 3)))
            (local.set $p (i32.const 65536))))
    (local.get $p))
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#on-post-creating") (param $in i32) (result i32)
    (i32.store8 (i32.const 1024) (i32.const 1))
    (memory.copy (i32.const 1028) (local.get $in) (i32.const 88))
    (i32.const 1024))
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#on-login") (param i32 i32)))`

var echoWasm = sync.OnceValues(func() ([]byte, error) {
	return wasmtools.Embed(context.Background(), []byte(echoGuest), witPath, "plugin-world")
})

func benchPost() PostInput {
	status := "draft"
	tags := []string{"go", "wasm", "wit"}
	return PostInput{Title: "Hello WebAssembly World", Content: strings.Repeat("lorem ipsum ", 171)[:2048], Status: &status, TagIDs: &tags}
}

func echoInstance(tb testing.TB) *Instance {
	tb.Helper()
	wasm, err := echoWasm()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	r := newRuntime(tb)
	mod, err := Compile(ctx, r, wasm, OptionalExports())
	if err != nil {
		tb.Fatal(err)
	}
	inst, err := mod.Instantiate(ctx, Imports{HostAPI: nopHost{}}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return inst
}

func TestEchoRoundTrip(t *testing.T) {
	inst := echoInstance(t)
	in := benchPost()
	out, err := inst.OnPostCreating(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out == nil || out.Title != in.Title || out.Content != in.Content || *out.Status != "draft" ||
		out.Slug != nil || len(*out.TagIDs) != 3 || (*out.TagIDs)[2] != "wit" {
		t.Fatalf("echo changed the post: %+v", out)
	}
}

// BenchmarkOnPostCreating: a filter call with a post of 2 KiB content and
// 3 tags, the host reading the whole post back (echo guest: the floor).
func BenchmarkOnPostCreating(b *testing.B) {
	inst := echoInstance(b)
	ctx := context.Background()
	in := benchPost()
	b.ReportAllocs()
	b.SetBytes(int64(len(in.Content)))
	for b.Loop() {
		out, err := inst.OnPostCreating(ctx, in)
		if err != nil || out == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOnLogin: an action with one string argument; the host side
// should not allocate.
func BenchmarkOnLogin(b *testing.B) {
	inst := echoInstance(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := inst.OnLogin(ctx, "user-42"); err != nil {
			b.Fatal(err)
		}
	}
}
