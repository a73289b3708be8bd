// Package sqldb runs plugin SQL on the host database: host-api db-query,
// db-execute, db-begin, db-commit and db-rollback.
//
// A DB wraps the host's *sql.DB (the embedded SQLite of package sqlitedb by
// default). Each hook call gets its own Session, which carries the plugin's
// Permissions and its open transaction, if any; Close, called when the hook
// call ends, rolls that transaction back.
//
// # What is enforced
//
// Permissions are enforced by SQLite itself: every plugin statement is
// compiled with an authorizer (sqlite3_set_authorizer, exposed by
// modernc.org/sqlite) installed on the connection that runs it and removed
// before the connection goes back to the pool. The authorizer sees every
// table each statement reads or writes, including through views and trigger
// bodies, so:
//
//   - db-query cannot modify anything: INSERT/UPDATE/DELETE (also with
//     RETURNING), DDL, PRAGMAs that change settings, ATTACH and VACUUM are
//     refused while the statement is compiled, before it runs.
//   - db-execute needs Write; DDL also needs Schema; triggers need Schema and
//     no allow-list.
//   - with an allow-list, every table read or written must be listed.
//   - BEGIN/COMMIT/ROLLBACK/SAVEPOINT in SQL text are refused (use db-begin…),
//     as are ATTACH/DETACH, VACUUM, temp objects, virtual tables,
//     load_extension and the geopoly and rtree functions.
//
// # Transactions
//
// db-begin, db-commit and db-rollback need Write: db-begin pins one pooled
// connection to the session and opens a transaction on it, which takes the
// database's write lock at once (BEGIN IMMEDIATE, see package sqlitedb); a
// plugin with Read only has db-query, each statement a consistent snapshot
// of its own. Statements then run inside the transaction until
// db-commit or db-rollback; Close rolls it back, and so does
// Config.MaxTxDuration as a backstop. If a statement fails in a way that
// may have ended the transaction (time-out, cancellation, SQLITE_BUSY,
// SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM), the session rolls it back and
// refuses further statements with "transaction_aborted" until the plugin
// calls db-rollback (or db-commit, which reports the abort): statements
// written for a transaction never run in autocommit mode by accident.
//
// Independently, SQL text holding more than one statement is refused before
// it reaches the driver. If the driver connection does not support an
// authorizer (not modernc.org/sqlite), every statement is refused with code
// "unsupported": the package fails closed rather than run unchecked SQL.
//
// # Resource limits
//
// A plugin statement is compiled and run under SQLite's own limits
// (sqlite3_limit), set on its connection after the authorizer and put back
// before the connection returns to the pool (a connection whose limits
// cannot be put back is discarded), so the host's statements keep SQLite's
// defaults. Each is a Config field:
//
//   - MaxValueBytes (SQLITE_LIMIT_LENGTH, 1 MiB) bounds every string, BLOB
//     and row the statement reads, binds or computes. randomblob(999999999)
//     used to run 25 s past the 5 s limit in one uninterruptible step and
//     take 1 GB; now it, printf('%.*c', …), zeroblob, replace, ||, a
//     doubling recursive CTE and group_concat stop at 1 MiB with
//     "too_large" (SQLITE_TOOBIG) before allocating.
//   - MaxSQLBytes, MaxParams, MaxColumns, MaxExprDepth, MaxCompoundSelect,
//     MaxFunctionArgs, MaxLikePatternBytes, MaxTriggerDepth and
//     MaxProgramOps (SQLITE_LIMIT_VDBE_OP) bound the statement's shape;
//     SQLite refuses it while compiling ("sql_error" with SQLite's message,
//     "too_large" for the program size). No ATTACH, no sorter threads.
//
// Time: the statement's context (StatementTimeout, and the caller's) makes
// the driver interrupt it (sqlite3_interrupt, and a progress handler every
// 1000 VDBE steps), but SQLite notices an interrupt only between loop
// iterations. Work done without looping is bounded at compile time
// instead: one step handles at most MaxValueBytes, and the authorizer
// charges every function call the statement compiles against
// MaxFunctionCost (a call 1, like/glob 10). Three built-ins cost the
// product of their arguments' sizes in one step: instr(X,Y) and
// replace(X,Y,Z) (13 s on 1 MiB) and trim/ltrim/rtrim(X,Y) (114 s on
// 256 KiB with a 20 000-character set). A statement that calls them (found
// in its EXPLAIN listing, which shows the arity) costs 25 per call and runs
// with MaxQuadraticValueBytes as its value limit (128 KiB; a sixteenth of
// that with the trim family). The geopoly and rtree functions (15 s for
// geopoly_overlap on 0.5 MB polygons) are refused. A statement over budget
// fails with "too_large" before it runs.
//
// Memory: SQLite keeps each constant sub-expression of a statement (a
// parameter concatenated with a literal, say) for the statement's life,
// so one statement can hold as many MaxValueBytes values as its SQL text
// has room for: ~2 GB for 2 000 of them. No per-connection limit bounds
// that; SQLite's heap limit does, and it is process-wide (one SQLite heap
// per process in modernc.org/sqlite, which also needs memory accounting
// turned on before SQLite initializes). The host turns it on with
// sqlitedb.SetHeapLimit before opening its first database; a statement
// reaching it fails with "too_large" (SQLITE_NOMEM) and the process keeps
// its memory. Temporary b-trees and sorts spill to temporary files (SQLite's
// default temp_store) within each connection's cache_size.
package sqldb

