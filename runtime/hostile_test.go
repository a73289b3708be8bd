package runtime

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	neturl "net/url"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// The hostile-plugin corpus: one test per class of attack (waits, loops,
// recursion, memory, garbage pointers, SQL, disk, key-value, logs, HTTP,
// manifests). Each attack runs through the whole runtime path against a
// runtime that also serves a well-behaved plugin, and asserts what
// docs/security.md promises:
//
//   - every hostile call ends within 2× the call deadline (issue 11's bound; measured: 1.0–1.4×, the attacks held calls 17–58 s before their fixes);
//   - the process's resident memory grows by less than a bound while it
//     runs (sampled every 5 ms), the guests' own memory limits included;
//   - the bystander plugin keeps answering, quickly, during the attack;
//   - the host database stays writable and loses nothing it had written;
//   - the class's own resource (disk, KV bytes, log records) stays bounded.

const (
	hostileDeadline = 500 * time.Millisecond
	hostilePool     = 2
	hostilePages    = 256 // 16 MiB of linear memory per instance
	// hostileRSS bounds the growth of the test process's RSS during an
	// attack: the hostile instances' linear memory (pool × limit, twice for
	// the replacements) plus 96 MiB for everything else.
	hostileRSS = 2*hostilePool*hostilePages*64<<10 + 96<<20
)

// attack is one hostile plugin and how to provoke it.
type attack struct {
	guest rtt.Guest
	hooks map[string]int
	extra string // manifest TOML after the hooks ([permissions], …)
	// call makes one hostile call; an error is expected and ignored (the
	// plugin is skipped), what matters is how long it took and what it
	// left behind.
	call func(ctx context.Context, rt *Runtime)
	// cfg adjusts the runtime's configuration.
	cfg func(*fixture)
	// rss replaces hostileRSS as the bound of RSS growth.
	rss int64
}

// attackResult is what runAttack measured.
type attackResult struct {
	f           *fixture
	rt          *Runtime
	slowest     time.Duration // of the hostile calls
	rssGrowth   int64         // peak VmRSS during the attack minus before
	bystanderMx time.Duration // slowest bystander call during the attack
}

