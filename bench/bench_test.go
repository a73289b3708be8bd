package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/interrupt"
	"github.com/tetratelabs/wazero"
	wasi "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

var ctx = context.Background()

// benchPost is the post every peer filters: 2 KiB of content, 3 tags, a
// status, no slug (so every guest sets one and returns the whole post).
func benchPost() plugin.PostInput {
	status := "draft"
	tags := []string{"go", "wasm", "wit"}
	return plugin.PostInput{
		Title:   "Hello WebAssembly World",
		Content: strings.Repeat("lorem ipsum ", 171)[:2048],
		Status:  &status,
		TagIDs:  &tags,
	}
}

const wantSlug = "hello-webassembly-world"

// filterer is what every peer offers.
type filterer interface {
	OnPostCreating(context.Context, *plugin.PostInput) (*plugin.PostInput, error)
}

// checkPost fails tb unless out is in with the slug set.
func checkPost(tb testing.TB, in plugin.PostInput, out *plugin.PostInput, err error) {
	tb.Helper()
	switch {
	case err != nil:
		tb.Fatalf("on-post-creating: %v", err)
	case out == nil:
		tb.Fatal("on-post-creating returned none")
	case out.Slug == nil || *out.Slug != wantSlug:
		tb.Fatalf("slug = %v, want %q", out.Slug, wantSlug)
	case out.Title != in.Title || out.Content != in.Content:
		tb.Fatalf("title or content changed: %q, %d bytes", out.Title, len(out.Content))
	case out.Status == nil || *out.Status != *in.Status || out.TagIDs == nil || !slices.Equal(*out.TagIDs, *in.TagIDs):
		tb.Fatalf("status or tags changed: %v %v", out.Status, out.TagIDs)
	case out.Excerpt != nil || out.CategoryID != nil || out.CoverImage != nil:
		tb.Fatalf("absent fields became present: %+v", out)
	}
}

// sharedCache keeps compiled guests in memory across the steady-state
// benchmarks of one process, so each compiles a guest only once (set-up
// time, not measured). Cold-start and memory benchmarks do not use it.
var sharedCache = wazero.NewCompilationCache()

// runtimeConfig is wazero's default (the compiler on amd64 and arm64) with
// the shared cache.
func runtimeConfig() wazero.RuntimeConfig {
	return wazero.NewRuntimeConfig().WithCompilationCache(sharedCache)
}

// newRuntime returns a wazero runtime with the host modules of
// plugin-world and WASI preview1.
func newRuntime(tb testing.TB) wazero.Runtime {
	tb.Helper()
	r := wazero.NewRuntimeWithConfig(ctx, runtimeConfig())
	tb.Cleanup(func() { r.Close(ctx) })
	if err := plugin.Define(ctx, r); err != nil {
		tb.Fatal(err)
	}
	return r
}

// compileGenerated compiles guest name for the generated bindings, which
// check it against plugin-world (exports the guest lacks are optional).
func compileGenerated(tb testing.TB, name string) *plugin.Module {
	tb.Helper()
	wasm := loadGuest(tb, name)
	mod, err := plugin.Compile(ctx, newRuntime(tb), wasm, plugin.OptionalExports())
	if err != nil {
		tb.Fatal(err)
	}
	return mod
}

func instantiate(tb testing.TB, mod *plugin.Module) *plugin.Instance {
	tb.Helper()
	return instantiateWith(tb, mod, nil)
}

// instantiateWith is instantiate with a module configuration (nil: the
// default).
func instantiateWith(tb testing.TB, mod *plugin.Module, cfg wazero.ModuleConfig) *plugin.Instance {
	tb.Helper()
	inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: NopHost{}}, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { inst.Close(ctx) })
	return inst
}

// generated adapts a plugin.Instance to filterer.
type generated struct{ *plugin.Instance }

func (g generated) OnPostCreating(ctx context.Context, in *plugin.PostInput) (*plugin.PostInput, error) {
	return g.Instance.OnPostCreating(ctx, *in)
}

func newFloor(tb testing.TB, name string) *Floor {
	tb.Helper()
	wasm := loadGuest(tb, name)
	r := wazero.NewRuntimeWithConfig(ctx, runtimeConfig())
	tb.Cleanup(func() { r.Close(ctx) })
	wasi.MustInstantiate(ctx, r)
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := NewFloor(ctx, r, cm)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func newExtism(tb testing.TB) *Extism {
	tb.Helper()
	e, err := NewExtism(ctx, loadGuest(tb, "go-extism"), runtimeConfig())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close(ctx) })
	return e
}

