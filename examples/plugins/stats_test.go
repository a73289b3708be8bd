package examples_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/manifest"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// statsHost is the stats plugin on a real SQLite database: every hook call
// gets its own sqldb session (closed when the call ends, as the runtime
// does), with the manifest's permissions.
type statsHost struct {
	t    *testing.T
	db   *sql.DB
	host *sqldb.DB
	perm sqldb.Permissions
	h    *fakeHost
	inst *plugin.Instance
}

func newStatsHost(t *testing.T, l *loaded, schema bool) *statsHost {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, filepath.Join(t.TempDir(), "host.db"), sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := l.m.Permissions
	if p.DB != manifest.DBWrite {
		t.Fatalf("manifest [permissions] db = %q, want write", p.DB)
	}
	// What the runtime grants for db = "write" (runtime/spec.go), plus
	// schema changes when the host allows them.
	perm := sqldb.Permissions{Read: true, Write: true, Schema: schema, Tables: p.DBTables}
	s := &statsHost{t: t, db: db, host: sqldb.New(db, sqldb.Config{}), perm: perm, h: &fakeHost{}}
	s.inst = l.instance(t, s.h)
	return s
}

// call runs one hook call in a fresh database session and returns the host
// calls it made.
func (s *statsHost) call(fn func(ctx context.Context, inst *plugin.Instance) error) []string {
	s.t.Helper()
	ctx := context.Background()
	sess := s.host.Session("com.example.stats", s.perm)
	s.h.db = sess
	err := fn(ctx, s.inst)
	if sess.InTransaction() {
		s.t.Errorf("the plugin left a transaction open")
	}
	sess.Close()
	s.h.db = nil
	if err != nil {
		s.t.Fatal(err)
	}
	return s.h.takeCalls()
}

