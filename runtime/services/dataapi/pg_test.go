package dataapi

import (
	"context"
	"testing"

	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime/services/pgdb"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// Every test of this package also runs on PostgreSQL (a database of its
// own from internal/pgtest; skipped, saying so, without WASMPLUG_PG_DSN).
func init() {
	openers["postgres"] = func(t testing.TB, cfg sqldb.Config) backend {
		db := pgtest.Open(t)
		b, err := pgdb.New(context.Background(), db, cfg, pgdb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return backend{name: "postgres", b: b, db: db}
	}
}
