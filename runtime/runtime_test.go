package runtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/cron/crontest"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// testLogger discards records unless -v is given.
func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// manifest returns a manifest.toml for id subscribing to hooks (name →
// priority), plus extra TOML.
func manifestTOML(id string, hooks map[string]int, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[plugin]\nid = %q\nname = %q\nversion = \"0.1.0\"\nruntime = \"wasm\"\nentry = \"plugin.wasm\"\n\n", id, "Test "+id)
	for _, h := range slices.Sorted(maps.Keys(hooks)) {
		fmt.Fprintf(&b, "[hooks.%s]\npriority = %d\n\n", h, hooks[h])
	}
	b.WriteString(extra)
	return b.String()
}

type fixture struct {
	t    *testing.T
	dir  string // plugins dir
	data string
	db   *sql.DB
	cfg  Config
	rt   *Runtime // the last one start returned
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{t: t, dir: filepath.Join(root, "plugins"), data: filepath.Join(root, "data")}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sqlitedb.Open(context.Background(), filepath.Join(root, "host.db"), sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	f.cfg = Config{
		PluginsDir:          f.dir,
		PoolSize:            2,
		CallTimeout:         2 * time.Second,
		DB:                  db,
		DataDir:             f.data,
		Logger:              testLogger(t),
		CompilationCacheDir: filepath.Join(root, "wazero-cache"),
		WatchInterval:       -1, // tests call Reload
	}
	return f
}

// add writes plugin directory name with a manifest for id and g's wasm.
func (f *fixture) add(name, id string, g rtt.Guest, hooks map[string]int, extra string) {
	f.t.Helper()
	rtt.WritePlugin(f.t, filepath.Join(f.dir, name), manifestTOML(id, hooks, extra), g.Wasm(f.t))
}

func (f *fixture) start() *Runtime {
	f.t.Helper()
	rt, err := New(context.Background(), f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			f.t.Errorf("Close: %v", err)
		}
	})
	f.rt = rt
	return rt
}

// kv reads a plugin's entry from the key-value store of the last runtime
// started.
func (f *fixture) kv(id, key string) (string, bool) {
	f.t.Helper()
	v, ok, err := f.rt.KV().Get(ctx, id, key)
	if err != nil {
		f.t.Fatal(err)
	}
	return v, ok
}

