package sqldb

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// maxGrowth is how much the process's resident set may grow while an attack
// runs: SQLite's heap is not Go's, so only RSS shows it.
const maxGrowth = 256 << 20

// procKB reads a "VmRSS:"-style field of /proc/self/status, in KiB.
func procKB(field string) (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// rssGrowth runs f and returns how far above its starting point the
// process's resident set got meanwhile, in bytes: VmHWM after resetting it
// (/proc/self/clear_refs) and VmRSS sampled every millisecond, whichever is
// higher. ok is false where /proc cannot tell.
func rssGrowth(t *testing.T, f func()) (growth int64, ok bool) {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	base, ok := procKB("VmRSS")
	if !ok {
		f()
		return 0, false
	}
	hwm := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	var peak atomic.Int64
	peak.Store(base)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v, ok := procKB("VmRSS"); ok && v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	p := peak.Load()
	if hwm {
		if v, ok := procKB("VmHWM"); ok && v > p {
			p = v
		}
	}
	return (p - base) << 10, true
}

// attack runs query as a plugin with db = "read" and checks that it fails
// with code within twice the statement limit and without the process's
// memory growing by more than maxGrowth.
func attack(t *testing.T, sdb *DB, query string, code Code) {
	t.Helper()
	limit := sdb.Config().StatementTimeout
	s := sdb.Session("evil", readOnly)
	defer s.Close()
	var err error
	var took time.Duration
	growth, measured := rssGrowth(t, func() {
		start := time.Now()
		_, err = s.Query(context.Background(), query, nil)
		took = time.Since(start)
	})
	t.Logf("%.60s: %s, RSS +%d MiB, %v", query, took.Round(time.Millisecond), growth>>20, err)
	wantCode(t, err, code)
	if took > 2*limit {
		t.Errorf("took %s, statement limit %s", took, limit)
	}
	if measured && growth > maxGrowth {
		t.Errorf("RSS grew by %d MiB, want < %d MiB", growth>>20, maxGrowth>>20)
	}
}

// TestValueBombs: one function call (or one recursive CTE, aggregate or
// sort) asking for a gigabyte. Before the SQLite limits,
// randomblob(999999999) ran for ~25 s past the 5 s limit and took 1 GB, and
// the printf, zeroblob, replace and CTE bombs answered after allocating 1.5–2.8 GB.
func TestValueBombs(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	for _, q := range []string{
		`SELECT length(randomblob(999999999))`,
		`SELECT length(printf('%.*c', 999999999, 'x'))`,
		`SELECT length(zeroblob(999999999) || 'x')`,
		`SELECT length(zeroblob(999999999))`,
		`SELECT length(replace(printf('%.*c', 1000000, 'x'), 'x', 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'))`,
		`WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r WHERE length(s) < 500000000) SELECT max(length(s)) FROM r`,
		`WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 2000) SELECT length(group_concat(printf('%.*c', 100000, 'x'))) FROM c`,
		`WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 10) SELECT length(s) FROM (SELECT printf('%.*c', 2000000, n) AS s FROM c ORDER BY s)`,
		`SELECT length(hex(randomblob(600000)))`,
		`SELECT length(CAST(zeroblob(2000000) AS TEXT))`,
		`SELECT length(char(1) || printf('%2000000d', 1))`,
	} {
		attack(t, f.sdb, q, CodeTooLarge)
	}
}

// TestConcurrentValueBombs: four printf('%.*c', 999999999) at once reached
// 3.5 GB.
func TestConcurrentValueBombs(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	var errs [4]error
	start := time.Now()
	growth, measured := rssGrowth(t, func() {
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				s := f.sdb.Session("evil", readOnly)
				defer s.Close()
				_, errs[i] = s.Query(context.Background(), `SELECT length(printf('%.*c', 999999999, 'x'))`, nil)
			})
		}
		wg.Wait()
	})
	took := time.Since(start)
	t.Logf("4 × printf: %s, RSS +%d MiB", took.Round(time.Millisecond), growth>>20)
	for _, err := range errs {
		wantCode(t, err, CodeTooLarge)
	}
	if took > 2*DefaultStatementTimeout {
		t.Errorf("took %s", took)
	}
	if measured && growth > maxGrowth {
		t.Errorf("RSS grew by %d MiB", growth>>20)
	}
}

// TestLongStatementsEndAtTheirLimit: statements that loop, sort or aggregate
// without end are interrupted at the statement limit (the driver's progress
// handler and sqlite3_interrupt), with the sort spilling to a temporary
// file rather than memory.
func TestLongStatementsEndAtTheirLimit(t *testing.T) {
	f := newFixture(t, Config{StatementTimeout: time.Second}, sqlitedb.Options{})
	for _, q := range []string{
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n ORDER BY randomblob(1000) LIMIT 1`,
		// group_concat stops growing at the value limit but reports it only
		// at the end, which never comes.
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT length(group_concat(hex(randomblob(100)))) FROM n`,
		`WITH RECURSIVE n(i, s) AS (SELECT 1, randomblob(1000) UNION SELECT i + 1, randomblob(1000) FROM n) SELECT count(*) FROM n`,
	} {
		attack(t, f.sdb, q, CodeTimeout)
	}
}

