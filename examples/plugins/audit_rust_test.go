package examples_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/cron/crontest"
	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// auditID is the plugin id of examples/plugins/audit-rust.
const auditID = "com.example.audit"

// auditLog is a slog.Handler keeping the plugins' log records (source=plugin).
type auditLog struct {
	mu    sync.Mutex
	lines []auditLine
}

type auditLine struct {
	Level slog.Level
	Msg   string
}

func (h *auditLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *auditLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *auditLog) WithGroup(string) slog.Handler            { return h }
func (h *auditLog) Handle(_ context.Context, r slog.Record) error {
	plugin := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "source" && a.Value.String() == "plugin" {
			plugin = true
		}
		return true
	})
	if plugin {
		h.mu.Lock()
		h.lines = append(h.lines, auditLine{r.Level, r.Message})
		h.mu.Unlock()
	}
	return nil
}

// take returns the lines logged since the last take.
func (h *auditLog) take() []auditLine {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.lines
	h.lines = nil
	return l
}

// waitFor waits until a line starting with prefix has been logged and
// returns the lines logged so far (taking them).
func (h *auditLog) waitFor(t *testing.T, prefix string) []auditLine {
	t.Helper()
	var seen []auditLine
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		seen = append(seen, h.take()...)
		if slices.ContainsFunc(seen, func(l auditLine) bool { return strings.HasPrefix(l.Msg, prefix) }) {
			return seen
		}
	}
	t.Fatalf("no plugin log line %q; got %v", prefix, seen)
	return nil
}

// auditConfig is a get-config override the test changes while the runtime
// runs.
type auditConfig struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *auditConfig) Lookup(pluginID, key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok && pluginID == auditID
}

func (c *auditConfig) set(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = value
}

type auditRow struct {
	ID, Event, Subject string
	At                 int64
}

