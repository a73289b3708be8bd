package sqldb

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
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
	// Columns describes table's columns in their declared order, as the
	// host sees them (not subject to any plugin's permissions); nil and no
	// error when there is no such table.
	Columns(ctx context.Context, table string) ([]Column, error)
}

// Column describes one column of a table for the typed data API.
type Column struct {
	Name    string
	Type    ColumnType
	NotNull bool
}

// ColumnType is the kind of value a column holds, as the typed data API
// checks it: SQLite's type affinity, PostgreSQL's type category.
type ColumnType int

// Column types.
const (
	// AnyType accepts every value (SQLite: no declared type or NUMERIC
	// affinity; PostgreSQL: types the API does not map).
	AnyType ColumnType = iota
	IntegerType
	RealType
	TextType
	BlobType
)

func (t ColumnType) String() string {
	switch t {
	case IntegerType:
		return "integer"
	case RealType:
		return "real"
	case TextType:
		return "text"
	case BlobType:
		return "blob"
	}
	return "any"
}

// SQLiteAffinity is the type of a column declared as decl, by SQLite's
// affinity rules (https://sqlite.org/datatype3.html, 3.1).
func SQLiteAffinity(decl string) ColumnType {
	d := strings.ToUpper(decl)
	switch {
	case strings.Contains(d, "INT"):
		return IntegerType
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return TextType
	case strings.Contains(d, "BLOB"):
		return BlobType
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return RealType
	}
	return AnyType
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

// Columns implements Backend with pragma_table_info on the host's own
// connection (tables of the main database only).
func (d *DB) Columns(ctx context.Context, table string) ([]Column, error) {
	return d.columns.Columns(ctx, table, d.loadColumns)
}

func (d *DB) loadColumns(ctx context.Context, table string) ([]Column, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, type, "notnull" FROM pragma_table_info(?, 'main')`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		var decl string
		if err := rows.Scan(&c.Name, &decl, &c.NotNull); err != nil {
			return nil, err
		}
		c.Type = SQLiteAffinity(decl)
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// Dialect implements Backend: SQLite.
func (d *DB) Dialect() Dialect { return SQLite }

// ColumnCache keeps tables' columns for the typed data API, so a typed
// call does not pay a schema lookup each time (one information_schema
// query costs more than the statement itself on PostgreSQL). Entries live
// for TTL; Invalidate drops them all, which a backend calls when a plugin
// statement may have changed the schema. A host that alters tables itself
// sees the change within TTL. The zero value caches nothing.
type ColumnCache struct {
	TTL time.Duration

	mu  sync.Mutex
	gen uint64
	m   map[string]cachedColumns
}

type cachedColumns struct {
	cols []Column
	at   time.Time
	gen  uint64
}

// Columns returns table's columns from the cache, or from load.
func (c *ColumnCache) Columns(ctx context.Context, table string, load func(context.Context, string) ([]Column, error)) ([]Column, error) {
	if c.TTL <= 0 {
		return load(ctx, table)
	}
	key := strings.ToLower(table)
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && e.gen == gen && now.Sub(e.at) < c.TTL {
		return e.cols, nil
	}
	cols, err := load(ctx, table)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedColumns{}
	}
	if len(c.m) > 4096 { // a plugin naming many absent tables must not grow it without bound
		clear(c.m)
	}
	c.m[key] = cachedColumns{cols: cols, at: now, gen: gen}
	c.mu.Unlock()
	return cols, nil
}

// Invalidate forgets every cached table.
func (c *ColumnCache) Invalidate() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// DefaultColumnTTL is how long backends cache a table's columns.
const DefaultColumnTTL = 2 * time.Second