func noProblems(t *testing.T, rt *Runtime) {
	t.Helper()
	for _, p := range rt.Problems() {
		t.Errorf("problem: %v", p)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var ctx = context.Background()

// TestFilterChain checks the filter semantics: ascending priority, ties by
// plugin id, each plugin gets the previous output, none keeps the value, a
// failing plugin is skipped with the value unchanged.
func TestFilterChain(t *testing.T) {
	f := newFixture(t)
	rm := "render-markdown"
	f.add("a", "a", prefixGuest("A"), map[string]int{rm: 20}, "")
	f.add("b", "b", prefixGuest("B"), map[string]int{rm: 10}, "")
	f.add("c", "c", prefixGuest("C"), map[string]int{rm: 10}, "")
	f.add("none", "n", noneGuest, map[string]int{rm: 5}, "")
	f.add("trap", "t", trapGuest, map[string]int{rm: 15}, "")
	f.add("other", "o", prefixGuest("O"), nil, "") // exports render-markdown, not subscribed
	rt := f.start()
	noProblems(t, rt)

	subs, err := rt.Subscribers(rm)
	if err != nil || !slices.Equal(subs, []string{"n", "b", "c", "t", "a"}) {
		t.Fatalf("Subscribers = %v, %v", subs, err)
	}
	got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x")
	if got != "ACBx" {
		t.Errorf("Filter = %q, want ACBx", got)
	}
	var pe *PluginError
	if !errors.As(err, &pe) || pe.Plugin != "t" || pe.Hook != rm {
		t.Errorf("Filter error = %v, want the trap of plugin t", err)
	}

	out, err := CallJSON(ctx, rt, rm, []byte(`"x"`))
	if string(out) != `"ACBx"` || !errors.As(err, &pe) {
		t.Errorf("CallJSON = %s, %v", out, err)
	}
	tr, err := TraceJSON(ctx, rt, rm, []byte(`"y"`))
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range tr.Steps {
		steps = append(steps, fmt.Sprintf("%s:%d:%s:%v", s.Plugin, s.Priority, s.Output, s.Err != nil))
	}
	want := []string{`n:5:null:false`, `b:10:"By":false`, `c:10:"CBy":false`, `t:15::true`, `a:20:"ACBy":false`}
	if !slices.Equal(steps, want) || string(tr.Output) != `"ACBy"` {
		t.Errorf("trace = %v, output %s; want %v", steps, tr.Output, want)
	}

	// No subscriber: the value passes through.
	html, err := Filter(ctx, rt, plugin.Hooks.FilterHTML, "<p>")
	if html != "<p>" || err != nil {
		t.Errorf("Filter(filter-html) = %q, %v", html, err)
	}
	if _, err := CallJSON(ctx, rt, "no-such-hook", []byte(`1`)); !errors.Is(err, ErrUnknownHook) {
		t.Errorf("unknown hook: %v", err)
	}
	if _, err := CallJSON(ctx, rt, rm, []byte(`{"not":"a string"}`)); err == nil || errors.As(err, &pe) {
		t.Errorf("bad arguments: %v", err)
	}
}

// TestActionFanOut checks that an action reaches every subscriber and that
// one failure does not stop the others.
func TestActionFanOut(t *testing.T) {
	f := newFixture(t)
	f.add("h1", "h1", hitGuest, map[string]int{"on-login": 1}, "")
	f.add("h2", "h2", hitGuest, map[string]int{"on-login": 3}, "")
	f.add("tr", "tr", trapGuest, map[string]int{"on-login": 2}, "")
	f.add("h3", "h3", hitGuest, nil, "") // not subscribed
	rt := f.start()
	noProblems(t, rt)

	errs := PluginErrors(Action(ctx, rt, plugin.Hooks.OnLogin, "user-7"))
	if len(errs) != 1 {
		t.Fatalf("Action errors = %v, want one", errs)
	}
	if errs[0].Plugin != "tr" {
		t.Errorf("error = %v", errs[0])
	}
	for _, id := range []string{"h1", "h2"} {
		if v, ok := f.kv(id, "hit"); !ok || v != "user-7" {
			t.Errorf("%s: hit = %q, %v", id, v, ok)
		}
	}
	if _, ok := f.kv("h3", "hit"); ok {
		t.Error("unsubscribed plugin was called")
	}
	if out, err := CallJSON(ctx, rt, "on-login", []byte(`"user-8"`)); string(out) != "null" || err == nil {
		t.Errorf("CallJSON(on-login) = %s, %v", out, err)
	}
	if v, _ := f.kv("h2", "hit"); v != "user-8" {
		t.Errorf("after CallJSON: hit = %q", v)
	}
}

// TestPoolConcurrency runs more concurrent callers than instances: all
// succeed, and each instance keeps its state (a counter in a global).
func TestPoolConcurrency(t *testing.T) {
	f := newFixture(t)
	f.cfg.PoolSize = 3
	f.add("count", "count", counterGuest, map[string]int{"render-markdown": 0}, "")
	rt := f.start()
	noProblems(t, rt)

	const callers = 64
	var wg sync.WaitGroup
	results := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "")
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		n, err := strconv.Atoi(results[i])
		if err != nil {
			t.Fatalf("caller %d got %q", i, results[i])
		}
		count[n]++
	}
	// Three instances counting independently: every value appears at most
	// three times, never more often than a smaller one, and some instance
	// served at least a third of the calls.
	top := slices.Max(slices.Collect(maps.Keys(count)))
	if top < callers/3 {
		t.Errorf("highest count %d < %d: state not kept", top, callers/3)
	}
	for n := 1; n <= top; n++ {
		if count[n] > 3 || count[n] < count[n+1] {
			t.Fatalf("counts %v are not those of 3 instances", count)
		}
	}
	st := rt.Plugins()[0].Pool
	if st.Size != 3 || st.Calls != callers || st.Discards != 0 {
		t.Errorf("pool stats %+v", st)
	}
}

// TestTimeoutReplacesInstance checks that a call exceeding the deadline is
// interrupted, its instance replaced, and the host keeps serving.
func TestTimeoutReplacesInstance(t *testing.T) {
	f := newFixture(t)
	f.cfg.PoolSize = 1
	f.cfg.CallTimeout = 200 * time.Millisecond
	f.add("count", "count", counterGuest, map[string]int{"render-markdown": 0, "filter-html": 0}, "")
	f.add("p", "p", prefixGuest("P"), map[string]int{"render-markdown": 1}, "")
	rt := f.start()
	noProblems(t, rt)

	for _, want := range []string{"P1", "P2"} {
		if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != want || err != nil {
			t.Fatalf("Filter = %q, %v; want %q", got, err, want)
		}
	}
	start := time.Now()
	got, err := Filter(ctx, rt, plugin.Hooks.FilterHTML, "<p>")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("looping call took %v", d)
	}
	var pe *PluginError
	if got != "<p>" || !errors.As(err, &pe) || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Filter(loop) = %q, %v", got, err)
	}
	// The fresh instance starts counting from 1 again.
	if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != "P1" || err != nil {
		t.Fatalf("after the timeout: Filter = %q, %v; want P1 from a fresh instance", got, err)
	}
	st := rt.Plugins()[0].Pool
	if st.Discards != 1 || st.Created != 2 {
		t.Errorf("pool stats %+v, want one discard and a replacement", st)
	}
	// A caller whose own context ends interrupts the call the same way.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := Filter(cctx, rt, plugin.Hooks.FilterHTML, ""); err == nil {
		t.Error("cancelled looping call succeeded")
	}
	if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != "P1" || err != nil {
		t.Fatalf("after cancellation: Filter = %q, %v", got, err)
	}
}

