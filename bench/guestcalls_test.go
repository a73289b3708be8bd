package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// callCounter counts the guest's function calls by function index: a
// profile of the guest side that the host's pprof shows only as
// runtime._ExternalCode.
type callCounter struct {
	counts []uint64
	names  []string
}

func (c *callCounter) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	i := int(def.Index())
	for len(c.counts) <= i {
		c.counts = append(c.counts, 0)
		c.names = append(c.names, "")
	}
	c.names[i] = strings.TrimPrefix(def.DebugName(), ".") // "module.function"; the guest module is anonymous
	return counting{c, i}
}

type counting struct {
	c *callCounter
	i int
}

func (l counting) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.c.counts[l.i]++
}
func (counting) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (counting) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

func (c *callCounter) reset() { clear(c.counts) }

func (c *callCounter) total() (n uint64) {
	for _, v := range c.counts {
		n += v
	}
	return n
}

// sum returns the calls of the functions whose name has one of the
// prefixes.
func (c *callCounter) sum(prefixes ...string) (n uint64) {
	for i, v := range c.counts {
		for _, p := range prefixes {
			if strings.HasPrefix(c.names[i], p) {
				n += v
				break
			}
		}
	}
	return n
}

// top returns the k most called functions, "name calls/op" per line.
func (c *callCounter) top(k int, ops int) string {
	idx := make([]int, len(c.counts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(c.counts[b]) - int(c.counts[a]) })
	var sb strings.Builder
	for _, i := range idx[:min(k, len(idx))] {
		fmt.Fprintf(&sb, "  %8.1f  %s\n", float64(c.counts[i])/float64(ops), c.names[i])
	}
	return sb.String()
}

// gcMarking are the guest's functions that run only while a GC cycle is
// marking: write barriers with their buffer flushes and shading, marking
// new objects, scanning (Go 1.26's span-scanning GC included) and
// allocation assists.
var gcMarking = []string{
	"gcWriteBarrier", "runtime.gcWriteBarrier", "runtime.wbBufFlush", "runtime.shade", "runtime.findObject",
	"runtime.greyobject", "runtime.tryDeferToSpanScan", "runtime.gcmarknewobject", "runtime.gcAssistAlloc",
	"runtime.gcDrain", "runtime.scanobject", "runtime.scanblock", "runtime.scanSpan", "runtime.markroot",
	"runtime.typePointers.next", "runtime.deductAssistCredit", "runtime.bulkBarrierPreWrite", "runtime.wbMove",
}

// BenchmarkGuestCalls counts, per on-post-creating call, the wasm function
// calls inside the standard Go guests: the hand-rolled Go floor and the
// witgen Go guest (also with GOGC=400: go-gogc400). It explains where a Go guest's time goes (the host's
// profile cannot see inside guest code): guest-calls/op is every function
// call, malloc/op the calls of the Go runtime's allocator (runtime.mallocgc),
// gc/op those of its collector's entry points (gcStart, gcBgMarkWorker,
// markroot, scanobject), gc-mark-calls/op those of gcMarking. ns/op here includes the listener's own cost and
// is not comparable with the other benchmarks; compare the counts.
func BenchmarkGuestCalls(b *testing.B) {
	for _, g := range []struct{ short, name, gogc string }{{"go-floor", "go-floor", ""}, {"go", "go-witgen", ""}, {"go-gogc400", "go-witgen", "400"}} {
		b.Run(g.short, func(b *testing.B) {
			wasm := loadGuest(b, g.name)
			cc := &callCounter{}
			lctx := experimental.WithFunctionListenerFactory(ctx, cc)
			r := wazero.NewRuntime(lctx) // no shared cache: the listener is compiled in
			b.Cleanup(func() { r.Close(ctx) })
			var f filterer
			if g.short == "go-floor" {
				wasi_snapshot_preview1.MustInstantiate(ctx, r)
				cm, err := r.CompileModule(lctx, wasm)
				if err != nil {
					b.Fatal(err)
				}
				fl, err := NewFloor(lctx, r, cm)
				if err != nil {
					b.Fatal(err)
				}
				f = fl
			} else {
				if err := plugin.Define(ctx, r); err != nil {
					b.Fatal(err)
				}
				mod, err := plugin.Compile(lctx, r, wasm, plugin.OptionalExports())
				if err != nil {
					b.Fatal(err)
				}
				var cfg wazero.ModuleConfig
				if g.gogc != "" {
					cfg = wazero.NewModuleConfig().WithEnv("GOGC", g.gogc)
				}
				f = generated{instantiateWith(b, mod, cfg)}
			}
			in := benchPost()
			call := func() {
				if out, err := f.OnPostCreating(ctx, &in); err != nil || out == nil {
					b.Fatal(out, err)
				}
			}
			warmUp(call)
			cc.reset()
			for b.Loop() {
				call()
			}
			ops := b.N
			b.ReportMetric(float64(cc.total())/float64(ops), "guest-calls/op")
			b.ReportMetric(float64(cc.sum("runtime.mallocgc"))/float64(ops), "malloc/op")
			b.ReportMetric(float64(cc.sum("runtime.gcStart", "runtime.gcBgMarkWorker", "runtime.markroot", "runtime.scanobject"))/float64(ops), "gc/op")
			b.ReportMetric(float64(cc.sum(gcMarking...))/float64(ops), "gc-mark-calls/op")
			b.Logf("%s: the most called guest functions per call\n%s", g.name, cc.top(20, ops))
		})
	}
}
