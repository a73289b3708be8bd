package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// QueryResult is the outcome of db-query.
type QueryResult struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Truncated is set when the query had more than Config.MaxRows rows.
	Truncated bool `json:"truncated,omitempty"`
}

// ExecResult is the outcome of db-execute.
type ExecResult struct {
	RowsAffected int64 `json:"rows_affected"`
	LastInsertID int64 `json:"last_insert_id"`
}

// Session is one hook call's view of the database. Its methods are safe for
// concurrent use, though a wasm instance calls them one at a time.
type Session struct {
	d      *DB
	plugin string
	perm   Permissions
	log    *slog.Logger

	mu       sync.Mutex
	closed   bool
	aborted  string    // why the transaction was lost; "" if it was not
	conn     *sql.Conn // pinned while a transaction is open
	tx       *sql.Tx
	txCancel context.CancelFunc
}

// Query runs a read-only statement and returns its rows.
func (s *Session) Query(ctx context.Context, query string, params []any) (*QueryResult, error) {
	if !s.perm.Read {
		return nil, s.refuse(ctx, newErr(CodePermissionDenied, nil, "plugin %s may not read the database", s.plugin))
	}
	var res *QueryResult
	err := s.run(ctx, query, len(params), kindQuery, func(ctx context.Context, st *sql.Stmt) error {
		rows, err := st.QueryContext(ctx, params...)
		if err != nil {
			return err
		}
		defer rows.Close()
		res, err = s.collect(rows)
		if err != nil {
			return err
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Execute runs a statement that modifies the database.
func (s *Session) Execute(ctx context.Context, query string, params []any) (*ExecResult, error) {
	if !s.perm.Write {
		return nil, s.refuse(ctx, newErr(CodePermissionDenied, nil, "plugin %s may not write to the database", s.plugin))
	}
	var res ExecResult
	err := s.run(ctx, query, len(params), kindExecute, func(ctx context.Context, st *sql.Stmt) error {
		r, err := st.ExecContext(ctx, params...)
		if err != nil {
			return err
		}
		if res.RowsAffected, err = r.RowsAffected(); err != nil {
			return err
		}
		res.LastInsertID, err = r.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.perm.Schema { // the statement may have been DDL
		s.d.columns.Invalidate()
	}
	return &res, nil
}

// Begin opens a transaction that later statements of this session run in.
// It needs Write: a transaction takes the database's write lock at BEGIN
// (BEGIN IMMEDIATE), and a plugin that may only read has db-query alone.
// The transaction ends at Commit, Rollback, Close, or after
// Config.MaxTxDuration, whichever comes first.
func (s *Session) Begin(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrSessionClosed
	}
	if err := s.mayTransact(ctx, "db-begin"); err != nil {
		return err
	}
	if s.tx != nil {
		return s.refuse(ctx, newErr(CodeTransactionOpen, nil, "a transaction is already open"))
	}
	if s.aborted != "" {
		return s.refuse(ctx, s.abortedErr())
	}
	// The transaction must outlive the host call that opened it (it lasts
	// until the hook call ends), so it does not inherit ctx's cancellation;
	// it gets its own deadline instead.
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.cfg.MaxTxDuration)
	conn, err := s.d.db.Conn(ctx)
	if err != nil {
		cancel()
		return newErr(CodeSQLError, err, "begin: %v", err)
	}
	tx, err := conn.BeginTx(txCtx, nil)
	if err != nil {
		cancel()
		conn.Close()
		return newErr(CodeSQLError, err, "begin: %v", err)
	}
	s.conn, s.tx, s.txCancel = conn, tx, cancel
	return nil
}

// Commit commits the open transaction.
func (s *Session) Commit(ctx context.Context) error {
	return s.finish(ctx, true)
}

// Rollback rolls the open transaction back.
func (s *Session) Rollback(ctx context.Context) error {
	return s.finish(ctx, false)
}

func (s *Session) finish(ctx context.Context, commit bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrSessionClosed
	}
	fn := "db-rollback"
	if commit {
		fn = "db-commit"
	}
	if err := s.mayTransact(ctx, fn); err != nil {
		return err
	}
	if s.aborted != "" {
		// The transaction is already gone: a rollback acknowledges that,
		// a commit cannot succeed. Either way the session is usable again.
		e := s.abortedErr()
		s.aborted = ""
		if commit {
			return s.refuse(ctx, e)
		}
		return nil
	}
	if s.tx == nil {
		return s.refuse(ctx, newErr(CodeNoTransaction, nil, "no transaction is open"))
	}
	err := s.endTxLocked(commit)
	switch {
	case errors.Is(err, sql.ErrTxDone):
		return newErr(CodeTxAborted, err, "the transaction was rolled back: it exceeded %s", s.d.cfg.MaxTxDuration)
	case err != nil:
		return newErr(CodeSQLError, err, "%v", err)
	}
	return nil
}

// mayTransact refuses the transaction functions to a plugin without Write.
func (s *Session) mayTransact(ctx context.Context, fn string) error {
	if s.perm.Write {
		return nil
	}
	return s.refuse(ctx, newErr(CodePermissionDenied, nil, "plugin %s may not use %s: transactions need write permission", s.plugin, fn))
}

func (s *Session) abortedErr() *Error {
	return newErr(CodeTxAborted, nil, "the transaction was rolled back (%s); call db-rollback before going on", s.aborted)
}

func (s *Session) endTxLocked(commit bool) error {
	var err error
	if commit {
		err = s.tx.Commit()
	} else {
		err = s.tx.Rollback()
	}
	s.txCancel()
	s.conn.Close()
	s.tx, s.conn, s.txCancel = nil, nil, nil
	return err
}

// InTransaction reports whether a transaction is open.
func (s *Session) InTransaction() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx != nil
}

// Close ends the session: an open transaction is rolled back. Later calls
// fail with ErrSessionClosed. Close is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.tx == nil {
		return nil
	}
	s.log.DebugContext(context.Background(), "sqldb: rolling back transaction left open at end of call")
	if err := s.endTxLocked(false); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("sqldb: rollback at close: %w", err)
	}
	return nil
}