// TestTrapReplacesInstance checks that a trapping instance is discarded and
// replaced.
func TestTrapReplacesInstance(t *testing.T) {
	f := newFixture(t)
	f.cfg.PoolSize = 1
	f.add("trap", "trap", trapGuest, map[string]int{"render-markdown": 0}, "")
	rt := f.start()
	for i := range 3 {
		if _, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); err == nil {
			t.Fatalf("call %d: trap not reported", i)
		}
	}
	eventually(t, "replacements", func() bool {
		st := rt.Plugins()[0].Pool
		return st.Discards == 3 && st.Created == 4 && st.Ready == 1
	})
}

// TestLoadProblems checks that bad plugins are reported and do not stop
// the others from loading.
func TestLoadProblems(t *testing.T) {
	f := newFixture(t)
	f.add("good", "good", prefixGuest("G"), map[string]int{"render-markdown": 0}, "")
	f.add("init-trap", "init-trap", initTrapGuest, map[string]int{"render-markdown": 0}, "")
	f.add("missing", "missing", prefixGuest("M"), map[string]int{"filter-html": 0}, "")
	f.add("unknown", "unknown", prefixGuest("U"), map[string]int{"on-frobnicate": 0}, "")
	f.add("zdup", "good", prefixGuest("D"), map[string]int{"render-markdown": 0}, "")
	rtt.WritePlugin(t, filepath.Join(f.dir, "syntax"), "[plugin]\nid = \"syntax\"\nthis is not toml\n", nil)
	rtt.WritePlugin(t, filepath.Join(f.dir, "noentry"), manifestTOML("noentry", nil, ""), nil)
	rtt.WritePlugin(t, filepath.Join(f.dir, "js"), "[plugin]\nid = \"js\"\nruntime = \"js\"\nentry = \"index.js\"\n", nil)
	if err := os.MkdirAll(filepath.Join(f.dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt := f.start()

	if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x"); got != "Gx" || err != nil {
		t.Errorf("Filter = %q, %v", got, err)
	}
	want := map[string]string{
		"zdup":      `plugin id "good" is already used by`,
		"empty":     "no manifest.toml",
		"init-trap": "_initialize",
		"missing":   "filter-html",
		"noentry":   "plugin.wasm",
		"syntax":    "manifest.toml:3",
		"unknown":   "on-frobnicate",
	}
	probs := rt.Problems()
	got := map[string]string{}
	for _, p := range probs {
		got[filepath.Base(p.Dir)] = p.Error()
	}
	for dir, frag := range want {
		if !strings.Contains(got[dir], frag) {
			t.Errorf("problem of %s = %q, want it to mention %q", dir, got[dir], frag)
		}
	}
	if len(probs) != len(want) {
		t.Errorf("problems: %v", probs)
	}
	if ids := pluginIDs(rt); !slices.Equal(ids, []string{"good"}) {
		t.Errorf("loaded %v", ids)
	}
}

func pluginIDs(rt *Runtime) []string {
	var ids []string
	for _, p := range rt.Plugins() {
		ids = append(ids, p.ID)
	}
	return ids
}

// TestTransactionRolledBackAtCallEnd checks that a transaction a plugin
// leaves open (or that is open when it traps) is rolled back when the call
// ends, while a committed one persists.
func TestTransactionRolledBackAtCallEnd(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.Exec(`CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	f.cfg.PoolSize = 1
	perms := "[permissions]\ndb = \"write\"\n"
	f.add("db", "db", dbGuest, map[string]int{"on-login": 0, "on-post-deleted": 0, "on-content-deleted": 0}, perms)
	rt := f.start()
	noProblems(t, rt)
	rows := func() int {
		var n int
		if err := f.db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := Action(ctx, rt, plugin.Hooks.OnLogin, "u"); err != nil {
		t.Fatal(err)
	}
	begin, _ := os.ReadFile(filepath.Join(f.data, "db", "begin"))
	exec, _ := os.ReadFile(filepath.Join(f.data, "db", "execute"))
	if string(begin) != `{"ok":true}` || !strings.Contains(string(exec), `"rows_affected":1`) {
		t.Fatalf("db-begin = %s, db-execute = %s", begin, exec)
	}
	if n := rows(); n != 0 {
		t.Errorf("open transaction was not rolled back: %d rows", n)
	}
	// The write lock was released: the host can write.
	if _, err := f.db.Exec(`INSERT INTO t (v) VALUES ('host')`); err != nil {
		t.Fatalf("host write after the call: %v", err)
	}

	if err := Action(ctx, rt, plugin.Hooks.OnPostDeleted, "id"); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 2 {
		t.Errorf("committed insert: %d rows, want 2", n)
	}

	errs := PluginErrors(Action(ctx, rt, plugin.Hooks.OnContentDeleted, plugin.OnContentDeletedArgs{ContentType: "page", ID: "1"}))
	if len(errs) != 1 {
		t.Fatalf("trap after insert: %v", errs)
	}
	if n := rows(); n != 2 {
		t.Errorf("transaction of a trapped call: %d rows, want 2", n)
	}
	if _, err := f.db.Exec(`INSERT INTO t (v) VALUES ('host')`); err != nil {
		t.Fatalf("host write after the trapped call: %v", err)
	}
}

// TestRealClocks guards against wazero's fake clocks (a fixed 2022 epoch):
// guests must see the real time.
func TestRealClocks(t *testing.T) {
	f := newFixture(t)
	f.add("clock", "clock", clockGuest, map[string]int{"render-markdown": 0}, "")
	rt := f.start()
	noProblems(t, rt)
	hex, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatalf("guest returned %q", hex)
	}
	if d := time.Since(time.Unix(0, int64(ns))); d < -time.Minute || d > time.Minute {
		t.Errorf("guest clock reads %v, %v away from the host's", time.Unix(0, int64(ns)).UTC(), d)
	}
}

// TestCron fires a plugin's [[cron]] entry with a fake clock.
func TestCron(t *testing.T) {
	f := newFixture(t)
	start := time.Date(2025, 1, 2, 5, 59, 30, 0, time.UTC)
	clk := crontest.New(start)
	f.cfg.Clock = clk
	f.cfg.CronLocation = time.UTC
	f.cfg.CronHook = plugin.Hooks.OnCronTick.Name
	f.add("cron", "cron", cronGuest, nil, "[[cron]]\nlabel = \"定时任务\"\njob_type = \"my_task\"\ncron_expr = \"0 */6 * * *\"\n")
	rt := f.start()
	noProblems(t, rt)

	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := clk.BlockUntilTimers(tctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.kv("cron", "tick"); ok {
		t.Fatal("fired before its time")
	}
	clk.Advance(30 * time.Second)
	var payload string
	eventually(t, "the cron hook", func() bool {
		var ok bool
		payload, ok = f.kv("cron", "tick")
		return ok
	})
	var p CronPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	want := CronPayload{Label: "定时任务", JobType: "my_task", CronExpr: "0 */6 * * *", FiredAt: "2025-01-02T06:00:00Z"}
	if p != want {
		t.Errorf("payload = %+v, want %+v", p, want)
	}
	// The next firing is six hours later (once the first run has ended: a
	// job never overlaps itself).
	eventually(t, "the first run to end", func() bool {
		e := rt.Cron()
		return len(e) == 1 && !e[0].Running && e[0].Next.Equal(time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC))
	})
	if err := clk.BlockUntilTimers(tctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.AdvanceTo(time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC))
	eventually(t, "the second tick", func() bool {
		v, _ := f.kv("cron", "tick")
		return strings.Contains(v, `"fired_at":"2025-01-02T12:00:00Z"`)
	})
}

// TestFireCron fires a [[cron]] entry by hand: the payload the scheduler
// would give, on a plugin that does not subscribe to the cron hook.
func TestFireCron(t *testing.T) {
	f := newFixture(t)
	f.cfg.Clock = crontest.New(time.Date(2025, 1, 2, 5, 0, 0, 0, time.UTC)) // never advanced
	f.cfg.CronLocation = time.UTC
	f.cfg.CronHook = plugin.Hooks.OnCronTick.Name
	f.add("cron", "cron", cronGuest, nil, "[[cron]]\nlabel = \"定时任务\"\njob_type = \"my_task\"\ncron_expr = \"0 */6 * * *\"\n[[cron]]\njob_type = \"other\"\ncron_expr = \"* * * * *\"\n")
	rt := f.start()
	noProblems(t, rt)
	want := []CronEntry{{"cron", "定时任务", "my_task", "0 */6 * * *"}, {"cron", "other", "other", "* * * * *"}}
	if got := rt.CronEntries(); !slices.Equal(got, want) {
		t.Fatalf("CronEntries() = %+v, want %+v", got, want)
	}
	at := time.Date(2025, 1, 2, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	if err := rt.FireCron(ctx, "cron", "my_task", at); err != nil {
		t.Fatal(err)
	}
	payload, _ := f.kv("cron", "tick")
	var p CronPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	if w := (CronPayload{Label: "定时任务", JobType: "my_task", CronExpr: "0 */6 * * *", FiredAt: "2025-01-02T01:30:00Z"}); p != w {
		t.Errorf("payload = %+v, want %+v", p, w)
	}
	for _, c := range [][2]string{{"cron", "nope"}, {"nope", "my_task"}} {
		if err := rt.FireCron(ctx, c[0], c[1], at); err == nil {
			t.Errorf("FireCron(%q, %q) = nil", c[0], c[1])
		}
	}
}

// TestCronNeedsExport checks that [[cron]] makes the cron hook a required
// export.
func TestCronNeedsExport(t *testing.T) {
	f := newFixture(t)
	f.cfg.CronHook = plugin.Hooks.OnCronTick.Name
	f.add("cron", "cron", noneGuest, nil, "[[cron]]\nlabel = \"x\"\njob_type = \"x\"\ncron_expr = \"* * * * *\"\n")
	rt := f.start()
	if p := rt.Problems(); len(p) != 1 || !strings.Contains(p[0].Error(), "on-cron-tick") {
		t.Errorf("problems = %v", p)
	}
}

// TestHotReloadUnderLoad changes, adds and removes plugins while callers
// run: no call fails, every result comes from one generation or the other,
// and the replaced versions are closed once drained.
func TestHotReloadUnderLoad(t *testing.T) {
	f := newFixture(t)
	rm := map[string]int{"render-markdown": 0}
	f.add("p", "p", prefixGuest("1:"), rm, "")
	f.add("gone", "gone", prefixGuest("G:"), map[string]int{"render-markdown": 5}, "")
	rt := f.start()
	noProblems(t, rt)

	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		calls atomic.Int64
		mu    sync.Mutex
		seen  = map[string]bool{}
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x")
				if err != nil {
					t.Errorf("call failed during reload: %v", err)
					return
				}
				calls.Add(1)
				mu.Lock()
				seen[got] = true
				mu.Unlock()
			}
		}()
	}
	waitCalls := func(n int64) {
		target := calls.Load() + n
		eventually(t, "calls", func() bool { return calls.Load() >= target })
	}
	waitCalls(50)
	f.add("p", "p", prefixGuest("2:"), rm, "")
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	waitCalls(50)
	f.add("q", "q", prefixGuest("Q:"), map[string]int{"render-markdown": 10}, "")
	if err := os.RemoveAll(filepath.Join(f.dir, "gone")); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	waitCalls(50)
	stop.Store(true)
	wg.Wait()
	noProblems(t, rt)

	for _, w := range []string{"G:1:x", "G:2:x", "Q:2:x"} {
		if !seen[w] {
			t.Errorf("never saw %q (saw %v)", w, slices.Sorted(maps.Keys(seen)))
		}
	}
	for s := range seen {
		if !slices.Contains([]string{"G:1:x", "G:2:x", "Q:2:x"}, s) {
			t.Errorf("unexpected result %q", s)
		}
	}
	if got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x"); got != "Q:2:x" {
		t.Errorf("after reload: %q", got)
	}
	eventually(t, "old versions closed", func() bool {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.live) == 2
	})
}

// TestReloadKeepsUnchangedAndServingOnFailure checks that an unchanged
// plugin keeps its instances (state survives a reload) and that a broken
// new version leaves the old one serving.
func TestReloadKeepsUnchangedAndServingOnFailure(t *testing.T) {
	f := newFixture(t)
	f.cfg.PoolSize = 1
	f.add("count", "count", counterGuest, map[string]int{"render-markdown": 0}, "")
	rt := f.start()
	for _, want := range []string{"1", "2"} {
		if got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != "3" {
		t.Fatalf("unchanged plugin lost its state: %q", got)
	}
	// A new version that does not load: the old one keeps serving.
	rtt.WritePlugin(t, filepath.Join(f.dir, "count"), manifestTOML("count", map[string]int{"render-markdown": 0}, ""), []byte("not wasm"))
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != "4" {
		t.Fatalf("old version not serving: %q", got)
	}
	if p := rt.Problems(); len(p) != 1 || !p[0].Serving || p[0].Plugin != "count" {
		t.Errorf("problems = %v", p)
	}
	// Fixed: the new version replaces it.
	f.add("count", "count", prefixGuest("new:"), map[string]int{"render-markdown": 0}, "")
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != "new:" {
		t.Fatalf("new version: %q", got)
	}
	noProblems(t, rt)
}

// TestWatcher checks that the watcher picks up added, changed and removed
// plugin directories.
func TestWatcher(t *testing.T) {
	f := newFixture(t)
	f.cfg.WatchInterval = 20 * time.Millisecond
	rt := f.start()
	rm := map[string]int{"render-markdown": 0}
	render := func() string {
		got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x")
		return got
	}
	f.add("w", "w", prefixGuest("1:"), rm, "")
	eventually(t, "the new plugin", func() bool { return render() == "1:x" })
	f.add("w", "w", prefixGuest("2:"), rm, "")
	eventually(t, "the changed plugin", func() bool { return render() == "2:x" })
	if err := os.RemoveAll(filepath.Join(f.dir, "w")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removal", func() bool { return render() == "x" })
}

// TestClose checks that Close refuses later dispatches and that a second
// Close returns the first one's result.
func TestClose(t *testing.T) {
	f := newFixture(t)
	f.add("p", "p", prefixGuest("P"), map[string]int{"render-markdown": 0}, "")
	rt, err := New(ctx, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); !errors.Is(err, ErrClosed) {
		t.Errorf("Filter after Close: %v", err)
	}
	if err := Action(ctx, rt, plugin.Hooks.OnLogin, ""); !errors.Is(err, ErrClosed) {
		t.Errorf("Action after Close: %v", err)
	}
	if err := rt.Reload(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Reload after Close: %v", err)
	}
}

// TestCloseInterruptsRunningCalls checks that Close with an expired context
// interrupts calls still running.
func TestCloseInterruptsRunningCalls(t *testing.T) {
	f := newFixture(t)
	f.cfg.CallTimeout = time.Minute
	f.add("count", "count", counterGuest, map[string]int{"filter-html": 0}, "")
	rt, err := New(ctx, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Filter(ctx, rt, plugin.Hooks.FilterHTML, "")
		done <- err
	}()
	eventually(t, "the call to start", func() bool { return rt.Plugins()[0].Pool.Busy == 1 })
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := rt.Close(cctx); err == nil {
		t.Error("Close reported no error although a call was running")
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("interrupted call reported success")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("running call was not interrupted")
	}
}

// TestMemoryLimit checks that Config.MemoryLimitPages caps guest memory.
func TestMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		pages uint32
		want  string
	}{{64, "denied"}, {1024, "grown"}} {
		f := newFixture(t)
		f.cfg.MemoryLimitPages = c.pages
		f.add("grow", "grow", growGuest, map[string]int{"render-markdown": 0}, "")
		rt := f.start()
		if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != c.want || err != nil {
			t.Errorf("limit %d pages: %q, %v; want %q", c.pages, got, err, c.want)
		}
	}
}

// TestHTTPAllowList checks that the manifest's allow-list reaches http-get.
func TestHTTPAllowList(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.URL.Path)
	}))
	defer srv.Close()
	f := newFixture(t)
	f.cfg.HTTP.AllowedNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	host := strings.TrimPrefix(srv.URL, "http://")
	f.add("allowed", "allowed", fetchGuest, map[string]int{"on-login": 0}, fmt.Sprintf("[permissions]\nhttp_allow = [%q]\n", host))
	f.add("denied", "denied", fetchGuest, map[string]int{"on-login": 0}, "")
	rt := f.start()
	noProblems(t, rt)
	if err := Action(ctx, rt, plugin.Hooks.OnLogin, srv.URL+"/x"); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.kv("allowed", "body"); v != "hello from /x" {
		t.Errorf("allowed plugin got %q", v)
	}
	if v, ok := f.kv("denied", "body"); ok {
		t.Errorf("plugin without allow-list got %q", v)
	}
}

// TestMissingPluginsDir: a plugins directory that does not exist is refused
// (a mistyped path must not look like a host without plugins); an empty one
// starts, and the watcher loads plugins once they appear in it.
func TestMissingPluginsDir(t *testing.T) {
	f := newFixture(t)
	f.cfg.PluginsDir = filepath.Join(t.TempDir(), "later")
	f.cfg.WatchInterval = 20 * time.Millisecond
	if rt, err := New(ctx, f.cfg); !errors.Is(err, fs.ErrNotExist) {
		if rt != nil {
			rt.Close(ctx)
		}
		t.Fatalf("New with a missing PluginsDir: %v, want fs.ErrNotExist", err)
	}
	if err := os.Mkdir(f.cfg.PluginsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rt := f.start()
	if len(rt.Plugins()) != 0 || len(rt.Problems()) != 0 {
		t.Fatal("plugins out of nowhere")
	}
	f.dir = f.cfg.PluginsDir
	f.add("p", "p", prefixGuest("P"), map[string]int{"render-markdown": 0}, "")
	eventually(t, "the plugin", func() bool {
		got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "")
		return got == "P"
	})
}

// recorder is a slog.Handler keeping records.
type recorder struct {
	mu   sync.Mutex
	recs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	r.mu.Lock()
	r.recs = append(r.recs, b.String())
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &attrHandler{r, as}
}
func (r *recorder) WithGroup(string) slog.Handler { return r }

type attrHandler struct {
	*recorder
	as []slog.Attr
}

func (h *attrHandler) Handle(ctx context.Context, rec slog.Record) error {
	rec.AddAttrs(h.as...)
	return h.recorder.Handle(ctx, rec)
}
func (h *attrHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &attrHandler{h.recorder, append(slices.Clone(h.as), as...)}
}

// TestGuestOutputIsLogged checks that a guest's stdout and stderr become log
// records tagged with the plugin id.
func TestGuestOutputIsLogged(t *testing.T) {
	f := newFixture(t)
	rec := &recorder{}
	f.cfg.Logger = slog.New(rec)
	f.add("print", "print", printGuest, map[string]int{"render-markdown": 0}, "")
	rt := f.start()
	if _, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var got []string
	for _, r := range rec.recs {
		if strings.Contains(r, "stream=") {
			got = append(got, r)
		}
	}
	want := []string{
		"DEBUG hello source=plugin stream=stdout plugin=print",
		"WARN oops source=plugin stream=stderr plugin=print",
	}
	if !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
}

func TestPoolSizeFromEnv(t *testing.T) {
	env := func(v string, ok bool) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k != PoolSizeEnv {
				t.Errorf("looked up %s", k)
			}
			return v, ok
		}
	}
	for _, c := range []struct {
		v    string
		ok   bool
		want int
		err  bool
	}{{"", false, 4, false}, {"", true, 4, false}, {"8", true, 8, false}, {" 2 ", true, 2, false}, {"0", true, 0, true}, {"x", true, 0, true}} {
		n, err := PoolSizeFromEnv(env(c.v, c.ok))
		if n != c.want || (err != nil) != c.err {
			t.Errorf("%q: %d, %v", c.v, n, err)
		}
	}
}

// TestWaitsEndAtTheDeadline checks that a guest waiting in WASI poll_oneoff
// (a 60 s sleep) is stopped at the call deadline, that the pool serves the
// next call, and that a transaction the sleeper opened is rolled back then,
// so the host can write.
func TestWaitsEndAtTheDeadline(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.Exec(`CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	const deadline = 500 * time.Millisecond
	f.cfg.PoolSize = 1
	f.cfg.CallTimeout = deadline
	f.add("sleep", "sleep", sleepGuest, map[string]int{"render-markdown": 0, "on-login": 0}, "[permissions]\ndb = \"write\"\n")
	rt := f.start()
	noProblems(t, rt)

	for i := range 2 { // the second call runs on the replacement instance
		start := time.Now()
		_, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x")
		if d := time.Since(start); d > 2*deadline {
			t.Errorf("call %d: sleeping guest held its call %v (deadline %v)", i, d, deadline)
		}
		if err == nil || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("call %d: err = %v, want the call deadline", i, err)
		}
	}

	start := time.Now()
	errs := PluginErrors(Action(ctx, rt, plugin.Hooks.OnLogin, "u"))
	if d := time.Since(start); d > 2*deadline {
		t.Errorf("sleeping guest with an open transaction held its call %v", d)
	}
	if len(errs) != 1 {
		t.Errorf("Action = %v, want the deadline error", errs)
	}
	hostCtx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	if _, err := f.db.ExecContext(hostCtx, `INSERT INTO t (v) VALUES ('host')`); err != nil {
		t.Errorf("host write right after the call: %v", err)
	}
}

// TestCloseEndsWaits checks that Close with an expired context ends a
// guest's wait, whatever the call deadline.
func TestCloseEndsWaits(t *testing.T) {
	f := newFixture(t)
	f.cfg.CallTimeout = time.Minute
	f.add("sleep", "sleep", sleepGuest, map[string]int{"render-markdown": 0}, "")
	rt, err := New(ctx, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "")
		done <- err
	}()
	eventually(t, "the call to start", func() bool { return rt.Plugins()[0].Pool.Busy == 1 })
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = rt.Close(cctx)
	select {
	case err := <-done:
		if err == nil {
			t.Error("interrupted wait reported success")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Close ended the wait after %v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the guest's wait")
	}
}

// TestCloseDoesNotWaitForReload checks that Close is bounded by its context
// while a reload is filling a pool whose instances loop in _initialize: the
// watcher's reload and a caller's Reload are cancelled, and Reload reports
// ErrClosed.
func TestCloseDoesNotWaitForReload(t *testing.T) {
	for _, byWatcher := range []bool{true, false} {
		t.Run(fmt.Sprintf("watcher=%v", byWatcher), func(t *testing.T) {
			f := newFixture(t)
			rec := &recorder{}
			f.cfg.Logger = slog.New(rec)
			f.cfg.InitTimeout = 30 * time.Second
			if byWatcher {
				f.cfg.WatchInterval = 20 * time.Millisecond
			}
			rt, err := New(ctx, f.cfg)
			if err != nil {
				t.Fatal(err)
			}
			f.add("slow", "slow", initLoopGuest, map[string]int{"render-markdown": 0}, "")
			reloaded := make(chan error, 1)
			if byWatcher {
				eventually(t, "the watcher's reload", func() bool {
					rec.mu.Lock()
					defer rec.mu.Unlock()
					return slices.ContainsFunc(rec.recs, func(r string) bool { return strings.Contains(r, "reloading") })
				})
			} else {
				go func() { reloaded <- rt.Reload(ctx) }()
			}
			time.Sleep(100 * time.Millisecond) // inside the pool fill
			cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_ = rt.Close(cctx)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Close(200ms) took %v behind a reload", d)
			}
			if !byWatcher {
				select {
				case err := <-reloaded:
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Reload during Close = %v, want ErrClosed", err)
					}
				case <-time.After(5 * time.Second):
					t.Error("Reload still running 5 s after Close")
				}
			}
			if _, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); !errors.Is(err, ErrClosed) {
				t.Errorf("Filter after Close = %v", err)
			}
		})
	}
}

