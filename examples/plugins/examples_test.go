package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/runtime/manifest"
)

// examples are the Go example plugins: directories of this one with a
// main.go and a manifest.toml, built from the repository's module.
var examples = []string{"slug", "markdown", "moderation", "stats"}

// --- building ---

// repoRoot is the repository root (two levels up from this file).
func repoRoot() string {
	_, file, _, _ := goruntime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// buildLocks serializes the builds of one example, so parallel tests
// build it once and then find it in guests.BuildGo's cache.
var buildLocks sync.Map // name → *sync.Mutex

// wasmOf returns example name built as the README says
// (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared) with
// guests.BuildGo, which keeps builds of the same sources (the example's and
// guest/'s Go files, go.mod, go.sum, the go version) under .cache/guests/go.
func wasmOf(t *testing.T, name string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("builds wasm guests")
	}
	mu, _ := buildLocks.LoadOrStore(name, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	return guests.BuildGo(t, "examples/plugins/"+name, "guest")
}

// --- loading ---

// loaded is an example compiled under the host bindings, the way the
// runtime loads it: the hooks its manifest subscribes (plus on-cron-tick
// when it has [[cron]] entries) are required exports. Each example is
// compiled once per test run (on a wazero runtime sharing a compilation
// cache under <repo>/.cache/examples/wazero) and instantiated per test.
type loaded struct {
	m    *manifest.Manifest
	mod  *plugin.Module
	subs []string // subscribed hooks, sorted
	wasm []byte
	err  error
}

var (
	loadsMu sync.Mutex
	loads   = map[string]*loaded{}
	rts     []wazero.Runtime
)

func TestMain(m *testing.M) {
	code := guests.Main(m)
	for _, r := range rts {
		r.Close(context.Background())
	}
	os.Exit(code)
}

func load(t *testing.T, name string) *loaded {
	t.Helper()
	wasm := wasmOf(t, name)
	loadsMu.Lock()
	defer loadsMu.Unlock()
	l := loads[name]
	if l == nil {
		l = compile(name, wasm)
		loads[name] = l
	}
	if l.err != nil {
		t.Fatal(l.err)
	}
	return l
}

func compile(name string, wasm []byte) *loaded {
	l := &loaded{wasm: wasm}
	file := filepath.Join(name, manifest.FileName)
	src, err := os.ReadFile(file)
	if err != nil {
		l.err = err
		return l
	}
	if l.m, err = manifest.Parse(file, src, plugin.HookNames()); err != nil {
		l.err = fmt.Errorf("manifest: %w", err)
		return l
	}
	for _, h := range l.m.Hooks {
		l.subs = append(l.subs, h.Name)
	}
	if len(l.m.Cron) > 0 && !slices.Contains(l.subs, plugin.Hooks.OnCronTick.Name) {
		l.subs = append(l.subs, plugin.Hooks.OnCronTick.Name) // [[cron]] fires on-cron-tick
	}
	slices.Sort(l.subs)

	ctx := context.Background()
	cfg := wazero.NewRuntimeConfig()
	if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(repoRoot(), ".cache", "examples", "wazero")); err == nil {
		cfg = cfg.WithCompilationCache(cache)
	}
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	rts = append(rts, r)
	if err := plugin.Define(ctx, r); err != nil {
		l.err = err
		return l
	}
	if l.mod, err = plugin.Compile(ctx, r, wasm, plugin.OptionalExports(l.subs...)); err != nil {
		l.err = fmt.Errorf("compile %s: %w", name, err)
	}
	return l
}

// instance instantiates the plugin with h serving its imports; h's config
// defaults to the manifest's [config].
func (l *loaded) instance(t *testing.T, h *fakeHost) *plugin.Instance {
	t.Helper()
	if h.config == nil {
		h.config = map[string]string{}
		for k, v := range l.m.Config {
			h.config[k] = v
		}
	}
	ctx := context.Background()
	inst, err := l.mod.Instantiate(ctx, plugin.Imports{HostAPI: h}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return inst
}

// TestExportsMatchManifests checks that every example's module exports
// exactly the hooks its manifest subscribes to, that its manifest is valid
// for the runtime, and reports the module sizes.
func TestExportsMatchManifests(t *testing.T) {
	want := map[string][]string{
		"slug":       {"on-cron-tick", "on-post-created", "on-post-creating"},
		"markdown":   {"filter-html", "render-markdown"},
		"moderation": {"on-comment-creating"},
		"stats":      {"on-comment-created", "on-login", "on-post-created", "on-post-deleted", "on-post-updated"},
	}
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			l := load(t, name)
			if !slices.Equal(l.subs, want[name]) {
				t.Errorf("manifest subscribes %v, want %v", l.subs, want[name])
			}
			for _, h := range plugin.HookList {
				exported, subscribed := l.mod.HasExport(h.Index), slices.Contains(l.subs, h.Name)
				if exported != subscribed {
					t.Errorf("hook %s: exported %v, subscribed %v", h.Name, exported, subscribed)
				}
			}
			if l.m.Runtime != "wasm" || l.m.Entry != "plugin.wasm" {
				t.Errorf("manifest runtime %q entry %q", l.m.Runtime, l.m.Entry)
			}
			if readme, err := os.ReadFile(filepath.Join(name, "README.md")); err != nil || !strings.Contains(string(readme), "go build -buildmode=c-shared") {
				t.Errorf("%s/README.md should give the build command (%v)", name, err)
			}
			t.Logf("%s: %d KiB", name, len(l.wasm)>>10)
		})
	}
}

