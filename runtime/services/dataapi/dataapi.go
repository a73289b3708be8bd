// Package dataapi is the typed data API of contract 0.1.1 (interface data
// of wit/plugin.wit): insert, fetch-one, fetch-all, update, delete, count,
// increment, sum and group-by on one table, with values, filters, ordering
// and limits as structured data. It writes the SQL itself, for the
// backend's dialect, and runs it through the plugin's database session
// (sqldb.Conn), so:
//
//   - the plugin's permissions hold exactly as for db-query and db-execute:
//     the session's own enforcement (SQLite's authorizer, PostgreSQL's
//     roles) sees every statement, and the table allow-list and read/write
//     grants are also checked here first, for a clear error;
//   - a typed call inside db-begin … db-commit is part of the transaction;
//   - table and column names are checked against the table's columns
//     (sqldb.Backend.Columns) and quoted, values are bound as parameters
//     and checked against the column types, so no plugin string ever
//     becomes SQL text;
//   - the same call gives the same rows on SQLite and PostgreSQL: NULLs sort
//     first ascending and last descending, text compares byte-wise (COLLATE
//     "C" / BINARY), like is case-insensitive for ASCII letters (LIKE /
//     ILIKE), sums of integer columns are integers.
//
// Bad input (unknown table or column, a value of the wrong type, oversized
// rows, a table outside the plugin's allow-list) gets an *Error and never
// reaches the database. The package knows nothing about WebAssembly: the
// host-api adapter (runtime/internal/hostapi) converts the generated WIT types.
package dataapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// A value is nil (SQL NULL), int64, float64, string or []byte.

// Field is one column of a row and its value.
type Field struct {
	Column string
	Value  any
}

// Op is a condition's comparison.
type Op uint8

// Comparisons, in the order of WIT enum comparison.
const (
	Eq Op = iota
	Ne
	Lt
	Le
	Gt
	Ge
	Like
	IsNull
	IsNotNull
)

// Condition is one condition on a column; a filter is a list of them, all
// of which must hold.
type Condition struct {
	Column string
	Op     Op
	Value  any
}

// Order is a sort key.
type Order struct {
	Column     string
	Descending bool
}

// Query is what FetchOne and FetchAll read.
type Query struct {
	Columns []string // empty: every column, in table order
	Filter  []Condition
	OrderBy []Order
	Limit   *uint32
	Offset  *uint32
}

// Aggregate is group-by's aggregate function, in the order of WIT enum
// aggregate.
type Aggregate uint8

// Aggregates.
const (
	Count Aggregate = iota
	Sum
	Min
	Max
	Avg
)

// Group is one group of GroupBy.
type Group struct {
	Key   []Field
	Value any
}

// Kind classifies an Error, in the order of WIT variant db-error.
type Kind uint8

// Error kinds.
const (
	PermissionDenied Kind = iota
	NoSuchTable
	NoSuchColumn
	TypeMismatch
	Constraint
	Timeout
	TooLarge
	Invalid
	Unavailable
	Backend
)

