package dataapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// backend is one database the tests run on: the backend and the host's own
// connection to set up and check tables.
type backend struct {
	name string
	b    sqldb.Backend
	db   *sql.DB
}

// schema is the tables every test starts with; the DDL is portable.
var schema = []string{
	`CREATE TABLE notes (id TEXT PRIMARY KEY, title TEXT NOT NULL, views INTEGER, score DOUBLE PRECISION, data BYTEA_OR_BLOB)`,
	`CREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT)`,
}

var openers = map[string]func(t testing.TB, cfg sqldb.Config) backend{
	"sqlite": func(t testing.TB, cfg sqldb.Config) backend {
		db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "host.db"), sqlitedb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return backend{name: "sqlite", b: sqldb.New(db, cfg), db: db}
	},
}

// eachBackend runs fn once per backend, with the schema created and the
// rows of seed inserted.
func eachBackend(t *testing.T, cfg sqldb.Config, fn func(t *testing.T, be backend)) {
	for _, name := range backendNames() {
		t.Run(name, func(t *testing.T) { fn(t, newBackend(t, name, cfg)) })
	}
}

// newBackend opens backend name with the schema created.
func newBackend(t testing.TB, name string, cfg sqldb.Config) backend {
	be := openers[name](t, cfg)
	for _, ddl := range schema {
		blob := "BLOB"
		if be.b.Dialect() == sqldb.Postgres {
			blob = "BYTEA"
		}
		be.exec(t, strings.ReplaceAll(ddl, "BYTEA_OR_BLOB", blob))
	}
	be.exec(t, `INSERT INTO secrets (id, value) VALUES (1, 'hunter2')`)
	return be
}

func backendNames() []string {
	names := []string{"sqlite"}
	if _, ok := openers["postgres"]; ok {
		names = append(names, "postgres")
	}
	return names
}

func (be backend) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := be.db.Exec(q, args...); err != nil {
		t.Fatalf("%s: host exec %q: %v", be.name, q, err)
	}
}

func (be backend) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := be.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	writer = sqldb.Permissions{Read: true, Write: true, Tables: []string{"notes"}}
	reader = sqldb.Permissions{Read: true, Tables: []string{"notes"}}
)

func (be backend) tables(t testing.TB, perm sqldb.Permissions) *Tables {
	conn := be.b.Open("p", perm)
	t.Cleanup(func() { conn.Close() })
	return New(be.b, conn, "p", perm)
}

func note(id, title string, views int64, score any) []Field {
	return []Field{{"id", id}, {"title", title}, {"views", views}, {"score", score}}
}

func mustInsert(t *testing.T, tb *Tables, rows ...[]Field) {
	t.Helper()
	for _, r := range rows {
		if n, err := tb.Insert(context.Background(), "notes", r); err != nil || n != 1 {
			t.Fatalf("insert %v: %d, %v", r, n, err)
		}
	}
}

func seed(t *testing.T, tb *Tables) {
	mustInsert(t, tb,
		note("a", "banana", 3, 1.5),
		note("b", "Apple", 10, nil),
		note("c", "cherry", 0, 2.0),
		[]Field{{"id", "d"}, {"title", "apple pie"}},
	)
}

func ids(rows [][]Field) []string {
	var out []string
	for _, r := range rows {
		for _, f := range r {
			if f.Column == "id" {
				out = append(out, f.Value.(string))
			}
		}
	}
	return out
}

