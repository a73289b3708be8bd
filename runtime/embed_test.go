package runtime_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// embedHost is README.md's embedding snippet: TestREADMEEmbedding checks
// that the README shows this body verbatim and runs it. save stands for the
// host's own storage of a post.
func embedHost(ctx context.Context, in plugin.PostInput, save func(plugin.PostInput) (plugin.PostOutput, error)) error {
	if err := os.MkdirAll("data", 0o755); err != nil {
		return err
	}
	db, err := sqlitedb.Open(ctx, "data/raisfast.db", sqlitedb.Options{}) // runtime/services/sqlitedb
	if err != nil {
		return err
	}
	defer db.Close()
	size, err := runtime.PoolSizeFromEnv(os.LookupEnv) // PLUGIN_WASM_POOL_SIZE, default 4
	if err != nil {
		return err
	}
	// The zero CompilationCacheDir and WatchInterval are the reference
	// host's: compiled code cached under os.UserCacheDir(), and the plugins
	// directory polled every 2 s for hot reload.
	rt, err := runtime.New(ctx, runtime.Config{
		PluginsDir: "extensions/plugins", // <name>/{manifest.toml,plugin.wasm}
		PoolSize:   size,
		DB:         db,             // db-* and the data interface
		DataDir:    "data/plugins", // file sandboxes, key-value store
		CronHook:   "on-cron-tick", // what [[cron]] entries fire
		Logger:     slog.Default(),
	})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	for _, p := range rt.Problems() { // bad plugins are reported, the others run
		slog.Warn("plugin not loaded", "dir", p.Dir, "err", p.Err)
	}
	// A filter chain runs by priority and always returns a usable value;
	// its error only lists the plugins it skipped (already logged).
	in, _ = runtime.Filter(ctx, rt, plugin.Hooks.OnPostCreating, in)
	stored, err := save(in)
	if err != nil {
		return err
	}
	// An action reaches every subscriber; failures are logged and joined.
	if err := runtime.Action(ctx, rt, plugin.Hooks.OnPostCreated, stored); err != nil {
		slog.Warn("on-post-created", "err", err)
	}
	return nil
}

// TestREADMEEmbedding: the README's snippet is embedHost's body, and it runs
// in a fresh directory (nothing there but extensions/plugins).
func TestREADMEEmbedding(t *testing.T) {
	src, err := os.ReadFile("embed_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := functionBody(t, string(src), "func embedHost(")
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+body+"```\n") {
		t.Errorf("README.md's embedding snippet is not embedHost's body; it should read:\n```go\n%s```", body)
	}

	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("HOME", dir)
	if err := os.MkdirAll("extensions/plugins", 0o755); err != nil {
		t.Fatal(err)
	}
	var saved plugin.PostInput
	save := func(in plugin.PostInput) (plugin.PostOutput, error) {
		saved = in
		return plugin.PostOutput{ID: "1", Title: in.Title, Content: in.Content, Status: "draft"}, nil
	}
	if err := embedHost(context.Background(), plugin.PostInput{Title: "Hi", Content: "x"}, save); err != nil {
		t.Fatalf("the README's host: %v", err)
	}
	if saved.Title != "Hi" {
		t.Errorf("saved %+v", saved)
	}
	if _, err := os.Stat("data/raisfast.db"); err != nil {
		t.Errorf("the database: %v", err)
	}
}

// functionBody is the body of the function whose declaration starts with
// decl in src, without its indentation: the lines between the declaration's
// line and the closing brace at column 0.
func functionBody(t *testing.T, src, decl string) string {
	t.Helper()
	i := strings.Index(src, "\n"+decl)
	if i < 0 {
		t.Fatalf("no %s in the source", decl)
	}
	rest := src[i+1:]
	rest = rest[strings.Index(rest, "\n")+1:]
	end := strings.Index(rest, "\n}\n")
	var b strings.Builder
	for _, line := range strings.Split(rest[:end], "\n") {
		b.WriteString(strings.TrimPrefix(line, "\t"))
		b.WriteString("\n")
	}
	return b.String()
}

// TestNewRefusesMissingPluginsDir: a PluginsDir that does not exist is a
// configuration error, not a runtime with no plugins.
func TestNewRefusesMissingPluginsDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := runtime.New(context.Background(), runtime.Config{PluginsDir: missing, WatchInterval: -1, CompilationCacheDir: runtime.NoCompilationCache})
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "PluginsDir") {
		t.Fatalf("New with a missing PluginsDir: %v, want a not-exist error naming Config.PluginsDir", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := runtime.New(context.Background(), runtime.Config{PluginsDir: file}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("New with a file as PluginsDir: %v", err)
	}
}
