package interrupt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/tetratelabs/wazero"
)

// variant is one way of bounding a guest's run time.
type variant struct {
	name string
	// prepare rewrites the module (nil: keep it).
	prepare func(tb testing.TB, wasm []byte) []byte
	// closeOnDone runs under wazero's WithCloseOnContextDone, with a
	// deadline on every call, as runtime/ does today.
	closeOnDone bool
}

var variants = []variant{
	{name: "original"},
	{name: "flag", prepare: func(tb testing.TB, wasm []byte) []byte { return mustInstrument(tb, wasm) }},
	{name: "flag+yield", prepare: func(tb testing.TB, wasm []byte) []byte {
		out, err := InstrumentWith(wasm, Options{YieldEvery: yieldEvery})
		if err != nil {
			tb.Fatal(err)
		}
		return out
	}},
	{name: "closeOnDone", closeOnDone: true},
}

// benchRuntime returns a compiler runtime for v.
func benchRuntime(tb testing.TB, v variant) wazero.Runtime {
	tb.Helper()
	ctx := context.Background()
	cfg := compiler.config().WithCoreFeatures(features).WithCloseOnContextDone(v.closeOnDone)
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	tb.Cleanup(func() { r.Close(ctx) })
	return r
}

// callContext is the context of one call under v: with a deadline under
// closeOnDone, as runtime/ makes one per call.
func callContext(v variant) (context.Context, context.CancelFunc) {
	if v.closeOnDone {
		return context.WithTimeout(context.Background(), time.Minute)
	}
	return context.Background(), func() {}
}

const hotWAT = `(module
  (memory 1)
  (func (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $s i64)
    (loop $l
      (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`

// BenchmarkCheckOverhead measures what the checks cost: a hot loop of 10^6
// iterations (a check per iteration), a recursive fib(25) (a check per
// call, 242785 calls) and on-post-creating of the C, Rust and Go plugin
// guests, each original, instrumented with the flag alone, with the flag
// and yield points, and original under wazero's WithCloseOnContextDone
// with a deadline per call (what runtime/ does today). Compare the
// variants of one workload to get the ratios.
func BenchmarkCheckOverhead(b *testing.B) {
	hot := assemble(b, hotWAT)
	for _, w := range []struct {
		fn  string
		arg uint64
	}{{"sum", 1_000_000}, {"fib", 25}} {
		for _, v := range variants {
			wasm := hot
			if v.prepare != nil {
				wasm = v.prepare(b, hot)
			}
			f := instantiate(b, benchRuntime(b, v), wasm).ExportedFunction(w.fn)
			b.Run(w.fn+"/"+v.name, func(b *testing.B) {
				for b.Loop() {
					ctx, cancel := callContext(v)
					if _, err := f.Call(ctx, w.arg); err != nil {
						b.Fatal(err)
					}
					cancel()
				}
			})
		}
	}
	dir := filepath.Join(guests.Root(), ".cache", "guests")
	goSlug, _ := filepath.Glob(filepath.Join(dir, "go", "slug-*.wasm"))
	paths := map[string]string{"c": filepath.Join(dir, "c-plugin.wasm"), "rust": filepath.Join(dir, "slug-rust.wasm")}
	if len(goSlug) > 0 {
		paths["go"] = goSlug[0]
	}
	tags := []string{"a", "b"}
	input := plugin.PostInput{Title: "Hello Wasm World", Content: strings.Repeat("é", 500), TagIDs: &tags}
	for _, lang := range []string{"c", "rust", "go"} {
		orig, err := os.ReadFile(paths[lang])
		if err != nil {
			b.Logf("skipping the %s guest: %v", lang, err)
			continue
		}
		for _, v := range variants {
			wasm := orig
			if v.prepare != nil {
				wasm = v.prepare(b, orig)
			}
			ctx := context.Background()
			r := benchRuntime(b, v)
			if err := plugin.Define(ctx, r); err != nil {
				b.Fatal(err)
			}
			mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports())
			if err != nil {
				b.Fatal(err)
			}
			inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: &recHost{}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(lang+"-on-post-creating/"+v.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ctx, cancel := callContext(v)
					if out, err := inst.OnPostCreating(ctx, input); err != nil || out == nil {
						b.Fatal(out, err)
					}
					cancel()
				}
			})
		}
	}
}

// BenchmarkInstrument measures the rewriter itself (MB/s of input).
func BenchmarkInstrument(b *testing.B) {
	dir := filepath.Join(guests.Root(), ".cache", "guests")
	goGuests, _ := filepath.Glob(filepath.Join(dir, "go", "go009-*.wasm"))
	big, _ := filepath.Glob(filepath.Join(dir, "go", "markdown-*.wasm"))
	for _, p := range append([]string{filepath.Join(dir, "c-plugin.wasm"), filepath.Join(dir, "slug-rust.wasm")}, append(goGuests, big...)...) {
		wasm, err := os.ReadFile(p)
		if err != nil {
			b.Logf("skipping %s: %v", p, err)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(p), ".wasm")
		name, _, _ = strings.Cut(name, "-")
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(wasm)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Instrument(wasm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
