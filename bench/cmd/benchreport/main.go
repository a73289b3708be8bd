// Command benchreport turns the output of bench/run.sh's rounds (each one
// run of the bench test binary, `go test -bench` output) into
// docs/benchmarks.md: medians, ratios to the floors computed within each
// round and then reduced to their median, the targets of the benchmark
// issue with a verdict, and the system figures.
//
//	benchreport -o docs/benchmarks.md -meta meta.txt [-benchstat bs.txt] [-profile prof.txt] round-1.txt …
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is one benchmark line: metric unit → value.
type result map[string]float64

// data holds every round's results.
type data struct {
	rounds []map[string][]result // per round: benchmark name (no -P suffix) → lines
	procs  string                // the -P suffix (GOMAXPROCS)
	header map[string]string     // goos, goarch, pkg, cpu
}

var lineRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-(\d+))?\s+(\d+)\s+(.+)$`)

func parse(r io.Reader, d *data) error {
	round := map[string][]result{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "Benchmark") && !strings.Contains(k, " ") {
			d.header[k] = v
			continue
		}
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[2] != "" {
			d.procs = m[2]
		}
		f := strings.Fields(m[4])
		res := result{}
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			res[f[i+1]] = v
		}
		round[m[1]] = append(round[m[1]], res)
	}
	d.rounds = append(d.rounds, round)
	return sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// values returns every value of name's unit over all rounds.
func (d *data) values(name, unit string) []float64 {
	var out []float64
	for _, r := range d.rounds {
		for _, res := range r[name] {
			if v, ok := res[unit]; ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func (d *data) med(name, unit string) float64 { return median(d.values(name, unit)) }

func (d *data) has(name string) bool {
	for _, r := range d.rounds {
		if len(r[name]) > 0 {
			return true
		}
	}
	return false
}

// ratio returns the median over rounds of a/b for unit (each round's value
// being the median of its lines), the smallest and largest of those ratios,
// and how many rounds had both.
func (d *data) ratio(a, b, unit string) (med, lo, hi float64, n int) {
	var rs []float64
	for _, r := range d.rounds {
		var av, bv []float64
		for _, res := range r[a] {
			if v, ok := res[unit]; ok {
				av = append(av, v)
			}
		}
		for _, res := range r[b] {
			if v, ok := res[unit]; ok {
				bv = append(bv, v)
			}
		}
		if len(av) > 0 && len(bv) > 0 && median(bv) > 0 {
			rs = append(rs, median(av)/median(bv))
		}
	}
	if len(rs) == 0 {
		return math.NaN(), math.NaN(), math.NaN(), 0
	}
	return median(rs), slices.Min(rs), slices.Max(rs), len(rs)
}

// dur formats nanoseconds.
func dur(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "—"
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func times(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

// durRange formats the median of vs (nanoseconds) with their range.
func durRange(vs []float64) string {
	if len(vs) == 0 {
		return "—"
	}
	if len(vs) == 1 {
		return dur(vs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", dur(median(vs)), dur(slices.Min(vs)), dur(slices.Max(vs)))
}

func ratioCell(med, lo, hi float64, n int) string {
	if n == 0 {
		return "—"
	}
	if n == 1 {
		return times(med)
	}
	return fmt.Sprintf("%s (%s–%s)", times(med), strings.TrimSuffix(times(lo), "×"), times(hi))
}

type report struct {
	d    *data
	w    *strings.Builder
	meta map[string]string
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(r.w, format, args...) }

// peer is one steady-state benchmark of the per-call table.
type peer struct{ name, what string }

var peers = []peer{
	{"BenchmarkFloor/c", "hand-rolled protocol, C guest (the floor)"},
	{"BenchmarkFloor/go", "hand-rolled protocol, standard Go guest (the Go floor)"},
	{"BenchmarkFloor/go-struct", "hand-rolled protocol, Go guest written the ordinary way (decode to a struct, encode back)"},
	{"BenchmarkGenerated/c", "generated bindings, wit-bindgen C guest (c-plugin)"},
	{"BenchmarkGenerated/rust", "generated bindings, wit-bindgen Rust guest (slug-rust)"},
	{"BenchmarkGenerated/go", "generated bindings, `witgen guest` Go guest"},
	{"BenchmarkExtism/go", "extism go-sdk + go-pdk Go guest, JSON"},
	{"BenchmarkDeadline/c", "generated bindings, C guest, wazero's CloseOnContextDone + a deadline per call (how runtime/ was interruptible before runtime/interrupt)"},
	{"BenchmarkDeadline/rust", "generated bindings, Rust guest, CloseOnContextDone + deadline"},
	{"BenchmarkDeadline/go", "generated bindings, witgen Go guest, CloseOnContextDone + deadline"},
	{"BenchmarkInstrumented/c", "generated bindings over the module as runtime/ rewrites it (interrupt checks, yield countdown), C guest, no deadline armed"},
	{"BenchmarkInstrumented/rust", "instrumented module, Rust guest"},
	{"BenchmarkInstrumented/go", "instrumented module, witgen Go guest"},
	{"BenchmarkRuntimeFilter/c", "the real path: runtime.Filter through a loaded runtime (manifest, pool of 4, instrumented deadline, memory cap, end-of-call bookkeeping), C guest"},
	{"BenchmarkRuntimeFilter/rust", "runtime.Filter, Rust guest"},
	{"BenchmarkRuntimeFilter/go", "runtime.Filter, witgen Go guest"},
	{"BenchmarkRuntimeFilterRequest/c", "runtime.Filter under an HTTP handler's context (values over cancellations, a different request every call), C guest"},
	{"BenchmarkRuntimeFilterRequest/rust", "runtime.Filter under request contexts, Rust guest"},
	{"BenchmarkRuntimeFilterRequest/go", "runtime.Filter under request contexts, witgen Go guest"},
	{"BenchmarkFresh/c", "generated bindings, fresh C instance per call"},
	{"BenchmarkFresh/rust", "generated bindings, fresh Rust instance per call"},
	{"BenchmarkFresh/go", "generated bindings, fresh Go instance per call"},
}

const (
	floorC  = "BenchmarkFloor/c"
	floorGo = "BenchmarkFloor/go"
)

// verdict compares a median ratio with a bound.
func verdict(v float64, n int, ok bool) string {
	switch {
	case n == 0 || math.IsNaN(v):
		return "not measured (guest missing?)"
	case ok:
		return "**met**"
	}
	return "**missed**"
}

func (r *report) targets() {
	d := r.d
	r.p("## Targets\n\n")
	r.p("Ratios are computed within each round (one run of the test binary, every peer measured\n")
	r.p("minutes apart at most), then the median of the rounds' ratios is shown with their range.\n")
	r.p("`ns/op` is Go's mean time per call; `p50` is the median time per call over batches of 16\n")
	r.p("calls, which the other processes of a shared machine disturb far less (see Method).\n\n")
	r.p("| target | ns/op ratio | p50 ratio | verdict (ns/op; p50) |\n|---|---|---|---|\n")
	row := func(label, a, b string, bound float64, atMost bool) {
		m1, lo1, hi1, n1 := d.ratio(a, b, "ns/op")
		m2, lo2, hi2, n2 := d.ratio(a, b, "p50-ns/op")
		check := func(v float64) bool {
			if atMost {
				return v <= bound
			}
			return v >= bound
		}
		r.p("| %s | %s | %s | %s; %s |\n", label, ratioCell(m1, lo1, hi1, n1), ratioCell(m2, lo2, hi2, n2),
			verdict(m1, n1, check(m1)), strings.Trim(verdict(m2, n2, check(m2)), "*"))
	}
	row("generated + C guest ≤ 1.5× the C floor (aim 1.2×)", "BenchmarkGenerated/c", floorC, 1.5, true)
	row("generated + Rust guest ≤ 1.5× the C floor (aim 1.2×)", "BenchmarkGenerated/rust", floorC, 1.5, true)
	row("generated + witgen Go guest ≤ 1× the Go floor", "BenchmarkGenerated/go", floorGo, 1, true)
	row("(reference) generated + witgen Go guest ≤ 1× ordinary hand-rolled Go (go-struct)", "BenchmarkGenerated/go", "BenchmarkFloor/go-struct", 1, true)
	row("extism ÷ generated, same Go plugin logic ≥ 30×", "BenchmarkExtism/go", "BenchmarkGenerated/go", 30, false)
	for _, g := range []string{"c", "rust", "go"} {
		row(fmt.Sprintf("fresh instance per call ÷ generated, %s guest ≥ 200×", g), "BenchmarkFresh/"+g, "BenchmarkGenerated/"+g, 200, false)
	}
	row("runtime.Filter + C guest ≤ 1.5× the C floor (aim 1.2×)", "BenchmarkRuntimeFilter/c", floorC, 1.5, true)
	row("runtime.Filter + witgen Go guest ≤ 1.5× the Go floor", "BenchmarkRuntimeFilter/go", floorGo, 1.5, true)
	for _, g := range []string{"c", "rust", "go"} {
		row(fmt.Sprintf("runtime.Filter ÷ bare generated bindings, %s guest ≤ 1.15×", g), "BenchmarkRuntimeFilter/"+g, "BenchmarkGenerated/"+g, 1.15, true)
	}
	r.p("\n")
	img := "BenchmarkNewInstance/go/image"
	v, n := d.med(img, "ns/op"), len(d.values(img, "ns/op"))
	r.p("| target (absolute) | median of the rounds (range) | verdict |\n|---|---|---|\n")
	r.p("| a standard-Go instance ready from its image (runtime/ `BenchmarkNewInstance/go/image`) ≤ 0.5 ms | %s | %s |\n\n",
		durRange(d.values(img, "ns/op")), verdict(v, n, v <= 0.5e6))

	// Allocations.
	r.p("Host allocations per call (`allocs/op`, medians):\n\n")
	r.p("| call | allocs/op | B/op | bound | verdict |\n|---|---|---|---|---|\n")
	for _, g := range []string{"c", "rust", "go"} {
		n := "BenchmarkGenerated/" + g
		a := d.med(n, "allocs/op")
		r.p("| on-post-creating, %s guest | %s | %s | 12: the result's 7 strings, the tag slice, 4 pointers (result, slug, status, tag-ids) | %s |\n",
			g, num(a, 0), num(d.med(n, "B/op"), 0), verdict(a, len(d.values(n, "allocs/op")), a <= 12))
	}
	for _, g := range []string{"c", "rust", "go"} {
		n := "BenchmarkRuntimeFilter/" + g
		a := d.med(n, "allocs/op")
		r.p("| runtime.Filter on-post-creating, %s guest | %s | %s | 12: as the bare bindings (the runtime adds none) | %s |\n",
			g, num(a, 0), num(d.med(n, "B/op"), 0), verdict(a, len(d.values(n, "allocs/op")), a <= 12))
	}
	for _, g := range []string{"c", "rust", "go"} {
		n := "BenchmarkRuntimeFilterRequest/" + g
		a := d.med(n, "allocs/op")
		r.p("| runtime.Filter on-post-creating under request contexts, %s guest | %s | %s | 12: as the bare bindings (no AfterFunc, context or channel per call) | %s |\n",
			g, num(a, 0), num(d.med(n, "B/op"), 0), verdict(a, len(d.values(n, "allocs/op")), a <= 12))
	}
	r.p("| on-post-creating, hand-rolled floor (C) | %s | %s | (one copy of the whole result, substrings of it) | — |\n",
		num(d.med(floorC, "allocs/op"), 0), num(d.med(floorC, "B/op"), 0))
	for _, g := range []string{"c", "rust", "go"} {
		n := "BenchmarkAction/" + g
		a := d.med(n, "allocs/op")
		bound, why := 0.0, "0: an action returns nothing"
		if g == "c" {
			bound, why = 2, "2: c-plugin's on-login calls set-data(key, user-id); the host function lifts its two string arguments for the HostAPI method"
		}
		r.p("| on-login(user-id), %s guest | %s | %s | %s | %s |\n", g, num(a, 0), num(d.med(n, "B/op"), 0), why,
			verdict(a, len(d.values(n, "allocs/op")), a <= bound))
	}
	r.p("\nplugin.wit has no action whose arguments are all scalars; on-login's single string argument\n")
	r.p("is lowered into guest memory without a host allocation, so it is the same path. Where the\n")
	r.p("alloc profile below names `(*Instance).enter`, that allocation is the per-call context the\n")
	r.p("bindings create to carry the instance into host functions. Every benchmark warms its instance\n")
	r.p("up first, so a Go guest's linear memory (a host byte slice wazero grows) has reached its\n")
	r.p("steady size and its growth is not counted in `B/op`.\n\n")
}

func (r *report) perCall() {
	d := r.d
	r.p("## Per call: set the slug of a post (2 KiB body, 3 tags), read the whole post back\n\n")
	r.p("| peer | what | ns/op | p50 | × C floor | × Go floor | allocs/op | B/op |\n|---|---|---|---|---|---|---|---|\n")
	for _, p := range peers {
		if !d.has(p.name) {
			r.p("| %s | %s | skipped | | | | | |\n", strings.TrimPrefix(p.name, "Benchmark"), p.what)
			continue
		}
		c, _, _, nc := d.ratio(p.name, floorC, "ns/op")
		g, _, _, ng := d.ratio(p.name, floorGo, "ns/op")
		cs, gs := "—", "—"
		if nc > 0 {
			cs = times(c)
		}
		if ng > 0 {
			gs = times(g)
		}
		r.p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(p.name, "Benchmark"), p.what,
			dur(d.med(p.name, "ns/op")), dur(d.med(p.name, "p50-ns/op")), cs, gs,
			num(d.med(p.name, "allocs/op"), 0), num(d.med(p.name, "B/op"), 0))
	}
	r.p("\nWhere runtime.Filter's time goes, step by step (medians of the rounds' ratios): the bare\n")
	r.p("bindings; the same over the instrumented module (what the guest pays for being interruptible);\n")
	r.p("runtime.Filter (the host's bookkeeping: pool, deadline, call context, end of call); and the\n")
	r.p("same under request contexts (the caller's cancellation polled by the watchdog):\n\n")
	r.p("| guest | Generated | Instrumented ÷ Generated | RuntimeFilter ÷ Instrumented | RuntimeFilter ÷ Generated | Request ÷ RuntimeFilter |\n|---|---|---|---|---|---|\n")
	for _, g := range []string{"c", "rust", "go"} {
		gen, ins, rf, rq := "BenchmarkGenerated/"+g, "BenchmarkInstrumented/"+g, "BenchmarkRuntimeFilter/"+g, "BenchmarkRuntimeFilterRequest/"+g
		cell := func(a, b string) string { m, lo, hi, k := d.ratio(a, b, "ns/op"); return ratioCell(m, lo, hi, k) }
		r.p("| %s | %s | %s | %s | %s | %s |\n", g, dur(d.med(gen, "ns/op")), cell(ins, gen), cell(rf, ins), cell(rf, gen), cell(rq, rf))
	}
	r.p("\nAction call (on-login with one string argument): the bare bindings and runtime.Action\n")
	r.p("through a loaded runtime (pool of 4, deadline, bookkeeping):\n\n")
	r.p("| guest | bare ns/op | bare allocs/op | runtime.Action ns/op | ÷ bare | runtime.Action allocs/op | B/op |\n|---|---|---|---|---|---|---|\n")
	for _, g := range []string{"c", "rust", "go"} {
		n, rn := "BenchmarkAction/"+g, "BenchmarkRuntimeAction/"+g
		m, lo, hi, k := d.ratio(rn, n, "ns/op")
		r.p("| %s | %s | %s | %s | %s | %s | %s |\n", g, dur(d.med(n, "ns/op")), num(d.med(n, "allocs/op"), 0),
			dur(d.med(rn, "ns/op")), ratioCell(m, lo, hi, k), num(d.med(rn, "allocs/op"), 0), num(d.med(rn, "B/op"), 0))
	}
	r.p("\n")

	r.p("Inside the standard Go guests (BenchmarkGuestCalls: a wazero function listener counts the\n")
	r.p("guest's wasm function calls; the host's profile shows guest code only as `_ExternalCode`):\n\n")
	r.p("| guest | wasm calls per filter call | of them runtime.mallocgc* | of them GC marking (write barriers, shading, assists, scanning) | GC entry points | ns/op, Generated (no listener) | ÷ Go floor |\n|---|---|---|---|---|---|---|\n")
	for _, g := range []string{"go-floor", "go", "go-gogc400"} {
		n := "BenchmarkGuestCalls/" + g
		gen := "BenchmarkGenerated/" + g
		if g == "go-floor" {
			gen = floorGo
		}
		m, lo, hi, k := d.ratio(gen, floorGo, "ns/op")
		r.p("| %s | %s | %s | %s | %s | %s | %s |\n", g, num(d.med(n, "guest-calls/op"), 1), num(d.med(n, "malloc/op"), 1),
			num(d.med(n, "gc-mark-calls/op"), 1), num(d.med(n, "gc/op"), 3), dur(d.med(gen, "ns/op")), ratioCell(m, lo, hi, k))
	}
	r.p("\n`go-gogc400` is the same witgen guest with GOGC=400 in its environment (what a\n")
	r.p("plugin's `[env] GOGC = 400` in its manifest, or `debug.SetGCPercent(400)` in its init,\n")
	r.p("does). A reactor's Go runtime gets no time\n")
	r.p("between calls, so its background mark workers never run: a GC cycle is marked by allocation\n")
	r.p("assists, spread over the calls made while it lasts, each of them paying write barriers and\n")
	r.p("shading. The per-call argument memory (the host writes the 2 KiB post into a fresh\n")
	r.p("cabi_realloc block, which zero-copy lifting then never reuses) drives the cycles. A larger\n")
	r.p("GC target means fewer cycles, for a larger heap (a 16 MiB minimum instead of 4 MiB).\n\n")
}

func (r *report) system() {
	d := r.d
	sizes := []string{"1", "2", "4", "8"}
	r.p("## Throughput with the pool (runtime/, 8 and 64 concurrent callers)\n\n")
	r.p("`runtime.Filter(ctx, rt, plugin.Hooks.OnPostCreating, post)` on one plugin: a pool take, a\n")
	r.p("deadline per call, the call, the host-side end-of-call bookkeeping. Calls per second (median);\n")
	r.p("`pool=8 ÷ pool=1` is the median of the rounds' ratios.\n\n")
	r.p("| guest | callers | pool=1 | pool=2 | pool=4 | pool=8 | pool=8 ÷ pool=1 | allocs/op (pool=4) | B/op (pool=4) |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range []string{"c", "rust", "go"} {
		for _, c := range []string{"8", "64"} {
			name := func(s string) string { return fmt.Sprintf("BenchmarkThroughput/%s/callers=%s/pool=%s", g, c, s) }
			r.p("| %s | %s |", g, c)
			for _, s := range sizes {
				r.p(" %s |", num(d.med(name(s), "calls/s"), 0))
			}
			m, lo, hi, k := d.ratio(name("8"), name("1"), "calls/s")
			r.p(" %s | %s | %s |\n", ratioCell(m, lo, hi, k), num(d.med(name("4"), "allocs/op"), 0), num(d.med(name("4"), "B/op"), 0))
		}
	}
	r.p("\n")

	r.p("## Memory\n\n")
	r.p("Per plugin (one compiled module: its Go-heap metadata and its machine code, which wazero\n")
	r.p("mmaps outside the Go heap) and per instance (`heap/inst` is the Go heap an instance holds,\n")
	r.p("its linear memory included: wazero keeps linear memory in a Go byte slice). `steady` is the\n")
	r.p("linear memory after 2000 calls.\n\n")
	r.p("| guest | per plugin: Go heap | per plugin: machine code | per instance: heap | linear memory at start | linear memory steady |\n|---|---|---|---|---|---|\n")
	for _, g := range []string{"c", "rust", "go"} {
		n := "BenchmarkMemory/" + g
		r.p("| %s | %s KiB | %s KiB | %s KiB | %s KiB | %s KiB |\n", g, num(d.med(n, "compiled-heap-KiB"), 0), num(d.med(n, "code-KiB"), 0),
			num(d.med(n, "host-KiB/inst"), 0), num(d.med(n, "linear-KiB/inst"), 0), num(d.med(n, "steady-KiB/inst"), 0))
	}
	r.p("\n")

	r.p("## Cold start\n\n")
	r.p("A new wazero runtime, `plugin.Define`, `plugin.Compile` (compile + check against the world),\n")
	r.p("`Instantiate` (`_initialize` included), one call. `disk-cache` reads machine code a previous\n")
	r.p("process left in a `wazero.NewCompilationCacheWithDir` directory.\n\n")
	r.p("| guest | cache | total | compile | instantiate |\n|---|---|---|---|---|\n")
	for _, g := range []string{"c", "rust", "go"} {
		for _, c := range []string{"nocache", "disk-cache"} {
			n := "BenchmarkColdStart/" + g + "/" + c
			r.p("| %s | %s | %s | %s | %s |\n", g, c, dur(d.med(n, "ns/op")), dur(d.med(n, "compile-µs/op")*1e3), dur(d.med(n, "instantiate-µs/op")*1e3))
		}
	}
	r.p("\n")

	r.p("## Instance start (runtime/, instance images)\n\n")
	r.p("What the pool pays for one more instance (`BenchmarkNewInstance`, package runtime: the factory\n")
	r.p("a pool fills and replaces instances with, closed again after) and for filling a pool of 4 for a\n")
	r.p("newly loaded version (`BenchmarkPoolFill`). `fresh` instantiates (applying the data segments)\n")
	r.p("and runs the initialiser; `image` starts from the version's instance image (runtime/IMAGES.md):\n")
	r.p("its memory is one copy of the image's, its globals are set, the initialiser returns at once.\n")
	r.p("The guests are the Go slug example, the Rust quick start and the C plugin.\n\n")
	r.p("| guest | new instance, fresh | from the image | fresh ÷ image | allocs fresh | allocs image | pool fill (4), fresh | with image |\n|---|---|---|---|---|---|---|---|\n")
	for _, g := range []string{"go", "rust", "c"} {
		f, i := "BenchmarkNewInstance/"+g+"/fresh", "BenchmarkNewInstance/"+g+"/image"
		m, lo, hi, k := d.ratio(f, i, "ns/op")
		r.p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", g, dur(d.med(f, "ns/op")), dur(d.med(i, "ns/op")), ratioCell(m, lo, hi, k),
			num(d.med(f, "allocs/op"), 0), num(d.med(i, "allocs/op"), 0),
			dur(d.med("BenchmarkPoolFill/"+g+"/fresh", "ms/fill")*1e6), dur(d.med("BenchmarkPoolFill/"+g+"/image", "ms/fill")*1e6))
	}
	r.p("\n")

	r.p("## Hot reload\n\n")
	r.p("`runtime.Reload` after a plugin's manifest changed: a new generation compiled in its own wazero\n")
	r.p("runtime, its pool of 4 filled, swapped in atomically while a caller keeps calling the filter\n")
	r.p("(no call failed); the old generation drains in the background. `max call` is the slowest call\n")
	r.p("that caller saw during the reloads.\n\n")
	r.p("| guest | cache | reload (build + fill + swap) | max call during reload |\n|---|---|---|---|\n")
	for _, g := range []string{"c", "rust", "go"} {
		for _, c := range []string{"nocache", "disk-cache"} {
			n := "BenchmarkHotReload/" + g + "/" + c
			r.p("| %s | %s | %s | %s |\n", g, c, dur(d.med(n, "ns/op")), dur(d.med(n, "max-call-µs")*1e3))
		}
	}
	r.p("\n")

	r.p("## witgen regeneration of wit/plugin.wit\n\n")
	r.p("| step | time |\n|---|---|\n")
	r.p("| `witgen host` command, end to end (built binary; what `go generate ./gen/plugin` costs once `go run`'s build is cached) | %s |\n", dur(d.med("BenchmarkWitgen/cli", "ns/op")))
	r.p("| parse + resolve the WIT in process (first call, loading wasm-tools: %s) | %s |\n", dur(d.med("BenchmarkWitgen/load", "first-load-ms")*1e6), dur(d.med("BenchmarkWitgen/load", "ns/op")))
	r.p("| emit host bindings | %s |\n", dur(d.med("BenchmarkWitgen/host", "ns/op")))
	r.p("| emit guest bindings | %s |\n", dur(d.med("BenchmarkWitgen/guest", "ns/op")))
	r.p("\n")
}

func (r *report) machine() {
	m := r.meta
	r.p("## Machine\n\n")
	r.p("| | |\n|---|---|\n")
	r.p("| CPU | %s |\n", r.d.header["cpu"])
	r.p("| nproc | %s |\n", m["nproc"])
	r.p("| GOMAXPROCS | %s |\n", r.d.procs)
	r.p("| OS/arch | %s/%s, kernel %s |\n", r.d.header["goos"], r.d.header["goarch"], m["kernel"])
	r.p("| Go | %s |\n", m["go"])
	r.p("| wazero | %s |\n", m["wazero"])
	r.p("| extism | go-sdk %s, go-pdk %s |\n", m["extism-sdk"], m["extism-pdk"])
	r.p("| load average (1, 5, 15 min) | before %s; after %s |\n", m["load-before"], m["load-after"])
	r.p("| rounds × benchtime | %d × %s |\n", len(r.d.rounds), m["benchtime"])
	r.p("| wall time of the run | %s |\n", m["wall"])
	r.p("\n")
}

func main() {
	out := flag.String("o", "", "output file (default stdout)")
	metaFile := flag.String("meta", "", "key: value lines from run.sh")
	bsFile := flag.String("benchstat", "", "benchstat output to include")
	profFile := flag.String("profile", "", "profile summary to include")
	flag.Parse()
	d := &data{header: map[string]string{}}
	for _, f := range flag.Args() {
		fh, err := os.Open(f)
		if err != nil {
			fatal(err)
		}
		err = parse(fh, d)
		fh.Close()
		if err != nil {
			fatal(err)
		}
	}
	if len(d.rounds) == 0 {
		fatal(fmt.Errorf("no rounds given"))
	}
	meta := map[string]string{}
	if *metaFile != "" {
		b, err := os.ReadFile(*metaFile)
		if err != nil {
			fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok {
				meta[k] = strings.TrimSpace(v)
			}
		}
	}
	var w strings.Builder
	r := &report{d: d, w: &w, meta: meta}
	r.p("# Benchmarks\n\n")
	r.p("<!-- Generated by bench/run.sh (bench/cmd/benchreport) on %s. Do not edit: rerun it. -->\n\n", meta["date"])
	r.p("Generated bindings against the floors and the alternatives, all in the same runs of\n")
	r.p("`go test -bench` (package `bench`, its own Go module). Every peer does the same work: a filter\n")
	r.p("that sets the slug of a post with a 2 KiB body and 3 tags, the host reading the whole post back.\n")
	r.p("Run on %s, %s rounds. Reproduce with:\n\n    %s\n\n", meta["date"], strconv.Itoa(len(d.rounds)), meta["command"])
	r.targets()
	r.perCall()
	r.system()
	r.machine()
	r.method()
	if *profFile != "" {
		if b, err := os.ReadFile(*profFile); err == nil {
			r.p("## Profile of the generated path\n\n")
			r.p("From `%s` (CPU: host side only; time inside the guest's machine code shows as `runtime._ExternalCode`).\n\n", meta["profile-command"])
			r.p("```\n%s```\n\n", b)
		}
	}
	if *bsFile != "" {
		if b, err := os.ReadFile(*bsFile); err == nil && len(b) > 0 {
			r.p("## benchstat\n\n`%s` over the rounds:\n\n```\n%s```\n", meta["benchstat"], b)
		}
	}
	if *out == "" {
		fmt.Print(w.String())
		return
	}
	if err := os.WriteFile(*out, []byte(w.String()), 0o644); err != nil {
		fatal(err)
	}
}

func (r *report) method() {
	r.p("## Method\n\n")
	r.p(`- **The floor** (bench/floor.go, bench/guests/c-floor, bench/guests/go-floor): a minimal custom
  protocol. The host asks the guest for one buffer (one call), writes the post's fields into it
  length-prefixed, calls the filter (one call); the guest splices the slug in after the content and
  returns the result's address and length; the host copies the result out with one allocation and
  slices every field out of that copy. No per-field allocation in the guest, no post-return, no
  UTF-8 validation. The Go floor does the same with //go:wasmexport, strings.ToLower/ReplaceAll
  for the slug and package-level buffers.
