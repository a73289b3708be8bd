package evolve

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/evolve/adapt009"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// writePlugin deploys wasm as plugins/<id> subscribing to hooks.
func writePlugin(t *testing.T, plugins, id string, wasm []byte, hooks map[string]int, extra string) {
	t.Helper()
	dir := filepath.Join(plugins, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("[plugin]\nid = \"" + id + "\"\nname = \"" + id + "\"\nversion = \"1.0.0\"\nruntime = \"wasm\"\nentry = \"plugin.wasm\"\n")
	for h, p := range hooks {
		b.WriteString("\n[hooks." + h + "]\npriority = " + itoa(p) + "\n")
	}
	b.WriteString(extra)
	if err := os.WriteFile(filepath.Join(dir, "manifest.toml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func startRuntime(t *testing.T, plugins string, adapters []plugin.Adapter) *runtime.Runtime {
	t.Helper()
	root := t.TempDir()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(root, "host.db"), sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rt, err := runtime.New(context.Background(), runtime.Config{
		PluginsDir: plugins, PoolSize: 2, CallTimeout: 5 * time.Second,
		DB: db, DataDir: filepath.Join(root, "data"),
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		Adapters:            adapters,
		CompilationCacheDir: runtime.NoCompilationCache,
		WatchInterval:       -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rt.Close(ctx)
	})
	return rt
}

// TestTwoMajorsInOneChain: a host on the current contract (0.1.1) with
// the adapter for the older major 0.0.9 runs a plugin of each major in one
// filter chain. The 0.0.9 plugin sees only the fields it knows; the fields
// it does not are kept; its kv-get/kv-set and site-name calls are served by
// the current host API through the adapter.
func TestTwoMajorsInOneChain(t *testing.T) {
	ctx := context.Background()
	plugins := t.TempDir()
	const siteConfig = "\n[config]\nsite_name = \"blog\"\n"
	writePlugin(t, plugins, "new", guests.BuildGo(t, "examples/plugins/slug", "guest"), map[string]int{"on-post-creating": 10}, "")
	old := goGuest(t, "go009")
	writePlugin(t, plugins, "old", old, map[string]int{"on-post-creating": 20, "render-markdown": 5}, siteConfig)
	writePlugin(t, plugins, "old-unknown-hook", old, map[string]int{"on-post-updating": 1}, "")

	rt := startRuntime(t, plugins, []plugin.Adapter{adapt009.Adapter{}})
	excerpt, status := "short", "draft"
	out, err := runtime.Filter(ctx, rt, plugin.Hooks.OnPostCreating, plugin.PostInput{Title: "Hello World", Content: "x", Excerpt: &excerpt, Status: &status})
	if err != nil {
		t.Fatal(err)
	}
	if out.Slug == nil || *out.Slug != "hello-world-v0-blog" {
		t.Errorf("slug %v, want hello-world-v0-blog (0.1.1's slug, then 0.0.9's suffix via kv-set/kv-get and site-name)", out.Slug)
	}
	if out.Excerpt == nil || *out.Excerpt != "short" || out.Status == nil || *out.Status != "draft" || out.Title != "Hello World" {
		t.Errorf("fields 0.0.9 does not know were not kept: %+v", out)
	}
	if html, err := runtime.Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "md"); err != nil || html != "<v0>md</v0>" {
		t.Errorf("render-markdown = %q, %v", html, err)
	}

	takes := map[string]abi.Contract{}
	for _, p := range rt.Plugins() {
		takes[p.ID] = p.Contract
		if !p.InterruptFlag {
			t.Errorf("%s: not instrumented (its deadlines would cost a goroutine per guest call)", p.ID)
		}
	}
	if c := takes["new"]; c.Take != abi.TakeSame || c.Built != "0.1.1" {
		t.Errorf("new: %+v", c)
	}
	if c := takes["old"]; c.Take != abi.TakeAdapted || c.Built != "0.0.9" || c.Host != "0.1.1" || !strings.Contains(c.String(), "adapter for raisfast:plugin-wit@0.0.9") {
		t.Errorf("old: %+v (%s)", c, c)
	}
	probs := rt.Problems()
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "taken by the adapter for 0.0.9: hook on-post-updating does not exist in contract 0.0.9") {
		t.Errorf("problems %v, want old-unknown-hook refused by the adapter", probs)
	}

	// Without the adapter the 0.0.9 plugin is refused, naming both versions.
	plain := startRuntime(t, plugins, nil)
	found := false
	for _, p := range plain.Problems() {
		if strings.Contains(p.Error(), "built for raisfast:plugin-wit@0.0.9, this host provides raisfast:plugin-wit@0.1.1: different semver tracks (0.0.9 and 0.1)") {
			found = true
		}
	}
	if !found || len(plain.Plugins()) != 1 {
		t.Errorf("without the adapter: plugins %d, problems %v", len(plain.Plugins()), plain.Problems())
	}
}
