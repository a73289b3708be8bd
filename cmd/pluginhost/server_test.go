package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/cron/crontest"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// Warnings are kept and shown if the test fails: a plugin skipped in
	// a chain is otherwise invisible to the HTTP client.
	w := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server warnings:\n%s", w.String())
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testPlugin is one plugin directory to deploy.
type testPlugin struct {
	id    string
	hooks map[string]int
	extra string // more manifest TOML
	guest rtt.Guest
}

func deploy(t *testing.T, pluginsDir string, ps ...testPlugin) {
	t.Helper()
	for _, p := range ps {
		rtt.WritePlugin(t, filepath.Join(pluginsDir, p.id), testManifest(p.id, p.hooks, p.extra), p.guest.Wasm(t))
	}
}

// harness is a server on temp directories behind httptest.
type harness struct {
	t       *testing.T
	s       *server
	ts      *httptest.Server
	plugins string
}

func newHarness(t *testing.T, mod func(*serverConfig), ps ...testPlugin) *harness {
	t.Helper()
	root := t.TempDir()
	plugins := filepath.Join(root, "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	deploy(t, plugins, ps...)
	cfg := serverConfig{
		PluginsDir:  plugins,
		DBPath:      filepath.Join(root, "data", "test.db"),
		CacheDir:    filepath.Join(root, "cache"),
		PoolSize:    2,
		CallTimeout: 2 * time.Second,
		Logger:      testLogger(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	ctx := context.Background()
	s, err := newServer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := s.Close(cctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &harness{t: t, s: s, ts: ts, plugins: plugins}
}

// do sends a request with a JSON (or raw string) body and decodes a JSON
// answer into out (if not nil). It returns the status.
func (h *harness) do(method, path string, body any, out any, hdr ...string) int {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(raw)
		} else if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: %d %q: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode
}

// expect checks a status, failing with the body.
func (h *harness) expect(want int, method, path string, body any, out any, hdr ...string) {
	h.t.Helper()
	var raw string
	got := h.do(method, path, body, &raw, hdr...)
	if got != want {
		h.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(raw), out); err != nil {
			h.t.Fatalf("%s %s: %q: %v", method, path, raw, err)
		}
	}
}

type apiErr struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// expectErr checks an error answer's status and code.
func (h *harness) expectErr(status int, code, method, path string, body any, hdr ...string) apiErr {
	h.t.Helper()
	var e apiErr
	h.expect(status, method, path, body, &e, hdr...)
	if e.Code != code || e.Error == "" {
		h.t.Fatalf("%s %s: error %+v, want code %q", method, path, e, code)
	}
	return e
}

// data returns the value plugin stored under key (set-data), via the API.
func (h *harness) data(plugin, key string) (string, bool) {
	h.t.Helper()
	var v struct{ Value string }
	switch st := h.do("GET", "/api/plugins/"+plugin+"/data/"+key, nil, &v); st {
	case 200:
		return v.Value, true
	case 404:
		return "", false
	default:
		h.t.Fatalf("data %s/%s: status %d", plugin, key, st)
		return "", false
	}
}

type postJSON struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Slug        string   `json:"slug"`
	Content     string   `json:"content"`
	Excerpt     *string  `json:"excerpt"`
	Status      string   `json:"status"`
	CreatedBy   string   `json:"created_by"`
	UpdatedBy   *string  `json:"updated_by"`
	TagIDs      []string `json:"tag_ids"`
	PublishedAt *string  `json:"published_at"`
	CreatedAt   string   `json:"created_at"`
}

func TestPostLifecycleWithPlugins(t *testing.T) {
	const id = "com.test.posts"
	h := newHarness(t, nil, testPlugin{id: id, guest: postGuest, hooks: map[string]int{
		"on-post-creating": 10, "on-post-updating": 10, "on-post-created": 10, "on-post-updated": 10, "on-post-deleted": 10,
	}})

	// Create: the filter rewrites title and slug; the stored post shows it.
	var p postJSON
	h.expect(201, "POST", "/api/posts", map[string]any{
		"title": "Hello World", "content": "# Hi", "tag_ids": []string{"go", "wasm"}, "status": "published",
	}, &p, "X-User-ID", "alice")
	if p.Title != "Title From Plugin" || p.Slug != "plugin-slug" || p.Content != "# Hi" || p.CreatedBy != "alice" ||
		p.Status != "published" || p.PublishedAt == nil || len(p.TagIDs) != 2 || p.ID == "" {
		t.Fatalf("created post %+v", p)
	}
	var got postJSON
	h.expect(200, "GET", "/api/posts/plugin-slug", nil, &got)
	if got.ID != p.ID || got.Title != "Title From Plugin" {
		t.Fatalf("stored post %+v", got)
	}

	// The on-post-created action's effects: set-data, vfs-write, emit-event.
	if v, ok := h.data(id, "last-slug"); !ok || v != "plugin-slug" {
		t.Fatalf("set-data last-slug = %q, %v", v, ok)
	}
	var f struct{ Content string }
	h.expect(200, "GET", "/api/plugins/"+id+"/files/cache/posts/plugin-slug.json", nil, &f)
	if f.Content != "{}" {
		t.Fatalf("vfs file = %q", f.Content)
	}
	var dir struct {
		Entries []fileEntry `json:"entries"`
	}
	h.expect(200, "GET", "/api/plugins/"+id+"/files/cache/posts", nil, &dir)
	if len(dir.Entries) != 1 || dir.Entries[0].Name != "plugin-slug.json" || dir.Entries[0].Size != 2 {
		t.Fatalf("vfs dir = %+v", dir.Entries)
	}
	waitFor(t, "event post.created", func() bool {
		var evs struct {
			Events []struct{ Type, Source, Data string }
		}
		h.expect(200, "GET", "/api/events?type=post.*", nil, &evs)
		return len(evs.Events) == 1 && evs.Events[0].Source == id && evs.Events[0].Data == "plugin-slug"
	})

	// The same slug again (the filter forces it): 409.
	h.expectErr(409, codeSlugTaken, "POST", "/api/posts", map[string]any{"title": "Other", "content": ""})

	// Update: on-post-updating appends " (edited)"; omitted optional fields
	// keep their values; on-post-updated sees the stored title.
	var up postJSON
	h.expect(200, "PUT", "/api/posts/"+p.ID, map[string]any{"title": "New", "content": "changed"}, &up, "X-User-ID", "bob")
	if up.Title != "New (edited)" || up.Content != "changed" || up.Slug != "plugin-slug" || len(up.TagIDs) != 2 ||
		up.UpdatedBy == nil || *up.UpdatedBy != "bob" {
		t.Fatalf("updated post %+v", up)
	}
	if v, _ := h.data(id, "updated-title"); v != "New (edited)" {
		t.Fatalf("on-post-updated saw title %q", v)
	}
	h.expectErr(404, codeNotFound, "PUT", "/api/posts/nope", map[string]any{"title": "x", "content": ""})

	// List.
	var page struct {
		Posts []postJSON
		Total int
	}
	h.expect(200, "GET", "/api/posts?status=published", nil, &page)
	if page.Total != 1 || len(page.Posts) != 1 {
		t.Fatalf("list = %+v", page)
	}

	// Delete: on-post-deleted gets the id.
	h.expect(204, "DELETE", "/api/posts/"+p.ID, nil, nil)
	if v, _ := h.data(id, "deleted"); v != p.ID {
		t.Fatalf("on-post-deleted saw %q, want %q", v, p.ID)
	}
	h.expectErr(404, codeNotFound, "GET", "/api/posts/plugin-slug", nil)
	h.expectErr(404, codeNotFound, "DELETE", "/api/posts/"+p.ID, nil)
}

func TestPostsWithoutPlugins(t *testing.T) {
	h := newHarness(t, nil)
	var p postJSON
	h.expect(201, "POST", "/api/posts", `{"title":"Hello, World!","content":"x"}`, &p)
	if p.Slug != "hello-world" || p.Status != "draft" || p.CreatedBy != defaultUser {
		t.Fatalf("post %+v", p)
	}
	h.expectErr(422, codeInvalidPost, "POST", "/api/posts", `{"title":"  ","content":"x"}`)
	h.expectErr(422, codeInvalidPost, "POST", "/api/posts", `{"title":"t","content":"x","status":"Not Valid"}`)
	h.expectErr(422, codeInvalidPost, "POST", "/api/posts", `{"title":"t","content":"x","slug":"Bad Slug"}`)
	h.expectErr(400, codeInvalidInput, "POST", "/api/posts", `{"title":"t","content":"x"}`, "X-User-ID", strings.Repeat("u", 129))
}

func TestBadInput(t *testing.T) {
	h := newHarness(t, func(c *serverConfig) { c.MaxBodyBytes = 1024 })
	for _, tc := range []struct {
		name, body, code string
		status           int
	}{
		{"malformed", `{"title": `, codeBadJSON, 400},
		{"syntax", `{"title" "x"}`, codeBadJSON, 400},
		{"unknown field", `{"title":"t","content":"c","author":"x"}`, codeUnknownField, 400},
		{"wrong type", `{"title":1,"content":"c"}`, codeBadJSON, 400},
		{"wrong type in list", `{"title":"t","content":"c","tag_ids":[1]}`, codeBadJSON, 400},
		{"trailing data", `{"title":"t","content":"c"} {}`, codeBadJSON, 400},
		{"not an object", `["t"]`, codeBadJSON, 400},
		{"null", `null`, codeBadJSON, 400},
		{"empty", ``, codeEmptyBody, 400},
		{"too large", `{"title":"t","content":"` + strings.Repeat("x", 2000) + `"}`, codeTooLarge, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			h.expectErr(tc.status, tc.code, "POST", "/api/posts", tc.body)
		})
	}
	h.t = t
	h.expectErr(415, codeUnsupportedMedia, "POST", "/api/posts", `{}`, "Content-Type", "text/xml")
	h.expectErr(400, codeUnknownField, "POST", "/api/login", `{"user":"x"}`)
	h.expectErr(400, codeInvalidInput, "POST", "/api/login", `{"user_id":""}`)
	h.expectErr(400, codeBadJSON, "POST", "/api/content/page", `[1,2]`)
	h.expectErr(400, codeInvalidInput, "POST", "/api/content/Bad%20Type", `{}`)
	h.expectErr(400, codeInvalidInput, "GET", "/api/posts?limit=1000", nil)
	h.expectErr(404, codeNotFound, "GET", "/api/nothing", nil)
	h.expectErr(404, codeNotFound, "POST", "/api/posts/nope/comments", `{"content":"hi"}`)

	// The mux's 405 comes back as JSON with Allow.
	req, _ := http.NewRequest("PATCH", h.ts.URL+"/api/posts", nil)
	res, err := h.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e apiErr
	json.NewDecoder(res.Body).Decode(&e)
	res.Body.Close()
	if res.StatusCode != 405 || e.Code != codeMethodNotAllowed || !strings.Contains(res.Header.Get("Allow"), "POST") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("PATCH: %d %+v Allow=%q", res.StatusCode, e, res.Header.Get("Allow"))
	}
}

