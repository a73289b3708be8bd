// Package pgdb runs plugin SQL (host-api db-query, db-execute, db-begin,
// db-commit, db-rollback) on PostgreSQL: a DB is the sqldb.Backend of a
// *sql.DB opened with the pgx driver (github.com/jackc/pgx/v5/stdlib).
// Plugin SQL is passed to PostgreSQL as written ($1, $2 … placeholders).
//
// # What is enforced, and by what
//
// PostgreSQL's privileges do most of it. Each plugin gets a role of its own
// (RoleName: NOLOGIN, no attributes, the host's role a member of it so that
// it may SET ROLE to it), created on its first statement and granted exactly
// what its sqldb.Permissions allow on the host schema (Options.Schema,
// default "public"; see syncRole): Read → SELECT, Write → SELECT, INSERT,
// UPDATE, DELETE and the owned sequences, Schema → CREATE on the schema; a
// Tables allow-list limits the grants to the listed tables, an empty one
// means every table, view and sequence of the host schema except
// Options.Internal. Nothing is granted in any other schema: the plugin KV
// (package kv) lives in its own schema, "wasmplug", on which plugin roles
// have no privilege at all. Grants are synced again when the permissions
// change, after a plugin statement changed the schema, and every
// Options.ResyncInterval (tables the host creates later are picked up then).
//
// Every plugin statement runs inside a transaction, as that role:
//
//	BEGIN [READ ONLY]; SET LOCAL search_path, statement_timeout,
//	lock_timeout, standard_conforming_strings; SET LOCAL ROLE <plugin role>;
//	<the statement>; SELECT current_user (still the plugin's role?); COMMIT
//
// so PostgreSQL checks every table the statement reads or writes (through
// views, as the view's owner; RLS policies apply), db-query cannot write
// anything (READ ONLY transaction: INSERT/UPDATE/DELETE, DDL, nextval,
// SELECT FOR UPDATE and writable CTEs fail with permission_denied), and
// StatementTimeout is the server's statement_timeout (pg_sleep(60) ends at
// it with "timeout"). The statement is sent with the extended protocol,
// which holds exactly one statement; db-query's runs as a cursor fetched
// in batches, so at most MaxRows+1 rows are ever computed and sent, and no
// protocol message larger than MaxResultBytes is accepted from the server
// (a bigger row fails with result_too_large and the connection is dropped).
//
// What privileges cannot express is refused before PostgreSQL sees the
// text (classify): several statements; any statement type but SELECT /
// WITH / VALUES / TABLE (db-query), plus INSERT / UPDATE / DELETE / MERGE
// (db-execute) and, with Schema, CREATE/ALTER/DROP of tables, indexes and
// views (CREATE TABLE/VIEW only of listed names with an allow-list). So SET,
// RESET (RESET ROLE, SET SESSION AUTHORIZATION …), DO, CREATE FUNCTION,
// PROCEDURE, TRIGGER, RULE, EXTENSION, COPY, LISTEN, NOTIFY, PREPARE,
// EXECUTE, DECLARE, CALL, GRANT, VACUUM, BEGIN/COMMIT/SAVEPOINT… are
// refused. So are temporary tables, and the names PostgreSQL does not check
// against the current role (deniedNames): set_config and pg_settings (they
// could set "role", which PostgreSQL checks against the host's session
// user), the functions that run SQL given as text (query_to_xml, ts_stat
// …), pg_notify, session advisory locks, backend signalling, large objects
// and pg_temp. A statement that still ends with another current_user is
// rolled back and its connection discarded.
//
// # Transactions
//
// db-begin (Write only) pins a pooled connection and opens a transaction
// on it as the plugin's role. Each statement then runs inside a savepoint
// of its own: a statement that fails is rolled back to it and the
// transaction goes on, as on SQLite; a time-out, a cancellation, a
// serialization failure or deadlock, or a lost connection rolls the whole
// transaction back, and later statements get transaction_aborted until
// db-rollback. db-query inside a transaction runs READ ONLY in its
// savepoint, which is then rolled back. Close (the end of the hook call) and
// Config.MaxTxDuration roll back.
//
// # Values
//
// Conn.Query returns nil, int64 (smallint, integer, bigint, oid; boolean as
// 0/1), float64 (real, double precision), string (text types, numeric as
// its exact decimal text, uuid, json/jsonb as JSON text, intervals, enums,
// arrays and every other type as its PostgreSQL text form), []byte (bytea)
// and time.Time (date, timestamp, timestamptz). Execute's LastInsertID is
// the first column of the first row of a RETURNING clause when that is an
// integer (PostgreSQL has no last-insert id), else 0.
package pgdb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// Defaults for Options.
const (
	DefaultSchema         = "public"
	DefaultResyncInterval = time.Minute
	// InternalSchema is where the host keeps what plugins must never see
	// (the plugin KV); plugin roles get no privilege on it.
	InternalSchema = "wasmplug"
)