// runAttack runs two waves of hostilePool concurrent hostile calls (the
// second on the replacement instances) while a bystander plugin is called
// in a loop, then checks the invariants every class shares.
func runAttack(t *testing.T, a attack) attackResult {
	t.Helper()
	f := newFixture(t)
	f.cfg.PoolSize = hostilePool
	f.cfg.CallTimeout = hostileDeadline
	f.cfg.MemoryLimitPages = hostilePages
	if a.cfg != nil {
		a.cfg(f)
	}
	if _, err := f.db.Exec(`CREATE TABLE ledger (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`INSERT INTO ledger (v) VALUES ('before')`); err != nil {
		t.Fatal(err)
	}
	f.add("evil", "evil", a.guest, a.hooks, a.extra)
	f.add("good", "good", prefixGuest("ok:"), map[string]int{"render-markdown": 0}, "")
	rt := f.start()
	if !slicesHasPlugin(rt, "good") || !slicesHasPlugin(rt, "evil") {
		t.Fatalf("plugins not loaded: %v", rt.Problems())
	}

	// Return the memory earlier tests freed to the OS, so that what the
	// attack allocates shows as RSS growth instead of reusing it.
	debug.FreeOSMemory()
	before := rssBytes(t)
	res := attackResult{f: f, rt: rt}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peak int64
	wg.Add(2)
	go func() { // RSS sampler
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if r := rssBytes(t); r > peak {
				peak = r
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	bystanderErr := make(chan error, 1)
	go func() { // bystander
		defer wg.Done()
		for {
			start := time.Now()
			got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x")
			if d := time.Since(start); d > res.bystanderMx {
				res.bystanderMx = d
			}
			if err != nil || got != "ok:x" {
				select {
				case bystanderErr <- fmt.Errorf("bystander: %q, %v", got, err):
				default:
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var mu sync.Mutex
	for range 2 {
		var calls sync.WaitGroup
		for range hostilePool {
			calls.Add(1)
			go func() {
				defer calls.Done()
				start := time.Now()
				a.call(ctx, rt)
				d := time.Since(start)
				mu.Lock()
				res.slowest = max(res.slowest, d)
				mu.Unlock()
			}()
		}
		calls.Wait()
	}
	close(stop)
	wg.Wait()
	res.rssGrowth = peak - before

	// Issue 11's bound (measured 1.0–1.4× on 2 loaded cores); the
	// attacks it catches held a call for 17–58 s before their fixes.
	if res.slowest > 2*hostileDeadline {
		t.Errorf("a hostile call took %v, more than 2× the %v deadline", res.slowest, hostileDeadline)
	}
	bound := int64(hostileRSS)
	if a.rss > 0 {
		bound = a.rss
	}
	if res.rssGrowth > bound {
		t.Errorf("RSS grew by %d MiB during the attack (bound %d MiB)", res.rssGrowth>>20, bound>>20)
	}
	select {
	case err := <-bystanderErr:
		t.Error(err)
	default:
	}
	if res.bystanderMx > hostileDeadline {
		t.Errorf("bystander plugin took up to %v during the attack", res.bystanderMx)
	}
	// The host database is writable at once and lost nothing.
	wctx, cancel := context.WithTimeout(ctx, hostileDeadline)
	defer cancel()
	if _, err := f.db.ExecContext(wctx, `INSERT INTO ledger (v) VALUES ('after')`); err != nil {
		t.Errorf("host write after the attack: %v", err)
	}
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM ledger WHERE v IN ('before', 'after')`).Scan(&n); err != nil || n != 2 {
		t.Errorf("ledger holds %d of the host's 2 rows (%v)", n, err)
	}
	t.Logf("slowest hostile call %v (deadline %v), RSS growth %d MiB, slowest bystander call %v",
		res.slowest.Round(time.Millisecond), hostileDeadline, res.rssGrowth>>20, res.bystanderMx.Round(time.Microsecond))
	return res
}

func slicesHasPlugin(rt *Runtime, id string) bool {
	for _, p := range rt.Plugins() {
		if p.ID == id {
			return true
		}
	}
	return false
}