func TestComments(t *testing.T) {
	const id = "com.test.comments"
	h := newHarness(t, nil, testPlugin{id: id, guest: commentGuest, hooks: map[string]int{
		"on-comment-creating": 1, "on-comment-created": 1,
	}})
	var p postJSON
	h.expect(201, "POST", "/api/posts", map[string]any{"title": "Post", "content": "x"}, &p)

	// The filter fills in a nickname; on-comment-created sees the comment.
	var c comment
	h.expect(201, "POST", "/api/posts/"+p.ID+"/comments", map[string]any{"content": "Nice post", "email": "a@b.c"}, &c)
	if c.Content != "Nice post" || c.Nickname == nil || *c.Nickname != "anon" || c.Email == nil || *c.Email != "a@b.c" || c.PostID != p.ID {
		t.Fatalf("comment %+v", c)
	}
	if v, _ := h.data(id, "last-comment"); v != "Nice post" {
		t.Fatalf("on-comment-created saw %q", v)
	}
	// A reply keeps its own nickname.
	var reply comment
	h.expect(201, "POST", "/api/posts/"+p.ID+"/comments", map[string]any{"content": "Thanks", "nickname": "op", "parent_id": c.ID}, &reply)
	if reply.Nickname == nil || *reply.Nickname != "op" || reply.ParentID == nil || *reply.ParentID != c.ID {
		t.Fatalf("reply %+v", reply)
	}

	// Rejected by the plugin: 422 comment_rejected, nothing stored, no action.
	h.expectErr(422, codeCommentRejected, "POST", "/api/posts/"+p.ID+"/comments", map[string]any{"content": "!buy now"})
	if v, _ := h.data(id, "last-comment"); v != "Thanks" {
		t.Fatalf("on-comment-created ran for a rejected comment: %q", v)
	}
	var list struct{ Comments []comment }
	h.expect(200, "GET", "/api/posts/"+p.ID+"/comments", nil, &list)
	if len(list.Comments) != 2 {
		t.Fatalf("comments %+v", list.Comments)
	}

	h.expectErr(422, codeInvalidComment, "POST", "/api/posts/"+p.ID+"/comments", map[string]any{"content": " "})
	h.expectErr(422, codeInvalidComment, "POST", "/api/posts/"+p.ID+"/comments", map[string]any{"content": "x", "parent_id": "nope"})
	h.expectErr(422, codeInvalidComment, "POST", "/api/posts/"+p.ID+"/comments", map[string]any{"content": "x", "email": "not-an-address"})

	// Deleting the post deletes its comments.
	h.expect(204, "DELETE", "/api/posts/"+p.ID, nil, nil)
	h.expectErr(404, codeNotFound, "GET", "/api/posts/"+p.ID+"/comments", nil)
	var n int
	if err := h.s.db.QueryRow(`SELECT count(*) FROM comments`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("comments left: %d, %v", n, err)
	}
}

