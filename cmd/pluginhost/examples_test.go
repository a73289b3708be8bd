package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
)

// TestExamplePluginsOverHTTP deploys the four Go example plugins the way
// extensions/plugins does (links to examples/plugins/*, built by the host
// with standard Go on start) and drives the blog API, asserting each
// plugin's effect: slug (filter + vfs-write action), markdown (render chain
// with script stripping), moderation (comment filter rejecting spam), stats
// (transactional counters + emit-event on actions).
func TestExamplePluginsOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four Go plugins")
	}
	repo := guests.Root()
	plugins := filepath.Join(t.TempDir(), "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"slug", "markdown", "moderation", "stats"} {
		if err := os.Symlink(filepath.Join(repo, "examples", "plugins", name), filepath.Join(plugins, name)); err != nil {
			t.Fatal(err)
		}
	}
	initSQL, err := os.ReadFile(filepath.Join(repo, "extensions", "init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *serverConfig) {
		c.PluginsDir = plugins
		c.Build = true
		c.InitSQL = string(initSQL)
		c.CallTimeout = 0 // the default: Go guests are slower to warm up than WAT ones
	})
	var list struct {
		Plugins  []struct{ ID string } `json:"plugins"`
		Problems []any                 `json:"problems"`
	}
	h.expect(200, "GET", "/api/plugins", nil, &list)
	if len(list.Plugins) != 4 || len(list.Problems) != 0 {
		t.Fatalf("plugins %+v, problems %+v", list.Plugins, list.Problems)
	}

	// slug: the filter derives the slug; the action caches the post in its sandbox.
	var post postJSON
	h.expect(201, "POST", "/api/posts", map[string]any{"title": "Hello Wasm World", "content": "# Hi\n\nSome *text*", "tag_ids": []string{"go", "wasm"}}, &post)
	if post.Slug != "hello-wasm-world" {
		t.Fatalf("slug = %q", post.Slug)
	}
	var f struct{ Content string }
	h.expect(200, "GET", "/api/plugins/com.example.slug/files/cache/posts/hello-wasm-world.json", nil, &f)
	if !strings.Contains(f.Content, "Hello Wasm World") {
		t.Fatalf("cached post = %q", f.Content)
	}

	// markdown: rendered by goldmark, scripts stripped by filter-html.
	var r struct{ HTML, Renderer string }
	h.expect(200, "POST", "/api/render", map[string]any{"markdown": "# Title\n\n<script>alert(1)</script>\n\n- a\n- b"}, &r)
	if !strings.Contains(r.HTML, "<h1") || !strings.Contains(r.HTML, "<li>a</li>") || strings.Contains(r.HTML, "<script") || r.Renderer != "plugins" {
		t.Fatalf("render = %+v", r)
	}

	// moderation: spam is rejected, a normal comment is stored.
	h.expectErr(422, "comment_rejected", "POST", "/api/posts/"+post.ID+"/comments", map[string]any{"content": "buy viagra now http://a http://b http://c", "nickname": "spammer"})
	h.expect(201, "POST", "/api/posts/"+post.ID+"/comments", map[string]any{"content": "Nice post, thanks!", "nickname": "reader"}, nil)

	// stats: actions count in the database and publish events.
	h.expect(200, "POST", "/api/login", map[string]any{"user_id": "u1"}, nil)
	var events struct {
		Events []struct{ Type, Source, Data string } `json:"events"`
	}
	h.expect(200, "GET", "/api/events", nil, &events)
	var counters []string
	for _, e := range events.Events {
		if e.Source == "com.example.stats" && e.Type == "stats.updated" {
			counters = append(counters, e.Data)
		}
	}
	joined := strings.Join(counters, "\n")
	if !strings.Contains(joined, `"posts.created"`) || !strings.Contains(joined, `"hook":"on-login"`) {
		t.Fatalf("stats events: %s", joined)
	}
}
