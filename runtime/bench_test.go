package runtime

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

func benchRuntime(b *testing.B) *Runtime {
	root := b.TempDir()
	rtt.WritePlugin(b, filepath.Join(root, "p"), manifestTOML("p", map[string]int{"render-markdown": 0}, ""), prefixGuest("<p>").Wasm(b))
	rt, err := New(ctx, Config{PluginsDir: root, PoolSize: 4, Logger: testLogger(b), CompilationCacheDir: NoCompilationCache, WatchInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(ctx) })
	return rt
}

// BenchmarkFilter measures a one-plugin render-markdown chain over a 2 KiB
// body: snapshot, pool checkout, deadline, lowering, the guest's copy,
// lifting.
func BenchmarkFilter(b *testing.B) {
	rt := benchRuntime(b)
	body := strings.Repeat("x", 2048)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterParallel is BenchmarkFilter with concurrent callers.
func BenchmarkFilterParallel(b *testing.B) {
	rt := benchRuntime(b)
	body := strings.Repeat("x", 2048)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