// Options configure a DB.
type Options struct {
	// Schema is the host schema whose tables plugins may be granted
	// (default "public").
	Schema string
	// Internal lists tables of Schema no plugin is ever granted, even with
	// an empty allow-list.
	Internal []string
	// ResyncInterval bounds how long a plugin role's grants go unchecked
	// (default one minute).
	ResyncInterval time.Duration
}

// DB runs plugin SQL on PostgreSQL. It is safe for concurrent use.
type DB struct {
	db       *sql.DB
	cfg      sqldb.Config
	schema   string
	internal []string
	resync   time.Duration
	dbTag    string
	log      *slog.Logger

	gen     atomic.Int64 // bumped when a plugin statement changes the schema
	columns sqldb.ColumnCache
	mu      sync.Mutex
	roles   map[string]*roleState
}

var _ sqldb.Backend = (*DB)(nil)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// New returns a DB over db, which must be a pgx database. It checks that
// the server is one a plugin role can be confined on: PUBLIC may not
// create objects in the host schema (PostgreSQL 15's default; New revokes
// it if the host may, and fails otherwise).
func New(ctx context.Context, db *sql.DB, cfg sqldb.Config, opts Options) (*DB, error) {
	if DialectOf(db) != sqldb.Postgres {
		return nil, fmt.Errorf("pgdb: the database driver is %T, not pgx", db.Driver())
	}
	d := &DB{db: db, cfg: cfg.WithDefaults(), schema: opts.Schema, internal: opts.Internal,
		resync: opts.ResyncInterval, roles: map[string]*roleState{}, columns: sqldb.ColumnCache{TTL: sqldb.DefaultColumnTTL}}
	if d.schema == "" {
		d.schema = DefaultSchema
	}
	if !identRE.MatchString(d.schema) {
		return nil, fmt.Errorf("pgdb: bad schema name %q", d.schema)
	}
	if d.resync <= 0 {
		d.resync = DefaultResyncInterval
	}
	d.log = d.cfg.Logger
	var name string
	var publicCreate bool
	err := db.QueryRowContext(ctx, `SELECT current_database(),
       EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(n.nspacl) a
               WHERE n.nspname = $1 AND a.grantee = 0 AND a.privilege_type = 'CREATE')`, d.schema).Scan(&name, &publicCreate)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	d.dbTag = databaseTag(name)
	if publicCreate {
		if _, err := db.ExecContext(ctx, "REVOKE CREATE ON SCHEMA "+d.schema+" FROM PUBLIC"); err != nil {
			return nil, fmt.Errorf("pgdb: every role may create objects in schema %s (run REVOKE CREATE ON SCHEMA %s FROM PUBLIC as its owner): %w", d.schema, d.schema, err)
		}
	}
	return d, nil
}

// Open implements sqldb.Backend: the session of one hook call.
func (d *DB) Open(pluginID string, perm sqldb.Permissions) sqldb.Conn {
	return &conn{d: d, plugin: pluginID, perm: perm, log: d.log.With("plugin", pluginID)}
}

// Dialect implements sqldb.Backend: sqldb.Postgres.
func (d *DB) Dialect() sqldb.Dialect { return sqldb.Postgres }

// Config implements sqldb.Backend.
func (d *DB) Config() sqldb.Config { return d.cfg }

// Role returns the PostgreSQL role pluginID's statements run as.
func (d *DB) Role(pluginID string) string { return RoleName(d.dbTag, pluginID) }

// DialectOf reports the dialect of db's driver: Postgres for pgx, SQLite
// for anything else.
func DialectOf(db *sql.DB) sqldb.Dialect {
	if _, ok := db.Driver().(*stdlib.Driver); ok {
		return sqldb.Postgres
	}
	return sqldb.SQLite
}

// IsDSN reports whether s names a PostgreSQL server (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Rebind rewrites the host's SQLite-style placeholders for dialect: on
// Postgres, ?NNN becomes $NNN and each bare ? the next $n; on SQLite q is
// returned as is. Quoted strings and identifiers are left alone. It is for
// the host's own statements, not plugin SQL.
func Rebind(dialect sqldb.Dialect, q string) string {
	if dialect != sqldb.Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'', '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + q[i+1:j])
				i = j - 1
			} else {
				n++
				b.WriteString("$" + strconv.Itoa(n))
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