// --- the fake host ---

type emitted struct{ Type, Data string }

// fakeHost implements every host function, recording what the plugin does.
// Database calls go to db (a real sqldb session) when set, else they fail
// with permission_denied as a host without database permission answers.
type fakeHost struct {
	config map[string]string
	data   map[string]string
	files  map[string]string
	logs   []string
	events []emitted
	calls  []string // every host call, as "name arg"

	db        dbSession
	execHook  func(sql string) (answer string, ok bool) // lets a test fail a statement
	setDataOK func(key string) bool                     // default: always
}

// dbSession is the part of *sqldb.Session the fake host uses.
type dbSession interface {
	QueryJSON(ctx context.Context, query string, params *string) string
	ExecuteJSON(ctx context.Context, query string, params *string) string
	BeginJSON(ctx context.Context) string
	CommitJSON(ctx context.Context) string
	RollbackJSON(ctx context.Context) string
}

const denied = `{"error":"the plugin has no database permission","code":"permission_denied"}`

func (h *fakeHost) record(call string) { h.calls = append(h.calls, call) }

func (h *fakeHost) Log(_ context.Context, level, msg string) {
	h.record("log")
	h.logs = append(h.logs, level+": "+msg)
}

func (h *fakeHost) GetConfig(_ context.Context, key string) (string, bool) {
	h.record("get-config " + key)
	v, ok := h.config[key]
	return v, ok
}

func (h *fakeHost) HTTPGet(_ context.Context, url string) (string, bool) {
	h.record("http-get " + url)
	return "", false
}

func (h *fakeHost) HTTPPost(_ context.Context, url, _ string) (string, bool) {
	h.record("http-post " + url)
	return "", false
}

func (h *fakeHost) GetData(_ context.Context, key string) (string, bool) {
	h.record("get-data " + key)
	v, ok := h.data[key]
	return v, ok
}

func (h *fakeHost) SetData(_ context.Context, key, value string) bool {
	h.record("set-data " + key)
	if h.setDataOK != nil && !h.setDataOK(key) {
		return false
	}
	if h.data == nil {
		h.data = map[string]string{}
	}
	h.data[key] = value
	return true
}

func (h *fakeHost) GetPost(_ context.Context, slug string) (string, bool) {
	h.record("get-post " + slug)
	return "", false
}

func (h *fakeHost) DBQuery(ctx context.Context, sql string, params *string) string {
	h.record("db-query " + oneLine(sql))
	if h.db == nil {
		return denied
	}
	return h.db.QueryJSON(ctx, sql, params)
}

func (h *fakeHost) DBExecute(ctx context.Context, sql string, params *string) string {
	h.record("db-execute " + oneLine(sql))
	if h.execHook != nil {
		if answer, ok := h.execHook(sql); ok {
			return answer
		}
	}
	if h.db == nil {
		return denied
	}
	return h.db.ExecuteJSON(ctx, sql, params)
}

func (h *fakeHost) DBBegin(ctx context.Context) string {
	h.record("db-begin")
	if h.db == nil {
		return denied
	}
	return h.db.BeginJSON(ctx)
}

func (h *fakeHost) DBCommit(ctx context.Context) string {
	h.record("db-commit")
	if h.db == nil {
		return denied
	}
	return h.db.CommitJSON(ctx)
}

func (h *fakeHost) DBRollback(ctx context.Context) string {
	h.record("db-rollback")
	if h.db == nil {
		return denied
	}
	return h.db.RollbackJSON(ctx)
}

func (h *fakeHost) VFSRead(_ context.Context, path string) (string, bool) {
	h.record("vfs-read " + path)
	v, ok := h.files[path]
	return v, ok
}

func (h *fakeHost) VFSWrite(_ context.Context, path, content string) bool {
	h.record("vfs-write " + path)
	if h.files == nil {
		h.files = map[string]string{}
	}
	h.files[path] = content
	return true
}

func (h *fakeHost) VFSDelete(_ context.Context, path string) bool {
	h.record("vfs-delete " + path)
	_, ok := h.files[path]
	delete(h.files, path)
	return ok
}

func (h *fakeHost) VFSExists(_ context.Context, path string) bool {
	h.record("vfs-exists " + path)
	_, ok := h.files[path]
	return ok
}

func (h *fakeHost) VFSList(_ context.Context, path string) (string, bool) {
	h.record("vfs-list " + path)
	return "", false
}

func (h *fakeHost) VFSStat(_ context.Context, path string) (string, bool) {
	h.record("vfs-stat " + path)
	return "", false
}

func (h *fakeHost) EmitEvent(_ context.Context, eventType, data string) string {
	h.record("emit-event " + eventType)
	h.events = append(h.events, emitted{eventType, data})
	return fmt.Sprintf("evt-%d", len(h.events))
}

// takeCalls returns the calls recorded since the last take and forgets them.
func (h *fakeHost) takeCalls() []string {
	c := h.calls
	h.calls = nil
	return c
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
}

func (h *fakeHost) NewID(context.Context) string {
	h.record("new-id")
	return fmt.Sprintf("id-%d", len(h.events))
}

func (h *fakeHost) DBPh(_ context.Context, n uint32) string {
	h.record(fmt.Sprintf("db-ph %d", n))
	return "?"
}