func (s *statsHost) counter(name string) int64 {
	s.t.Helper()
	var n int64
	err := s.db.QueryRow(`SELECT value FROM plugin_stats_counters WHERE name = ?`, name).Scan(&n)
	if err == sql.ErrNoRows {
		return 0
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func TestStats(t *testing.T) {
	l := load(t, "stats")
	s := newStatsHost(t, l, true)
	login := func(user string) []string {
		return s.call(func(ctx context.Context, inst *plugin.Instance) error { return inst.OnLogin(ctx, user) })
	}

	// First use: the tables are created, inside the first transaction.
	calls := login("u1")
	if calls[0] != "db-begin" || calls[len(calls)-2] != "db-commit" || calls[len(calls)-1] != "emit-event stats.updated" {
		t.Errorf("first login: host calls %q; want db-begin … db-commit, emit-event", calls)
	}
	if n := countPrefix(calls, "db-execute CREATE TABLE IF NOT EXISTS plugin_stats_"); n != 3 {
		t.Errorf("first login created %d tables: %q", n, calls)
	}
	if !slices.Contains(s.h.logs, "info: created tables plugin_stats_counters, plugin_stats_logins and plugin_stats_posts") {
		t.Errorf("logs %q", s.h.logs)
	}
	// Later calls do not create them again.
	calls = login("u1")
	if countPrefix(calls, "db-execute CREATE") != 0 || slices.Contains(calls, "db-rollback") {
		t.Errorf("second login: host calls %q", calls)
	}
	login("u2")

	if got := s.counter("logins"); got != 3 {
		t.Errorf("logins = %d, want 3", got)
	}
	var u1 int64
	var last string
	if err := s.db.QueryRow(`SELECT logins, last_login_at FROM plugin_stats_logins WHERE user_id = 'u1'`).Scan(&u1, &last); err != nil || u1 != 2 || !strings.HasSuffix(last, "Z") {
		t.Errorf("u1: %d logins, last %q, %v", u1, last, err)
	}
	wantEvents := []string{
		`{"counter":"logins","hook":"on-login","user_id":"u1","user_logins":1,"value":1}`,
		`{"counter":"logins","hook":"on-login","user_id":"u1","user_logins":2,"value":2}`,
		`{"counter":"logins","hook":"on-login","user_id":"u2","user_logins":1,"value":3}`,
	}
	checkEvents(t, s.h, wantEvents)

	// Posts: created, viewed (updated with the host's view count), deleted.
	now := "2025-01-02T03:04:05Z"
	p := plugin.PostOutput{ID: "p1", Title: "Hello", Slug: "hello", Status: "published", CreatedBy: "u1", CreatedAt: now, UpdatedAt: now}
	s.call(func(ctx context.Context, inst *plugin.Instance) error { return inst.OnPostCreated(ctx, p) })
	p.ViewCount = 41
	s.call(func(ctx context.Context, inst *plugin.Instance) error { return inst.OnPostUpdated(ctx, p) })
	var views int64
	if err := s.db.QueryRow(`SELECT views FROM plugin_stats_posts WHERE post_id = 'p1'`).Scan(&views); err != nil || views != 41 {
		t.Errorf("p1 views %d, %v", views, err)
	}
	s.call(func(ctx context.Context, inst *plugin.Instance) error { return inst.OnPostDeleted(ctx, "p1") })
	var left int
	s.db.QueryRow(`SELECT count(*) FROM plugin_stats_posts`).Scan(&left)
	s.call(func(ctx context.Context, inst *plugin.Instance) error {
		return inst.OnCommentCreated(ctx, plugin.CommentInput{Content: "hi"})
	})
	for name, want := range map[string]int64{"posts.created": 1, "posts.updated": 1, "posts.deleted": 1, "comments.created": 1, "logins": 3} {
		if got := s.counter(name); got != want || left != 0 {
			t.Errorf("counter %s = %d, want %d (posts left %d)", name, got, want, left)
		}
	}
	checkEvents(t, s.h, append(wantEvents,
		`{"counter":"posts.created","hook":"on-post-created","post_id":"p1","value":1}`,
		`{"counter":"posts.updated","hook":"on-post-updated","post_id":"p1","value":1,"views":41}`,
		`{"counter":"posts.deleted","hook":"on-post-deleted","post_id":"p1","value":1}`,
		`{"counter":"comments.created","hook":"on-comment-created","value":1}`,
	))

	// A statement failing inside the transaction: everything rolls back,
	// nothing is emitted.
	s.h.execHook = func(q string) (string, bool) {
		if strings.Contains(q, "INSERT INTO plugin_stats_logins") {
			return `{"error":"database or disk is full","code":"sql_error"}`, true
		}
		return "", false
	}
	events := len(s.h.events)
	calls = login("u1")
	s.h.execHook = nil
	if got := s.counter("logins"); got != 3 {
		t.Errorf("logins = %d after a failed update, want 3 (rolled back)", got)
	}
	if len(s.h.events) != events || !slices.Contains(calls, "db-rollback") || slices.Contains(calls, "db-commit") {
		t.Errorf("failed update: host calls %q, %d new events", calls, len(s.h.events)-events)
	}
	if last := s.h.logs[len(s.h.logs)-1]; !strings.HasPrefix(last, "error: on-login: db-execute: sql_error: database or disk is full") {
		t.Errorf("last log %q", last)
	}
	// And the next call works again.
	login("u1")
	if got := s.counter("logins"); got != 4 {
		t.Errorf("logins = %d, want 4", got)
	}
}

// TestStatsWithoutSchemaPermission runs the plugin with exactly what the
// runtime grants for db = "write" (no schema changes): on an empty database
// it cannot create its tables, says so, and changes nothing; once the host
// has created them it works.
func TestStatsWithoutSchemaPermission(t *testing.T) {
	l := load(t, "stats")
	s := newStatsHost(t, l, false)
	calls := s.call(func(ctx context.Context, inst *plugin.Instance) error { return inst.OnLogin(ctx, "u1") })
	if !slices.Contains(calls, "db-rollback") || len(s.h.events) != 0 {
		t.Errorf("host calls %q, events %v", calls, s.h.events)
	}
	if len(s.h.logs) != 1 || !strings.Contains(s.h.logs[0], "grant it schema changes, or create them") {
		t.Errorf("logs %q", s.h.logs)
	}

	for _, q := range []string{
		`CREATE TABLE plugin_stats_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)`,
		`CREATE TABLE plugin_stats_logins (user_id TEXT PRIMARY KEY, logins INTEGER NOT NULL DEFAULT 0, last_login_at TEXT NOT NULL)`,
		`CREATE TABLE plugin_stats_posts (post_id TEXT PRIMARY KEY, slug TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
	} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.call(func(ctx context.Context, inst *plugin.Instance) error { return inst.OnLogin(ctx, "u1") })
	if got := s.counter("logins"); got != 1 || len(s.h.events) != 1 {
		t.Errorf("with the tables created by the host: logins %d, events %v", got, s.h.events)
	}
}

// TestStatsWithoutDatabase: a host that refuses every db-* call (no
// permission) gets a logged error per call, and no event.
func TestStatsWithoutDatabase(t *testing.T) {
	l := load(t, "stats")
	h := &fakeHost{}
	inst := l.instance(t, h)
	if err := inst.OnLogin(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	if len(h.events) != 0 || len(h.logs) != 1 || !strings.HasPrefix(h.logs[0], "error: on-login: db-begin: permission_denied") {
		t.Errorf("events %v, logs %q", h.events, h.logs)
	}
}

func checkEvents(t *testing.T, h *fakeHost, want []string) {
	t.Helper()
	var got []string
	for _, e := range h.events {
		if e.Type != "stats.updated" {
			t.Errorf("event type %q", e.Type)
		}
		got = append(got, e.Data)
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