var kindNames = [...]string{"permission-denied", "no-such-table", "no-such-column", "type-mismatch",
	"constraint", "timeout", "too-large", "invalid", "unavailable", "backend"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a refused or failed call.
type Error struct {
	Kind    Kind
	Message string
	Err     error // the backend's error, if any
}

func (e *Error) Error() string { return "dataapi: " + e.Kind.String() + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

func errf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// maxConditions bounds a filter, maxOrder the sort keys.
const (
	maxConditions = 64
	maxOrder      = 16
)

// Tables runs typed calls for one plugin's hook call on its session.
type Tables struct {
	b      sqldb.Backend
	conn   sqldb.Conn
	plugin string
	perm   sqldb.Permissions
	cfg    sqldb.Config
}

// New returns the typed API of one hook call of pluginID: conn is its
// database session (opened with perm by b).
func New(b sqldb.Backend, conn sqldb.Conn, pluginID string, perm sqldb.Permissions) *Tables {
	return &Tables{b: b, conn: conn, plugin: pluginID, perm: perm, cfg: b.Config()}
}

// table is a checked table: its quoted name and its columns by lower-case
// name.
type table struct {
	name   string
	quoted string
	cols   []sqldb.Column
	byName map[string]*sqldb.Column
}

// validIdent reports whether s is a plain SQL identifier: a letter or
// underscore, then letters, digits or underscores, at most 63 bytes
// (PostgreSQL's limit).
func validIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// open checks that the plugin may use name (write: for a change) and looks
// up its columns.
func (t *Tables) open(ctx context.Context, name string, write bool) (*table, error) {
	if !validIdent(name) {
		return nil, errf(Invalid, "table name %q: want letters, digits and underscores, starting with a letter or underscore", name)
	}
	if strings.HasPrefix(strings.ToLower(name), "sqlite_") || strings.HasPrefix(strings.ToLower(name), "pg_") {
		return nil, errf(PermissionDenied, "table %s is the database's own", name)
	}
	switch {
	case write && !t.perm.Write:
		return nil, errf(PermissionDenied, "plugin %s may not write to the database", t.plugin)
	case !t.perm.Read:
		return nil, errf(PermissionDenied, "plugin %s may not read the database", t.plugin)
	}
	if len(t.perm.Tables) > 0 {
		ok := false
		for _, a := range t.perm.Tables {
			if strings.EqualFold(a, name) {
				ok = true
				break
			}
		}
		if !ok {
			return nil, errf(PermissionDenied, "plugin %s may not use table %s (not in its db_tables)", t.plugin, name)
		}
	}
	cols, err := t.b.Columns(ctx, name)
	if err != nil {
		return nil, t.backendErr(ctx, err)
	}
	if len(cols) == 0 {
		return nil, errf(NoSuchTable, "no table %s", name)
	}
	tb := &table{name: name, quoted: t.b.Dialect().QuoteIdent(name), cols: cols, byName: make(map[string]*sqldb.Column, len(cols))}
	for i := range cols {
		tb.byName[strings.ToLower(cols[i].Name)] = &cols[i]
	}
	return tb, nil
}

// column returns the column of tb named name.
func (tb *table) column(name string) (*sqldb.Column, error) {
	if !validIdent(name) {
		return nil, errf(Invalid, "column name %q: want letters, digits and underscores, starting with a letter or underscore", name)
	}
	c, ok := tb.byName[strings.ToLower(name)]
	if !ok {
		return nil, errf(NoSuchColumn, "table %s has no column %s", tb.name, name)
	}
	return c, nil
}

// stmt builds one statement: its text and parameters.
type stmt struct {
	d      sqldb.Dialect
	sb     strings.Builder
	params []any
}

func (s *stmt) w(parts ...string) {
	for _, p := range parts {
		s.sb.WriteString(p)
	}
}

func (s *stmt) bind(v any) {
	s.params = append(s.params, v)
	s.sb.WriteString(s.d.Placeholder(len(s.params)))
}

func (s *stmt) ident(name string) { s.sb.WriteString(s.d.QuoteIdent(name)) }

// checkValue checks that v fits column c and the size limit; it returns
// the value to bind.
func (t *Tables) checkValue(tb *table, c *sqldb.Column, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		switch c.Type {
		case sqldb.TextType, sqldb.BlobType:
			return nil, t.mismatch(tb, c, "integer")
		case sqldb.RealType:
			return float64(x), nil
		}
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errf(TypeMismatch, "column %s.%s: %v is not a storable real", tb.name, c.Name, x)
		}
		if c.Type != sqldb.RealType && c.Type != sqldb.AnyType {
			return nil, t.mismatch(tb, c, "real")
		}
		return x, nil
	case string:
		if c.Type != sqldb.TextType && c.Type != sqldb.AnyType {
			return nil, t.mismatch(tb, c, "text")
		}
		if !utf8.ValidString(x) || strings.IndexByte(x, 0) >= 0 {
			return nil, errf(TypeMismatch, "column %s.%s: text must be UTF-8 without NUL characters", tb.name, c.Name)
		}
		if len(x) > t.cfg.MaxValueBytes {
			return nil, errf(TooLarge, "column %s.%s: text of %d bytes exceeds the limit of %d", tb.name, c.Name, len(x), t.cfg.MaxValueBytes)
		}
		return x, nil
	case []byte:
		if c.Type != sqldb.BlobType && c.Type != sqldb.AnyType {
			return nil, t.mismatch(tb, c, "blob")
		}
		if len(x) > t.cfg.MaxValueBytes {
			return nil, errf(TooLarge, "column %s.%s: blob of %d bytes exceeds the limit of %d", tb.name, c.Name, len(x), t.cfg.MaxValueBytes)
		}
		return x, nil
	}
	return nil, errf(Invalid, "column %s.%s: unsupported value %T", tb.name, c.Name, v)
}

