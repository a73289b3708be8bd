package sqldb

import (
	"context"
	"strconv"
	"strings"
)

// Backend is a host database as plugins see it: the embedded SQLite of this
// package's DB, or PostgreSQL (package pgdb). The host-api adapter and the
// typed data API use only this interface, so every function behind db-* and
// the typed data functions works the same on either.
type Backend interface {
	// Open starts the database session of one hook call of pluginID with
	// perm. The caller must Close it when the call ends.
	Open(pluginID string, perm Permissions) Conn
	// Dialect is how the host writes SQL for this backend.
	Dialect() Dialect
	// Config returns the limits in force (with defaults filled in).
	Config() Config
}

// Conn is one hook call's view of the database. Query returns values as
// the backend scanned them, normalized to nil, int64, float64, string,
// []byte or time.Time; the JSON functions (QueryJSON …) turn them into the
// JSON of db-query.
type Conn interface {
	Query(ctx context.Context, query string, params []any) (*QueryResult, error)
	Execute(ctx context.Context, query string, params []any) (*ExecResult, error)
	Begin(ctx context.Context) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
	InTransaction() bool
	Close() error
}

// Dialect names a backend's SQL dialect.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Placeholder is the dialect's placeholder of parameter n (1-based): "?" for
// SQLite, "$n" for PostgreSQL. It is what host-api db-ph returns.
func (d Dialect) Placeholder(n int) string {
	if d == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// QuoteIdent quotes an identifier the same way in both dialects: in double
// quotes, with embedded double quotes doubled.
func (d Dialect) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

var _ Backend = (*DB)(nil)
var _ Conn = (*Session)(nil)

// Open implements Backend: d.Session(pluginID, perm).
func (d *DB) Open(pluginID string, perm Permissions) Conn { return d.Session(pluginID, perm) }

// Dialect implements Backend: SQLite.
func (d *DB) Dialect() Dialect { return SQLite }
