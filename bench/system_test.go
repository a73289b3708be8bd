package bench

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/genguest"
	"github.com/raisfast/wasmplug/internal/genhost"
	"github.com/raisfast/wasmplug/internal/witmodel"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/tetratelabs/wazero"
)

// quietLogger drops the runtime's records (plugin loaded, …).
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// writePlugin lays out plugins/<id>/ with the guest and a manifest
// subscribing to on-post-creating (and the hooks in also); version
// distinguishes generations.
func writePlugin(tb testing.TB, dir, id string, wasm []byte, version int, also ...string) {
	tb.Helper()
	pd := filepath.Join(dir, id)
	if err := os.MkdirAll(pd, 0o755); err != nil {
		tb.Fatal(err)
	}
	manifest := fmt.Sprintf("[plugin]\nid = %q\nname = %q\nversion = \"0.1.%d\"\nruntime = \"wasm\"\nentry = \"plugin.wasm\"\n\n[hooks.on-post-creating]\npriority = 10\n", id, id, version)
	for _, h := range also {
		manifest += "\n[hooks." + h + "]\npriority = 10\n"
	}
	if err := os.WriteFile(filepath.Join(pd, "plugin.wasm"), wasm, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pd, "manifest.toml"), []byte(manifest), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// newPluginRuntime starts a runtime/ over one plugin (guest name) with
// pool size n, and checks that dispatch reaches it.
func newPluginRuntime(tb testing.TB, name string, n int, cacheDir string, also ...string) (*runtime.Runtime, string) {
	tb.Helper()
	wasm := loadGuest(tb, name)
	dir := tb.TempDir()
	writePlugin(tb, dir, "slug", wasm, 0, also...)
	if cacheDir == "" {
		cacheDir = runtime.NoCompilationCache
	}
	rt, err := runtime.New(ctx, runtime.Config{
		PluginsDir:          dir,
		PoolSize:            n,
		CompilationCacheDir: cacheDir,
		WatchInterval:       -1,
		Logger:              quietLogger,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rt.Close(ctx) })
	if p := rt.Problems(); len(p) > 0 {
		tb.Fatalf("plugin problems: %v", p)
	}
	in := benchPost()
	out, err := runtime.Filter(ctx, rt, plugin.Hooks.OnPostCreating, in)
	checkPost(tb, in, &out, err)
	return rt, dir
}

// BenchmarkThroughput: calls per second through runtime.Filter (pool,
// deadline per call, host services) with pools of 1, 2, 4 and 8 instances
// under 8 and under 64 concurrent callers.
func BenchmarkThroughput(b *testing.B) {
	cache := b.TempDir() // shared by the pool sizes: compile once per guest
	for _, g := range generatedGuests {
		for _, callers := range []int{8, 64} {
			for _, n := range []int{1, 2, 4, 8} {
				b.Run(fmt.Sprintf("%s/callers=%d/pool=%d", g.short, callers, n), func(b *testing.B) {
					rt, _ := newPluginRuntime(b, g.name, n, cache)
					throughput(b, rt, callers)
				})
			}
		}
	}
}

// throughput runs runtime.Filter from callers goroutines until b.N calls
// are made, and reports calls/s.
func throughput(b *testing.B, rt *runtime.Runtime, callers int) {
	// RunParallel starts parallelism×GOMAXPROCS goroutines.
	b.SetParallelism((callers + goruntime.GOMAXPROCS(0) - 1) / goruntime.GOMAXPROCS(0))
	var failed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		in := benchPost()
		for pb.Next() {
			out, err := runtime.Filter(ctx, rt, plugin.Hooks.OnPostCreating, in)
			if err != nil || out.Slug == nil {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d calls failed", f)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// heap returns the live Go heap after a full collection.
func heap() uint64 {
	goruntime.GC()
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// execMem returns the size of the process's anonymous executable mappings
// (Linux; 0 elsewhere): where wazero puts compiled machine code. The Go
// binary's own code is file-backed and not counted.
func execMem() uint64 {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0
	}
	var total uint64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// address perms offset dev inode [path]
		if len(f) < 5 || !strings.Contains(f[1], "x") || (len(f) > 5 && f[5] != "") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		a, err1 := strconv.ParseUint(lo, 16, 64)
		z, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil {
			total += z - a
		}
	}
	return total
}

func kib(n uint64) float64 { return float64(n) / 1024 }

// sub returns a-b, or 0 when the heap shrank meanwhile.
func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

// BenchmarkMemory: what a plugin and each of its instances cost.
//
//	compiled-heap-KiB  Go heap held by one compiled module (its metadata)
//	code-KiB           machine code of the compiled module (mmapped outside the Go heap)
//	host-KiB/inst      Go heap per instance (wazero's instance, the bindings' Instance)
//	linear-KiB/inst    the guest's linear memory right after instantiation
//	steady-KiB/inst    the same after 2000 calls of the benchmark's filter
//
// One op compiles the guest in a fresh runtime, creates 4 instances and
// calls each 2000 times.
func BenchmarkMemory(b *testing.B) {
	const instances, calls = 4, 2000
	for _, g := range generatedGuests {
		b.Run(g.short, func(b *testing.B) {
			wasm := loadGuest(b, g.name)
			in := benchPost()
			var compiledHeap, code, host, linear, steady float64
			for b.Loop() {
				h0, x0 := heap(), execMem()
				r := wazero.NewRuntime(ctx)
				if err := plugin.Define(ctx, r); err != nil {
					b.Fatal(err)
				}
				mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports())
				if err != nil {
					b.Fatal(err)
				}
				h1, x1 := heap(), execMem()
				insts := make([]*plugin.Instance, instances)
				for i := range insts {
					if insts[i], err = mod.Instantiate(ctx, plugin.Imports{HostAPI: NopHost{}}, nil); err != nil {
						b.Fatal(err)
					}
				}
				h2 := heap()
				var lin, st uint64
				for _, inst := range insts {
					lin += uint64(inst.Module().Memory().Size())
					for range calls {
						if out, err := inst.OnPostCreating(ctx, in); err != nil || out == nil {
							b.Fatal(out, err)
						}
					}
					st += uint64(inst.Module().Memory().Size())
				}
				compiledHeap += kib(sub(h1, h0))
				code += kib(sub(x1, x0))
				host += kib(sub(h2, h1)) / instances
				linear += kib(lin) / instances
				steady += kib(st) / instances
				r.Close(ctx)
			}
			n := float64(b.N)
			b.ReportMetric(compiledHeap/n, "compiled-heap-KiB")
			b.ReportMetric(code/n, "code-KiB")
			b.ReportMetric(host/n, "host-KiB/inst")
			b.ReportMetric(linear/n, "linear-KiB/inst")
			b.ReportMetric(steady/n, "steady-KiB/inst")
		})
	}
}

// BenchmarkColdStart: a new wazero runtime, Define, compile the guest and
// check it against the world, instantiate it (_initialize included), one
// call. nocache compiles from scratch; disk-cache reads machine code a
// previous process left in a wazero.NewCompilationCacheWithDir directory
// (a fresh cache object per op, so nothing is shared in memory).
func BenchmarkColdStart(b *testing.B) {
	for _, g := range generatedGuests {
		for _, cached := range []bool{false, true} {
			name := g.short + "/nocache"
			if cached {
				name = g.short + "/disk-cache"
			}
			b.Run(name, func(b *testing.B) {
				wasm := loadGuest(b, g.name)
				dir := b.TempDir()
				newRT := func() wazero.Runtime {
					cfg := wazero.NewRuntimeConfig()
					if cached {
						cache, err := wazero.NewCompilationCacheWithDir(dir)
						if err != nil {
							b.Fatal(err)
						}
						cfg = cfg.WithCompilationCache(cache)
					}
					return wazero.NewRuntimeWithConfig(ctx, cfg)
				}
				if cached { // warm the directory
					r := newRT()
					if _, err := r.CompileModule(ctx, wasm); err != nil {
						b.Fatal(err)
					}
					r.Close(ctx)
				}
				in := benchPost()
				var compile, inst time.Duration
				for b.Loop() {
					r := newRT()
					if err := plugin.Define(ctx, r); err != nil {
						b.Fatal(err)
					}
					t0 := time.Now()
					mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports())
					if err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					i, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: NopHost{}}, nil)
					if err != nil {
						b.Fatal(err)
					}
					t2 := time.Now()
					compile += t1.Sub(t0)
					inst += t2.Sub(t1)
					if out, err := i.OnPostCreating(ctx, in); err != nil || out == nil {
						b.Fatal(out, err)
					}
					r.Close(ctx)
				}
				b.ReportMetric(float64(compile.Microseconds())/float64(b.N), "compile-µs/op")
				b.ReportMetric(float64(inst.Microseconds())/float64(b.N), "instantiate-µs/op")
			})
		}
	}
}

