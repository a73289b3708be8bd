package runtime

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/pgtest"
)

// newPGFixture is newFixture with Config.DB on a fresh PostgreSQL database
// (and so the key-value store there too).
func newPGFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.db = pgtest.Open(t)
	f.cfg.DB = f.db
	for _, q := range []string{
		`CREATE TABLE ledger (v text)`,
		`INSERT INTO ledger VALUES ('before')`,
		`CREATE TABLE secrets (v text)`,
		`INSERT INTO secrets VALUES ('hunter2')`,
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestRealPluginOnPostgres: a wasm plugin's db-query runs on PostgreSQL as
// the plugin's role, set-data lands in the shared database's wasmplug
// schema, and the hostile statements get their error codes and change
// nothing.
func TestRealPluginOnPostgres(t *testing.T) {
	f := newPGFixture(t)
	f.cfg.SQL.StatementTimeout = 300 * time.Millisecond
	f.cfg.SQL.MaxResultBytes = 64 << 10
	f.add("reader", "reader", sqlGuest, map[string]int{"on-login": 0},
		"[permissions]\ndb = \"read\"\ndb_tables = [\"ledger\"]\n")
	rt := f.start()
	noProblems(t, rt)
	run := func(q string) (res struct {
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
		Error   string   `json:"error"`
		Code    string   `json:"code"`
	}) {
		t.Helper()
		onLogin(q)(ctx, rt)
		v, ok := f.kv("reader", "sql")
		if !ok {
			t.Fatalf("%s: no answer stored", q)
		}
		if err := json.Unmarshal([]byte(v), &res); err != nil {
			t.Fatalf("%s: %q: %v", q, v, err)
		}
		return res
	}
	res := run("SELECT v, length(v) AS n FROM ledger WHERE v = 'before'")
	if res.Error != "" || len(res.Rows) != 1 || res.Rows[0][0] != "before" || res.Rows[0][1] != float64(6) {
		t.Fatalf("db-query on PostgreSQL: %+v", res)
	}
	// The KV entry is in the host database, schema wasmplug.
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM wasmplug.plugin_kv WHERE plugin_id = 'reader'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("KV on PostgreSQL: %d %v", n, err)
	}
	for q, code := range map[string]string{
		"SELECT * FROM secrets":                    "permission_denied",
		"SELECT * FROM wasmplug.plugin_kv":         "permission_denied",
		"UPDATE ledger SET v = 'x'":                "permission_denied",
		"RESET ROLE":                               "permission_denied",
		"SELECT 1; RESET ROLE":                     "bad_sql",
		"SELECT pg_sleep(30) FROM ledger":          "timeout",
		"SELECT repeat(v, 100000) FROM ledger":     "result_too_large",
		"SELECT set_config('role', 'postgres', t)": "permission_denied",
	} {
		start := time.Now()
		res := run(q)
		if res.Code != code {
			t.Errorf("%s: %+v, want code %s", q, res, code)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s", q, d)
		}
	}
	var v string
	if err := f.db.QueryRow(`SELECT string_agg(v, ',') FROM ledger`).Scan(&v); err != nil || v != "before" {
		t.Fatalf("ledger changed: %q %v", v, err)
	}
	if strings.Contains(v, "hunter2") {
		t.Fatal("secret leaked")
	}
}