// queryer is a *sql.Conn or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// run checks query, then runs fn on it, compiled on a connection with the
// plugin's authorizer installed (the transaction's connection if one is open,
// or a connection taken from the pool for this statement) and under the
// plugin's SQLite limits (see compileAndRun).
func (s *Session) run(ctx context.Context, query string, nParams int, kind stmtKind, fn func(context.Context, *sql.Stmt) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrSessionClosed
	}
	if s.aborted != "" {
		// Never let statements the plugin meant for a transaction run in
		// autocommit mode.
		return s.refuse(ctx, s.abortedErr())
	}
	if len(query) > s.d.cfg.MaxSQLBytes {
		return s.refuse(ctx, newErr(CodeBadSQL, nil, "SQL is %d bytes, limit %d", len(query), s.d.cfg.MaxSQLBytes))
	}
	switch n := countStatements(query); {
	case n == 0:
		return s.refuse(ctx, newErr(CodeBadSQL, nil, "empty SQL"))
	case n > 1:
		return s.refuse(ctx, newErr(CodeBadSQL, nil, "SQL holds %d statements; send one at a time", n))
	}

	stmtCtx, cancel := context.WithTimeout(ctx, s.d.cfg.StatementTimeout)
	defer cancel()

	conn := s.conn
	var q queryer = s.tx
	if conn == nil {
		c, err := s.d.db.Conn(stmtCtx)
		if err != nil {
			return s.classify(ctx, stmtCtx, nil, err)
		}
		defer c.Close()
		conn, q = c, c
	}
	pol := newPolicy(s.perm, kind)
	if err := setAuthorizer(conn, pol.allow); err != nil {
		return s.classify(ctx, stmtCtx, nil, err)
	}
	runErr := s.compileAndRun(stmtCtx, conn, q, pol, query, nParams, fn)
	if err := setAuthorizer(conn, nil); err != nil {
		// The connection still carries the plugin's policy; setAuthorizer
		// has told database/sql to discard it.
		s.log.DebugContext(ctx, "sqldb: removing authorizer failed", "err", err)
	}
	if runErr != nil {
		e := s.classify(ctx, stmtCtx, pol, runErr)
		if s.tx != nil && txLost(stmtCtx, runErr) {
			// SQLite may have rolled the transaction back by itself (see
			// https://www.sqlite.org/lang_transaction.html, "Response To
			// Errors Within A Transaction"); make sure it is gone, and
			// refuse further statements until the plugin acknowledges it.
			_ = s.endTxLocked(false)
			s.aborted = string(e.Code)
			e.Message += "; the transaction was rolled back"
			if e.Code == CodeNoTransaction {
				e.Code = CodeTxAborted
			}
		}
		return e
	}
	return nil
}