// peers lists every steady-state peer by benchmark name.
var peers = []struct {
	name string
	make func(testing.TB) filterer
}{
	{"Floor/c", func(tb testing.TB) filterer { return newFloor(tb, "c-floor") }},
	{"Floor/go", func(tb testing.TB) filterer { return newFloor(tb, "go-floor") }},
	{"Floor/go-struct", func(tb testing.TB) filterer { return newFloor(tb, "go-struct") }},
	{"Generated/c", func(tb testing.TB) filterer { return generated{instantiate(tb, compileGenerated(tb, "c-plugin"))} }},
	{"Generated/rust", func(tb testing.TB) filterer { return generated{instantiate(tb, compileGenerated(tb, "slug-rust"))} }},
	{"Generated/go", func(tb testing.TB) filterer { return generated{instantiate(tb, compileGenerated(tb, "go-witgen"))} }},
	{"Extism/go", func(tb testing.TB) filterer { return newExtism(tb) }},
}

// TestPeersAgree runs every peer a few times on the benchmark's post and
// checks each returns it with the slug set; then gives them a post that
// already has a slug, which every guest leaves alone (none, or for the Rust
// quick start the same post).
func TestPeersAgree(t *testing.T) {
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			f := p.make(t)
			in := benchPost()
			for range 3 {
				out, err := f.OnPostCreating(ctx, &in)
				checkPost(t, in, out, err)
			}
			slug := "keep-me"
			in.Slug = &slug
			out, err := f.OnPostCreating(ctx, &in)
			if err != nil || (out != nil && (out.Slug == nil || *out.Slug != slug || out.Content != in.Content)) {
				t.Fatalf("post with a slug: got %+v, %v; want none or the same post", out, err)
			}
		})
	}
}

// benchFilter is the steady-state loop: one instance, the same post, the
// whole result read back by the host on every call. Besides ns/op (a mean,
// which includes the guest's GC and any time the machine gives to other
// processes) it reports p50-ns/op: the median over batches of calls of the
// time per call, which a shared, loaded machine disturbs far less.
func benchFilter(b *testing.B, f filterer) {
	in := benchPost()
	out, err := f.OnPostCreating(ctx, &in)
	checkPost(b, in, out, err)
	call := func() {
		out, err := f.OnPostCreating(ctx, &in)
		if err != nil || out == nil {
			b.Fatal(out, err)
		}
	}
	warmUp(call)
	lat := newBatches(call)
	b.ReportAllocs()
	for b.Loop() {
		call()
		lat.tick()
	}
	lat.report(b)
}

// warmUp calls call 30000 times or for 300ms, whichever ends first: long
// enough for a standard Go guest's heap (and so its linear memory) to reach
// its steady size, so that growing it does not count as the host's B/op.
func warmUp(call func()) {
	deadline := time.Now().Add(300 * time.Millisecond)
	for i := 0; i < 30000 && (i%64 != 0 || time.Now().Before(deadline)); i++ {
		call()
	}
}

// batches records the time per call of consecutive batches of calls (16
// calls per batch for calls under 20µs, single calls otherwise), keeping the
// last len(ns) batches, without allocating in the loop.
type batches struct {
	size, i, n int
	t0         time.Time
	ns         [4096]float64
}

// newBatches times a few calls of call to choose the batch size.
func newBatches(call func()) *batches {
	const probe = 16
	t0 := time.Now()
	for range probe {
		call()
	}
	l := &batches{size: 1}
	if time.Since(t0) < probe*20*time.Microsecond {
		l.size = 16
	}
	l.t0 = time.Now()
	return l
}

func (l *batches) tick() {
	l.i++
	if l.i < l.size {
		return
	}
	now := time.Now()
	l.ns[l.n%len(l.ns)] = float64(now.Sub(l.t0).Nanoseconds()) / float64(l.size)
	l.n++
	l.t0, l.i = now, 0
}

// report adds the median time per call as p50-ns/op.
func (l *batches) report(b *testing.B) {
	n := min(l.n, len(l.ns))
	if n == 0 {
		return
	}
	v := slices.Clone(l.ns[:n])
	slices.Sort(v)
	b.ReportMetric(v[n/2], "p50-ns/op")
}

