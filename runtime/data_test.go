package runtime

import (
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/guests"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// logLines collects the plugins' log messages.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelInfo }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Message)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestTypedDataAPI runs a standard-Go plugin (runtime/testdata/godata,
// built with witgen guest bindings) that uses new-id, db-ph and the data
// interface through the runtime: the rows land in the host database, the
// summary the plugin computes with count/sum/group-by/fetch-one/fetch-all
// is right, and a table outside its db_tables comes back as a typed
// permission-denied error, changing nothing.
//
// It runs on the embedded SQLite and on PostgreSQL (skipped, saying so,
// without WASMPLUG_PG_DSN): the plugin's answers are the same.
func TestTypedDataAPI(t *testing.T) {
	wasm := guests.BuildGo(t, "runtime/testdata/godata", "guest")
	t.Run("sqlite", func(t *testing.T) { typedDataAPI(t, wasm, newFixture(t), "BLOB") })
	t.Run("postgres", func(t *testing.T) { typedDataAPI(t, wasm, newPGFixture(t), "BYTEA") })
}

func typedDataAPI(t *testing.T, wasm []byte, f *fixture, blob string) {
	logs := &logLines{}
	f.cfg.Logger = slog.New(logs)
	if _, err := f.db.Exec(`CREATE TABLE visits (id TEXT PRIMARY KEY, who TEXT NOT NULL, n BIGINT, tag ` + blob + `)`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`DROP TABLE IF EXISTS secrets`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`CREATE TABLE secrets (id TEXT PRIMARY KEY, who TEXT, n BIGINT, tag ` + blob + `)`); err != nil {
		t.Fatal(err)
	}
	rtt.WritePlugin(t, filepath.Join(f.dir, "godata"), manifestTOML("godata",
		map[string]int{"on-login": 0, "render-markdown": 0}, "[permissions]\ndb = \"write\"\ndb_tables = [\"visits\"]\n"), wasm)
	rt := f.start()
	noProblems(t, rt)

	for _, user := range []string{"ann", "bob", "ann"} {
		if err := Action(ctx, rt, plugin.Hooks.OnLogin, user); err != nil {
			t.Fatalf("on-login %s: %v", user, err)
		}
	}
	rows, err := f.db.Query(`SELECT id, who, n, tag FROM visits ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var who []string
	for rows.Next() {
		var id, w string
		var n int64
		var tag []byte
		if err := rows.Scan(&id, &w, &n, &tag); err != nil {
			t.Fatal(err)
		}
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Errorf("id %q is not a UUID v7 (%v)", id, err)
		}
		if n != 11 || string(tag) != w {
			t.Errorf("row %s: n=%d tag=%q, want 11 and %q", id, n, tag, w)
		}
		who = append(who, w)
	}
	rows.Close()
	// UUID v7 ids are time-ordered: sorting by id gives the login order.
	if got := strings.Join(who, ","); got != "ann,bob,ann" {
		t.Errorf("rows by id: %s, want ann,bob,ann", got)
	}
	if !regexp.MustCompile(`visit [0-9a-f-]{36} by bob \(1 updated, placeholder (\?|\$2)\)`).MatchString(logs.all()) {
		t.Errorf("log lacks the visit line:\n%s", logs.all())
	}

	got, _ := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "visits")
	if want := "count=3 sum=33 groups=ann=2,bob=1 first=ann/616e6e big=3"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	got, _ = Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "secrets")
	if !strings.HasPrefix(got, "error permission-denied: ") || !strings.Contains(got, "secrets") {
		t.Errorf("summary of secrets = %q, want a permission-denied error naming the table", got)
	}
	got, _ = Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "nope; DROP TABLE visits")
	if !strings.HasPrefix(got, "error invalid: ") {
		t.Errorf("summary of a bad name = %q, want an invalid error", got)
	}
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM visits`).Scan(&n); err != nil || n != 3 {
		t.Errorf("visits has %d rows after the refusals (%v), want 3", n, err)
	}
}
