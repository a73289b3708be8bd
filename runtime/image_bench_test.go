package runtime

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/pool"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// realGuests are the repository's real guests that implement
// on-post-creating and on-post-created: the Go slug example (a standard Go
// wasip1 reactor), the Rust quick start and the C plugin.
func realGuests(tb testing.TB) []struct {
	name string
	wasm []byte
} {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds and loads wasm guests")
	}
	return []struct {
		name string
		wasm []byte
	}{
		{"go", guests.BuildGo(tb, "examples/plugins/slug", "guest")},
		{"rust", guests.Load(tb, "slug-rust")},
		{"c", guests.Load(tb, "c-plugin")},
	}
}

// loadOne loads wasm as the only plugin of a runtime with pool size n.
func loadOne(tb testing.TB, wasm []byte, n int, fresh bool, cacheDir string) (*Runtime, *loaded) {
	tb.Helper()
	return loadHooks(tb, wasm, n, fresh, cacheDir, map[string]int{"on-post-creating": 0, "on-post-created": 0})
}

// loadHooks is loadOne with the manifest subscribing to hooks.
func loadHooks(tb testing.TB, wasm []byte, n int, fresh bool, cacheDir string, hooks map[string]int) (*Runtime, *loaded) {
	tb.Helper()
	root := tb.TempDir()
	rtt.WritePlugin(tb, filepath.Join(root, "p"), manifestTOML("p", hooks, ""), wasm)
	if cacheDir == "" {
		cacheDir = NoCompilationCache
	}
	rt, err := New(ctx, Config{PluginsDir: root, PoolSize: n, Logger: testLogger(tb), FreshInstances: fresh, CompilationCacheDir: cacheDir, WatchInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close(ctx) })
	ps := rt.cur.Load().plugins
	if len(ps) != 1 {
		tb.Fatalf("loaded %d plugins, problems %v", len(ps), rt.Problems())
	}
	return rt, ps[0]
}

// BenchmarkNewInstance measures the pool's factory: one instance ready for
// calls, fresh (instantiation applies the data segments, the initialiser
// runs) or from the plugin's instance image.
func BenchmarkNewInstance(b *testing.B) {
	for _, g := range realGuests(b) {
		for _, mode := range []string{"fresh", "image"} {
			b.Run(g.name+"/"+mode, func(b *testing.B) {
				_, p := loadOne(b, g.wasm, 1, mode == "fresh", "")
				if (p.imgs.img != nil) != (mode == "image") {
					b.Fatalf("image state: %s", p.imgs.state())
				}
				b.ReportAllocs()
				for b.Loop() {
					in, err := p.newInstance(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if err := p.closeInstance(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPoolFill measures filling a pool of 4 for a newly loaded
// version (a hot reload): fresh, 4 initialisers; image, 1 initialiser and
// the image taken, then 3 instances from it.
func BenchmarkPoolFill(b *testing.B) {
	for _, g := range realGuests(b) {
		for _, mode := range []string{"fresh", "image"} {
			b.Run(g.name+"/"+mode, func(b *testing.B) {
				_, p := loadOne(b, g.wasm, 1, mode == "fresh", "")
				globals := p.imgs.globals
				var total time.Duration
				for b.Loop() {
					p.imgs = &imager{globals: globals, reason: p.imgs.reason}
					start := time.Now()
					pl, err := pool.New(ctx, 4, p.newInstance, p.closeInstance)
					if err != nil {
						b.Fatal(err)
					}
					total += time.Since(start)
					if err := pl.Close(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/fill")
			})
		}
	}
}