func TestContent(t *testing.T) {
	const id = "com.test.content"
	h := newHarness(t, nil, testPlugin{id: id, guest: contentGuest, hooks: map[string]int{
		"on-content-creating": 1, "on-content-updating": 1, "on-content-created": 1, "on-content-updated": 1, "on-content-deleted": 1,
	}})
	type item struct {
		ID          string          `json:"id"`
		ContentType string          `json:"content_type"`
		Data        json.RawMessage `json:"data"`
	}
	var it item
	h.expect(201, "POST", "/api/content/page", `{"title":"About"}`, &it)
	if it.ContentType != "page" || it.ID == "" || string(it.Data) != `{"stamped":true,"orig":{"title":"About"}}` {
		t.Fatalf("created %+v %s", it, it.Data)
	}
	if v, _ := h.data(id, "created"); v != string(it.Data) {
		t.Fatalf("on-content-created saw %q", v)
	}
	var got item
	h.expect(200, "GET", "/api/content/page/"+it.ID, nil, &got)
	if string(got.Data) != string(it.Data) {
		t.Fatalf("stored %s", got.Data)
	}
	h.expectErr(404, codeNotFound, "GET", "/api/content/product/"+it.ID, nil)

	var up item
	h.expect(200, "PUT", "/api/content/page/"+it.ID, `{"title":"About us"}`, &up)
	if string(up.Data) != `{"stamped":true,"orig":{"title":"About us"}}` {
		t.Fatalf("updated %s", up.Data)
	}
	if v, _ := h.data(id, "updated"); v != string(up.Data) {
		t.Fatalf("on-content-updated saw %q", v)
	}

	// The filter rejects "{}".
	h.expectErr(422, codeContentRejected, "POST", "/api/content/page", `{}`)
	h.expectErr(422, codeContentRejected, "PUT", "/api/content/page/"+it.ID, `{}`)

	var list struct {
		Items []item
		Total int
	}
	h.expect(200, "GET", "/api/content/page", nil, &list)
	if list.Total != 1 || len(list.Items) != 1 {
		t.Fatalf("list %+v", list)
	}

	h.expect(204, "DELETE", "/api/content/page/"+it.ID, nil, nil)
	if v, _ := h.data(id, "deleted"); v != "page/"+it.ID {
		t.Fatalf("on-content-deleted saw %q", v)
	}
	h.expectErr(404, codeNotFound, "DELETE", "/api/content/page/"+it.ID, nil)
}