// BenchmarkFloor: the hand-rolled protocol with a C and a standard Go guest
// (the floors), and with a Go guest written the ordinary way (go-struct).
func BenchmarkFloor(b *testing.B) {
	for _, g := range []struct{ short, name string }{{"c", "c-floor"}, {"go", "go-floor"}, {"go-struct", "go-struct"}} {
		b.Run(g.short, func(b *testing.B) { benchFilter(b, newFloor(b, g.name)) })
	}
}

// BenchmarkGenerated: gen/plugin with the C, Rust and witgen Go guests.
func BenchmarkGenerated(b *testing.B) {
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			benchFilter(b, generated{instantiate(b, compileGenerated(b, g.name))})
		})
	}
	// The witgen Go guest with a larger GC target (GOGC=400 in its
	// environment, what a plugin author gets with debug.SetGCPercent(400)):
	// the Go runtime of a reactor marks only in allocation assists (its
	// background mark workers get no time between calls), so a GC cycle's
	// marking is spread over the calls of that cycle with write barriers on;
	// fewer cycles is less of that (BenchmarkGuestCalls counts it).
	b.Run("go-gogc400", func(b *testing.B) {
		benchFilter(b, generated{instantiateWith(b, compileGenerated(b, "go-witgen"), wazero.NewModuleConfig().WithEnv("GOGC", "400"))})
	})
}

// BenchmarkExtism: extism go-sdk 1.7.1 + go-pdk 1.1.3, JSON in and out.
func BenchmarkExtism(b *testing.B) {
	b.Run("go", func(b *testing.B) { benchFilter(b, newExtism(b)) })
}

// BenchmarkFresh: the generated bindings with a fresh instance per call
// (compiled once): instantiate (and _initialize), call, close.
func BenchmarkFresh(b *testing.B) {
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			mod := compileGenerated(b, g.name)
			in := benchPost()
			call := func() {
				inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: NopHost{}}, nil)
				if err != nil {
					b.Fatal(err)
				}
				out, err := inst.OnPostCreating(ctx, in)
				checkPost(b, in, out, err)
				if err := inst.Close(ctx); err != nil {
					b.Fatal(err)
				}
			}
			lat := newBatches(call)
			b.ReportAllocs()
			for b.Loop() {
				call()
				lat.tick()
			}
			lat.report(b)
		})
	}
}

// BenchmarkDeadline: the generated bindings as runtime/ runs them, on a
// wazero runtime with WithCloseOnContextDone(true) (so a deadline or Close
// can interrupt a guest) and a context with a deadline per call. Compare
// with BenchmarkGenerated: the difference is what interruptibility costs in
// wazero 1.12 (a watcher goroutine per guest call, cabi_realloc calls
// included, and a call out to Go at every loop back-edge of guest code).
func BenchmarkDeadline(b *testing.B) {
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			wasm := loadGuest(b, g.name)
			r := wazero.NewRuntimeWithConfig(ctx, runtimeConfig().WithCloseOnContextDone(true))
			b.Cleanup(func() { r.Close(ctx) })
			if err := plugin.Define(ctx, r); err != nil {
				b.Fatal(err)
			}
			mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports())
			if err != nil {
				b.Fatal(err)
			}
			benchFilter(b, deadline{instantiate(b, mod)})
		})
	}
}

// deadline calls the filter under a 5s deadline, as runtime/ does.
type deadline struct{ *plugin.Instance }

func (d deadline) OnPostCreating(ctx context.Context, in *plugin.PostInput) (*plugin.PostInput, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return d.Instance.OnPostCreating(ctx, *in)
}

// BenchmarkInstrumented: the generated bindings over the module as the
// runtime rewrites it (runtime/interrupt: a flag check at every function
// entry and loop header, a countdown to a yield point every 1<<16 checks),
// with no deadline armed. Between BenchmarkGenerated and
// BenchmarkRuntimeFilter it splits what the guest pays for being
// interruptible from what the runtime's bookkeeping costs the host.
func BenchmarkInstrumented(b *testing.B) {
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			wasm, err := interrupt.InstrumentWith(loadGuest(b, g.name), interrupt.Options{YieldEvery: 1 << 16})
			if err != nil {
				b.Fatal(err)
			}
			mod, err := plugin.Compile(ctx, newRuntime(b), wasm, plugin.OptionalExports())
			if err != nil {
				b.Fatal(err)
			}
			benchFilter(b, generated{instantiate(b, mod)})
		})
	}
}