// txLost reports whether err, from a statement inside a transaction, may
// have ended that transaction.
func txLost(stmtCtx context.Context, err error) bool {
	if stmtCtx.Err() != nil || errors.Is(err, sql.ErrTxDone) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_INTERRUPT:
			return true
		}
	}
	return false
}

// setAuthorizer installs fn (or removes the authorizer when fn is nil) on
// the physical connection behind conn.
func setAuthorizer(conn *sql.Conn, fn sqlite.AuthorizerFn) error {
	return conn.Raw(func(dc any) error {
		r, ok := dc.(sqlite.AuthorizerRegisterer)
		if !ok {
			return newErr(CodeUnsupported, nil, "the database driver (%T) cannot enforce plugin permissions", dc)
		}
		if err := r.RegisterAuthorizer(fn); err != nil {
			if fn == nil {
				// Never hand a restricted connection back to the pool.
				return driver.ErrBadConn
			}
			return newErr(CodeSQLError, err, "installing authorizer: %v", err)
		}
		return nil
	})
}

func (s *Session) classify(ctx, stmtCtx context.Context, pol *policy, err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		cp := *e // callers may amend the message
		e = &cp
	case pol != nil && pol.denied != "":
		e = newErr(CodePermissionDenied, err, "%s", pol.denied)
	case ctx.Err() != nil:
		e = newErr(CodeTimeout, err, "the call was cancelled: %v", context.Cause(ctx))
	case errors.Is(stmtCtx.Err(), context.DeadlineExceeded):
		e = newErr(CodeTimeout, err, "statement exceeded %s", s.d.cfg.StatementTimeout)
	case errors.Is(err, sql.ErrTxDone):
		e = newErr(CodeNoTransaction, err, "the transaction has already ended: it exceeded %s", s.d.cfg.MaxTxDuration)
	default:
		e = newErr(CodeSQLError, err, "%v", err)
	}
	s.log.DebugContext(stmtCtx, "sqldb: statement refused", "code", e.Code, "err", e.Message)
	return e
}

func (s *Session) refuse(ctx context.Context, e *Error) error {
	s.log.DebugContext(ctx, "sqldb: refused", "code", e.Code, "err", e.Message)
	return e
}

