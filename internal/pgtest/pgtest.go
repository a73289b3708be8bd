// Package pgtest gives tests a PostgreSQL database of their own on the
// server named by WASMPLUG_PG_DSN (`.ci/pg.sh start` starts a throw-away
// one and prints its DSN). Without that variable the tests that need it
// skip, saying so, unless WASMPLUG_REQUIRE_PG=1 (as .ci/run sets it), which
// makes them fail instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Environment variables.
const (
	DSNEnv     = "WASMPLUG_PG_DSN"
	RequireEnv = "WASMPLUG_REQUIRE_PG"
)

var skipOnce sync.Once

// ServerDSN returns WASMPLUG_PG_DSN, or skips tb (fails it under
// WASMPLUG_REQUIRE_PG=1) when it is unset.
func ServerDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn != "" {
		return dsn
	}
	const why = "PostgreSQL tests need " + DSNEnv + " (run `.ci/pg.sh start` and export the DSN it prints)"
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatal(why + "; " + RequireEnv + "=1 makes that a failure")
	}
	skipOnce.Do(func() { println("pgtest: SKIPPING PostgreSQL tests: " + why) })
	tb.Skip(why)
	return ""
}

// NewDatabase creates an empty database on the WASMPLUG_PG_DSN server, drops
// it when tb ends, and returns its DSN.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	server := ServerDSN(tb)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "wasmplug_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: creating database: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", server)
		if err != nil {
			return
		}
		defer a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := a.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("pgtest: dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("pgtest: %s: %v", DSNEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open is NewDatabase opened with the pgx driver; the pool closes when tb
// ends (before the database is dropped).
func Open(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := NewDatabase(tb)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