// straightLine is a statement of calls SQLite runs without passing a loop,
// where it would notice an interrupt: 40 columns of 40 randomblob(1000000)
// each, 3200 function calls in all. It ran for 44 s against the 5 s limit.
func straightLine(cols, calls int) string {
	col := "0" + strings.Repeat(" + length(randomblob(1000000))", calls)
	return "SELECT " + strings.TrimSuffix(strings.Repeat(col+", ", cols), ", ")
}

func TestStraightLineWorkIsBounded(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	attack(t, f.sdb, straightLine(40, 40), CodeTooLarge)

	// At the budget the statement is accepted and runs to its result. How
	// long it takes is a matter for benchmarks, not for this test on a
	// shared machine: the fixture's time limit is generous so that load
	// cannot turn the cost check's verdict into a timeout.
	if raceEnabled {
		t.Skip("the race detector makes SQLite far slower than the budget assumes")
	}
	slow := newFixture(t, Config{StatementTimeout: 2 * time.Minute}, sqlitedb.Options{})
	s := slow.session(readOnly)
	q := straightLine(1, DefaultMaxFunctionCost/2)
	res, err := s.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatalf("statement at the budget: %v", err)
	}
	if got := res.Rows[0][0]; got != int64(DefaultMaxFunctionCost/2*1000000) {
		t.Fatalf("sum = %v", got)
	}
	_, err = s.Query(context.Background(), straightLine(1, DefaultMaxFunctionCost/2+1), nil)
	wantCode(t, err, CodeTooLarge)
}

// TestQuadraticFunctions: instr, replace and trim with a character set cost
// the product of their arguments' sizes in one step: instr and replace
// with a 1 MiB haystack took 13 s, trim with a 20 000-character set on
// 256 KiB 114 s. Statements that call them run with a lower value limit,
// and at most four of them.
func TestQuadraticFunctions(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	const (
		bomb    = `WITH s(a, p) AS (SELECT printf('%.*c', 1000000, 'a'), printf('%.*c', 500000, 'a') || 'b') `
		trimSet = `WITH s(a, p) AS (SELECT printf('%.*c', 262143, 'a'), printf('%.*c', 20000, 'b') || 'a') `
	)
	for _, q := range []string{
		bomb + `SELECT instr(a, p) FROM s`,
		bomb + `SELECT length(replace(a, p, '')) FROM s`,
		trimSet + `SELECT length(trim(a, p)) FROM s`,
		trimSet + `SELECT length(ltrim(a, p)) FROM s`,
		trimSet + `SELECT length(rtrim(a, p)) FROM s`,
	} {
		attack(t, f.sdb, q, CodeTooLarge)
	}

	s := f.session(readOnly)
	ctx := context.Background()
	// The worst cases under the lowered limits still end in time: four calls
	// (the whole budget) on the largest values each limit lets through, as
	// parameters so that nothing else costs.
	for _, c := range []struct {
		sql  string
		args []any
	}{
		{`SELECT instr(?1, ?2), instr(?1, ?2 || 'c'), replace(?1, ?2, '') = ?1, replace(?1, ?2 || 'c', '') = ?1`,
			[]any{strings.Repeat("a", DefaultMaxQuadraticValueBytes-1), strings.Repeat("a", DefaultMaxQuadraticValueBytes/2-1) + "b"}},
		{`SELECT trim(?1, ?2) = '', ltrim(?1, ?2) = '', rtrim(?1, ?2) = '', trim(?1, ?2 || 'c') = ''`,
			[]any{strings.Repeat("a", DefaultMaxQuadraticValueBytes/16-1), strings.Repeat("b", DefaultMaxQuadraticValueBytes/16/12-2) + "a"}},
	} {
		if raceEnabled {
			t.Log("skipping the worst cases: the race detector makes SQLite far slower than the limits assume")
			break
		}
		start := time.Now()
		res, err := s.Query(ctx, c.sql, c.args)
		took := time.Since(start)
		t.Logf("%.40s: %s", c.sql, took.Round(time.Millisecond))
		if err != nil {
			t.Fatalf("worst case within the limits: %v", err)
		}
		if took > 2*DefaultStatementTimeout {
			t.Errorf("worst case took %s", took)
		}
		if got := fmt.Sprint(res.Rows); got != "[[0 0 1 1]]" && got != "[[1 1 1 1]]" {
			t.Errorf("worst case = %s", got)
		}
	}
	// A fifth one is over the budget.
	_, err := s.Query(ctx, `SELECT instr(title, 'a'), instr(title, 'b'), replace(title, 'c', 'd'), trim(title, 'e'), rtrim(title, 'f') FROM posts`, nil)
	wantCode(t, err, CodeTooLarge)

	// One-argument trim is linear and keeps the full value limit, like
	// everything in a statement without a quadratic call.
	res, err := s.Query(ctx, `SELECT length(trim(printf('%.*c', 1000000, 'a'))), trim(title), ltrim(title), rtrim(title) FROM posts WHERE id = 1`, nil)
	if err != nil || fmt.Sprint(res.Rows) != "[[1000000 Hello Hello Hello]]" {
		t.Fatalf("trim(X) = %v, %v", res, err)
	}
	res, err = s.Query(ctx, `SELECT replace(title, 'l', 'L'), instr(title, 'o'), trim(title, 'Hd') FROM posts ORDER BY id`, nil)
	if err != nil || fmt.Sprint(res.Rows) != "[[HeLLo 5 ello] [WorLd 2 Worl]]" {
		t.Fatalf("small quadratic calls = %v, %v", res, err)
	}
}

