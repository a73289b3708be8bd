package pgdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// fetchBatch is how many rows one FETCH of a db-query cursor asks for.
const fetchBatch = 64

// grace lets the server's statement_timeout fire before the client-side
// deadline, which would have to drop the connection.
const grace = time.Second

// conn is one hook call's session (sqldb.Conn).
type conn struct {
	d      *DB
	plugin string
	perm   sqldb.Permissions
	log    *slog.Logger

	mu       sync.Mutex
	closed   bool
	aborted  string
	sc       *sql.Conn // pinned while a transaction is open
	role     string    // of the open transaction
	txCancel context.CancelFunc
	txCtx    context.Context
}

func (c *conn) refuse(ctx context.Context, e *sqldb.Error) error {
	c.log.DebugContext(ctx, "pgdb: refused", "code", e.Code, "err", e.Message)
	return e
}

// Query runs a read-only statement and returns its rows.
func (c *conn) Query(ctx context.Context, query string, params []any) (*sqldb.QueryResult, error) {
	if !c.perm.Read {
		return nil, c.refuse(ctx, &sqldb.Error{Code: sqldb.CodePermissionDenied, Message: fmt.Sprintf("plugin %s may not read the database", c.plugin)})
	}
	var res *sqldb.QueryResult
	err := c.run(ctx, query, params, kindQuery, func(ctx context.Context, pc *pgx.Conn) error {
		r, err := c.fetch(ctx, pc, query, params)
		res = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Execute runs a statement that modifies the database.
func (c *conn) Execute(ctx context.Context, query string, params []any) (*sqldb.ExecResult, error) {
	if !c.perm.Write {
		return nil, c.refuse(ctx, &sqldb.Error{Code: sqldb.CodePermissionDenied, Message: fmt.Sprintf("plugin %s may not write to the database", c.plugin)})
	}
	var res sqldb.ExecResult
	err := c.run(ctx, query, params, kindExecute, func(ctx context.Context, pc *pgx.Conn) error {
		rows, err := pc.Query(ctx, query, append([]any{pgx.QueryExecModeDescribeExec}, params...)...)
		if err != nil {
			return err
		}
		first := true
		for rows.Next() {
			if !first {
				continue
			}
			first = false
			if vals, err := rows.Values(); err == nil && len(vals) > 0 {
				if n, ok := normalize(vals[0]).(int64); ok {
					res.LastInsertID = n
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		res.RowsAffected = rows.CommandTag().RowsAffected()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// fetch runs query as a cursor and reads at most MaxRows rows of it (one
// more to know whether there were more), within MaxResultBytes.
func (c *conn) fetch(ctx context.Context, pc *pgx.Conn, query string, params []any) (*sqldb.QueryResult, error) {
	cfg := c.d.cfg
	decl, err := pc.Query(ctx, "DECLARE wasmplug_cursor NO SCROLL CURSOR FOR "+query,
		append([]any{pgx.QueryExecModeDescribeExec}, params...)...)
	if err != nil {
		return nil, err
	}
	decl.Close()
	if err := decl.Err(); err != nil {
		return nil, err
	}
	res := &sqldb.QueryResult{Rows: [][]any{}}
	size := 0
	for {
		n := min(fetchBatch, cfg.MaxRows+1-len(res.Rows))
		rows, err := pc.Query(ctx, "FETCH FORWARD "+strconv.Itoa(n)+" FROM wasmplug_cursor", pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return nil, err
		}
		if res.Columns == nil {
			fds := rows.FieldDescriptions()
			res.Columns = make([]string, len(fds))
			for i, fd := range fds {
				res.Columns[i] = fd.Name
			}
		}
		got := 0
		var rowErr error
		for rows.Next() {
			got++
			if len(res.Rows) == cfg.MaxRows {
				res.Truncated = true
				break
			}
			vals, err := rows.Values()
			if err != nil {
				rowErr = err
				break
			}
			for i, v := range vals {
				vals[i] = normalize(v)
				size += approxSize(vals[i])
			}
			if size > cfg.MaxResultBytes {
				rowErr = &sqldb.Error{Code: sqldb.CodeResultTooLarge, Message: fmt.Sprintf("result exceeds %d bytes; select fewer rows or columns", cfg.MaxResultBytes)}
				break
			}
			res.Rows = append(res.Rows, vals)
		}
		rows.Close()
		if rowErr != nil {
			return nil, rowErr
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if res.Truncated || got < n {
			break
		}
	}
	if _, err := pc.Exec(ctx, "CLOSE wasmplug_cursor"); err != nil {
		return nil, err
	}
	return res, nil
}

// run checks query, then runs fn on a connection in a transaction as the
// plugin's role (see the package documentation): the open transaction's
// connection inside a savepoint, or a pooled connection in a transaction of
// the statement's own.
func (c *conn) run(ctx context.Context, query string, params []any, kind stmtKind, fn func(context.Context, *pgx.Conn) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return sqldb.ErrSessionClosed
	}
	if c.aborted != "" {
		return c.refuse(ctx, c.abortedErr())
	}
	cfg := c.d.cfg
	if len(query) > cfg.MaxSQLBytes {
		return c.refuse(ctx, &sqldb.Error{Code: sqldb.CodeBadSQL, Message: fmt.Sprintf("SQL is %d bytes, limit %d", len(query), cfg.MaxSQLBytes)})
	}
	if len(params) > cfg.MaxParams {
		return c.refuse(ctx, &sqldb.Error{Code: sqldb.CodeBadParams, Message: fmt.Sprintf("params: %d values, limit %d", len(params), cfg.MaxParams)})
	}
	st, err := classify(query, kind, c.perm)
	if err != nil {
		var e *sqldb.Error
		errors.As(err, &e)
		return c.refuse(ctx, e)
	}
	role := c.role
	if c.sc == nil {
		if role, err = c.d.role(ctx, c.plugin, c.perm); err != nil {
			return err
		}
	}
	stmtCtx, cancel := context.WithTimeout(ctx, cfg.StatementTimeout+grace)
	defer cancel()

	var runErr error
	inTx := c.sc != nil
	sc := c.sc
	if !inTx {
		if sc, err = c.d.db.Conn(stmtCtx); err != nil {
			return c.classify(ctx, stmtCtx, err)
		}
		defer sc.Close()
	}
	rawErr := sc.Raw(func(dc any) error {
		sdc, ok := dc.(*stdlib.Conn)
		if !ok {
			runErr = &sqldb.Error{Code: sqldb.CodeUnsupported, Message: fmt.Sprintf("the database driver (%T) is not pgx", dc)}
			return nil
		}
		pc := sdc.Conn()
		fe := pc.PgConn().Frontend()
		fe.SetMaxBodyLen(cfg.MaxResultBytes + 64<<10)
		defer fe.SetMaxBodyLen(0)
		runErr = c.statement(stmtCtx, pc, role, inTx, kind, fn)
		if pc.IsClosed() || pc.PgConn().TxStatus() != c.wantTxStatus(inTx) {
			// Broken, or left in a state no later user may inherit.
			_ = pc.Close(context.Background())
			return driver.ErrBadConn
		}
		return nil
	})
	if runErr == nil && rawErr != nil && !errors.Is(rawErr, driver.ErrBadConn) {
		runErr = rawErr
	}
	if runErr == nil && rawErr != nil && inTx {
		runErr = &sqldb.Error{Code: sqldb.CodeTxAborted, Message: "the transaction's connection was lost"}
	}
	if runErr != nil {
		e := c.classify(ctx, stmtCtx, runErr)
		if inTx && (txLost(stmtCtx, runErr) || rawErr != nil) {
			c.endTxLocked(false)
			c.aborted = string(e.Code)
			e.Message += "; the transaction was rolled back"
		}
		return e
	}
	if st.ddl {
		c.d.gen.Add(1)
		c.d.columns.Invalidate()
	}
	return nil
}

func (c *conn) wantTxStatus(inTx bool) byte {
	if inTx {
		return 'T'
	}
	return 'I'
}

// statement runs fn as role on pc: in a transaction of its own, or, inTx,
// in a savepoint of the open one. The transaction (savepoint) is committed
// (released) only if fn succeeded and the role is still the plugin's; a
// db-query's savepoint is always rolled back.
func (c *conn) statement(ctx context.Context, pc *pgx.Conn, role string, inTx bool, kind stmtKind, fn func(context.Context, *pgx.Conn) error) error {
	var setup string
	switch {
	case inTx && kind == kindQuery:
		setup = "SAVEPOINT wasmplug_stmt; SET TRANSACTION READ ONLY"
	case inTx:
		setup = "SAVEPOINT wasmplug_stmt"
	case kind == kindQuery:
		setup = "BEGIN READ ONLY; " + c.settings(role)
	default:
		setup = "BEGIN; " + c.settings(role)
	}
	if _, err := pc.Exec(ctx, setup); err != nil {
		if !inTx {
			rollback(pc)
		}
		return err
	}
	err := fn(ctx, pc)
	if err == nil {
		err = checkRole(ctx, pc, role)
	}
	switch {
	case inTx && (err != nil || kind == kindQuery):
		if _, rerr := pc.Exec(ctx, "ROLLBACK TO SAVEPOINT wasmplug_stmt; RELEASE SAVEPOINT wasmplug_stmt"); rerr != nil && err == nil {
			err = rerr
		}
	case inTx:
		if _, rerr := pc.Exec(ctx, "RELEASE SAVEPOINT wasmplug_stmt"); rerr != nil {
			err = rerr
		}
	case err != nil:
		rollback(pc)
	default:
		if _, cerr := pc.Exec(ctx, "COMMIT"); cerr != nil {
			err = cerr
		}
	}
	return err
}

func rollback(pc *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = pc.Exec(ctx, "ROLLBACK")
}

// settings are the SET LOCAL statements of a plugin transaction; the role
// comes last.
func (c *conn) settings(role string) string {
	cfg := c.d.cfg
	ms := strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	return "SET LOCAL search_path = " + pgx.Identifier{c.d.schema}.Sanitize() +
		"; SET LOCAL statement_timeout = " + ms +
		"; SET LOCAL lock_timeout = " + ms +
		"; SET LOCAL standard_conforming_strings = on" +
		"; SET LOCAL ROLE " + pgx.Identifier{role}.Sanitize()
}

// checkRole fails unless the statement left current_user the plugin's role.
func checkRole(ctx context.Context, pc *pgx.Conn, role string) error {
	var cur string
	if err := pc.QueryRow(ctx, "SELECT current_user", pgx.QueryExecModeSimpleProtocol).Scan(&cur); err != nil {
		return err
	}
	if cur != role {
		return &sqldb.Error{Code: sqldb.CodePermissionDenied, Message: "the statement changed its role; it was rolled back"}
	}
	return nil
}

func (c *conn) classify(ctx, stmtCtx context.Context, err error) *sqldb.Error {
	e := c.classifyErr(ctx, stmtCtx, err)
	c.log.DebugContext(ctx, "pgdb: statement failed", "code", e.Code, "err", e.Message)
	return e
}

func (c *conn) abortedErr() *sqldb.Error {
	return &sqldb.Error{Code: sqldb.CodeTxAborted, Message: fmt.Sprintf("the transaction was rolled back (%s); call db-rollback before going on", c.aborted)}
}

// Begin opens a transaction (Write only) that later statements run in.
func (c *conn) Begin(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return sqldb.ErrSessionClosed
	}
	if err := c.mayTransact(ctx, "db-begin"); err != nil {
		return err
	}
	if c.sc != nil {
		return c.refuse(ctx, &sqldb.Error{Code: sqldb.CodeTransactionOpen, Message: "a transaction is already open"})
	}
	if c.aborted != "" {
		return c.refuse(ctx, c.abortedErr())
	}
	role, err := c.d.role(ctx, c.plugin, c.perm)
	if err != nil {
		return err
	}
	// The transaction outlives the host call that opened it; it has a
	// deadline of its own instead of ctx's cancellation.
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.d.cfg.MaxTxDuration)
	sc, err := c.d.db.Conn(ctx)
	if err != nil {
		cancel()
		return &sqldb.Error{Code: sqldb.CodeSQLError, Err: err, Message: "begin: " + err.Error()}
	}
	err = sc.Raw(func(dc any) error {
		sdc, ok := dc.(*stdlib.Conn)
		if !ok {
			return &sqldb.Error{Code: sqldb.CodeUnsupported, Message: fmt.Sprintf("the database driver (%T) is not pgx", dc)}
		}
		_, err := sdc.Conn().Exec(ctx, "BEGIN; "+c.settings(role))
		return err
	})
	if err != nil {
		cancel()
		_ = sc.Raw(func(dc any) error {
			if sdc, ok := dc.(*stdlib.Conn); ok {
				rollback(sdc.Conn())
			}
			return nil
		})
		sc.Close()
		return c.classify(ctx, nil, err)
	}
	c.sc, c.role, c.txCtx, c.txCancel = sc, role, txCtx, cancel
	// MaxTxDuration: roll back a transaction left open too long.
	go func() {
		<-txCtx.Done()
		if !errors.Is(txCtx.Err(), context.DeadlineExceeded) {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.txCtx == txCtx && c.sc != nil {
			c.endTxLocked(false)
			c.aborted = "it exceeded " + c.d.cfg.MaxTxDuration.String()
		}
	}()
	return nil
}

// Commit commits the open transaction.
func (c *conn) Commit(ctx context.Context) error { return c.finish(ctx, true) }

// Rollback rolls the open transaction back.
func (c *conn) Rollback(ctx context.Context) error { return c.finish(ctx, false) }

func (c *conn) finish(ctx context.Context, commit bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return sqldb.ErrSessionClosed
	}
	fn := "db-rollback"
	if commit {
		fn = "db-commit"
	}
	if err := c.mayTransact(ctx, fn); err != nil {
		return err
	}
	if c.aborted != "" {
		e := c.abortedErr()
		c.aborted = ""
		if commit {
			return c.refuse(ctx, e)
		}
		return nil
	}
	if c.sc == nil {
		return c.refuse(ctx, &sqldb.Error{Code: sqldb.CodeNoTransaction, Message: "no transaction is open"})
	}
	if err := c.endTxLocked(commit); err != nil {
		return c.classify(ctx, nil, err)
	}
	return nil
}

// endTxLocked commits or rolls back the open transaction and unpins its
// connection (discarding it if it is not idle afterwards).
func (c *conn) endTxLocked(commit bool) error {
	stmt := "ROLLBACK"
	if commit {
		stmt = "COMMIT"
	}
	var err error
	rawErr := c.sc.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		ctx, cancel := context.WithTimeout(context.Background(), c.d.cfg.StatementTimeout+grace)
		defer cancel()
		var tag interface{ String() string }
		tag, err = pc.Exec(ctx, stmt)
		if err == nil && commit && tag.String() == "ROLLBACK" {
			err = &sqldb.Error{Code: sqldb.CodeTxAborted, Message: "the transaction had failed and was rolled back"}
		}
		if pc.IsClosed() || pc.PgConn().TxStatus() != 'I' {
			_ = pc.Close(context.Background())
			return driver.ErrBadConn
		}
		return nil
	})
	if err == nil && rawErr != nil && !errors.Is(rawErr, driver.ErrBadConn) {
		err = rawErr
	}
	c.txCancel()
	c.sc.Close()
	c.sc, c.role, c.txCtx, c.txCancel = nil, "", nil, nil
	return err
}

func (c *conn) mayTransact(ctx context.Context, fn string) error {
	if c.perm.Write {
		return nil
	}
	return c.refuse(ctx, &sqldb.Error{Code: sqldb.CodePermissionDenied, Message: fmt.Sprintf("plugin %s may not use %s: transactions need write permission", c.plugin, fn)})
}

// InTransaction reports whether a transaction is open.
func (c *conn) InTransaction() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sc != nil
}

// Close ends the session, rolling back an open transaction. Idempotent.
func (c *conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.sc == nil {
		return nil
	}
	c.log.DebugContext(context.Background(), "pgdb: rolling back transaction left open at end of call")
	if err := c.endTxLocked(false); err != nil {
		return fmt.Errorf("pgdb: rollback at close: %w", err)
	}
	return nil
}

// normalize maps a value pgx decoded to a sqldb.Conn value (see "Values"
// in the package documentation).
func normalize(v any) any {
	switch v := v.(type) {
	case nil, int64, float64, string, []byte, time.Time:
		return v
	case int32:
		return int64(v)
	case int16:
		return int64(v)
	case int8:
		return int64(v)
	case int:
		return int64(v)
	case uint32:
		return int64(v)
	case float32:
		return float64(v)
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	case pgtype.Numeric:
		if !v.Valid {
			return nil
		}
		if v.NaN || v.InfinityModifier != pgtype.Finite {
			b, _ := v.MarshalJSON()
			return string(b)
		}
		return numericText(v)
	case [16]byte:
		return uuid.UUID(v).String()
	case map[string]any, []any:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	case driver.Valuer:
		dv, err := v.Value()
		if err != nil {
			return fmt.Sprint(v)
		}
		if _, again := dv.(driver.Valuer); again {
			return fmt.Sprint(dv)
		}
		return normalize(dv)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// numericText is the exact decimal text of a finite numeric.
func numericText(n pgtype.Numeric) string {
	if n.Int == nil {
		return "0"
	}
	s := new(big.Int).Abs(n.Int).String()
	neg := n.Int.Sign() < 0
	switch {
	case n.Exp > 0:
		s += zeros(int(n.Exp))
	case n.Exp < 0:
		k := int(-n.Exp)
		if len(s) <= k {
			s = zeros(k-len(s)+1) + s
		}
		s = s[:len(s)-k] + "." + s[len(s)-k:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
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