import (
	"database/sql"
	"log/slog"
	"time"
)

// Defaults for Config.
const (
	DefaultMaxRows          = 1000
	DefaultStatementTimeout = 5 * time.Second
	DefaultMaxTxDuration    = 30 * time.Second
	DefaultMaxResultBytes   = 4 << 20
	DefaultMaxSQLBytes      = 64 << 10
	DefaultMaxParams        = 999

	// SQLite limits of plugin statements; see Config and "Resource limits"
	// in the package documentation.
	DefaultMaxValueBytes          = 1 << 20
	DefaultMaxQuadraticValueBytes = 128 << 10
	DefaultMaxFunctionCost        = 100
	DefaultMaxProgramOps          = 20000
	DefaultMaxColumns             = 100
	DefaultMaxExprDepth           = 100
	DefaultMaxCompoundSelect      = 50
	DefaultMaxFunctionArgs        = 100
	DefaultMaxLikePatternBytes    = 100
	DefaultMaxTriggerDepth        = 10
)

// Config bounds what plugin SQL may cost. Zero fields take the defaults.
type Config struct {
	// MaxRows is the most rows db-query returns; more set "truncated": true.
	MaxRows int
	// StatementTimeout bounds each statement (its context is also the caller's).
	StatementTimeout time.Duration
	// MaxTxDuration bounds a transaction opened by db-begin, in case the
	// session is never closed; when it passes the transaction is rolled back.
	MaxTxDuration time.Duration
	// MaxResultBytes bounds the JSON text of one query result.
	MaxResultBytes int
	// MaxSQLBytes bounds the SQL text of one statement.
	MaxSQLBytes int
	// MaxParams bounds the number of parameters (and the highest ?NNN,
	// SQLITE_LIMIT_VARIABLE_NUMBER).
	MaxParams int

	// The fields below are SQLite's own limits (sqlite3_limit), set on the
	// connection for each plugin statement and put back before the
	// connection returns to the pool, so the host's statements keep
	// SQLite's defaults. See "Resource limits" in the package documentation.

	// MaxValueBytes bounds every string or BLOB a statement reads, binds or
	// computes, and every row it builds (SQLITE_LIMIT_LENGTH): randomblob,
	// zeroblob, printf, replace, group_concat, ||, a column value read from
	// a table... Past it the statement fails with "too_large" at once.
	MaxValueBytes int
	// MaxQuadraticValueBytes replaces MaxValueBytes for a statement that calls
	// instr(X,Y) or replace(X,Y,Z), whose single call costs |X|·|Y|;
	// trim, ltrim and rtrim with a character set (cost |X| times the
	// characters of the set, each compared separately) get a sixteenth of it.
	MaxQuadraticValueBytes int
	// MaxFunctionCost bounds the function calls of one statement, counted
	// while SQLite compiles it: each function costs 1, like/glob 10, instr,
	// replace and trim/ltrim/rtrim with a character set 25. SQLite notices
	// an interrupt (the statement time limit) only between loop iterations,
	// so this bounds the work a statement does without one.
	MaxFunctionCost int
	// MaxProgramOps bounds the size of the compiled statement, in VDBE
	// instructions (SQLITE_LIMIT_VDBE_OP; SQLite enforces it in steps of
	// powers of two, so the real cap lies between half of it and it).
	MaxProgramOps int
	// MaxColumns bounds the columns of a result, table, index, ORDER BY or
	// GROUP BY (SQLITE_LIMIT_COLUMN).
	MaxColumns int
	// MaxExprDepth bounds the nesting of an expression (SQLITE_LIMIT_EXPR_DEPTH).
	MaxExprDepth int
	// MaxCompoundSelect bounds the terms of a UNION/INTERSECT/EXCEPT
	// (SQLITE_LIMIT_COMPOUND_SELECT).
	MaxCompoundSelect int
	// MaxFunctionArgs bounds the arguments of one function call
	// (SQLITE_LIMIT_FUNCTION_ARG).
	MaxFunctionArgs int
	// MaxLikePatternBytes bounds a LIKE or GLOB pattern, whose cost is the
	// subject's length times the pattern's (SQLITE_LIMIT_LIKE_PATTERN_LENGTH).
	MaxLikePatternBytes int
	// MaxTriggerDepth bounds triggers firing triggers (SQLITE_LIMIT_TRIGGER_DEPTH).
	MaxTriggerDepth int
	// Logger receives refusals and failures at debug level (default slog.Default()).
	Logger *slog.Logger
}