// BenchmarkRuntimeFilter: the real path. runtime.Filter through a loaded
// runtime: the manifest's subscription, a pool of 4, the call deadline
// (instrumented guests check an interrupt flag; see runtime/interrupt),
// the memory cap and the end-of-call bookkeeping (the database session).
// Compare with BenchmarkFloor and BenchmarkGenerated of the same run.
func BenchmarkRuntimeFilter(b *testing.B) {
	cache := b.TempDir()
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			rt, _ := newPluginRuntime(b, g.name, 4, cache)
			benchFilter(b, &runtimeFilter{rt: rt})
		})
	}
}

// runtimeFilter runs on-post-creating through runtime.Filter. The result
// is kept in the adapter, so that returning a pointer to it (as filterer
// wants) does not add an allocation the runtime does not make.
type runtimeFilter struct {
	rt  *runtime.Runtime
	out plugin.PostInput
}

func (r *runtimeFilter) OnPostCreating(ctx context.Context, in *plugin.PostInput) (*plugin.PostInput, error) {
	out, err := runtime.Filter(ctx, r.rt, plugin.Hooks.OnPostCreating, *in)
	r.out = out
	return &r.out, err
}

// BenchmarkRuntimeFilterRequest: BenchmarkRuntimeFilter under the context
// an HTTP handler passes (r.Context(): a few values over a cancellable
// context, as net/http builds it), alternating between two such requests so
// that every call comes from another caller's context. The runtime must
// neither allocate per call for the caller's cancellation nor let every
// guest call walk the chain of values.
func BenchmarkRuntimeFilterRequest(b *testing.B) {
	cache := b.TempDir()
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			rt, _ := newPluginRuntime(b, g.name, 4, cache)
			r := &requestFilter{runtimeFilter: runtimeFilter{rt: rt}}
			for i := range r.reqs {
				var cancel context.CancelFunc
				r.reqs[i], cancel = requestContext(ctx)
				b.Cleanup(cancel)
			}
			benchFilter(b, r)
		})
	}
}

type serverKey struct{ name string }

// requestContext is a context shaped like the one net/http gives a handler:
// the server's and the connection's values, a cancellation per connection
// and one per request.
func requestContext(parent context.Context) (context.Context, context.CancelFunc) {
	c := context.WithValue(parent, serverKey{"http-server"}, "srv")
	c = context.WithValue(c, serverKey{"local-addr"}, "127.0.0.1:8080")
	c, cancelConn := context.WithCancel(c)
	c = context.WithValue(c, serverKey{"request-id"}, "42")
	c, cancelReq := context.WithCancel(c)
	return c, func() { cancelReq(); cancelConn() }
}

// requestFilter calls runtime.Filter from two request contexts in turn.
type requestFilter struct {
	runtimeFilter
	reqs [2]context.Context
	n    int
}

func (r *requestFilter) OnPostCreating(_ context.Context, in *plugin.PostInput) (*plugin.PostInput, error) {
	r.n++
	return r.runtimeFilter.OnPostCreating(r.reqs[r.n&1], in)
}

// BenchmarkRuntimeAction: on-login through runtime.Action, as
// BenchmarkRuntimeFilter runs filters (compare with BenchmarkAction).
func BenchmarkRuntimeAction(b *testing.B) {
	cache := b.TempDir()
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			rt, _ := newPluginRuntime(b, g.name, 4, cache, "on-login")
			call := func() {
				if err := runtime.Action(ctx, rt, plugin.Hooks.OnLogin, "user-42"); err != nil {
					b.Fatal(err)
				}
			}
			warmUp(call)
			b.ReportAllocs()
			for b.Loop() {
				call()
			}
		})
	}
}

// BenchmarkAction: on-login(user-id: string), an action whose only
// argument is a string. The Rust and Go guests do nothing; the C guest calls
// set-data(key, user-id) on the host, whose two string arguments the host
// function lifts.
func BenchmarkAction(b *testing.B) {
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			inst := instantiate(b, compileGenerated(b, g.name))
			if !inst.Has(plugin.ExportIndex("on-login")) {
				b.Skipf("SKIPPED: %s does not export on-login", g.name)
			}
			call := func() {
				if err := inst.OnLogin(ctx, "user-42"); err != nil {
					b.Fatal(err)
				}
			}
			warmUp(call)
			b.ReportAllocs()
			for b.Loop() {
				call()
			}
		})
	}
}
