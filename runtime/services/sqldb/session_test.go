package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

var (
	readOnly  = Permissions{Read: true}
	readWrite = Permissions{Read: true, Write: true}
	full      = Permissions{Read: true, Write: true, Schema: true}
)

type fixture struct {
	t   *testing.T
	db  *sql.DB
	sdb *DB
	dir string
}

func newFixture(t *testing.T, cfg Config, opts sqlitedb.Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(dir, "host.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db, sdb: New(db, cfg), dir: dir}
	f.hostExec(`CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, score REAL, body BLOB, published INTEGER)`)
	f.hostExec(`CREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT)`)
	f.hostExec(`CREATE TABLE audit (n INTEGER)`)
	f.hostExec(`INSERT INTO posts VALUES (1, 'Hello', 1.5, x'00ff', 1), (2, 'World', NULL, NULL, 0)`)
	f.hostExec(`INSERT INTO secrets VALUES (1, 'hunter2')`)
	return f
}

func (f *fixture) hostExec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Exec(q, args...); err != nil {
		f.t.Fatalf("host exec %q: %v", q, err)
	}
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) session(perm Permissions) *Session {
	s := f.sdb.Session("test.plugin", perm)
	f.t.Cleanup(func() { s.Close() })
	return s
}

func ptr(s string) *string { return &s }

