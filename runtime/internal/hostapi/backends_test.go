package hostapi

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime/services/pgdb"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
	"github.com/raisfast/wasmplug/witval"
)

// backends opens the host database both ways: the embedded SQLite and
// PostgreSQL (internal/pgtest; skipped, saying so, without WASMPLUG_PG_DSN).
var backends = map[string]func(t *testing.T) (*sql.DB, sqldb.Backend){
	"sqlite": func(t *testing.T) (*sql.DB, sqldb.Backend) {
		db, err := sqlitedb.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlitedb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db, sqldb.New(db, sqldb.Config{Logger: quiet()})
	},
	"postgres": func(t *testing.T) (*sql.DB, sqldb.Backend) {
		db := pgtest.Open(t)
		b, err := pgdb.New(ctx, db, sqldb.Config{Logger: quiet()}, pgdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db, b
	},
}

func dbErrorOf(err error) plugin.DBError {
	var re *witval.ResultError[plugin.DBError]
	if errors.As(err, &re) {
		return re.Value
	}
	return nil
}

// TestDatabaseFunctionsOnBothBackends: the db-* functions, db-ph, new-id
// and the typed data functions give the same answers on SQLite and
// PostgreSQL, with the same permissions.
func TestDatabaseFunctionsOnBothBackends(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			db, b := backends[name](t)
			for _, ddl := range []string{
				`CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)`,
				`CREATE TABLE other (v TEXT)`,
			} {
				if _, err := db.Exec(ddl); err != nil {
					t.Fatal(err)
				}
			}
			svc := &Services{SQL: b}
			w := New(svc, &Plugin{ID: "w", Logger: quiet(), SQL: sqldb.Permissions{Read: true, Write: true, Tables: []string{"t"}}})
			r := New(svc, &Plugin{ID: "r", Logger: quiet(), SQL: sqldb.Permissions{Read: true, Tables: []string{"t"}}})
			defer w.EndCall()
			defer r.EndCall()

			ph := w.DBPh(ctx, 2)
			if want := map[string]string{"sqlite": "?", "postgres": "$2"}[name]; ph != want {
				t.Errorf("db-ph(2) = %q, want %q", ph, want)
			}
			id := w.NewID(ctx)
			if u, err := uuid.Parse(id); err != nil || u.Version() != 7 {
				t.Errorf("new-id = %q (%v), want a UUID v7", id, err)
			}
			params := `["` + id + `", 5]`
			ins := "INSERT INTO t (id, n) VALUES (" + w.DBPh(ctx, 1) + ", " + w.DBPh(ctx, 2) + ")"
			if js := w.DBExecute(ctx, ins, &params); !strings.Contains(js, `"rows_affected":1`) {
				t.Fatalf("db-execute = %s", js)
			}
			if js := w.DBExecute(ctx, ins, &params); !strings.Contains(js, `"code":"constraint"`) {
				t.Errorf("duplicate db-execute = %s, want code constraint", js)
			}
			if js := r.DBQuery(ctx, "SELECT n AS n FROM t", nil); js != `{"columns":["n"],"rows":[[5]]}` {
				t.Errorf("db-query = %s", js)
			}
			if js := r.DBExecute(ctx, "DELETE FROM t", nil); !strings.Contains(js, "permission_denied") {
				t.Errorf("db-execute with read = %s", js)
			}
			if js := w.DBQuery(ctx, "SELECT v FROM other", nil); !strings.Contains(js, "permission_denied") {
				t.Errorf("db-query outside db_tables = %s", js)
			}

			// Typed: an increment inside a transaction that is rolled back.
			if js := w.DBBegin(ctx); js != `{"ok":true}` {
				t.Fatalf("db-begin = %s", js)
			}
			f := []plugin.Condition{{Column: "id", Op: plugin.ComparisonEq, Value: plugin.ValueText{Value: id}}}
			if n, err := w.Increment(ctx, "t", "n", 10, f); err != nil || n != 1 {
				t.Fatalf("increment = %d, %v", n, err)
			}
			if v, err := w.Sum(ctx, "t", "n", nil); err != nil || v != (plugin.ValueInteger{Value: 15}) {
				t.Errorf("sum inside the transaction = %#v, %v", v, err)
			}
			if js := w.DBRollback(ctx); js != `{"ok":true}` {
				t.Fatalf("db-rollback = %s", js)
			}
			row, err := r.FetchOne(ctx, "t", plugin.Query{Columns: []string{"n"}})
			if err != nil || row == nil || (*row)[0].Value != (plugin.ValueInteger{Value: 5}) {
				t.Errorf("fetch-one after the rollback = %v, %v; want n = 5", row, err)
			}
			if _, err := r.Insert(ctx, "t", []plugin.Field{{Column: "id", Value: plugin.ValueText{Value: "x"}}}); !isCase[plugin.DBErrorPermissionDenied](err) {
				t.Errorf("insert with read = %v, want permission-denied", err)
			}
			if _, err := w.Count(ctx, "other", nil); !isCase[plugin.DBErrorPermissionDenied](err) {
				t.Errorf("count outside db_tables = %v, want permission-denied", err)
			}
			if _, err := w.Insert(ctx, "t", []plugin.Field{{Column: "id", Value: plugin.ValueText{Value: id}}}); !isCase[plugin.DBErrorConstraint](err) {
				t.Errorf("duplicate insert = %v, want constraint", err)
			}
			none := New(&Services{}, &Plugin{ID: "n", Logger: quiet(), SQL: sqldb.Permissions{Read: true}})
			if _, err := none.Count(ctx, "t", nil); !isCase[plugin.DBErrorUnavailable](err) {
				t.Errorf("count without a database = %v, want unavailable", err)
			}
		})
	}
}

func isCase[C plugin.DBError](err error) bool {
	_, ok := dbErrorOf(err).(C)
	return ok
}