func (t *Tables) mismatch(tb *table, c *sqldb.Column, got string) error {
	return errf(TypeMismatch, "column %s.%s holds %s values, not %s", tb.name, c.Name, c.Type, got)
}

func valueSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	}
	return 8
}

// comparisonSQL is the operator of each plain comparison.
var comparisonSQL = [...]string{Eq: " = ", Ne: " <> ", Lt: " < ", Le: " <= ", Gt: " > ", Ge: " >= "}

// where appends " WHERE …" for filter.
func (t *Tables) where(s *stmt, tb *table, filter []Condition) error {
	if len(filter) > maxConditions {
		return errf(Invalid, "filter has %d conditions; at most %d", len(filter), maxConditions)
	}
	for i, c := range filter {
		col, err := tb.column(c.Column)
		if err != nil {
			return err
		}
		if i == 0 {
			s.w(" WHERE ")
		} else {
			s.w(" AND ")
		}
		s.ident(col.Name)
		op := c.Op
		switch {
		case c.Value == nil && op == Eq:
			op = IsNull
		case c.Value == nil && op == Ne:
			op = IsNotNull
		}
		switch op {
		case IsNull:
			s.w(" IS NULL")
			continue
		case IsNotNull:
			s.w(" IS NOT NULL")
			continue
		case Like:
			str, ok := c.Value.(string)
			if !ok {
				return errf(TypeMismatch, "condition on %s: like needs a text pattern", col.Name)
			}
			if len(str) > 1000 {
				return errf(TooLarge, "condition on %s: like pattern of %d bytes; at most 1000", col.Name, len(str))
			}
			if s.d == sqldb.Postgres {
				s.w(" ILIKE ")
			} else {
				s.w(" LIKE ")
			}
			s.bind(str)
			continue
		}
		if c.Value == nil {
			return errf(Invalid, "condition on %s: only eq, ne, is-null and is-not-null take a null", col.Name)
		}
		v, err := t.checkValue(tb, col, c.Value)
		if err != nil {
			return err
		}
		if int(op) >= len(comparisonSQL) {
			return errf(Invalid, "condition on %s: unknown comparison %d", col.Name, op)
		}
		s.w(comparisonSQL[op])
		s.bind(v)
		if col.Type == sqldb.TextType {
			t.collate(s)
		}
	}
	return nil
}

// collate makes text comparisons byte-wise on both backends.
func (t *Tables) collate(s *stmt) {
	if s.d == sqldb.Postgres {
		s.w(` COLLATE "C"`)
	} else {
		s.w(" COLLATE BINARY")
	}
}

// orderTerm appends one sort key with the portable NULL order.
func (t *Tables) orderTerm(s *stmt, col *sqldb.Column, desc bool) {
	s.ident(col.Name)
	if col.Type == sqldb.TextType {
		t.collate(s)
	}
	if desc {
		s.w(" DESC NULLS LAST")
	} else {
		s.w(" ASC NULLS FIRST")
	}
}

