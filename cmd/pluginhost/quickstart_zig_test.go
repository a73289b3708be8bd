package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
)

// TestZigQuickStart deploys the seed's quick start written in Zig
// (examples/plugins/slug-zig: wit-bindgen C bindings, @cImport, built by
// .ci/build-guests.sh) as the seed's step 6 shows —
// extensions/plugins/my-plugin/{manifest.toml,plugin.wasm} — checks it
// with `pluginhost check`, and through the HTTP API that it sets a new
// post's slug (over several posts, so the pool's instances reuse their
// heaps), keeps a given one, and that on-post-created wrote
// cache/posts/<slug>.json via vfs-write.
func TestZigQuickStart(t *testing.T) {
	wasm := guests.Load(t, "slug-zig")
	manifest, err := os.ReadFile(filepath.Join(guests.Root(), "examples", "plugins", "slug-zig", "manifest.toml"))
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

	out, _, err := runCLI(t, "check", dir)
	if err != nil {
		t.Fatalf("pluginhost check: %v\n%s", err, out)
	}
	wantLines(t, out,
		"OK    contract: imports and exports match",
		"OK    hook on-post-creating (filter, priority 10): exported",
		"OK    hook on-post-created (action, priority 10): exported",
		"OK    hook on-cron-tick: exported (fired by the 1 [[cron]] entry)",
		"OK    loads in the runtime",
		"PASS  ")

	h.expect(200, "POST", "/api/plugins/reload", nil, nil)

	var post postJSON
	for i := range 12 {
		title := fmt.Sprintf("Hello Zig World %d", i)
		want := fmt.Sprintf("hello-zig-world-%d", i)
		h.expect(201, "POST", "/api/posts", map[string]any{"title": title, "content": "from the seed"}, &post)
		if post.Slug != want {
			t.Fatalf("slug = %q, want %q (the Zig plugin did not run)", post.Slug, want)
		}
		if post.Title != title || post.Content != "from the seed" {
			t.Fatalf("the filter changed other fields: %+v", post)
		}
		var f struct{ Content string }
		h.expect(200, "GET", "/api/plugins/com.example.my-plugin/files/cache/posts/"+want+".json", nil, &f)
		if f.Content != "{}" {
			t.Fatalf("cache file = %q", f.Content)
		}
	}
	h.expect(201, "POST", "/api/posts", map[string]any{"title": "Other Title", "content": "x", "slug": "given"}, &post)
	if post.Slug != "given" {
		t.Fatalf("a given slug was replaced: %q", post.Slug)
	}
}