// rssBytes reads the process's resident set size from /proc/self/status.
func rssBytes(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status to measure memory: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// onLogin calls the on-login action with arg.
func onLogin(arg string) func(context.Context, *Runtime) {
	return func(ctx context.Context, rt *Runtime) { Action(ctx, rt, plugin.Hooks.OnLogin, arg) }
}

// diskUse walks dir: entries (files and directories, dir itself not
// counted) and the bytes of disk blocks they take.
func diskUse(t *testing.T, dir string) (entries int, dirs int, blocks int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		entries++
		if d.IsDir() {
			dirs++
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			blocks += st.Blocks * 512
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return entries, dirs, blocks
}

// --- waits, loops, recursion, memory, garbage ---

func TestHostileWaits(t *testing.T) {
	// A 60 s WASI sleep after db-begin: the call ends at its deadline and
	// the transaction with it (runAttack writes to the host database).
	runAttack(t, attack{
		guest: sleepGuest,
		hooks: map[string]int{"on-login": 0},
		extra: "[permissions]\ndb = \"write\"\n",
		call:  onLogin("u"),
	})
}

var loopGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (loop $forever (br $forever)))`}

func TestHostileLoops(t *testing.T) {
	runAttack(t, attack{guest: loopGuest, hooks: map[string]int{"on-login": 0}, call: onLogin("u")})
}

var recursionGuest = rtt.Guest{Funcs: `
  (func $deep (param $n i32) (result i32)
    (i32.add (call $deep (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (drop (call $deep (i32.const 0))))`}

// wazeroStackPeak is what one call recursing without end can take: wazero's
// compiled code runs on a Go byte slice that doubles from 10 KiB while it is
// below a fixed 50 MB ceiling (not configurable), so the last stack is about
// 84 MB and, while it is copied, the previous 42 MB one is live too.
const wazeroStackPeak = 126 << 20

func TestHostileRecursion(t *testing.T) {
	// Without a memory limit the garbage stacks of discarded instances
	// wait for the next GC cycle (GOGC=100 lets the heap double first); a
	// host bounds that with GOMEMLIMIT, as docs/security.md says. The limit
	// here is what the running calls need.
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	limit := int64(ms.HeapSys) + hostilePool*wazeroStackPeak + 64<<20
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
	res := runAttack(t, attack{
		guest: recursionGuest, hooks: map[string]int{"on-login": 0}, call: onLogin("u"),
		// The memory limit is soft and RSS also holds pages freed but
		// not yet returned: CI measured 393 MiB against a 380 MiB bound.
		// The first wave's stacks kept alive (a leak) would be 4×126 =
		// 504 MiB of stacks alone, above this 428 MiB bound.
		rss: hostilePool*wazeroStackPeak + 176<<20,
	})
	if errs := PluginErrors(Action(ctx, res.rt, plugin.Hooks.OnLogin, "u")); len(errs) != 1 || !strings.Contains(errs[0].Error(), "stack") {
		t.Errorf("unbounded recursion: %v, want a stack-overflow trap", errs)
	}
}

// memoryGuest grows its memory to the limit, touches every page, then spins.
var memoryGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (local $p i32) (local $end i32)
    (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (local.set $p (i32.const 262144))
    (loop $touch
      (i32.store8 (local.get $p) (i32.const 1))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $touch (i32.lt_u (local.get $p) (local.get $end))))
    (loop $forever (br $forever)))`}

func TestHostileMemory(t *testing.T) {
	runAttack(t, attack{guest: memoryGuest, hooks: map[string]int{"on-login": 0}, call: onLogin("u")})
}

// garbageGuest's filter-html answers with pointers outside its memory: for
// a one-byte input a return area past the end, otherwise some(string) whose
// pointer and length run past the end.
var garbageGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("filter-html") + `") (param $p i32) (param $l i32) (result i32)
    (if (i32.eq (local.get $l) (i32.const 1)) (then (return (i32.const -16))))
    (i32.store8 (i32.const 64) (i32.const 1))
    (i32.store (i32.const 68) (i32.const -256))
    (i32.store (i32.const 72) (i32.const 0x7fffffff))
    (i32.const 64))`}

func TestHostileGarbagePointers(t *testing.T) {
	for _, in := range []string{"x", "<p>"} {
		res := runAttack(t, attack{
			guest: garbageGuest,
			hooks: map[string]int{"filter-html": 0},
			call:  func(ctx context.Context, rt *Runtime) { Filter(ctx, rt, plugin.Hooks.FilterHTML, in) },
		})
		got, err := Filter(ctx, res.rt, plugin.Hooks.FilterHTML, in)
		if got != in || err == nil {
			t.Errorf("garbage answer to %q: %q, %v; want the input kept and an error", in, got, err)
		}
	}
}

// --- key-value ---

// kvFillGuest stores 64 KiB values under the keys 0, 1, 2, … until stopped.
var kvFillGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (local $n i32) (local $p i32) (local $l i32)
    (drop (memory.grow (i32.const 1)))
    (memory.fill (i32.const 262144) (i32.const 118) (i32.const 65536))
    (loop $again
      (call $utoa (local.get $n))
      (local.set $l) (local.set $p)
      (drop (call $set_data (local.get $p) (local.get $l) (i32.const 262144) (i32.const 65536)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $again)))`}

func TestHostileKV(t *testing.T) {
	res := runAttack(t, attack{guest: kvFillGuest, hooks: map[string]int{"on-login": 0}, call: onLogin("u")})
	entries, bytes, err := res.rt.KV().Usage(ctx, "evil")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the plugin's KV holds %d entries, %d KiB", entries, bytes>>10)
	if lim := res.rt.KV().Limits(); lim.MaxTotalBytes > 0 && bytes > lim.MaxTotalBytes {
		t.Errorf("KV holds %d bytes, quota %d", bytes, lim.MaxTotalBytes)
	} else if lim.MaxTotalBytes <= 0 {
		t.Errorf("the key-value store has no byte quota (%d bytes stored)", bytes)
	}
}

// --- logs ---

// logFloodGuest logs 8 KiB messages until stopped.
var logFloodGuest = rtt.Guest{
	Data: map[int]string{1024: "info", 2048: strings.Repeat("A", 8192)},
	Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (loop $again
      (call $log (i32.const 1024) (i32.const 4) (i32.const 2048) (i32.const 8192))
      (br $again)))`,
}

// stderrFloodGuest writes "fatal error: out of memory\n" lines to stderr
// through WASI fd_write until stopped, as a Go guest's traceback does.
var stderrFloodGuest = rtt.Guest{
	Imports: `
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))`,
	Data: map[int]string{1024: "fatal error: out of memory\n"},
	Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (i32.store (i32.const 512) (i32.const 1024))
    (i32.store (i32.const 516) (i32.const 27))
    (loop $again
      (drop (call $fd_write (i32.const 2) (i32.const 512) (i32.const 1) (i32.const 520)))
      (br $again)))`,
}

func TestHostileLogs(t *testing.T) {
	for name, g := range map[string]rtt.Guest{"host-api-log": logFloodGuest, "stderr": stderrFloodGuest} {
		t.Run(name, func(t *testing.T) { hostileLogs(t, g) })
	}
}

func hostileLogs(t *testing.T, g rtt.Guest) {
	rec := &recorder{}
	start := time.Now()
	res := runAttack(t, attack{
		guest: g, hooks: map[string]int{"on-login": 0}, call: onLogin("u"),
		cfg: func(f *fixture) { f.cfg.Logger = slog.New(rec) },
	})
	elapsed := time.Since(start)
	// Closing the plugin writes the summary of what was dropped (during a
	// longer flood it comes at most every hostlog.DefaultInterval).
	if err := res.rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n, size, summary := 0, 0, false
	for _, r := range rec.recs {
		if !strings.Contains(r, " plugin=evil") {
			continue
		}
		n++
		size += len(r) // the whole record: an upper bound of the message bytes
		summary = summary || strings.Contains(r, "suppressed")
	}
	t.Logf("%d records, %d KiB in %v", n, size>>10, elapsed.Round(time.Millisecond))
	// 4 calls of 0.5 s each flooding: the per-plugin limit lets through a
	// burst and a steady rate, not the ~20 MB/s a guest can produce.
	if size > 4<<20 || n > 1000 {
		t.Errorf("the flood put %d records (%d KiB) through in %v", n, size>>10, elapsed)
	}
	if !summary {
		t.Errorf("no record says how many records were suppressed")
	}
}

// --- HTTP ---

func TestHostileHTTP(t *testing.T) {
	// The refused target counts its connections: it must see none.
	var refusedConns atomic.Int64
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	target.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			refusedConns.Add(1)
		}
	}
	target.Start()
	defer target.Close()
	_, tport, _ := net.SplitHostPort(target.Listener.Addr().String())

	// The allowed server misbehaves.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow": // a byte every 50 ms, forever
			for {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		case "/huge": // an endless body
			buf := make([]byte, 64<<10)
			for {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
		case "/redirect":
			http.Redirect(w, r, "http://[::127.0.0.1]:"+tport+"/", http.StatusFound)
		}
	}))
	defer srv.Close()
	shost := strings.TrimPrefix(srv.URL, "http://")

	for name, url := range map[string]string{
		"ipv4-compatible": "http://[::127.0.0.1]:" + tport + "/",
		"siit":            "http://[::ffff:0:127.0.0.1]:" + tport + "/",
		"mapped":          "http://[::ffff:127.0.0.1]:" + tport + "/",
		"nat64-local":     "http://[64:ff9b:1::7f00:1]:" + tport + "/",
		"decimal":         "http://2130706433:" + tport + "/",
		"redirect":        srv.URL + "/redirect",
		"slow":            srv.URL + "/slow",
		"huge":            srv.URL + "/huge",
	} {
		t.Run(name, func(t *testing.T) {
			res := runAttack(t, attack{
				guest: fetchGuest,
				hooks: map[string]int{"on-login": 0},
				// Every host is allowed: the address check alone refuses.
				extra: fmt.Sprintf("[permissions]\nhttp_allow = [%q, %q, \"[::127.0.0.1]:%s\"]\n", shost, urlHost(t, url), tport),
				cfg: func(f *fixture) {
					if name == "slow" || name == "huge" || name == "redirect" {
						f.cfg.HTTP.AllowedNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
					}
				},
				call: onLogin(url),
			})
			if v, ok := res.f.kv("evil", "body"); ok && (strings.Contains(v, "secret") || len(v) > 4<<20) {
				t.Errorf("%s: the plugin got a body of %d bytes: %.40q", url, len(v), v)
			}
		})
	}
	if n := refusedConns.Load(); n != 0 {
		t.Errorf("the refused target saw %d connections", n)
	}
}

func urlHost(t *testing.T, raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// --- manifests ---

func TestHostileManifests(t *testing.T) {
	f := newFixture(t)
	f.cfg.PoolSize = 1
	f.add("good", "good", prefixGuest("ok:"), map[string]int{"render-markdown": 0}, "")
	wasm := prefixGuest("evil:").Wasm(t)
	head := manifestTOML("evil", map[string]int{"render-markdown": 0}, "")
	for name, m := range map[string]string{
		"huge":    head + "[config]\npad = \"" + strings.Repeat("x", 56<<20) + "\"\n",
		"many":    head + strings.Repeat("[[cron]]\nlabel = \"l\"\njob_type = \"j\"\ncron_expr = \"* * * * *\"\n", 20000),
		"nested":  head + "[config]\nx = " + strings.Repeat("[", 30000) + strings.Repeat("]", 30000) + "\n",
		"binary":  "\x00\xff\xfe" + strings.Repeat("\x00", 1000),
		"keys":    head + "[config]\n" + strings.Repeat("k = 1\n", 2),
		"no-wasm": strings.Replace(head, "plugin.wasm", "../../../etc/passwd", 1),
	} {
		rtt.WritePlugin(t, filepath.Join(f.dir, "evil-"+name), strings.Replace(m, `id = "evil"`, `id = "evil-`+name+`"`, 1), wasm)
	}
	debug.FreeOSMemory()
	before := rssBytes(t)
	start := time.Now()
	rt := f.start()
	took := time.Since(start)
	growth := rssBytes(t) - before
	t.Logf("New with 6 hostile manifests took %v, RSS growth %d MiB; problems:", took.Round(time.Millisecond), growth>>20)
	for _, p := range rt.Problems() {
		t.Logf("  %s: %.160v", filepath.Base(p.Dir), p.Err)
	}
	if took > 5*time.Second {
		t.Errorf("loading took %v", took)
	}
	if growth > 128<<20 {
		t.Errorf("RSS grew by %d MiB while loading manifests", growth>>20)
	}
	if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x"); got != "ok:x" || err != nil {
		t.Errorf("bystander: %q, %v", got, err)
	}
	for _, id := range []string{"evil-huge", "evil-binary", "evil-keys", "evil-no-wasm", "evil-nested"} {
		if slicesHasPlugin(rt, id) {
			t.Errorf("%s was loaded", id)
		}
	}
}