// TestCompileLimits: SQLite's structural limits refuse a statement while it
// compiles, before it runs.
func TestCompileLimits(t *testing.T) {
	f := newFixture(t, Config{MaxProgramOps: 500}, sqlitedb.Options{})
	s := f.session(readOnly)
	ctx := context.Background()
	list := func(n int, item string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = strings.ReplaceAll(item, "#", strconv.Itoa(i))
		}
		return strings.Join(parts, ", ")
	}
	for _, c := range []struct {
		name, sql, msg string
		code           Code
	}{
		{"expression depth", "SELECT " + strings.Repeat("NOT ", DefaultMaxExprDepth) + "1", "Expression tree is too large", CodeSQLError},
		{"compound select", strings.Repeat("SELECT 1 UNION ALL ", DefaultMaxCompoundSelect) + "SELECT 1", "too many terms in compound SELECT", CodeSQLError},
		{"columns", "SELECT " + list(DefaultMaxColumns+1, "#"), "too many columns in result set", CodeSQLError},
		{"function arguments", "SELECT max(" + list(DefaultMaxFunctionArgs+1, "#") + ")", "too many arguments on function max", CodeSQLError},
		{"variable number", fmt.Sprintf("SELECT ?%d", DefaultMaxParams+1), "variable number must be between ?1 and ?999", CodeSQLError},
		{"like pattern", "SELECT title LIKE '" + strings.Repeat("%", DefaultMaxLikePatternBytes+1) + "' FROM posts", "LIKE or GLOB pattern too complex", CodeSQLError},
		{"program size", "SELECT " + list(90, "CASE WHEN title = '#' THEN # WHEN score = # THEN # END") + " FROM posts", "too large to compile", CodeTooLarge},
		{"geopoly", "SELECT geopoly_area(geopoly_regular(0, 0, 1, 10))", "function geopoly_area is not permitted", CodePermissionDenied},
	} {
		_, err := s.Query(ctx, c.sql, nil)
		wantCode(t, err, c.code)
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %q", c.name, err, c.msg)
		}
	}
	// Just under every limit is fine.
	for _, q := range []string{
		"SELECT " + strings.Repeat("NOT ", DefaultMaxExprDepth-1) + "1",
		strings.Repeat("SELECT 1 UNION ALL ", DefaultMaxCompoundSelect-1) + "SELECT 1",
		"SELECT " + list(DefaultMaxColumns, "#"),
		"SELECT max(" + list(DefaultMaxFunctionArgs, "#") + ")",
		fmt.Sprintf("SELECT ?%d", DefaultMaxParams),
	} {
		if _, err := s.Query(ctx, q, make([]any, strings.Count(q, "?999")*DefaultMaxParams)); err != nil {
			t.Errorf("%.60s: %v", q, err)
		}
	}
}

func TestTriggerDepth(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{})
	for i := range DefaultMaxTriggerDepth + 2 {
		f.hostExec(fmt.Sprintf("CREATE TABLE chain%d (n INTEGER)", i))
	}
	for i := range DefaultMaxTriggerDepth + 1 {
		f.hostExec(fmt.Sprintf("CREATE TRIGGER step%d AFTER INSERT ON chain%d BEGIN INSERT INTO chain%d VALUES (new.n + 1); END", i, i, i+1))
	}
	s := f.session(readWrite)
	_, err := s.Execute(context.Background(), "INSERT INTO chain0 VALUES (0)", nil)
	wantCode(t, err, CodeSQLError)
	if !strings.Contains(err.Error(), "triggers nested too deep") {
		t.Fatal(err)
	}
	if _, err := s.Execute(context.Background(), "INSERT INTO chain2 VALUES (0)", nil); err != nil {
		t.Fatalf("a chain within the limit: %v", err)
	}
}