// TestContractVersions: plugins built for other versions on the host's
// semver track join the filter chain (PluginInfo says how each was taken);
// one built for another track is a load problem naming both versions.
func TestContractVersions(t *testing.T) {
	f := newFixture(t)
	rm := "render-markdown"
	write := func(name, from, to string, g rtt.Guest) {
		wasm, err := rtt.Assemble(ctx, strings.ReplaceAll(g.WAT(), from, to))
		if err != nil {
			t.Fatal(err)
		}
		rtt.WritePlugin(t, filepath.Join(f.dir, name), manifestTOML(name, map[string]int{rm: len(name)}, ""), wasm)
	}
	f.add("same", "same", prefixGuest("S"), map[string]int{rm: 4}, "")
	write("later", "@0.1.1", "@0.1.9", prefixGuest("L"))
	write("unversioned", "@0.1.1", "", prefixGuest("U"))
	write("nextmajor", "@0.1.1", "@0.2.0", prefixGuest("N"))
	rt := f.start()

	if got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x"); got != "ULSx" {
		t.Errorf("Filter = %q, want ULSx (same, later, unversioned in priority order)", got)
	}
	takes := map[string]string{}
	for _, p := range rt.Plugins() {
		takes[p.ID] = p.Contract.Built + " " + p.Contract.Take.String()
	}
	want := map[string]string{"same": "0.1.1 same version", "later": "0.1.9 compatible, same track", "unversioned": " unversioned names"}
	if !maps.Equal(takes, want) {
		t.Errorf("contracts %v, want %v", takes, want)
	}
	probs := rt.Problems()
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "built for raisfast:plugin-wit@0.2.0, this host provides raisfast:plugin-wit@0.1.1: different semver tracks") {
		t.Errorf("problems %v, want the 0.2.0 plugin refused", probs)
	}
}

