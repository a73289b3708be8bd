package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
)

// TestRustQuickStart deploys the seed's Rust quick start (wit-bindgen 0.36,
// examples/plugins/slug-rust) exactly as the seed's step 6 shows —
// extensions/plugins/my-plugin/{manifest.toml,plugin.wasm} — and checks
// through the HTTP API that it sets a new post's slug, keeps a given one,
// and that on-post-created wrote cache/posts/<slug>.json via vfs-write. It
// runs twice: built from today's wit/plugin.wit, and built for the 0.1.0
// contract (slug-rust-010), as plugins deployed before 0.1.1 were — the
// host of 0.1.1 takes both.
func TestRustQuickStart(t *testing.T) {
	for _, build := range []string{"slug-rust", "slug-rust-010"} {
		t.Run(build, func(t *testing.T) { rustQuickStart(t, build) })
	}
}

func rustQuickStart(t *testing.T, build string) {
	wasm := guests.Load(t, build)
	manifest, err := os.ReadFile(filepath.Join(guests.Root(), "examples", "plugins", "slug-rust", "manifest.toml"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nil)
	dir := filepath.Join(h.plugins, "my-plugin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.toml"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	h.expect(200, "POST", "/api/plugins/reload", nil, nil)

	var post postJSON
	h.expect(201, "POST", "/api/posts", map[string]any{"title": "Hello Rust World", "content": "from the seed"}, &post)
	if post.Slug != "hello-rust-world" {
		t.Fatalf("slug = %q, want hello-rust-world (the Rust plugin did not run)", post.Slug)
	}
	var f struct{ Content string }
	h.expect(200, "GET", "/api/plugins/com.example.my-plugin/files/cache/posts/hello-rust-world.json", nil, &f)
	if f.Content != "{}" {
		t.Fatalf("cache file = %q", f.Content)
	}
	h.expect(201, "POST", "/api/posts", map[string]any{"title": "Other Title", "content": "x", "slug": "given"}, &post)
	if post.Slug != "given" {
		t.Fatalf("a given slug was replaced: %q", post.Slug)
	}
}