func TestRender(t *testing.T) {
	// Two plugins; priorities order the chains: B (1) before A (5).
	h := newHarness(t, nil,
		testPlugin{id: "com.test.a", guest: prefixGuest("A:", "|a"), hooks: map[string]int{"render-markdown": 5, "filter-html": 5}},
		testPlugin{id: "com.test.b", guest: prefixGuest("B:", "|b"), hooks: map[string]int{"render-markdown": 1, "filter-html": 1}},
	)
	var res renderResponse
	h.expect(200, "POST", "/api/render", map[string]string{"markdown": "# Hi"}, &res)
	if res.HTML != "A:B:# Hi|b|a" || res.Renderer != "plugins" {
		t.Fatalf("render = %+v", res)
	}
	// Raw Markdown in, bare HTML out.
	var html string
	h.do("POST", "/api/render", "md", &html, "Content-Type", "text/markdown", "Accept", "text/html")
	if html != "A:B:md|b|a" {
		t.Fatalf("render (text) = %q", html)
	}
	var pl pluginsResponse
	h.expect(200, "GET", "/api/plugins", nil, &pl)
	if got := strings.Join(pl.Hooks["render-markdown"], ","); got != "com.test.b,com.test.a" {
		t.Fatalf("render-markdown subscribers %q", got)
	}
}