// Insert inserts row into tableName.
func (t *Tables) Insert(ctx context.Context, tableName string, row []Field) (uint64, error) {
	tb, err := t.open(ctx, tableName, true)
	if err != nil {
		return 0, err
	}
	if len(row) == 0 {
		return 0, errf(Invalid, "insert into %s: the row has no columns", tb.name)
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("INSERT INTO ", tb.quoted, " (")
	vals, err := t.assignments(tb, row)
	if err != nil {
		return 0, err
	}
	for i, f := range vals {
		if i > 0 {
			s.w(", ")
		}
		s.ident(f.Column)
	}
	s.w(") VALUES (")
	for i, f := range vals {
		if i > 0 {
			s.w(", ")
		}
		s.bind(f.Value)
	}
	s.w(")")
	return t.exec(ctx, s)
}

// assignments checks a row's columns and values (no duplicates, sizes) and
// returns them with the table's spelling of each column.
func (t *Tables) assignments(tb *table, row []Field) ([]Field, error) {
	if len(row) > len(tb.cols) {
		return nil, errf(Invalid, "the row has %d columns; table %s has %d", len(row), tb.name, len(tb.cols))
	}
	out := make([]Field, len(row))
	seen := make(map[string]bool, len(row))
	size := 0
	for i, f := range row {
		col, err := tb.column(f.Column)
		if err != nil {
			return nil, err
		}
		if seen[col.Name] {
			return nil, errf(Invalid, "column %s appears twice in the row", col.Name)
		}
		seen[col.Name] = true
		v, err := t.checkValue(tb, col, f.Value)
		if err != nil {
			return nil, err
		}
		size += valueSize(v)
		if size > t.cfg.MaxValueBytes {
			return nil, errf(TooLarge, "the row exceeds the limit of %d bytes", t.cfg.MaxValueBytes)
		}
		out[i] = Field{Column: col.Name, Value: v}
	}
	return out, nil
}

// FetchOne returns the first row q selects, or nil.
func (t *Tables) FetchOne(ctx context.Context, tableName string, q Query) ([]Field, error) {
	one := uint32(1)
	q.Limit = &one
	rows, err := t.FetchAll(ctx, tableName, q)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// FetchAll returns every row q selects. More rows than the host's row
// limit (sqldb.Config.MaxRows) without a limit at most that large is a
// too-large error, never a silently shortened answer.
func (t *Tables) FetchAll(ctx context.Context, tableName string, q Query) ([][]Field, error) {
	tb, err := t.open(ctx, tableName, false)
	if err != nil {
		return nil, err
	}
	var cols []*sqldb.Column
	if len(q.Columns) == 0 {
		for i := range tb.cols {
			cols = append(cols, &tb.cols[i])
		}
	} else {
		if len(q.Columns) > t.cfg.MaxColumns {
			return nil, errf(Invalid, "%d columns requested; at most %d", len(q.Columns), t.cfg.MaxColumns)
		}
		for _, name := range q.Columns {
			c, err := tb.column(name)
			if err != nil {
				return nil, err
			}
			cols = append(cols, c)
		}
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("SELECT ")
	for i, c := range cols {
		if i > 0 {
			s.w(", ")
		}
		s.ident(c.Name)
	}
	s.w(" FROM ", tb.quoted)
	if err := t.where(s, tb, q.Filter); err != nil {
		return nil, err
	}
	if len(q.OrderBy) > maxOrder {
		return nil, errf(Invalid, "%d sort keys; at most %d", len(q.OrderBy), maxOrder)
	}
	for i, o := range q.OrderBy {
		c, err := tb.column(o.Column)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			s.w(" ORDER BY ")
		} else {
			s.w(", ")
		}
		t.orderTerm(s, c, o.Descending)
	}
	limit := int64(t.cfg.MaxRows) + 1 // one more tells a cut-off answer
	explicit := q.Limit != nil && int64(*q.Limit) <= int64(t.cfg.MaxRows)
	if explicit {
		limit = int64(*q.Limit)
	}
	s.w(" LIMIT ", strconv.FormatInt(limit, 10))
	if q.Offset != nil {
		s.w(" OFFSET ", strconv.FormatUint(uint64(*q.Offset), 10))
	}
	res, err := t.query(ctx, s)
	if err != nil {
		return nil, err
	}
	if !explicit && (len(res.Rows) > t.cfg.MaxRows || res.Truncated) {
		return nil, errf(TooLarge, "more than %d rows match; pass a limit of at most %d and page with offset", t.cfg.MaxRows, t.cfg.MaxRows)
	}
	out := make([][]Field, len(res.Rows))
	for i, r := range res.Rows {
		row := make([]Field, len(cols))
		for j, c := range cols {
			row[j] = Field{Column: c.Name, Value: scanned(r[j], c.Type)}
		}
		out[i] = row
	}
	return out, nil
}

// scanned maps a value the backend returned to the API's value types: a
// time becomes RFC 3339 text; a number a backend returned as text (a
// PostgreSQL numeric) becomes an integer or a real by the column's type.
func scanned(v any, typ sqldb.ColumnType) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case string:
		switch typ {
		case sqldb.IntegerType:
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n
			}
		case sqldb.RealType:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f
			}
		}
	}
	return v
}