func wantCode(t *testing.T, err error, code Code) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func decodeError(t *testing.T, js string) (msg string, code Code) {
	t.Helper()
	var v struct {
		Error string `json:"error"`
		Code  Code   `json:"code"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil || v.Code == "" {
		t.Fatalf("not an error JSON: %s", js)
	}
	return v.Error, v.Code
}

func TestQueryJSONShape(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	s := f.session(readOnly)
	got := s.QueryJSON(context.Background(), "SELECT id, title, score, body, published FROM posts ORDER BY id", nil)
	want := `{"columns":["id","title","score","body","published"],"rows":[[1,"Hello",1.5,"AP8=",1],[2,"World",null,null,0]]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Parameters of every allowed kind.
	got = s.QueryJSON(context.Background(), "SELECT ?, ?, ?, ?, ?, ? + 1", ptr(`["s", 42, 2.5, true, null, 9007199254740993]`))
	want = `{"columns":["?","?","?","?","?","? + 1"],"rows":[["s",42,2.5,1,null,9007199254740994]]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got = s.QueryJSON(context.Background(), "SELECT ?2, ?1, ?1", ptr(`["a", "b"]`))
	if got != `{"columns":["?2","?1","?1"],"rows":[["b","a","a"]]}` {
		t.Fatalf("numbered: %s", got)
	}
	if _, code := decodeError(t, s.QueryJSON(context.Background(), "SELECT :name", ptr(`["a"]`))); code != CodeSQLError {
		t.Fatalf("named placeholder: %s", code)
	}
	if _, code := decodeError(t, s.QueryJSON(context.Background(), "SELECT ?, ?", ptr(`["a"]`))); code != CodeSQLError {
		t.Fatalf("missing param: %s", code)
	}
	got = s.QueryJSON(context.Background(), "SELECT title FROM posts WHERE id = ?", ptr(`[99]`))
	if got != `{"columns":["title"],"rows":[]}` {
		t.Fatalf("empty result: %s", got)
	}
}

func TestExecuteJSONShape(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	s := f.session(readWrite)
	got := s.ExecuteJSON(context.Background(), "INSERT INTO posts (title) VALUES (?)", ptr(`["New"]`))
	if got != `{"rows_affected":1,"last_insert_id":3}` {
		t.Fatalf("insert: %s", got)
	}
	got = s.ExecuteJSON(context.Background(), "UPDATE posts SET published = 1", nil)
	if got != `{"rows_affected":3,"last_insert_id":3}` {
		t.Fatalf("update: %s", got)
	}
	if _, code := decodeError(t, s.ExecuteJSON(context.Background(), "INSERT INTO nope VALUES (1)", nil)); code != CodeSQLError {
		t.Fatalf("missing table: code %s", code)
	}
	if msg, code := decodeError(t, s.ExecuteJSON(context.Background(), "INSERT INTO posts (title) VALUES (?)", ptr(`[["nested"]]`))); code != CodeBadParams || !strings.Contains(msg, "array") {
		t.Fatalf("nested param: %s %s", code, msg)
	}
}

// db-query must not be able to change anything, whatever the SQL says.
func TestQueryIsReadOnly(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{MaxOpenConns: 1})
	s := f.session(full) // even a plugin allowed to write cannot write through db-query
	ctx := context.Background()
	attached := filepath.Join(f.dir, "stolen.db")
	for _, q := range []string{
		"INSERT INTO posts (title) VALUES ('x')",
		"UPDATE posts SET title = 'x' RETURNING id",
		"DELETE FROM posts RETURNING *",
		"REPLACE INTO posts (id, title) VALUES (1, 'x')",
		"CREATE TABLE evil (x)",
		"DROP TABLE posts",
		"ALTER TABLE posts ADD COLUMN x",
		"CREATE INDEX i ON posts(title)",
		"PRAGMA query_only = 0",
		"PRAGMA foreign_keys = OFF",
		"PRAGMA writable_schema = ON",
		"ATTACH '" + attached + "' AS x",
		"VACUUM INTO '" + attached + "'",
		"VACUUM",
		"BEGIN",
		"SAVEPOINT s",
		"CREATE TEMP TABLE t (x)",
		"SELECT load_extension('x')",
		"WITH x AS (SELECT 1) INSERT INTO posts (title) SELECT 'x' FROM x",
	} {
		_, err := s.Query(ctx, q, nil)
		wantCode(t, err, CodePermissionDenied)
	}
	if n := f.count("posts"); n != 2 {
		t.Fatalf("posts has %d rows after refused queries", n)
	}
	if _, err := os.Stat(attached); !os.IsNotExist(err) {
		t.Fatalf("ATTACH/VACUUM INTO created a file: %v", err)
	}
	// The connection the refused statements ran on is clean again: the host
	// (same single connection) can still write, and foreign keys are still on.
	f.hostExec("INSERT INTO audit VALUES (1)")
	var fk int
	if err := f.db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
}

func TestMultipleStatementsRefused(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	s := f.session(full)
	ctx := context.Background()
	_, err := s.Query(ctx, "SELECT 1; DELETE FROM posts", nil)
	wantCode(t, err, CodeBadSQL)
	_, err = s.Execute(ctx, "UPDATE posts SET title = 'a'; DROP TABLE secrets", nil)
	wantCode(t, err, CodeBadSQL)
	_, err = s.Execute(ctx, "  -- only a comment\n", nil)
	wantCode(t, err, CodeBadSQL)
	if f.count("posts") != 2 || f.count("secrets") != 1 {
		t.Fatal("a refused multi-statement ran")
	}
	// One statement with a trailing semicolon and a ';' in a literal is fine.
	if _, err := s.Execute(ctx, "UPDATE posts SET title = 'a;b' WHERE id = 1;", nil); err != nil {
		t.Fatal(err)
	}
}

func TestPermissions(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	ctx := context.Background()

	none := f.session(Permissions{})
	_, err := none.Query(ctx, "SELECT 1", nil)
	wantCode(t, err, CodePermissionDenied)
	wantCode(t, none.Begin(ctx), CodePermissionDenied)

	ro := f.session(readOnly)
	_, err = ro.Execute(ctx, "INSERT INTO posts (title) VALUES ('x')", nil)
	wantCode(t, err, CodePermissionDenied)

	wo := f.session(Permissions{Write: true})
	_, err = wo.Query(ctx, "SELECT 1", nil)
	wantCode(t, err, CodePermissionDenied)
	// A writer's statements may read (WHERE clauses, INSERT … SELECT).
	if _, err := wo.Execute(ctx, "INSERT INTO audit SELECT count(*) FROM posts", nil); err != nil {
		t.Fatal(err)
	}

	rw := f.session(readWrite)
	for _, q := range []string{"CREATE TABLE plugin_t (x)", "DROP TABLE audit", "CREATE INDEX i ON posts(title)",
		"ALTER TABLE posts ADD COLUMN x", "CREATE VIEW v AS SELECT 1", "BEGIN", "COMMIT",
		"CREATE TRIGGER tr AFTER INSERT ON posts BEGIN DELETE FROM secrets; END"} {
		_, err = rw.Execute(ctx, q, nil)
		wantCode(t, err, CodePermissionDenied)
	}

	sc := f.session(full)
	for _, q := range []string{"CREATE TABLE plugin_t (x)", "CREATE INDEX i ON plugin_t(x)",
		"ALTER TABLE plugin_t ADD COLUMN y", "CREATE VIEW v AS SELECT x FROM plugin_t",
		"CREATE TRIGGER tr AFTER INSERT ON plugin_t BEGIN INSERT INTO audit VALUES (new.x); END",
		"INSERT INTO plugin_t (x) VALUES (7)", "DROP VIEW v", "DROP TRIGGER tr", "DROP INDEX i", "DROP TABLE plugin_t"} {
		if _, err := sc.Execute(ctx, q, nil); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Even full permissions never allow PRAGMA writes, ATTACH or transactions in SQL.
	for _, q := range []string{"PRAGMA foreign_keys = OFF", "ATTACH ':memory:' AS m", "BEGIN IMMEDIATE", "CREATE VIRTUAL TABLE vt USING fts5(x)"} {
		_, err = sc.Execute(ctx, q, nil)
		wantCode(t, err, CodePermissionDenied)
	}
}

func TestTableAllowList(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	ctx := context.Background()
	f.hostExec("CREATE VIEW secret_view AS SELECT value FROM secrets")
	f.hostExec("CREATE TABLE plugin_log (msg TEXT)")
	f.hostExec("CREATE TRIGGER leak AFTER INSERT ON plugin_log BEGIN INSERT INTO secrets (value) VALUES (new.msg); END")

	perm := Permissions{Read: true, Write: true, Schema: true, Tables: []string{"POSTS", "plugin_log", "secret_view", "plugin_new"}}
	s := f.session(perm)
	// Allowed tables work (names are case-insensitive).
	if _, err := s.Query(ctx, "SELECT title FROM Posts", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "UPDATE posts SET title = 'x' WHERE id = 2", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "CREATE TABLE plugin_new (x)", nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(ctx, "PRAGMA table_info(posts)", nil)
	if err != nil || len(res.Rows) != 5 {
		t.Fatalf("table_info: %v %v", res, err)
	}
	refused := []struct{ kind, q string }{
		{"q", "SELECT * FROM secrets"},
		{"q", "SELECT p.title, s.value FROM posts p JOIN secrets s ON s.id = p.id"},
		{"q", "SELECT title FROM posts WHERE id IN (SELECT id FROM secrets)"},
		{"q", "SELECT (SELECT value FROM secrets) FROM posts"},
		{"q", "SELECT * FROM secret_view"}, // the view is listed, the table under it is not
		{"q", "SELECT name FROM sqlite_master"},
		{"q", "PRAGMA table_info(secrets)"},
		{"x", "INSERT INTO secrets (value) VALUES ('x')"},
		{"x", "INSERT INTO posts (title) SELECT value FROM secrets"},
		{"x", "DELETE FROM audit"},
		{"x", "INSERT INTO plugin_log VALUES ('x')"}, // its trigger writes secrets
		{"x", "CREATE TABLE other (x)"},
		{"x", "DROP TABLE secrets"},
		{"x", "CREATE INDEX i ON secrets(value)"},
		{"x", "ALTER TABLE secrets ADD COLUMN y"},
		{"x", "CREATE TRIGGER t2 AFTER INSERT ON posts BEGIN SELECT 1; END"}, // triggers need no allow-list
	}
	for _, r := range refused {
		if r.kind == "q" {
			_, err = s.Query(ctx, r.q, nil)
		} else {
			_, err = s.Execute(ctx, r.q, nil)
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodePermissionDenied {
			t.Errorf("%s: err = %v, want permission_denied", r.q, err)
		}
	}
	if f.count("secrets") != 1 || f.count("audit") != 0 || f.count("plugin_log") != 0 {
		t.Fatal("a refused statement changed data")
	}
	msg, _ := decodeError(t, s.QueryJSON(ctx, "SELECT * FROM secrets", nil))
	if !strings.Contains(msg, "secrets") || !strings.Contains(msg, "allow-list") {
		t.Fatalf("message does not say why: %q", msg)
	}
}

func TestTransactions(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	ctx := context.Background()
	s := f.session(readWrite)

	if got := s.CommitJSON(ctx); !strings.Contains(got, `"no_transaction"`) {
		t.Fatalf("commit without begin: %s", got)
	}
	if got := s.RollbackJSON(ctx); !strings.Contains(got, `"no_transaction"`) {
		t.Fatalf("rollback without begin: %s", got)
	}
	if got := s.BeginJSON(ctx); got != `{"ok":true}` {
		t.Fatalf("begin: %s", got)
	}
	if got := s.BeginJSON(ctx); !strings.Contains(got, `"transaction_open"`) {
		t.Fatalf("second begin: %s", got)
	}
	if !s.InTransaction() {
		t.Fatal("InTransaction = false")
	}
	if _, err := s.Execute(ctx, "INSERT INTO audit VALUES (1)", nil); err != nil {
		t.Fatal(err)
	}
	// Visible inside the transaction, not outside it.
	res, err := s.Query(ctx, "SELECT count(*) FROM audit", nil)
	if err != nil || res.Rows[0][0] != int64(1) {
		t.Fatalf("inside tx: %v %v", res, err)
	}
	if n := f.count("audit"); n != 0 {
		t.Fatalf("uncommitted row visible outside: %d", n)
	}
	// BEGIN inside SQL text is still refused while a transaction is open.
	_, err = s.Execute(ctx, "COMMIT", nil)
	wantCode(t, err, CodePermissionDenied)
	if got := s.RollbackJSON(ctx); got != `{"ok":true}` {
		t.Fatalf("rollback: %s", got)
	}
	if n := f.count("audit"); n != 0 {
		t.Fatalf("rolled-back row persisted: %d", n)
	}

	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "INSERT INTO audit VALUES (2)", nil); err != nil {
		t.Fatal(err)
	}
	if got := s.CommitJSON(ctx); got != `{"ok":true}` {
		t.Fatalf("commit: %s", got)
	}
	if n := f.count("audit"); n != 1 {
		t.Fatalf("committed rows = %d", n)
	}
	// After the transaction the host's connection pool is unrestricted again.
	f.hostExec("DELETE FROM secrets")
}

func TestCloseRollsBack(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	ctx := context.Background()
	s := f.sdb.Session("p", readWrite)
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "DELETE FROM posts", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if n := f.count("posts"); n != 2 {
		t.Fatalf("Close did not roll back: %d posts", n)
	}
	// The write lock is released: the host can write at once.
	f.hostExec("INSERT INTO audit VALUES (1)")
	// A closed session refuses everything.
	_, err := s.Query(ctx, "SELECT 1", nil)
	wantCode(t, err, CodeSessionClosed)
	wantCode(t, s.Begin(ctx), CodeSessionClosed)
	if got := s.CommitJSON(ctx); !strings.Contains(got, `"session_closed"`) {
		t.Fatalf("commit after close: %s", got)
	}
}

// TestTransactionsNeedWrite: without Write, db-begin, db-commit and
// db-rollback are refused (and take no lock); with Write alone they work.
func TestTransactionsNeedWrite(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{BusyTimeout: 50 * time.Millisecond})
	ctx := context.Background()
	s := f.session(readOnly)
	wantCode(t, s.Begin(ctx), CodePermissionDenied)
	wantCode(t, s.Commit(ctx), CodePermissionDenied)
	wantCode(t, s.Rollback(ctx), CodePermissionDenied)
	if got := s.BeginJSON(ctx); !strings.Contains(got, `"permission_denied"`) || !strings.Contains(got, "write permission") {
		t.Fatalf("db-begin without write: %s", got)
	}
	if s.InTransaction() {
		t.Fatal("refused db-begin opened a transaction")
	}
	if _, err := s.Query(ctx, "SELECT * FROM posts", nil); err != nil {
		t.Fatal(err)
	}
	f.hostExec("INSERT INTO audit VALUES (1)")

	w := f.session(Permissions{Write: true})
	if err := w.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Execute(ctx, "INSERT INTO audit VALUES (2)", nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.count("audit"); n != 2 {
		t.Fatalf("audit rows = %d, want 2", n)
	}
}

func TestStatementTimeout(t *testing.T) {
	f := newFixture(t, Config{StatementTimeout: 50 * time.Millisecond}, sqlitedb.Options{})
	s := f.session(readOnly)
	start := time.Now()
	_, err := s.Query(context.Background(),
		"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c", nil)
	wantCode(t, err, CodeTimeout)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	// The caller's own deadline counts too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Query(ctx, "SELECT 1", nil); err == nil {
		t.Fatal("query ran with a cancelled context")
	}
}

func TestTransactionTimeLimit(t *testing.T) {
	f := newFixture(t, Config{MaxTxDuration: 100 * time.Millisecond}, sqlitedb.Options{})
	ctx := context.Background()
	s := f.session(readWrite)
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "DELETE FROM posts", nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	_, err := s.Execute(ctx, "DELETE FROM secrets", nil)
	wantCode(t, err, CodeTxAborted)
	// Until the plugin acknowledges, nothing runs (least of all in autocommit mode).
	_, err = s.Execute(ctx, "DELETE FROM secrets", nil)
	wantCode(t, err, CodeTxAborted)
	wantCode(t, s.Commit(ctx), CodeTxAborted)
	if f.count("posts") != 2 || f.count("secrets") != 1 {
		t.Fatal("writes of an expired transaction persisted")
	}
	// The session recovers: a new transaction works.
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTimeoutInsideTransactionAbortsIt(t *testing.T) {
	f := newFixture(t, Config{StatementTimeout: 50 * time.Millisecond}, sqlitedb.Options{})
	ctx := context.Background()
	s := f.session(readWrite)
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "DELETE FROM posts", nil); err != nil {
		t.Fatal(err)
	}
	_, err := s.Query(ctx, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c", nil)
	wantCode(t, err, CodeTimeout)
	if s.InTransaction() {
		t.Fatal("transaction still marked open after a timeout")
	}
	// The next statement must not silently run outside the transaction.
	_, err = s.Execute(ctx, "DELETE FROM secrets", nil)
	wantCode(t, err, CodeTxAborted)
	wantCode(t, s.Begin(ctx), CodeTxAborted)
	if f.count("posts") != 2 || f.count("secrets") != 1 {
		t.Fatal("aborted transaction's writes persisted")
	}
	// db-rollback acknowledges; then work goes on normally.
	if got := s.RollbackJSON(ctx); got != `{"ok":true}` {
		t.Fatalf("rollback after abort: %s", got)
	}
	if _, err := s.Execute(ctx, "DELETE FROM secrets", nil); err != nil {
		t.Fatal(err)
	}
	if f.count("secrets") != 0 {
		t.Fatal("autocommit write after acknowledgement lost")
	}
}

func TestConstraintErrorKeepsTransaction(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	ctx := context.Background()
	s := f.session(readWrite)
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "INSERT INTO audit VALUES (1)", nil); err != nil {
		t.Fatal(err)
	}
	_, err := s.Execute(ctx, "INSERT INTO posts (id, title) VALUES (1, 'dup')", nil)
	wantCode(t, err, CodeConstraint)
	if !s.InTransaction() {
		t.Fatal("a constraint error ended the transaction")
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if f.count("audit") != 1 {
		t.Fatal("work before the failed statement lost")
	}
}

func TestBeginOutlivesCallerContext(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	s := f.session(readWrite)
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	cancel() // the host call that opened it returned
	if _, err := s.Execute(context.Background(), "INSERT INTO audit VALUES (1)", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.count("audit") != 1 {
		t.Fatal("commit lost")
	}
}

func TestRowLimitAndResultSize(t *testing.T) {
	f := newFixture(t, Config{MaxRows: 3, MaxResultBytes: 200}, sqlitedb.Options{})
	s := f.session(readOnly)
	ctx := context.Background()
	got := s.QueryJSON(ctx, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 10) SELECT n FROM c", nil)
	if got != `{"columns":["n"],"rows":[[1],[2],[3]],"truncated":true}` {
		t.Fatalf("truncation: %s", got)
	}
	got = s.QueryJSON(ctx, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 3) SELECT n FROM c", nil)
	if got != `{"columns":["n"],"rows":[[1],[2],[3]]}` {
		t.Fatalf("exactly at limit: %s", got)
	}
	if _, code := decodeError(t, s.QueryJSON(ctx, "SELECT zeroblob(1000)", nil)); code != CodeResultTooLarge {
		t.Fatalf("big result: %s", code)
	}
	big := strings.Repeat("x", DefaultMaxSQLBytes+1)
	_, err := s.Query(ctx, "SELECT '"+big+"'", nil)
	wantCode(t, err, CodeBadSQL)
}

func TestConcurrentSessions(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		wg.Go(func() {
			s := f.sdb.Session("p", readWrite)
			defer s.Close()
			if err := s.Begin(ctx); err != nil {
				errs <- err
				return
			}
			if _, err := s.Execute(ctx, "INSERT INTO audit VALUES (?)", []any{i}); err != nil {
				errs <- err
				return
			}
			if err := s.Commit(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.count("audit"); n != 8 {
		t.Fatalf("audit rows = %d", n)
	}
}

func TestErrorJSONAndIs(t *testing.T) {
	e := newErr(CodeNoTransaction, nil, `no "tx"`)
	if got := errorJSON(e); got != `{"error":"no \"tx\"","code":"no_transaction"}` {
		t.Fatal(got)
	}
	if !errors.Is(e, ErrNoTransaction) || errors.Is(e, ErrTimeout) {
		t.Fatal("errors.Is by code broken")
	}
	if got := errorJSON(errors.New("boom")); got != `{"error":"boom","code":"sql_error"}` {
		t.Fatal(got)
	}
}

// A driver without an authorizer: the package must refuse, not run unchecked SQL.
type plainDriver struct{}
type plainConn struct{}

type plainConnector struct{}

func (plainConnector) Connect(context.Context) (driver.Conn, error) { return plainConn{}, nil }
func (plainConnector) Driver() driver.Driver                        { return plainDriver{} }
func (plainDriver) Open(string) (driver.Conn, error)                { return plainConn{}, nil }
func (plainConn) Prepare(string) (driver.Stmt, error)               { return nil, errors.New("ran SQL") }
func (plainConn) Close() error                                      { return nil }
func (plainConn) Begin() (driver.Tx, error)                         { return nil, errors.New("began") }

func TestUnsupportedDriverFailsClosed(t *testing.T) {
	db := sql.OpenDB(plainConnector{})
	defer db.Close()
	s := New(db, Config{}).Session("p", full)
	defer s.Close()
	_, err := s.Query(context.Background(), "SELECT 1", nil)
	wantCode(t, err, CodeUnsupported)
	_, err = s.Execute(context.Background(), "DELETE FROM x", nil)
	wantCode(t, err, CodeUnsupported)
}

func TestQueryResultTypes(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	f.hostExec("CREATE TABLE ev (at DATETIME, v ANY)")
	f.hostExec("INSERT INTO ev VALUES ('2024-05-01T10:00:00Z', 1e999)")
	s := f.session(readOnly)
	res, err := s.Query(context.Background(), "SELECT at, v FROM ev", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Query returns what the driver scanned; db-query's JSON turns the
	// time into RFC 3339 and the infinity into null.
	want := [][]any{{time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), math.Inf(1)}}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Fatalf("rows = %#v", res.Rows)
	}
	js := s.QueryJSON(context.Background(), "SELECT at, v FROM ev", nil)
	if wantJS := `{"columns":["at","v"],"rows":[["2024-05-01T10:00:00Z",null]]}`; js != wantJS {
		t.Fatalf("db-query = %s, want %s", js, wantJS)
	}
}

// TestSchemaTables: with SchemaTables (a manifest's db_schema) a plugin
// creates, indexes, alters and drops its own tables, and still only reads
// and writes the other listed ones.
func TestSchemaTables(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	ctx := context.Background()
	f.hostExec("CREATE TABLE plugin_log (msg TEXT)")
	perm := Permissions{Read: true, Write: true, Schema: true,
		Tables: []string{"plugin_log", "own_counts"}, SchemaTables: []string{"own_counts"}}
	s := f.session(perm)
	for _, q := range []string{
		"CREATE TABLE IF NOT EXISTS own_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)",
		"CREATE TABLE IF NOT EXISTS own_counts (name TEXT PRIMARY KEY)", // again: a no-op
		"CREATE INDEX IF NOT EXISTS own_counts_n ON own_counts (n)",
		"ALTER TABLE own_counts ADD COLUMN at TEXT",
		"INSERT INTO own_counts (name, n) VALUES ('a', 1)",
		"INSERT INTO plugin_log (msg) VALUES ('x')",
	} {
		if _, err := s.Execute(ctx, q, nil); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, q := range []string{
		"DROP TABLE plugin_log",                           // listed, not its own
		"CREATE INDEX l ON plugin_log (msg)",              // an index on a table it does not own
		"ALTER TABLE plugin_log ADD COLUMN y",             //
		"CREATE TABLE other (x)",                          // neither listed nor its own
		"CREATE TABLE own_counts2 AS SELECT * FROM posts", // not its own, and reads posts
		"CREATE TRIGGER t AFTER INSERT ON own_counts BEGIN DELETE FROM plugin_log; END",
	} {
		_, err := s.Execute(ctx, q, nil)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodePermissionDenied {
			t.Errorf("%s: err = %v, want permission_denied", q, err)
		}
	}
	msg, _ := decodeError(t, s.ExecuteJSON(ctx, "DROP TABLE plugin_log", nil))
	if !strings.Contains(msg, "plugin_log") || !strings.Contains(msg, "db_schema") {
		t.Errorf("message does not say why: %q", msg)
	}
	if _, err := s.Execute(ctx, "DROP TABLE own_counts", nil); err != nil {
		t.Fatalf("dropping its own table: %v", err)
	}
	if f.count("plugin_log") != 1 {
		t.Error("plugin_log changed")
	}
}