- **Generated** (gen/plugin): the canonical ABI. The host lowers the post into memory it
  allocates with the guest's cabi_realloc (the 88-byte record, each string, the tag list: 8 calls),
  calls on-post-creating, lifts option<post-input> (validating UTF-8, copying each string), then
  calls cabi_post_*. Guests: wit-bindgen 0.36 C (c-plugin, clang-16 -O2) and Rust (slug-rust, the
  quick start, release), and ` + "`witgen guest`" + ` Go (bench/guests/go-witgen, bindings generated from
  wit/plugin.wit at build time).
- **Extism**: go-sdk with WASI and real clocks, go-pdk guest built with standard Go
  (//go:wasmexport, -buildmode=c-shared); the host json.Marshal's the post, CallWithContext, and
  json.Unmarshal's the result.
- **go-struct**: the floor's protocol in Go written the ordinary way (decode the post into a
  struct copying every string, set the slug, encode it all back); a reference for what a
  typical hand-written Go guest costs, not a floor.
- **Fresh instance per call**: the generated bindings with the module compiled once and a new
  instance (and _initialize) per call, closed after it.
- **Deadline**: the generated bindings made interruptible the way wazero offers: a runtime with
  WithCloseOnContextDone(true), so that a deadline or Close interrupts a guest, and a
  context.WithTimeout per call. In wazero 1.12 that option starts a watcher goroutine for every
  guest call (each cabi_realloc of the lowering included) and makes guest code call out to Go at
  every loop back-edge (wazero issue #2466; PRs #2524, #2533). runtime/ no longer runs this way.
- **RuntimeFilter / RuntimeAction**: the real path, what a host calls: runtime.Filter (and
  runtime.Action) through a runtime.New over a plugins directory holding the guest and its
  manifest, pool of 4, the default call deadline and memory cap enforced, the end-of-call
  bookkeeping (database session, waits). The guest is instrumented by runtime/interrupt: it checks
  an interrupt flag (a global) at function entries and loop headers, which a watchdog sets at the
  deadline; no goroutine or timer per call. Arming and disarming the deadline are atomics on the
  instance's alarm; the watchdog polls the caller's cancellation every 5 ms while calls with a
  cancellable context run, instead of a context.AfterFunc per call.
- **Instrumented**: the bare generated bindings over the rewritten module, no deadline armed: the
  difference to Generated is the guest's cost of the checks, the difference to RuntimeFilter the
  host's bookkeeping.
- **RuntimeFilterRequest**: RuntimeFilter called with a context shaped like net/http's (two values,
  a cancellation, a value, a cancellation), alternating between two such requests.
- **Carving**: a guest exporting wasmplug_carvable_realloc (the witgen Go guests) gets one
  cabi_realloc call per lowering, the host carving the block (abi.CarvableExport); the C and Rust
  guests one per string and list.
- Every Go guest: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, instances with
  WithSysNanotime/WithSysWalltime (wazero's fake clocks stall a Go guest's GC). Host functions of
  plugin-world are a no-op implementation: the filter calls none.
- wazero's default runtime configuration (the optimizing compiler); steady-state peers share an
  in-memory compilation cache so set-up compiles each guest once per process; cold-start and
  memory benchmarks do not.
- Each round is one run of the compiled test binary with -test.count=1 over every benchmark;
  peers within a round are measured close together, so per-round ratios cancel most of the drift
  of a shared machine. On a machine shared with other work, ns/op (a mean) absorbs every
  preemption; p50-ns/op (median over batches of 16 calls) mostly does not, and is the better
  estimate of the cost of a call on an idle machine. A standard Go guest's own garbage collection
  is part of ns/op and mostly not of p50.
`)
	r.p("\n")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchreport:", err)
	os.Exit(1)
}
