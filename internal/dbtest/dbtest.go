// Package dbtest runs a test once per host database backend: the embedded
// SQLite and PostgreSQL (on the server of internal/pgtest; without
// WASMPLUG_PG_DSN the PostgreSQL run skips, loudly, or fails under
// WASMPLUG_REQUIRE_PG=1).
package dbtest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// Backend is one database backend of a test.
type Backend struct {
	Dialect sqldb.Dialect
	// New makes a fresh, empty database and returns where it is: a SQLite
	// file path or a PostgreSQL DSN (dropped when tb ends).
	New func(tb testing.TB) string
}

// Name is the backend's subtest name: "sqlite" or "postgres".
func (b Backend) Name() string { return b.Dialect.String() }

// Connect opens the database at where (from New); it closes when tb ends.
func (b Backend) Connect(tb testing.TB, where string) *sql.DB {
	tb.Helper()
	var (
		db  *sql.DB
		err error
	)
	if b.Dialect == sqldb.Postgres {
		db, err = sql.Open("pgx", where)
	} else {
		db, err = sqlitedb.Open(context.Background(), where, sqlitedb.Options{})
	}
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Open is Connect(New()).
func (b Backend) Open(tb testing.TB) *sql.DB {
	tb.Helper()
	return b.Connect(tb, b.New(tb))
}

// Backends are SQLite and PostgreSQL.
var Backends = []Backend{
	{Dialect: sqldb.SQLite, New: func(tb testing.TB) string {
		return filepath.Join(tb.TempDir(), "db.sqlite")
	}},
	{Dialect: sqldb.Postgres, New: pgtest.NewDatabase},
}

// Each runs fn as a subtest per backend.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(b.Name(), func(t *testing.T) { fn(t, b) })
	}
}