func TestRenderFallbackAndTrap(t *testing.T) {
	// The only renderer traps: it is skipped, the host's fallback escapes.
	h := newHarness(t, nil, testPlugin{id: "com.test.trap", guest: trapGuest, hooks: map[string]int{"render-markdown": 1, "on-post-creating": 1}})
	var res renderResponse
	h.expect(200, "POST", "/api/render", map[string]string{"markdown": "<b>x</b>\n\nsecond"}, &res)
	if res.HTML != "<p>&lt;b&gt;x&lt;/b&gt;</p>\n<p>second</p>\n" || res.Renderer != "builtin" {
		t.Fatalf("render = %+v", res)
	}
	// A trapping filter does not fail the request: the value is unchanged.
	var p postJSON
	h.expect(201, "POST", "/api/posts", map[string]string{"title": "Still Works", "content": ""}, &p)
	if p.Slug != "still-works" {
		t.Fatalf("post %+v", p)
	}
	var pl pluginsResponse
	h.expect(200, "GET", "/api/plugins", nil, &pl)
	if len(pl.Plugins) != 1 || pl.Plugins[0].Failures != 2 || pl.Plugins[0].Pool.Discards == 0 {
		t.Fatalf("plugins %+v", pl.Plugins)
	}
}

func TestLoginPluginsAndReload(t *testing.T) {
	const id = "com.test.login"
	h := newHarness(t, nil, testPlugin{id: id, guest: loginGuest, hooks: map[string]int{"on-login": 1}})
	var res map[string]any
	h.expect(200, "POST", "/api/login", map[string]string{"user_id": "carol"}, &res)
	if v, _ := h.data(id, "last-login"); v != "carol" {
		t.Fatalf("on-login stored %q", v)
	}

	// A broken plugin appears as a problem; the others still load.
	deploy(t, h.plugins, testPlugin{id: "com.test.broken", guest: loginGuest, hooks: map[string]int{"render-markdown": 1}})
	deploy(t, h.plugins, testPlugin{id: "com.test.render", guest: prefixGuest("R:", ""), hooks: map[string]int{"render-markdown": 1}})
	var pl pluginsResponse
	h.expect(200, "POST", "/api/plugins/reload", nil, &pl)
	if len(pl.Plugins) != 2 || len(pl.Problems) != 1 || pl.Problems[0].Plugin != "com.test.broken" ||
		!strings.Contains(pl.Problems[0].Error, "render-markdown") {
		t.Fatalf("after reload: %+v", pl)
	}
	var r renderResponse
	h.expect(200, "POST", "/api/render", map[string]string{"markdown": "x"}, &r)
	if r.HTML != "R:x" {
		t.Fatalf("render after reload = %+v", r)
	}
	var hz map[string]any
	h.expect(200, "GET", "/healthz", nil, &hz)
	if hz["status"] != "ok" || hz["plugins"] != float64(2) || hz["problems"] != float64(1) {
		t.Fatalf("healthz %v", hz)
	}
}