// Update sets the columns of set on the rows filter matches.
func (t *Tables) Update(ctx context.Context, tableName string, set []Field, filter []Condition) (uint64, error) {
	tb, err := t.open(ctx, tableName, true)
	if err != nil {
		return 0, err
	}
	if len(set) == 0 {
		return 0, errf(Invalid, "update of %s: nothing to set", tb.name)
	}
	vals, err := t.assignments(tb, set)
	if err != nil {
		return 0, err
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("UPDATE ", tb.quoted, " SET ")
	for i, f := range vals {
		if i > 0 {
			s.w(", ")
		}
		s.ident(f.Column)
		s.w(" = ")
		s.bind(f.Value)
	}
	if err := t.where(s, tb, filter); err != nil {
		return 0, err
	}
	return t.exec(ctx, s)
}

// Delete deletes the rows filter matches.
func (t *Tables) Delete(ctx context.Context, tableName string, filter []Condition) (uint64, error) {
	tb, err := t.open(ctx, tableName, true)
	if err != nil {
		return 0, err
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("DELETE FROM ", tb.quoted)
	if err := t.where(s, tb, filter); err != nil {
		return 0, err
	}
	return t.exec(ctx, s)
}

// Count counts the rows filter matches.
func (t *Tables) Count(ctx context.Context, tableName string, filter []Condition) (uint64, error) {
	tb, err := t.open(ctx, tableName, false)
	if err != nil {
		return 0, err
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("SELECT COUNT(*) FROM ", tb.quoted)
	if err := t.where(s, tb, filter); err != nil {
		return 0, err
	}
	res, err := t.query(ctx, s)
	if err != nil {
		return 0, err
	}
	n, ok := scanned(res.Rows[0][0], sqldb.IntegerType).(int64)
	if !ok || n < 0 {
		return 0, errf(Backend, "count returned %v", res.Rows[0][0])
	}
	return uint64(n), nil
}

// Increment adds by to integer column of the rows filter matches (a NULL
// counts as 0).
func (t *Tables) Increment(ctx context.Context, tableName, column string, by int64, filter []Condition) (uint64, error) {
	tb, err := t.open(ctx, tableName, true)
	if err != nil {
		return 0, err
	}
	col, err := tb.column(column)
	if err != nil {
		return 0, err
	}
	if col.Type != sqldb.IntegerType && col.Type != sqldb.AnyType {
		return 0, t.mismatch(tb, col, "integer (increment)")
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("UPDATE ", tb.quoted, " SET ")
	s.ident(col.Name)
	s.w(" = COALESCE(")
	s.ident(col.Name)
	s.w(", 0) + ")
	s.bind(by)
	if err := t.where(s, tb, filter); err != nil {
		return 0, err
	}
	return t.exec(ctx, s)
}

// Sum sums column over the rows filter matches: int64 for integer
// columns, float64 otherwise, nil when no row matches.
func (t *Tables) Sum(ctx context.Context, tableName, column string, filter []Condition) (any, error) {
	tb, err := t.open(ctx, tableName, false)
	if err != nil {
		return nil, err
	}
	col, err := tb.column(column)
	if err != nil {
		return nil, err
	}
	if col.Type == sqldb.TextType || col.Type == sqldb.BlobType {
		return nil, t.mismatch(tb, col, "a number (sum)")
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("SELECT ")
	aggTyp := t.aggregate(s, Sum, col)
	s.w(" FROM ", tb.quoted)
	if err := t.where(s, tb, filter); err != nil {
		return nil, err
	}
	res, err := t.query(ctx, s)
	if err != nil {
		return nil, err
	}
	return scanned(res.Rows[0][0], aggTyp), nil
}

// aggregate appends agg of col (cast so both backends return the same
// type) and returns the type of its result.
func (t *Tables) aggregate(s *stmt, agg Aggregate, col *sqldb.Column) sqldb.ColumnType {
	num := "DOUBLE PRECISION"
	typ := sqldb.RealType
	if col != nil && col.Type == sqldb.IntegerType {
		num, typ = "BIGINT", sqldb.IntegerType
	}
	switch agg {
	case Count:
		s.w("COUNT(*)")
		return sqldb.IntegerType
	case Sum:
		s.w("CAST(SUM(")
		s.ident(col.Name)
		s.w(") AS ", num, ")")
		return typ
	case Avg:
		s.w("CAST(AVG(")
		s.ident(col.Name)
		s.w(") AS DOUBLE PRECISION)")
		return sqldb.RealType
	}
	if agg == Min {
		s.w("MIN(")
	} else {
		s.w("MAX(")
	}
	s.ident(col.Name)
	if col.Type == sqldb.TextType {
		t.collate(s)
	}
	s.w(")")
	return col.Type
}

// GroupBy groups the rows filter matches by the by columns and computes
// agg of column per group, groups sorted by key.
func (t *Tables) GroupBy(ctx context.Context, tableName string, by []string, agg Aggregate, column string, filter []Condition) ([]Group, error) {
	tb, err := t.open(ctx, tableName, false)
	if err != nil {
		return nil, err
	}
	if len(by) == 0 {
		return nil, errf(Invalid, "group-by on %s: no grouping column", tb.name)
	}
	if len(by) > maxOrder {
		return nil, errf(Invalid, "%d grouping columns; at most %d", len(by), maxOrder)
	}
	if agg > Avg {
		return nil, errf(Invalid, "unknown aggregate %d", agg)
	}
	keys := make([]*sqldb.Column, len(by))
	for i, name := range by {
		if keys[i], err = tb.column(name); err != nil {
			return nil, err
		}
	}
	var col *sqldb.Column
	if agg != Count {
		if col, err = tb.column(column); err != nil {
			return nil, err
		}
		if (agg == Sum || agg == Avg) && (col.Type == sqldb.TextType || col.Type == sqldb.BlobType) {
			return nil, t.mismatch(tb, col, "a number ("+[...]string{"count", "sum", "min", "max", "avg"}[agg]+")")
		}
	}
	s := &stmt{d: t.b.Dialect()}
	s.w("SELECT ")
	for _, k := range keys {
		s.ident(k.Name)
		s.w(", ")
	}
	aggTyp := t.aggregate(s, agg, col)
	s.w(" FROM ", tb.quoted)
	if err := t.where(s, tb, filter); err != nil {
		return nil, err
	}
	s.w(" GROUP BY ")
	for i, k := range keys {
		if i > 0 {
			s.w(", ")
		}
		s.ident(k.Name)
	}
	s.w(" ORDER BY ")
	for i, k := range keys {
		if i > 0 {
			s.w(", ")
		}
		t.orderTerm(s, k, false)
	}
	s.w(" LIMIT ", strconv.Itoa(t.cfg.MaxRows+1))
	res, err := t.query(ctx, s)
	if err != nil {
		return nil, err
	}
	if len(res.Rows) > t.cfg.MaxRows || res.Truncated {
		return nil, errf(TooLarge, "more than %d groups; narrow the filter", t.cfg.MaxRows)
	}
	out := make([]Group, len(res.Rows))
	for i, r := range res.Rows {
		key := make([]Field, len(keys))
		for j, k := range keys {
			key[j] = Field{Column: k.Name, Value: scanned(r[j], k.Type)}
		}
		out[i] = Group{Key: key, Value: scanned(r[len(keys)], aggTyp)}
	}
	return out, nil
}

func (t *Tables) query(ctx context.Context, s *stmt) (*sqldb.QueryResult, error) {
	res, err := t.conn.Query(ctx, s.sb.String(), s.params)
	if err != nil {
		return nil, t.backendErr(ctx, err)
	}
	return res, nil
}

func (t *Tables) exec(ctx context.Context, s *stmt) (uint64, error) {
	res, err := t.conn.Execute(ctx, s.sb.String(), s.params)
	if err != nil {
		return 0, t.backendErr(ctx, err)
	}
	if res.RowsAffected < 0 {
		return 0, nil
	}
	return uint64(res.RowsAffected), nil
}

// backendErr maps a session's error to an Error.
func (t *Tables) backendErr(ctx context.Context, err error) error {
	var se *sqldb.Error
	if !errors.As(err, &se) {
		if ctx.Err() != nil {
			return &Error{Kind: Timeout, Message: context.Cause(ctx).Error(), Err: err}
		}
		return &Error{Kind: Backend, Message: err.Error(), Err: err}
	}
	k := Backend
	switch se.Code {
	case sqldb.CodePermissionDenied:
		k = PermissionDenied
	case sqldb.CodeTimeout:
		k = Timeout
	case sqldb.CodeTooLarge, sqldb.CodeResultTooLarge:
		k = TooLarge
	case sqldb.CodeConstraint:
		k = Constraint
	case sqldb.CodeTxAborted, sqldb.CodeSessionClosed, sqldb.CodeUnsupported, sqldb.CodeNoTransaction:
		k = Unavailable
	case sqldb.CodeBadParams, sqldb.CodeBadSQL:
		k = Invalid
	}
	msg := se.Message
	if msg == "" && se.Err != nil {
		msg = se.Err.Error()
	}
	return &Error{Kind: k, Message: msg, Err: err}
}