// BenchmarkHotReload: runtime.Reload of a changed plugin (new manifest
// version): a new generation is compiled in its own wazero runtime, its
// pool of 4 filled, and swapped in while a caller keeps calling the
// filter; the old one drains in the background. With disk-cache the
// runtime's CompilationCacheDir already holds the module's machine code.
// max-call-µs is the slowest call the concurrent caller saw.
func BenchmarkHotReload(b *testing.B) {
	for _, g := range generatedGuests {
		for _, cached := range []bool{false, true} {
			name := g.short + "/nocache"
			if cached {
				name = g.short + "/disk-cache"
			}
			b.Run(name, func(b *testing.B) {
				cache := ""
				if cached {
					cache = b.TempDir()
				}
				rt, dir := newPluginRuntime(b, g.name, runtime.DefaultPoolSize, cache)
				wasm := loadGuest(b, g.name)
				var (
					stop    atomic.Bool
					wg      sync.WaitGroup
					maxCall atomic.Int64
					failed  atomic.Int64
				)
				wg.Add(1)
				go func() {
					defer wg.Done()
					in := benchPost()
					for !stop.Load() {
						t0 := time.Now()
						out, err := runtime.Filter(ctx, rt, plugin.Hooks.OnPostCreating, in)
						if d := int64(time.Since(t0)); d > maxCall.Load() {
							maxCall.Store(d)
						}
						if err != nil || out.Slug == nil {
							failed.Add(1)
						}
						time.Sleep(50 * time.Microsecond) // a steady trickle, not a CPU hog
					}
				}()
				v := 0
				for b.Loop() {
					v++
					writePlugin(b, dir, "slug", wasm, v)
					if err := rt.Reload(ctx); err != nil {
						b.Fatal(err)
					}
				}
				stop.Store(true)
				wg.Wait()
				if p := rt.Problems(); len(p) > 0 {
					b.Fatalf("problems after reload: %v", p)
				}
				if f := failed.Load(); f > 0 {
					b.Fatalf("%d calls failed during reloads", f)
				}
				b.ReportMetric(float64(maxCall.Load())/1e3, "max-call-µs")
			})
		}
	}
}

