package main

import (
	"testing"

	"github.com/raisfast/wasmplug/internal/pgtest"
)

// TestServeOnPostgres: the reference host with -db postgres://… keeps
// posts, comments, content and the plugins' KV on PostgreSQL, and runs a
// real plugin's hooks against it.
func TestServeOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const id = "com.test.comments"
	h := newHarness(t, func(c *serverConfig) { c.DBPath = dsn },
		testPlugin{id: id, guest: commentGuest, hooks: map[string]int{"on-comment-creating": 1, "on-comment-created": 1}})
	if got := h.s.db.Driver(); got == nil || !isPGX(h) {
		t.Fatalf("the host database is not PostgreSQL: %T", got)
	}
	var p postJSON
	h.expect(201, "POST", "/api/posts", map[string]any{"title": "Hello, Postgres!", "content": "x", "tag_ids": []string{"pg"}}, &p)
	if p.Slug != "hello-postgres" {
		t.Fatalf("post %+v", p)
	}
	h.expectErr(409, codeSlugTaken, "POST", "/api/posts", map[string]any{"title": "Hello, Postgres!", "content": "y"})
	var got postJSON
	h.expect(200, "GET", "/api/posts/"+p.Slug, nil, &got)
	if got.Title != p.Title || len(got.TagIDs) != 1 {
		t.Fatalf("read back %+v", got)
	}
	var c comment
	h.expect(201, "POST", "/api/posts/"+p.ID+"/comments", map[string]any{"content": "Nice post"}, &c)
	if c.Nickname == nil || *c.Nickname != "anon" {
		t.Fatalf("comment %+v", c)
	}
	if v, _ := h.data(id, "last-comment"); v != "Nice post" {
		t.Fatalf("on-comment-created saw %q (KV on PostgreSQL)", v)
	}
	var n int
	if err := h.s.db.QueryRow(`SELECT count(*) FROM comments WHERE post_id = $1`, p.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("comments in PostgreSQL: %d %v", n, err)
	}
	if err := h.s.db.QueryRow(`SELECT count(*) FROM wasmplug.plugin_kv WHERE plugin_id = $1`, id).Scan(&n); err != nil || n == 0 {
		t.Fatalf("KV in PostgreSQL: %d %v", n, err)
	}
}

func isPGX(h *harness) bool {
	var v string
	return h.s.db.QueryRow(`SELECT version()`).Scan(&v) == nil && len(v) > 10 && v[:10] == "PostgreSQL"
}