func TestRoundTripAndOrdering(t *testing.T) {
	eachBackend(t, sqldb.Config{}, func(t *testing.T, be backend) {
		ctx := context.Background()
		tb := be.tables(t, writer)
		seed(t, tb)
		mustInsert(t, tb, []Field{{"id", "e"}, {"title", "blob"}, {"data", []byte{0, 1, 255}}})

		row, err := tb.FetchOne(ctx, "notes", Query{Filter: []Condition{{"id", Eq, "a"}}})
		if err != nil {
			t.Fatal(err)
		}
		want := []Field{{"id", "a"}, {"title", "banana"}, {"views", int64(3)}, {"score", 1.5}, {"data", nil}}
		if !reflect.DeepEqual(row, want) {
			t.Fatalf("fetch-one a = %#v\nwant %#v", row, want)
		}
		row, err = tb.FetchOne(ctx, "notes", Query{Columns: []string{"data"}, Filter: []Condition{{"id", Eq, "e"}}})
		if err != nil || !reflect.DeepEqual(row, []Field{{"data", []byte{0, 1, 255}}}) {
			t.Fatalf("blob = %#v, %v", row, err)
		}
		// Byte-wise text order ("Apple" < "apple pie" < "banana"), NULLs first ascending.
		all, err := tb.FetchAll(ctx, "notes", Query{Columns: []string{"id"}, OrderBy: []Order{{"title", false}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ids(all), ""); got != "bdaec" {
			t.Fatalf("order by title = %s, want bdaec", got)
		}
		all, err = tb.FetchAll(ctx, "notes", Query{Columns: []string{"id"}, OrderBy: []Order{{"score", false}, {"id", true}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ids(all), ""); got != "edbac" {
			t.Fatalf("order by score, id desc = %s, want edbac (nulls first)", got)
		}
		all, err = tb.FetchAll(ctx, "notes", Query{Columns: []string{"id"}, OrderBy: []Order{{"score", true}}, Limit: ptr(2), Offset: ptr(1)})
		// c (2.0), a (1.5), then the NULLs last: offset 1, limit 2 → a and a NULL-score row.
		if err != nil || len(all) != 2 || all[0][0].Value != "a" {
			t.Fatalf("desc, offset 1, limit 2 = %v, want a then a NULL-score row", ids(all))
		}
		if none, err := tb.FetchOne(ctx, "notes", Query{Filter: []Condition{{"id", Eq, "zzz"}}}); err != nil || none != nil {
			t.Fatalf("fetch-one of nothing = %v, %v", none, err)
		}
	})
}

func ptr(n uint32) *uint32 { return &n }

func TestFilters(t *testing.T) {
	eachBackend(t, sqldb.Config{}, func(t *testing.T, be backend) {
		ctx := context.Background()
		tb := be.tables(t, writer)
		seed(t, tb)
		cases := []struct {
			f    []Condition
			want string
		}{
			{[]Condition{{"views", Gt, int64(2)}}, "ab"},
			{[]Condition{{"views", Ge, int64(3)}, {"views", Lt, int64(10)}}, "a"},
			{[]Condition{{"views", Le, int64(0)}}, "c"},
			{[]Condition{{"views", Ne, int64(3)}}, "bc"}, // NULL never matches ne
			{[]Condition{{"score", Eq, nil}}, "bd"},      // eq null is is-null
			{[]Condition{{"score", Ne, nil}}, "ac"},
			{[]Condition{{"score", IsNull, nil}}, "bd"},
			{[]Condition{{"score", IsNotNull, "ignored"}}, "ac"},
			{[]Condition{{"title", Like, "apple%"}}, "bd"}, // case-insensitive for ASCII on both
			{[]Condition{{"title", Eq, "apple"}}, ""},      // eq on text is exact
			{[]Condition{{"score", Gt, int64(1)}}, "ac"},   // integer operand on a real column
			{nil, "abcd"},
		}
		for _, c := range cases {
			rows, err := tb.FetchAll(ctx, "notes", Query{Columns: []string{"id"}, Filter: c.f, OrderBy: []Order{{"id", false}}})
			if err != nil {
				t.Fatalf("%v: %v", c.f, err)
			}
			if got := strings.Join(ids(rows), ""); got != c.want {
				t.Errorf("%v = %q, want %q", c.f, got, c.want)
			}
			n, err := tb.Count(ctx, "notes", c.f)
			if err != nil || n != uint64(len(c.want)) {
				t.Errorf("count %v = %d, %v; want %d", c.f, n, err, len(c.want))
			}
		}
	})
}

func TestChanges(t *testing.T) {
	eachBackend(t, sqldb.Config{}, func(t *testing.T, be backend) {
		ctx := context.Background()
		tb := be.tables(t, writer)
		seed(t, tb)
		n, err := tb.Update(ctx, "notes", []Field{{"score", 9.5}, {"title", "fruit"}}, []Condition{{"views", Ge, int64(3)}})
		if err != nil || n != 2 {
			t.Fatalf("update = %d, %v", n, err)
		}
		n, err = tb.Increment(ctx, "notes", "views", 5, []Condition{{"id", Ne, "c"}})
		if err != nil || n != 3 {
			t.Fatalf("increment = %d, %v", n, err)
		}
		s, err := tb.Sum(ctx, "notes", "views", nil)
		if err != nil || s != int64(8+15+0+5) {
			t.Fatalf("sum views = %#v, %v; want 28 (d's NULL counted as 0 by increment)", s, err)
		}
		s, err = tb.Sum(ctx, "notes", "score", []Condition{{"title", Eq, "fruit"}})
		if err != nil || s != 19.0 {
			t.Fatalf("sum score = %#v, %v", s, err)
		}
		s, err = tb.Sum(ctx, "notes", "views", []Condition{{"id", Eq, "none"}})
		if err != nil || s != nil {
			t.Fatalf("sum over no rows = %#v, %v; want null", s, err)
		}
		groups, err := tb.GroupBy(ctx, "notes", []string{"title"}, Count, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []Group{
			{Key: []Field{{"title", "apple pie"}}, Value: int64(1)},
			{Key: []Field{{"title", "cherry"}}, Value: int64(1)},
			{Key: []Field{{"title", "fruit"}}, Value: int64(2)},
		}
		if !reflect.DeepEqual(groups, want) {
			t.Fatalf("group-by title count = %#v", groups)
		}
		groups, err = tb.GroupBy(ctx, "notes", []string{"title"}, Max, "views", []Condition{{"title", Eq, "fruit"}})
		if err != nil || !reflect.DeepEqual(groups, []Group{{Key: []Field{{"title", "fruit"}}, Value: int64(15)}}) {
			t.Fatalf("group-by max = %#v, %v", groups, err)
		}
		groups, err = tb.GroupBy(ctx, "notes", []string{"title"}, Avg, "views", []Condition{{"title", Eq, "fruit"}})
		if err != nil || !reflect.DeepEqual(groups, []Group{{Key: []Field{{"title", "fruit"}}, Value: 11.5}}) {
			t.Fatalf("group-by avg = %#v, %v", groups, err)
		}
		n, err = tb.Delete(ctx, "notes", []Condition{{"title", Eq, "fruit"}})
		if err != nil || n != 2 || be.count(t, "notes") != 2 {
			t.Fatalf("delete = %d, %v; %d rows left", n, err, be.count(t, "notes"))
		}
	})
}

func kindOf(err error) (Kind, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return 0, false
	}
	return e.Kind, true
}

// TestBadInputChangesNothing: each refused call gets its kind, and the
// table is as before.
func TestBadInputChangesNothing(t *testing.T) {
	cfg := sqldb.Config{MaxValueBytes: 1000, MaxRows: 3}
	eachBackend(t, cfg, func(t *testing.T, be backend) {
		ctx := context.Background()
		tb := be.tables(t, writer)
		seed(t, tb)
		ro := be.tables(t, reader)
		open := be.tables(t, sqldb.Permissions{Read: true, Write: true})
		big := strings.Repeat("x", 600)
		cases := []struct {
			name string
			call func() error
			want Kind
		}{
			{"unknown table", func() error { _, err := open.Insert(ctx, "nope", note("x", "t", 1, nil)); return err }, NoSuchTable},
			{"table outside db_tables", func() error { _, err := tb.Count(ctx, "secrets", nil); return err }, PermissionDenied},
			{"fetch from another table", func() error {
				_, err := tb.FetchAll(ctx, "secrets", Query{})
				return err
			}, PermissionDenied},
			{"write with read", func() error { _, err := ro.Insert(ctx, "notes", note("x", "t", 1, nil)); return err }, PermissionDenied},
			{"unknown column", func() error { _, err := tb.Insert(ctx, "notes", []Field{{"id", "x"}, {"nope", int64(1)}}); return err }, NoSuchColumn},
			{"unknown filter column", func() error {
				_, err := tb.Delete(ctx, "notes", []Condition{{"nope", Eq, int64(1)}})
				return err
			}, NoSuchColumn},
			{"injection as a column", func() error {
				_, err := tb.Delete(ctx, "notes", []Condition{{"id = id OR 1", Eq, int64(1)}})
				return err
			}, Invalid},
			{"injection as a table", func() error { _, err := tb.Count(ctx, "notes; DROP TABLE notes", nil); return err }, Invalid},
			{"text into integer", func() error {
				_, err := tb.Update(ctx, "notes", []Field{{"views", "many"}}, nil)
				return err
			}, TypeMismatch},
			{"integer into text", func() error { _, err := tb.Insert(ctx, "notes", []Field{{"id", int64(5)}, {"title", "t"}}); return err }, TypeMismatch},
			{"blob into real", func() error {
				_, err := tb.Insert(ctx, "notes", []Field{{"id", "x"}, {"title", "t"}, {"score", []byte{1}}})
				return err
			}, TypeMismatch},
			{"real into integer filter", func() error {
				_, err := tb.Delete(ctx, "notes", []Condition{{"views", Gt, 1.5}})
				return err
			}, TypeMismatch},
			{"oversized value", func() error {
				_, err := tb.Insert(ctx, "notes", []Field{{"id", "x"}, {"title", big + big}})
				return err
			}, TooLarge},
			{"oversized row", func() error {
				_, err := tb.Insert(ctx, "notes", []Field{{"id", big}, {"title", big}})
				return err
			}, TooLarge},
			{"duplicate column", func() error { _, err := tb.Insert(ctx, "notes", []Field{{"id", "x"}, {"id", "y"}}); return err }, Invalid},
			{"empty row", func() error { _, err := tb.Insert(ctx, "notes", nil); return err }, Invalid},
			{"nothing to set", func() error { _, err := tb.Update(ctx, "notes", nil, nil); return err }, Invalid},
			{"duplicate key", func() error { _, err := tb.Insert(ctx, "notes", note("a", "again", 1, nil)); return err }, Constraint},
			{"not null", func() error { _, err := tb.Insert(ctx, "notes", []Field{{"id", "x"}}); return err }, Constraint},
			{"more rows than the limit", func() error { _, err := tb.FetchAll(ctx, "notes", Query{}); return err }, TooLarge},
			{"lt null", func() error { _, err := tb.Count(ctx, "notes", []Condition{{"views", Lt, nil}}); return err }, Invalid},
			{"sum of text", func() error { _, err := tb.Sum(ctx, "notes", "title", nil); return err }, TypeMismatch},
			{"increment a real", func() error { _, err := tb.Increment(ctx, "notes", "score", 1, nil); return err }, TypeMismatch},
			{"group by nothing", func() error { _, err := tb.GroupBy(ctx, "notes", nil, Count, "", nil); return err }, Invalid},
			{"NaN", func() error {
				_, err := tb.Update(ctx, "notes", []Field{{"score", nan()}}, nil)
				return err
			}, TypeMismatch},
			{"invalid UTF-8", func() error { _, err := tb.Update(ctx, "notes", []Field{{"title", "\xff"}}, nil); return err }, TypeMismatch},
		}
		before := dump(t, be)
		for _, c := range cases {
			err := c.call()
			if k, ok := kindOf(err); !ok || k != c.want {
				t.Errorf("%s: err = %v, want kind %s", c.name, err, c.want)
			}
		}
		if after := dump(t, be); !reflect.DeepEqual(after, before) {
			t.Fatalf("refused calls changed the table:\nbefore %v\nafter  %v", before, after)
		}
		// Within the limit, an explicit limit is answered.
		if rows, err := tb.FetchAll(ctx, "notes", Query{Limit: ptr(3)}); err != nil || len(rows) != 3 {
			t.Fatalf("limit 3 = %d rows, %v", len(rows), err)
		}
	})
}

func nan() float64 { var z float64; return z / z }

func dump(t *testing.T, be backend) []string {
	t.Helper()
	rows, err := be.db.Query(`SELECT id, title, COALESCE(views, -1), COALESCE(score, -1) FROM notes ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, title string
		var views int64
		var score float64
		if err := rows.Scan(&id, &title, &views, &score); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s|%s|%d|%g", id, title, views, score))
	}
	return out
}

// TestTransactionsSpanTypedCalls: typed calls inside db-begin … db-rollback
// are rolled back with it.
func TestTransactionsSpanTypedCalls(t *testing.T) {
	eachBackend(t, sqldb.Config{}, func(t *testing.T, be backend) {
		ctx := context.Background()
		conn := be.b.Open("p", writer)
		defer conn.Close()
		tb := New(be.b, conn, "p", writer)
		if err := conn.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		mustInsert(t, tb, note("t", "in tx", 1, nil))
		if n, err := tb.Count(ctx, "notes", nil); err != nil || n != 1 {
			t.Fatalf("count inside the transaction = %d, %v", n, err)
		}
		if err := conn.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if n := be.count(t, "notes"); n != 0 {
			t.Fatalf("%d rows after rollback", n)
		}
	})
}
