package pgdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// classifyErr maps a failure of a plugin statement to the sqldb error a
// plugin receives, by SQLSTATE:
//
//	42501 insufficient_privilege, 25006 read_only_sql_transaction,
//	42939 reserved_name, 2F003/38003 prohibited statements  → permission_denied
//	57014 query_canceled (statement_timeout)                → timeout
//	54xxx program limits, 53xxx out of memory/disk, 22001
//	string too long, 22003 numeric out of range             → too_large
//	25P02 in_failed_sql_transaction                         → transaction_aborted
//	23xxx integrity constraint violation                    → constraint
//	anything else                                           → sql_error
//
// A row larger than the result limit arrives as a protocol message pgx
// refuses (pgproto3.ExceededMaxBodyLenErr) → result_too_large.
func (c *conn) classifyErr(ctx, stmtCtx context.Context, err error) *sqldb.Error {
	var e *sqldb.Error
	if errors.As(err, &e) {
		cp := *e
		return &cp
	}
	var big *pgproto3.ExceededMaxBodyLenErr
	if errors.As(err, &big) {
		return &sqldb.Error{Code: sqldb.CodeResultTooLarge, Err: err,
			Message: fmt.Sprintf("a row exceeds %d bytes; select fewer or smaller columns", c.d.cfg.MaxResultBytes)}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		code := sqldb.CodeSQLError
		switch {
		case pe.Code == "42501" || pe.Code == "42939" || pe.Code == "2F003" || pe.Code == "38003":
			code = sqldb.CodePermissionDenied
		case pe.Code == "25006":
			return &sqldb.Error{Code: sqldb.CodePermissionDenied, Err: err,
				Message: "db-query is read-only; use db-execute to modify the database (" + pe.Message + ")"}
		case pe.Code == "57014":
			if ctx.Err() != nil {
				return &sqldb.Error{Code: sqldb.CodeTimeout, Err: err, Message: fmt.Sprintf("the call was cancelled: %v", context.Cause(ctx))}
			}
			return &sqldb.Error{Code: sqldb.CodeTimeout, Err: err, Message: fmt.Sprintf("statement exceeded %s", c.d.cfg.StatementTimeout)}
		case pe.Code == "25P02":
			code = sqldb.CodeTxAborted
		case len(pe.Code) == 5 && pe.Code[:2] == "23":
			code = sqldb.CodeConstraint
		case len(pe.Code) == 5 && (pe.Code[:2] == "54" || pe.Code[:2] == "53") || pe.Code == "22001" || pe.Code == "22003":
			code = sqldb.CodeTooLarge
		}
		return &sqldb.Error{Code: code, Err: err, Message: pe.Message}
	}
	switch {
	case ctx.Err() != nil:
		return &sqldb.Error{Code: sqldb.CodeTimeout, Err: err, Message: fmt.Sprintf("the call was cancelled: %v", context.Cause(ctx))}
	case stmtCtx != nil && errors.Is(stmtCtx.Err(), context.DeadlineExceeded):
		return &sqldb.Error{Code: sqldb.CodeTimeout, Err: err, Message: fmt.Sprintf("statement exceeded %s", c.d.cfg.StatementTimeout)}
	}
	return &sqldb.Error{Code: sqldb.CodeSQLError, Err: err, Message: err.Error()}
}

// txLost reports whether err, from a statement inside a plugin transaction,
// ended that transaction (as sqldb does on SQLite): a time-out or
// cancellation, a serialization failure or deadlock, a lost connection.
// Other failures only roll back to the statement's savepoint.
func txLost(stmtCtx context.Context, err error) bool {
	if stmtCtx.Err() != nil {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "57014", pe.Code == "40001", pe.Code == "40P01", pe.Code == "25P02",
			pe.Code[:2] == "08", pe.Code[:2] == "53", pe.Code[:2] == "57", pe.Code[:2] == "58", pe.Code == "XX000":
			return true
		}
		return false
	}
	var e *sqldb.Error
	if errors.As(err, &e) {
		return e.Err != nil && txLost(stmtCtx, e.Err) || e.Code == sqldb.CodeResultTooLarge && e.Err != nil
	}
	return true // the connection itself failed
}