// WithDefaults returns c with its zero fields set to the defaults, as New
// does; other backends (package pgdb) use it.
func (c Config) WithDefaults() Config { return c.withDefaults() }

func (c Config) withDefaults() Config {
	if c.MaxRows <= 0 {
		c.MaxRows = DefaultMaxRows
	}
	if c.StatementTimeout <= 0 {
		c.StatementTimeout = DefaultStatementTimeout
	}
	if c.MaxTxDuration <= 0 {
		c.MaxTxDuration = DefaultMaxTxDuration
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = DefaultMaxResultBytes
	}
	if c.MaxSQLBytes <= 0 {
		c.MaxSQLBytes = DefaultMaxSQLBytes
	}
	if c.MaxParams <= 0 {
		c.MaxParams = DefaultMaxParams
	}
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&c.MaxValueBytes, DefaultMaxValueBytes},
		{&c.MaxQuadraticValueBytes, DefaultMaxQuadraticValueBytes},
		{&c.MaxFunctionCost, DefaultMaxFunctionCost},
		{&c.MaxProgramOps, DefaultMaxProgramOps},
		{&c.MaxColumns, DefaultMaxColumns},
		{&c.MaxExprDepth, DefaultMaxExprDepth},
		{&c.MaxCompoundSelect, DefaultMaxCompoundSelect},
		{&c.MaxFunctionArgs, DefaultMaxFunctionArgs},
		{&c.MaxLikePatternBytes, DefaultMaxLikePatternBytes},
		{&c.MaxTriggerDepth, DefaultMaxTriggerDepth},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	// The quadratic cap only ever lowers the value limit.
	c.MaxQuadraticValueBytes = min(c.MaxQuadraticValueBytes, c.MaxValueBytes)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// DB runs plugin SQL on a host database. It is safe for concurrent use.
type DB struct {
	db      *sql.DB
	cfg     Config
	columns ColumnCache
}

// New returns a DB over db.
func New(db *sql.DB, cfg Config) *DB {
	return &DB{db: db, cfg: cfg.withDefaults(), columns: ColumnCache{TTL: DefaultColumnTTL}}
}

// Config returns the configuration in force (with defaults filled in).
func (d *DB) Config() Config { return d.cfg }

// Session starts the database session of one hook call of pluginID. The
// caller must Close it when the call ends.
func (d *DB) Session(pluginID string, perm Permissions) *Session {
	return &Session{d: d, plugin: pluginID, perm: perm,
		log: d.cfg.Logger.With("plugin", pluginID)}
}
