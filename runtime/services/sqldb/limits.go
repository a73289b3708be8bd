package sqldb

import (
	"database/sql"
	"database/sql/driver"
	"fmt"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteLimit is one sqlite3_limit category and the value plugin statements run with.
type sqliteLimit struct {
	id    int
	name  string
	value int
}

func (c Config) sqliteLimits() []sqliteLimit {
	return []sqliteLimit{
		{sqlite3.SQLITE_LIMIT_LENGTH, "LENGTH", c.MaxValueBytes},
		{sqlite3.SQLITE_LIMIT_SQL_LENGTH, "SQL_LENGTH", c.MaxSQLBytes},
		{sqlite3.SQLITE_LIMIT_COLUMN, "COLUMN", c.MaxColumns},
		{sqlite3.SQLITE_LIMIT_EXPR_DEPTH, "EXPR_DEPTH", c.MaxExprDepth},
		{sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, "COMPOUND_SELECT", c.MaxCompoundSelect},
		{sqlite3.SQLITE_LIMIT_FUNCTION_ARG, "FUNCTION_ARG", c.MaxFunctionArgs},
		{sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, "LIKE_PATTERN_LENGTH", c.MaxLikePatternBytes},
		{sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, "VARIABLE_NUMBER", c.MaxParams},
		{sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, "TRIGGER_DEPTH", c.MaxTriggerDepth},
		{sqlite3.SQLITE_LIMIT_ATTACHED, "ATTACHED", 0},
		{sqlite3.SQLITE_LIMIT_WORKER_THREADS, "WORKER_THREADS", 0},
	}
}

// applyLimits lowers conn's SQLite limits to the plugin's and returns a
// function that puts the previous values back.
func applyLimits(conn *sql.Conn, limits []sqliteLimit) (restore func() error, err error) {
	prev := make([]sqliteLimit, 0, len(limits))
	restore = func() error {
		var first error
		for i := len(prev) - 1; i >= 0; i-- {
			if _, err := sqlite.Limit(conn, prev[i].id, prev[i].value); err != nil && first == nil {
				first = err
			}
		}
		if first != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		return first
	}
	for _, l := range limits {
		old, err := sqlite.Limit(conn, l.id, l.value)
		if err != nil {
			_ = restore()
			return nil, fmt.Errorf("setting SQLITE_LIMIT_%s: %w", l.name, err)
		}
		prev = append(prev, sqliteLimit{l.id, l.name, old})
	}
	return restore, nil
}
