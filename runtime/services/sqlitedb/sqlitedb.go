// Package sqlitedb opens the host's embedded SQLite database with the settings
// the plugin services expect, using the pure-Go driver modernc.org/sqlite.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DriverName is the database/sql driver name registered by modernc.org/sqlite.
const DriverName = "sqlite"

// Options tune Open. The zero value is usable.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock held by another
	// connection before failing with SQLITE_BUSY. Default 5s.
	BusyTimeout time.Duration
	// MaxOpenConns caps the pool (0 = database/sql default, unlimited).
	MaxOpenConns int
}

// ErrBadPath reports a database path Open cannot pass to the driver safely.
var ErrBadPath = errors.New("sqlitedb: bad database path")

// DSN returns the driver DSN Open uses for path: WAL journal, foreign keys on,
// defensive mode (no writable_schema and similar foot-guns), a busy timeout,
// and BEGIN IMMEDIATE for read-write transactions so that a transaction which
// later writes does not fail with SQLITE_BUSY when upgrading its lock.
func DSN(path string, opts Options) (string, error) {
	if path == "" || strings.ContainsAny(path, "?#\x00") || strings.HasPrefix(path, "file:") {
		return "", fmt.Errorf("%w: %q", ErrBadPath, path)
	}
	bt := opts.BusyTimeout
	if bt <= 0 {
		bt = 5 * time.Second
	}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(bt.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	q.Set("_defensive", "1")
	return path + "?" + q.Encode(), nil
}

// Open opens (creating if missing) the SQLite database file at path and
// checks that it answers.
func Open(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	dsn, err := DSN(path, opts)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	if opts.MaxOpenConns > 0 {
		db.SetMaxOpenConns(opts.MaxOpenConns)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	return db, nil
}