func TestHotReloadWatcher(t *testing.T) {
	h := newHarness(t, func(c *serverConfig) { c.WatchInterval = 50 * time.Millisecond })
	deploy(t, h.plugins, testPlugin{id: "com.test.late", guest: prefixGuest("L:", ""), hooks: map[string]int{"render-markdown": 1}})
	waitFor(t, "the watcher to load the new plugin", func() bool {
		var r renderResponse
		h.expect(200, "POST", "/api/render", map[string]string{"markdown": "x"}, &r)
		return r.HTML == "L:x"
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCron(t *testing.T) {
	const id = "com.test.cron"
	clock := crontest.New(time.Date(2025, 1, 2, 3, 4, 30, 0, time.UTC))
	h := newHarness(t, func(c *serverConfig) { c.Clock = clock }, testPlugin{
		id: id, guest: loginGuest, hooks: map[string]int{"on-login": 1},
		extra: "[[cron]]\nlabel = \"every minute\"\njob_type = \"ping\"\ncron_expr = \"* * * * *\"\n",
	})
	var payload struct {
		Label    string `json:"label"`
		JobType  string `json:"job_type"`
		CronExpr string `json:"cron_expr"`
		FiredAt  string `json:"fired_at"`
	}
	waitFor(t, "on-cron-tick", func() bool {
		clock.Advance(30 * time.Second)
		v, ok := h.data(id, "tick")
		if ok {
			if err := json.Unmarshal([]byte(v), &payload); err != nil {
				t.Fatalf("cron payload %q: %v", v, err)
			}
		}
		return ok
	})
	if payload.Label != "every minute" || payload.JobType != "ping" || payload.CronExpr != "* * * * *" || payload.FiredAt == "" {
		t.Fatalf("payload %+v", payload)
	}
	var pl pluginsResponse
	h.expect(200, "GET", "/api/plugins", nil, &pl)
	if len(pl.Plugins) != 1 || len(pl.Plugins[0].Cron) != 1 {
		t.Fatalf("plugins %+v", pl.Plugins)
	}
}

func TestInitSQL(t *testing.T) {
	h := newHarness(t, func(c *serverConfig) {
		c.InitSQL = "CREATE TABLE IF NOT EXISTS plugin_x (k TEXT PRIMARY KEY);\nINSERT OR IGNORE INTO plugin_x VALUES ('a');"
	})
	var n int
	if err := h.s.db.QueryRow(`SELECT count(*) FROM plugin_x`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("init SQL not run: %d %v", n, err)
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "plugins"), 0o755)
	_, err := newServer(context.Background(), serverConfig{
		PluginsDir: filepath.Join(root, "plugins"), DBPath: filepath.Join(root, "x.db"),
		InitSQL: "CREATE TABLE t (a);\nSELEKT 1;", Logger: testLogger(t),
	})
	if err == nil || !strings.Contains(err.Error(), "init SQL") {
		t.Fatalf("bad init SQL: %v", err)
	}
}

// TestGetPostBySlugOrID: GET /api/posts/{slug} takes a post's id too.
func TestGetPostBySlugOrID(t *testing.T) {
	h := newHarness(t, nil)
	var p, bySlug, byID postJSON
	h.expect(201, "POST", "/api/posts", map[string]any{"title": "Hello There", "content": "x"}, &p)
	h.expect(200, "GET", "/api/posts/"+p.Slug, nil, &bySlug)
	h.expect(200, "GET", "/api/posts/"+p.ID, nil, &byID)
	if p.ID == p.Slug || bySlug.ID != p.ID || byID.ID != p.ID || byID.Slug != "hello-there" {
		t.Fatalf("created %+v; by slug %+v; by id %+v", p, bySlug, byID)
	}
	e := h.expectErr(404, codeNotFound, "GET", "/api/posts/nope", nil)
	if e.Error != `no post has the slug or id "nope"` {
		t.Fatalf("404 says %q", e.Error)
	}
}
