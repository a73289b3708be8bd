package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Function costs counted against Config.MaxFunctionCost while a statement
// compiles (see policy.allow). A unit is about the slowest linear built-in
// (randomblob) on a Config.MaxValueBytes value: ~30 ms at 1 MiB.
const (
	costFunction  = 1  // any function call
	costLike      = 10 // like, glob: subject length × pattern length
	costQuadratic = 25 // instr(X,Y), replace(X,Y,Z), trim/ltrim/rtrim(X,Y)
)

// quadraticCandidates are the functions that may cost the product of their
// arguments' sizes in one uninterruptible step; which of their calls do is
// settled by the arity SQLite compiled (see quadraticCalls).
var quadraticCandidates = map[string]bool{
	"instr": true, "replace": true, "trim": true, "ltrim": true, "rtrim": true,
}

// functionCost is the cost of one call of the function called name (lower case).
func functionCost(name string) int {
	switch name {
	case "like", "glob":
		return costLike
	}
	return costFunction
}

// deniedFunction reports whether plugins may not call the function at all:
// load_extension, and the geopoly/rtree extension functions, whose cost
// grows faster than their input (geopoly_overlap on two 0.5 MB polygons
// takes 15 s in one step).
func deniedFunction(name string) bool {
	return name == "load_extension" || strings.HasPrefix(name, "geopoly") || strings.HasPrefix(name, "rtree")
}

// sqliteLimit is one sqlite3_limit category and its value.
type sqliteLimit struct {
	id    int
	name  string
	value int
}

// sqliteLimits are the limits plugin statements are compiled and run with.
func (c Config) sqliteLimits() []sqliteLimit {
	return []sqliteLimit{
		{sqlite3.SQLITE_LIMIT_LENGTH, "LENGTH", c.MaxValueBytes},
		{sqlite3.SQLITE_LIMIT_SQL_LENGTH, "SQL_LENGTH", c.MaxSQLBytes},
		{sqlite3.SQLITE_LIMIT_COLUMN, "COLUMN", c.MaxColumns},
		{sqlite3.SQLITE_LIMIT_EXPR_DEPTH, "EXPR_DEPTH", c.MaxExprDepth},
		{sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, "COMPOUND_SELECT", c.MaxCompoundSelect},
		{sqlite3.SQLITE_LIMIT_VDBE_OP, "VDBE_OP", c.MaxProgramOps},
		{sqlite3.SQLITE_LIMIT_FUNCTION_ARG, "FUNCTION_ARG", c.MaxFunctionArgs},
		{sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, "LIKE_PATTERN_LENGTH", c.MaxLikePatternBytes},
		{sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, "VARIABLE_NUMBER", c.MaxParams},
		{sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, "TRIGGER_DEPTH", c.MaxTriggerDepth},
		{sqlite3.SQLITE_LIMIT_ATTACHED, "ATTACHED", 0},
		{sqlite3.SQLITE_LIMIT_WORKER_THREADS, "WORKER_THREADS", 0},
	}
}

// connLimits are the limits in force on one connection while a plugin
// statement runs on it.
type connLimits struct {
	conn *sql.Conn
	prev []sqliteLimit // the connection's values before; restored by restore
}

// applyLimits sets limits on conn. Call restore when the statement is done,
// whether applyLimits failed or not.
func applyLimits(conn *sql.Conn, limits []sqliteLimit) (*connLimits, error) {
	cl := &connLimits{conn: conn, prev: make([]sqliteLimit, 0, len(limits))}
	for _, l := range limits {
		old, err := sqlite.Limit(conn, l.id, l.value)
		if err != nil {
			return cl, newErr(CodeUnsupported, err, "the database driver cannot bound plugin statements: setting SQLITE_LIMIT_%s: %v", l.name, err)
		}
		if old < 0 {
			return cl, newErr(CodeUnsupported, nil, "the database driver does not know SQLITE_LIMIT_%s", l.name)
		}
		cl.prev = append(cl.prev, sqliteLimit{l.id, l.name, old})
	}
	return cl, nil
}

// set changes one limit for the rest of the statement.
func (cl *connLimits) set(id, value int) error {
	_, err := sqlite.Limit(cl.conn, id, value)
	return err
}

// restore puts the connection's own limits back. If it cannot, the
// connection is discarded rather than handed to the host with a plugin's
// limits.
func (cl *connLimits) restore() error {
	var errs []error
	for i := len(cl.prev) - 1; i >= 0; i-- {
		if _, err := sqlite.Limit(cl.conn, cl.prev[i].id, cl.prev[i].value); err != nil {
			errs = append(errs, fmt.Errorf("restoring SQLITE_LIMIT_%s: %w", cl.prev[i].name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		_ = cl.conn.Raw(func(any) error { return driver.ErrBadConn })
		return err
	}
	return nil
}

// quadratic counts a statement's calls whose cost is the product of their
// arguments' sizes.
type quadratic struct {
	substring int // instr(X,Y), replace(X,Y,Z)
	charSet   int // trim(X,Y), ltrim(X,Y), rtrim(X,Y)
}

// quadraticCalls reads the program SQLite compiled for query (EXPLAIN) and
// counts its quadratic calls: the authorizer names a function but not its
// arity, and trim(X) is linear while trim(X,Y) is not. Trigger programs are
// not part of the listing; their quadratic calls cost as much as the
// authorizer counted (a trigger needs the Schema permission or comes from the
// host).
func quadraticCalls(ctx context.Context, q queryer, query string, nParams int) (quadratic, error) {
	var n quadratic
	rows, err := q.QueryContext(ctx, "EXPLAIN "+query, make([]any, nParams)...)
	if err != nil {
		return n, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return n, err
	}
	if len(cols) < 6 || cols[1] != "opcode" || cols[5] != "p4" {
		return n, fmt.Errorf("unexpected EXPLAIN columns %q", cols)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		op, _ := vals[1].(string)
		p4, _ := vals[5].(string)
		if op != "Function" && op != "PureFunction" {
			continue
		}
		switch p4 {
		case "instr(2)", "replace(3)":
			n.substring++
		case "trim(2)", "ltrim(2)", "rtrim(2)":
			n.charSet++
		}
	}
	return n, rows.Err()
}