// BenchmarkWitgen: regenerating the bindings of wit/plugin.wit.
//
//	cli    the witgen command (built once) writing gen/plugin's bindings
//	       into a temporary directory: what `go generate ./gen/plugin`
//	       costs once `go run` has its build cached
//	load   parsing and resolving the WIT in process (wasm-tools under
//	       wazero; first-load-ms is the first call, which loads wasm-tools)
//	host   emitting the host bindings from the resolved world
//	guest  emitting the guest bindings
func BenchmarkWitgen(b *testing.B) {
	root := repoRoot()
	witPath := filepath.Join(root, "wit", "plugin.wit")
	b.Run("cli", func(b *testing.B) {
		bin := filepath.Join(b.TempDir(), "witgen")
		build := exec.Command("go", "build", "-o", bin, "./cmd/witgen")
		build.Dir, build.Env = root, append(os.Environ(), "GOWORK=off")
		if out, err := build.CombinedOutput(); err != nil {
			b.Skipf("SKIPPED: cannot build cmd/witgen: %v\n%s", err, out)
		}
		out := filepath.Join(b.TempDir(), "plugin")
		for b.Loop() {
			cmd := exec.Command(bin, "host", "-wit", witPath, "-world", "plugin-world", "-out", out, "-pkg", "plugin")
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("witgen: %v\n%s", err, msg)
			}
		}
	})
	load := func(b *testing.B) *witmodel.World {
		w, err := witmodel.Load(witPath, "plugin-world")
		if err != nil {
			b.Fatal(err)
		}
		return w
	}
	b.Run("load", func(b *testing.B) {
		t0 := time.Now()
		load(b)
		first := time.Since(t0)
		for b.Loop() {
			load(b)
		}
		b.ReportMetric(float64(first.Microseconds())/1e3, "first-load-ms")
	})
	b.Run("host", func(b *testing.B) {
		w := load(b)
		for b.Loop() {
			if _, err := genhost.Generate(w, genhost.Options{Package: "plugin", Command: "witgen host"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("guest", func(b *testing.B) {
		w := load(b)
		for b.Loop() {
			if _, err := genguest.Generate(w, genguest.Options{Package: "plugin", ImportPath: "example.com/p/plugin", Command: "witgen guest"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