// TestInterruptFlagDeadlines: modules are instrumented, so an infinite
// loop ends at the deadline through the interrupt flag (no goroutine per
// guest call), the instance is replaced, and the pool serves the next call.
func TestInterruptFlagDeadlines(t *testing.T) {
	f := newFixture(t)
	f.cfg.CallTimeout = 300 * time.Millisecond
	f.add("ok", "ok", prefixGuest("A"), map[string]int{"render-markdown": 1}, "")
	f.add("loop", "loop", rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (loop $l (br $l)))`}, map[string]int{"on-login": 1}, "")
	rt := f.start()
	noProblems(t, rt)
	for _, p := range rt.Plugins() {
		if !p.InterruptFlag {
			t.Errorf("plugin %s was not instrumented", p.ID)
		}
	}
	for range 3 {
		start := time.Now()
		errs := PluginErrors(Action(ctx, rt, plugin.Hooks.OnLogin, "u"))
		if d := time.Since(start); len(errs) != 1 || !strings.Contains(errs[0].Error(), "exceeded the call deadline") || d > 10*f.cfg.CallTimeout {
			t.Fatalf("loop: %v after %v, want a deadline error", errs, d)
		}
	}
	if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x"); got != "Ax" || err != nil {
		t.Errorf("Filter = %q, %v", got, err)
	}
	// The caller's cancellation interrupts too.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	// It is noticed by the watchdog's poll (cancelPoll), so it ends the
	// call well before the deadline would.
	if errs := PluginErrors(Action(cctx, rt, plugin.Hooks.OnLogin, "u")); len(errs) != 1 || time.Since(start) >= f.cfg.CallTimeout {
		t.Errorf("cancelled loop: %v after %v (cancelled at 50ms, deadline %v)", errs, time.Since(start), f.cfg.CallTimeout)
	}
}

// TestNoDatabasePluginNotLoaded: without Config.DB, a plugin that asks for
// database access is a load problem naming the cause; the others load.
func TestNoDatabasePluginNotLoaded(t *testing.T) {
	f := newFixture(t)
	f.cfg.DB = nil
	f.add("needs-db", "needs-db", prefixGuest("a:"), map[string]int{"render-markdown": 0}, "[permissions]\ndb = \"read\"\n")
	f.add("plain", "plain", prefixGuest("b:"), map[string]int{"render-markdown": 0}, "")
	rt := f.start()
	probs := rt.Problems()
	if len(probs) != 1 || !errors.Is(probs[0].Err, ErrNoDatabase) || !strings.Contains(probs[0].Err.Error(), `db = "read"`) {
		t.Fatalf("problems = %v, want one ErrNoDatabase naming the permission", probs)
	}
	if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x"); got != "b:x" || err != nil {
		t.Errorf("Filter = %q, %v; want the plugin without db access to run", got, err)
	}
}

// TestManifestEnv checks that [env] is the environment of every instance
// of the plugin, in name order, and that a plugin without it has none.
func TestManifestEnv(t *testing.T) {
	f := newFixture(t)
	f.cfg.PoolSize = 2
	f.add("e", "e", envGuest, map[string]int{"render-markdown": 0}, "\n[env]\nGOGC = 400\nA_NAME = \"two words\"\n")
	f.add("n", "n", envGuest, map[string]int{"render-markdown": 1}, "")
	rt := f.start()
	noProblems(t, rt)
	for _, p := range rt.cur.Load().plugins {
		want := map[string]string{"e": "A_NAME=two words\x00GOGC=400\x00", "n": ""}[p.id]
		for range 2 { // both instances of the pool
			if err := p.pool.Do(ctx, func(ctx context.Context, in *instance) error {
				got, err := in.inst.(*plugin.Instance).RenderMarkdown(ctx, "")
				if err != nil {
					return err
				}
				if got == nil || *got != want {
					t.Errorf("plugin %s: environment %q, want %q", p.id, deref(got), want)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}