func auditRows(t *testing.T, db *sql.DB, table string) []auditRow {
	t.Helper()
	rows, err := db.Query(`SELECT id, event, subject, at FROM ` + table + ` ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.ID, &r.Event, &r.Subject, &r.At); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAuditRust deploys examples/plugins/audit-rust (wit-bindgen 0.36 Rust
// on the typed data API) through the runtime on a SQLite host database set
// up by extensions/init.sql, fires its hooks and its [[cron]] entry, and
// checks the host database and the plugin's log.
func TestAuditRust(t *testing.T) {
	wasm := guests.Load(t, "audit-rust")
	root := repoRoot()
	manifest, err := os.ReadFile(filepath.Join(root, "examples", "plugins", "audit-rust", "manifest.toml"))
	if err != nil {
		t.Fatal(err)
	}
	initSQL, err := os.ReadFile(filepath.Join(root, "extensions", "init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "plugins", "audit")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.toml"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, filepath.Join(tmp, "host.db"), sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// As the reference host does at start (cmd/pluginhost: the file in one Exec).
	if _, err := db.ExecContext(ctx, string(initSQL)); err != nil {
		t.Fatalf("extensions/init.sql: %v", err)
	}
	// A table with plugin_audit's columns that the manifest's db_tables does not list.
	if _, err := db.Exec(`CREATE TABLE plugin_audit_mirror (id TEXT PRIMARY KEY, event TEXT NOT NULL, subject TEXT NOT NULL, at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	// Two old rows: one past the 30-day retention, one inside it.
	nowMs := time.Now().UnixMilli()
	const day = int64(24 * time.Hour / time.Millisecond)
	for _, r := range []auditRow{{"seed-expired", "login", "old-user", nowMs - 40*day}, {"seed-kept", "login", "old-user", nowMs - 29*day}} {
		if _, err := db.Exec(`INSERT INTO plugin_audit (id, event, subject, at) VALUES (?, ?, ?, ?)`, r.ID, r.Event, r.Subject, r.At); err != nil {
			t.Fatal(err)
		}
	}

	logs := &auditLog{}
	overrides := &auditConfig{m: map[string]string{}}
	clk := crontest.New(time.Date(2025, 1, 2, 5, 59, 30, 0, time.UTC))
	rt, err := runtime.New(ctx, runtime.Config{
		PluginsDir:          filepath.Join(tmp, "plugins"),
		PoolSize:            2,
		DB:                  db,
		DataDir:             filepath.Join(tmp, "data"),
		Logger:              slog.New(logs),
		ConfigOverrides:     []config.Source{overrides},
		CronHook:            plugin.Hooks.OnCronTick.Name,
		Clock:               clk,
		CronLocation:        time.UTC,
		CompilationCacheDir: runtime.NoCompilationCache,
		WatchInterval:       -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rt.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	for _, p := range rt.Problems() {
		t.Fatalf("problem: %v", p)
	}

	// The filter counts drafts and never changes the post.
	draft, published := "draft", "published"
	for _, status := range []*string{&draft, nil, &published, &draft} {
		in := plugin.PostInput{Title: "T", Content: "C", Status: status}
		out, err := runtime.Filter(ctx, rt, plugin.Hooks.OnPostCreating, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.Title != in.Title || out.Content != in.Content || out.Status != in.Status || out.Slug != nil {
			t.Errorf("on-post-creating changed the post: %+v", out)
		}
	}
	var drafts int64
	if err := db.QueryRow(`SELECT value FROM plugin_audit_counters WHERE name = 'drafts_seen'`).Scan(&drafts); err != nil || drafts != 2 {
		t.Errorf("drafts_seen = %d (%v), want 2", drafts, err)
	}

	// One audit row per action, in call order.
	before := time.Now().UnixMilli()
	post := plugin.PostOutput{ID: "post-1", Title: "T", Slug: "t", Status: "published", CreatedBy: "u1"}
	err = errors.Join(
		runtime.Action(ctx, rt, plugin.Hooks.OnPostCreated, post),
		runtime.Action(ctx, rt, plugin.Hooks.OnPostUpdated, post),
		runtime.Action(ctx, rt, plugin.Hooks.OnPostDeleted, "post-1"),
		runtime.Action(ctx, rt, plugin.Hooks.OnLogin, "user-7"),
	)
	after := time.Now().UnixMilli()
	if err != nil {
		t.Fatalf("actions: %v", err)
	}
	var fresh []auditRow
	for _, r := range auditRows(t, db, "plugin_audit") {
		if !strings.HasPrefix(r.ID, "seed-") {
			fresh = append(fresh, r) // ORDER BY id: UUID v7s sort by time
		}
	}
	want := []struct{ event, subject string }{{"post.created", "post-1"}, {"post.updated", "post-1"}, {"post.deleted", "post-1"}, {"login", "user-7"}}
	if len(fresh) != len(want) {
		t.Fatalf("audit rows = %+v, want %d", fresh, len(want))
	}
	for i, r := range fresh {
		if r.Event != want[i].event || r.Subject != want[i].subject {
			t.Errorf("row %d (by id) = %s %s, want %s %s", i, r.Event, r.Subject, want[i].event, want[i].subject)
		}
		id, err := uuid.Parse(r.ID)
		if err != nil || id.Version() != 7 || id.String() != r.ID {
			t.Errorf("row %d: id %q is not a UUID v7 in canonical form (%v)", i, r.ID, err)
			continue
		}
		sec, nsec := id.Time().UnixTime()
		if ms := sec*1000 + nsec/1e6; ms != r.At {
			t.Errorf("row %d: at = %d, want the id's timestamp %d", i, r.At, ms)
		}
		if r.At < before || r.At > after {
			t.Errorf("row %d: at = %d outside the calls' window [%d, %d]", i, r.At, before, after)
		}
		if i > 0 && r.At < fresh[i-1].At {
			t.Errorf("row %d: at %d before the previous row's %d", i, r.At, fresh[i-1].At)
		}
	}
	if l := logs.take(); len(l) != 0 {
		t.Errorf("plugin logged on a clean run: %v", l)
	}

	// The cron entry: summary (count, group-by, fetch-one), then retention.
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := clk.BlockUntilTimers(tctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second)
	lines := logs.waitFor(t, "audit retention:")
	wantLines := []auditLine{
		{slog.LevelInfo, "audit summary: 6 rows (login=3, post.created=1, post.deleted=1, post.updated=1); drafts seen: 2"},
		{slog.LevelInfo, "audit retention: deleted 1 rows older than 30 days"},
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("cron log = %v, want %v", lines, wantLines)
	}
	var ids []string
	for _, r := range auditRows(t, db, "plugin_audit") {
		ids = append(ids, r.ID)
	}
	if len(ids) != 5 || slices.Contains(ids, "seed-expired") || !slices.Contains(ids, "seed-kept") {
		t.Errorf("after retention: %v, want seed-expired gone and the 5 others kept", ids)
	}

	// A write to a table outside db_tables is refused with a typed error,
	// which the plugin logs; its own insert still happens.
	overrides.set("mirror_table", "plugin_audit_mirror")
	if err := runtime.Action(ctx, rt, plugin.Hooks.OnLogin, "user-8"); err != nil {
		t.Fatalf("on-login with a mirror table: %v", err)
	}
	lines = logs.take()
	if len(lines) != 1 || lines[0].Level != slog.LevelError ||
		!strings.HasPrefix(lines[0].Msg, "audit: insert login into mirror table plugin_audit_mirror: permission-denied: ") {
		t.Errorf("log after the refused mirror write = %v, want one error line with permission-denied", lines)
	}
	if m := auditRows(t, db, "plugin_audit_mirror"); len(m) != 0 {
		t.Errorf("the refused table was written: %+v", m)
	}
	// Ordered by id the seeded rows come last ('s' > the UUIDs' hex digits).
	if rows := auditRows(t, db, "plugin_audit"); len(rows) != 6 || rows[4].Event != "login" || rows[4].Subject != "user-8" {
		t.Errorf("the audit row of the refused call's login is missing: %+v", rows)
	}

	// A bad retention is logged and deletes nothing.
	overrides.set("retention_days", "a while")
	if err := clk.BlockUntilTimers(tctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.AdvanceTo(time.Date(2025, 1, 2, 7, 0, 0, 0, time.UTC))
	lines = logs.waitFor(t, "audit: retention_days")
	wantLines = []auditLine{
		{slog.LevelInfo, "audit summary: 6 rows (login=3, post.created=1, post.deleted=1, post.updated=1); drafts seen: 2"},
		{slog.LevelWarn, `audit: retention_days = "a while" is not a number of days from 0 to 36500; nothing deleted`},
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("second cron log = %v, want %v", lines, wantLines)
	}
	if n := len(auditRows(t, db, "plugin_audit")); n != 6 {
		t.Errorf("%d rows after a bad retention, want 6", n)
	}
}

// TestAuditTablesOnPostgres applies extensions/init.sql on PostgreSQL (twice:
// every statement must be idempotent) and stores an audit row of today
// (Unix milliseconds need BIGINT there) and a counter.
func TestAuditTablesOnPostgres(t *testing.T) {
	db := pgtest.Open(t)
	initSQL, err := os.ReadFile(filepath.Join(repoRoot(), "extensions", "init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 2 {
		if _, err := db.ExecContext(ctx, string(initSQL)); err != nil {
			t.Fatalf("extensions/init.sql, run %d: %v", i+1, err)
		}
	}
	id := uuid.Must(uuid.NewV7()).String()
	at := time.Now().UnixMilli()
	if _, err := db.ExecContext(ctx, `INSERT INTO plugin_audit (id, event, subject, at) VALUES ($1, 'login', 'u', $2)`, id, at); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO plugin_audit_counters (name, value) VALUES ('drafts_seen', 1)`); err != nil {
		t.Fatal(err)
	}
	var got auditRow
	if err := db.QueryRowContext(ctx, `SELECT id, event, subject, at FROM plugin_audit`).Scan(&got.ID, &got.Event, &got.Subject, &got.At); err != nil {
		t.Fatal(err)
	}
	if want := (auditRow{id, "login", "u", at}); got != want {
		t.Errorf("row = %+v, want %+v", got, want)
	}
}