// TestHostKeepsItsLimits: the connection a plugin statement ran on goes
// back to the pool with SQLite's defaults, also after a failure and after a
// transaction.
func TestHostKeepsItsLimits(t *testing.T) {
	f := newFixture(t, Config{}, sqlitedb.Options{MaxOpenConns: 1})
	ctx := context.Background()
	hostLimits := func() map[int]int {
		conn, err := f.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		m := map[int]int{}
		for _, l := range f.sdb.Config().sqliteLimits() {
			v, err := sqlite.Limit(conn, l.id, -1)
			if err != nil {
				t.Fatal(err)
			}
			m[l.id] = v
		}
		return m
	}
	want := hostLimits()
	if want[sqlite3.SQLITE_LIMIT_LENGTH] != 1000000000 {
		t.Fatalf("host LENGTH = %d", want[sqlite3.SQLITE_LIMIT_LENGTH])
	}
	s := f.session(readWrite)
	for _, q := range []string{
		"SELECT title FROM posts",
		"SELECT length(randomblob(999999999))",
		"SELECT instr(title, 'l') FROM posts",
		"SELECT * FROM secrets_nope",
	} {
		s.Query(ctx, q, nil)
		if got := hostLimits(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after %q the host's limits are %v, want %v", q, got, want)
		}
	}
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "INSERT INTO audit VALUES (length(zeroblob(999999999)))", nil); err == nil {
		t.Fatal("zeroblob bomb inside a transaction ran")
	}
	if _, err := s.Execute(ctx, "INSERT INTO audit VALUES (1)", nil); err != nil {
		t.Fatalf("the transaction did not survive a too_large statement: %v", err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := hostLimits(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after a transaction the host's limits are %v, want %v", got, want)
	}
	var n int
	if err := f.db.QueryRow("SELECT length(randomblob(2000000))").Scan(&n); err != nil || n != 2000000 {
		t.Fatalf("host statement: %d, %v", n, err)
	}
}

// fanOut is a statement that keeps many MaxValueBytes values alive at once:
// SQLite computes each constant sub-expression once and keeps it for the
// whole statement, so 20 × 100 of them held 2 GB. No per-connection limit
// bounds their number short of the SQL length; the process-wide heap limit
// does.
func fanOut() string {
	args := make([]string, DefaultMaxFunctionArgs)
	for i := range args {
		args[i] = "?1 || '" + strconv.Itoa(i) + "'"
	}
	col := "length(max(" + strings.Join(args, ", ") + "))"
	return "SELECT " + strings.TrimSuffix(strings.Repeat(col+", ", 20), ", ")
}

const heapChildEnv = "SQLDB_TEST_HEAP_LIMIT_CHILD"

// TestFanOutUnderHeapLimit runs the fan-out in a child process that set
// sqlitedb.SetHeapLimit before opening its database, as a host must: the
// statement fails with too_large at the limit, and the database goes on
// working.
func TestFanOutUnderHeapLimit(t *testing.T) {
	if os.Getenv(heapChildEnv) == "1" {
		heapLimitChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFanOutUnderHeapLimit$", "-test.v", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), heapChildEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("child:\n%s", out.String())
	if err != nil || !strings.Contains(out.String(), "--- PASS: TestFanOutUnderHeapLimit") {
		t.Fatalf("child failed: %v", err)
	}
}

func heapLimitChild(t *testing.T) {
	const limit = 128 << 20
	if _, err := sqlitedb.SetHeapLimit(limit); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Config{}, sqlitedb.Options{})
	s := f.session(readOnly)
	param := `["` + strings.Repeat("x", DefaultMaxValueBytes-10) + `"]`
	var js string
	start := time.Now()
	growth, measured := rssGrowth(t, func() { js = s.QueryJSON(context.Background(), fanOut(), &param) })
	took := time.Since(start)
	t.Logf("fan-out under a %d MiB heap limit: %s, RSS +%d MiB: %.200s", limit>>20, took.Round(time.Millisecond), growth>>20, js)
	if _, code := decodeError(t, js); code != CodeTooLarge {
		t.Errorf("code = %s, want %s", code, CodeTooLarge)
	}
	if took > 2*DefaultStatementTimeout {
		t.Errorf("took %s", took)
	}
	if measured && growth > maxGrowth {
		t.Errorf("RSS grew by %d MiB", growth>>20)
	}
	if used := sqlitedb.HeapInUse(); used < 0 || used > limit {
		t.Errorf("SQLite heap in use afterwards: %d", used)
	}
	if got := s.QueryJSON(context.Background(), "SELECT title FROM posts WHERE id = 1", nil); got != `{"columns":["title"],"rows":[["Hello"]]}` {
		t.Errorf("after the failure: %s", got)
	}
}