// collect reads at most MaxRows rows, converting values to JSON-friendly ones.
func (s *Session) collect(rows *sql.Rows) (*QueryResult, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &QueryResult{Columns: cols, Rows: [][]any{}}
	size := 0
	for rows.Next() {
		if len(res.Rows) == s.d.cfg.MaxRows {
			res.Truncated = true
			break
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v)
			size += approxSize(vals[i])
		}
		if size > s.d.cfg.MaxResultBytes {
			return nil, newErr(CodeResultTooLarge, nil, "result exceeds %d bytes; select fewer rows or columns", s.d.cfg.MaxResultBytes)
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, nil
}

// normalize maps a scanned value to one of the Conn value types: nil,
// int64, float64, string, []byte or time.Time (the driver's own types for
// SQLite; other integer and float widths widened, bool as 0/1).
func normalize(v any) any {
	switch v := v.(type) {
	case nil, int64, float64, string, []byte, time.Time:
		return v
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case int16:
		return int64(v)
	case int8:
		return int64(v)
	case float32:
		return float64(v)
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	}
	return fmt.Sprint(v)
}

// jsonValue maps a scanned SQLite value to what the JSON result holds:
// INTEGER → number, REAL → number (NaN/±Inf → null), TEXT → string,
// BLOB → base64 string, NULL → null, a DATE/DATETIME/TIMESTAMP value the
// driver parsed → RFC 3339 string.
func jsonValue(v any) any {
	switch v := v.(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return v
}

func approxSize(v any) int {
	switch v := v.(type) {
	case string:
		return len(v) + 3
	case []byte:
		return len(v)*4/3 + 3
	default:
		return 24
	}
}

// marshal renders v as JSON, refusing results over the byte limit.
func marshal(v any, cfg Config) string {
	b, err := json.Marshal(v)
	if err != nil {
		return errorJSON(newErr(CodeSQLError, err, "encoding result: %v", err))
	}
	if len(b) > cfg.MaxResultBytes {
		return errorJSON(newErr(CodeResultTooLarge, nil, "result exceeds %d bytes; select fewer rows or columns", cfg.MaxResultBytes))
	}
	return string(b)
}

// compileAndRun sets the plugin's SQLite limits on conn, compiles query,
// refuses it if its function calls cost more than Config.MaxFunctionCost,
// lowers the value limit if it calls a quadratic function, and runs fn on
// it. The connection has its own limits back when compileAndRun returns.
func (s *Session) compileAndRun(ctx context.Context, conn *sql.Conn, q queryer, pol *policy, query string, nParams int, fn func(context.Context, *sql.Stmt) error) error {
	cfg := s.d.cfg
	lim, err := applyLimits(conn, cfg.sqliteLimits())
	defer func() {
		if err := lim.restore(); err != nil {
			s.log.DebugContext(ctx, "sqldb: restoring SQLite limits failed; connection discarded", "err", err)
		}
	}()
	if err != nil {
		return err
	}
	st, err := q.PrepareContext(ctx, query)
	if err != nil {
		if isSQLite(err, sqlite3.SQLITE_NOMEM) {
			return newErr(CodeTooLarge, err, "the statement is too large to compile: over about %d VDBE instructions, or more memory than the host allows", cfg.MaxProgramOps)
		}
		return err
	}
	defer st.Close()

	cost, valueLimit := pol.cost, cfg.MaxValueBytes
	if pol.quadNames > 0 {
		n, err := s.quadraticCalls(ctx, conn, q, pol, query, nParams)
		calls := n.substring + n.charSet
		if err != nil {
			// Assume the worst of every candidate the authorizer saw.
			s.log.DebugContext(ctx, "sqldb: listing the statement's program failed", "err", err)
			n = quadratic{substring: pol.quadNames, charSet: pol.quadNames}
			calls = pol.quadNames
		}
		// The authorizer charged each of them as an ordinary call already.
		cost += (costQuadratic - costFunction) * calls
		if n.substring > 0 {
			valueLimit = min(valueLimit, cfg.MaxQuadraticValueBytes)
		}
		if n.charSet > 0 {
			valueLimit = min(valueLimit, cfg.MaxQuadraticValueBytes/16)
		}
	}
	if cost > cfg.MaxFunctionCost {
		return newErr(CodeTooLarge, nil, "the statement's function calls cost %d, limit %d (a call costs %d, like and glob %d, instr, replace and trim with a character set %d)",
			cost, cfg.MaxFunctionCost, costFunction, costLike, costQuadratic)
	}
	if valueLimit < cfg.MaxValueBytes {
		if err := lim.set(sqlite3.SQLITE_LIMIT_LENGTH, valueLimit); err != nil {
			return newErr(CodeUnsupported, err, "lowering the value limit: %v", err)
		}
	}

	err = fn(ctx, st)
	switch {
	case err == nil:
		return nil
	case isSQLite(err, sqlite3.SQLITE_TOOBIG):
		why := ""
		if valueLimit < cfg.MaxValueBytes {
			why = fmt.Sprintf(" (lowered from %d because the statement calls instr, replace or trim with a character set)", cfg.MaxValueBytes)
		}
		return newErr(CodeTooLarge, err, "a string, BLOB or row exceeds the value limit of %d bytes%s", valueLimit, why)
	case isSQLite(err, sqlite3.SQLITE_NOMEM):
		return newErr(CodeTooLarge, err, "the statement needs more memory than the host allows")
	case isSQLite(err, sqlite3.SQLITE_CONSTRAINT):
		return newErr(CodeConstraint, err, "%v", err)
	}
	return err
}

// quadraticCalls lists query's program (see the function quadraticCalls)
// under an authorizer of its own, so that this second compilation does not
// count in pol, then puts pol's back.
func (s *Session) quadraticCalls(ctx context.Context, conn *sql.Conn, q queryer, pol *policy, query string, nParams int) (quadratic, error) {
	scratch := newPolicy(pol.perm, pol.kind)
	if err := setAuthorizer(conn, scratch.allow); err != nil {
		return quadratic{}, err
	}
	n, err := quadraticCalls(ctx, q, query, nParams)
	if aerr := setAuthorizer(conn, pol.allow); aerr != nil {
		return quadratic{}, errors.Join(err, aerr)
	}
	return n, err
}

// isSQLite reports whether err is an SQLite error with primary result code rc.
func isSQLite(err error, rc int) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == rc
}
