package interop_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/witval"
)

// fakeHost is the recording host-api of SPEC.md ("The host's answers"): it
// records every call as [function, args...] (option arguments as opt) and
// answers deterministically. interop/jco/run.mjs implements the same host
// for Node; the reference model calls it too, so the expected call sequence
// is what the model records.
type fakeHost struct {
	calls [][]string
}

var _ plugin.HostAPI = (*fakeHost)(nil)

func (h *fakeHost) rec(fn string, args ...string) {
	h.calls = append(h.calls, append([]string{fn}, args...))
}

func missing(s string) bool { return strings.Contains(s, "missing") }

// answer is none when arg is "missing", else some(prefix + arg).
func answer(prefix, arg string) (string, bool) {
	if missing(arg) {
		return "", false
	}
	return prefix + arg, true
}

func optArg(p *string) string {
	if p == nil {
		return "~"
	}
	return "+" + *p
}

func (h *fakeHost) Log(_ context.Context, level, msg string) { h.rec("log", level, msg) }

func (h *fakeHost) GetConfig(_ context.Context, key string) (string, bool) {
	h.rec("get-config", key)
	return answer("cfg:", key)
}

func (h *fakeHost) HTTPGet(_ context.Context, url string) (string, bool) {
	h.rec("http-get", url)
	return answer("get:", url)
}

func (h *fakeHost) HTTPPost(_ context.Context, url, body string) (string, bool) {
	h.rec("http-post", url, body)
	if missing(url) {
		return "", false
	}
	return "post:" + url + ":" + body, true
}

func (h *fakeHost) GetData(_ context.Context, key string) (string, bool) {
	h.rec("get-data", key)
	return answer("data:", key)
}

func (h *fakeHost) SetData(_ context.Context, key, value string) bool {
	h.rec("set-data", key, value)
	return !missing(key)
}

func (h *fakeHost) GetPost(_ context.Context, slug string) (string, bool) {
	h.rec("get-post", slug)
	return answer("post:", slug)
}

func (h *fakeHost) DBQuery(_ context.Context, sql string, params *string) string {
	h.rec("db-query", sql, optArg(params))
	return "query:" + sql + ":" + optArg(params)
}

func (h *fakeHost) DBExecute(_ context.Context, sql string, params *string) string {
	h.rec("db-execute", sql, optArg(params))
	return "exec:" + sql + ":" + optArg(params)
}

func (h *fakeHost) DBBegin(context.Context) string    { h.rec("db-begin"); return "begin" }
func (h *fakeHost) DBCommit(context.Context) string   { h.rec("db-commit"); return "commit" }
func (h *fakeHost) DBRollback(context.Context) string { h.rec("db-rollback"); return "rollback" }

func (h *fakeHost) VFSRead(_ context.Context, path string) (string, bool) {
	h.rec("vfs-read", path)
	return answer("file:", path)
}

func (h *fakeHost) VFSWrite(_ context.Context, path, content string) bool {
	h.rec("vfs-write", path, content)
	return !missing(path)
}

func (h *fakeHost) VFSDelete(_ context.Context, path string) bool {
	h.rec("vfs-delete", path)
	return !missing(path)
}

func (h *fakeHost) VFSExists(_ context.Context, path string) bool {
	h.rec("vfs-exists", path)
	return !missing(path)
}

func (h *fakeHost) VFSList(_ context.Context, path string) (string, bool) {
	h.rec("vfs-list", path)
	return answer("list:", path)
}

func (h *fakeHost) VFSStat(_ context.Context, path string) (string, bool) {
	h.rec("vfs-stat", path)
	return answer("stat:", path)
}

func (h *fakeHost) EmitEvent(_ context.Context, eventType, data string) string {
	h.rec("emit-event", eventType, data)
	return "event:" + eventType + ":" + strconv.Itoa(len(data))
}

func (h *fakeHost) NewID(_ context.Context) string {
	h.rec("new-id")
	return "id:" + strconv.Itoa(len(h.calls))
}

func (h *fakeHost) DBPh(_ context.Context, n uint32) string {
	h.rec("db-ph", strconv.FormatUint(uint64(n), 10))
	return "$" + strconv.FormatUint(uint64(n), 10)
}

// ---- the data interface (SPEC.md, "The data calls") ----

var _ plugin.Data = (*fakeHost)(nil)

// dbErrorCases are the db-error case names; a table named exactly like one
// makes every data call fail with that case.
var dbErrorCases = []string{"permission-denied", "no-such-table", "no-such-column", "type-mismatch",
	"constraint", "timeout", "too-large", "invalid", "unavailable", "backend"}

// dbFail is the error a data call fn on table gets, or nil.
func dbFail(fn, table string) error {
	msg := fn + ":" + table
	var e plugin.DBError
	switch table {
	case "permission-denied":
		e = plugin.DBErrorPermissionDenied{Value: msg}
	case "no-such-table":
		e = plugin.DBErrorNoSuchTable{Value: msg}
	case "no-such-column":
		e = plugin.DBErrorNoSuchColumn{Value: msg}
	case "type-mismatch":
		e = plugin.DBErrorTypeMismatch{Value: msg}
	case "constraint":
		e = plugin.DBErrorConstraint{Value: msg}
	case "timeout":
		e = plugin.DBErrorTimeout{}
	case "too-large":
		e = plugin.DBErrorTooLarge{Value: msg}
	case "invalid":
		e = plugin.DBErrorInvalid{Value: msg}
	case "unavailable":
		e = plugin.DBErrorUnavailable{Value: msg}
	case "backend":
		e = plugin.DBErrorBackend{Value: msg}
	default:
		return nil
	}
	return &witval.ResultError[plugin.DBError]{Value: e}
}

// dVal is val(v) of SPEC.md.
func dVal(v plugin.Value) string {
	switch v := v.(type) {
	case plugin.ValueNull:
		return "null"
	case plugin.ValueInteger:
		return "i:" + strconv.FormatInt(v.Value, 10)
	case plugin.ValueReal:
		if math.IsNaN(v.Value) {
			return "r:nan"
		}
		return fmt.Sprintf("r:%016x", math.Float64bits(v.Value))
	case plugin.ValueText:
		return "t:" + v.Value
	case plugin.ValueBlob:
		return "b:" + hex.EncodeToString(v.Value)
	}
	return fmt.Sprintf("bad value %T", v)
}

// dRow is row(r) of SPEC.md.
func dRow(r []plugin.Field) string {
	parts := make([]string, len(r))
	for i, f := range r {
		parts[i] = f.Column + "=" + dVal(f.Value)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// dFilter is filter(f) of SPEC.md.
func dFilter(f []plugin.Condition) string {
	parts := make([]string, len(f))
	for i, c := range f {
		parts[i] = c.Column + " " + c.Op.String() + " " + dVal(c.Value)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func optU32(p *uint32) string {
	if p == nil {
		return "~"
	}
	return "+" + strconv.FormatUint(uint64(*p), 10)
}

// dQuery is query(q) of SPEC.md.
func dQuery(q plugin.Query) string {
	orders := make([]string, len(q.OrderBy))
	for i, o := range q.OrderBy {
		orders[i] = o.Column + " asc"
		if o.Descending {
			orders[i] = o.Column + " desc"
		}
	}
	return "cols=" + strings.Join(q.Columns, ",") + " where=" + dFilter(q.Filter) + " order=" + strings.Join(orders, ",") +
		" limit=" + optU32(q.Limit) + " offset=" + optU32(q.Offset)
}

// echo is the row of a filter's columns and operands.
func echo(f []plugin.Condition) []plugin.Field {
	r := make([]plugin.Field, len(f))
	for i, c := range f {
		r[i] = plugin.Field{Column: c.Column, Value: c.Value}
	}
	return r
}

func (h *fakeHost) Insert(_ context.Context, table string, row []plugin.Field) (uint64, error) {
	h.rec("insert", table, dRow(row))
	if err := dbFail("insert", table); err != nil {
		return 0, err
	}
	return uint64(len(row)), nil
}

func (h *fakeHost) FetchOne(_ context.Context, table string, q plugin.Query) (*[]plugin.Field, error) {
	h.rec("fetch-one", table, dQuery(q))
	if err := dbFail("fetch-one", table); err != nil {
		return nil, err
	}
	if len(q.Filter) == 0 {
		return nil, nil
	}
	r := echo(q.Filter)
	return &r, nil
}

func (h *fakeHost) FetchAll(_ context.Context, table string, q plugin.Query) ([][]plugin.Field, error) {
	h.rec("fetch-all", table, dQuery(q))
	if err := dbFail("fetch-all", table); err != nil {
		return nil, err
	}
	rows := [][]plugin.Field{}
	for k, c := range q.Columns {
		rows = append(rows, []plugin.Field{{Column: "col", Value: plugin.ValueText{Value: c}}, {Column: "i", Value: plugin.ValueInteger{Value: int64(k)}}})
	}
	if len(q.Filter) > 0 {
		rows = append(rows, echo(q.Filter))
	}
	return rows, nil
}

func (h *fakeHost) Update(_ context.Context, table string, set []plugin.Field, filter []plugin.Condition) (uint64, error) {
	h.rec("update", table, dRow(set), dFilter(filter))
	if err := dbFail("update", table); err != nil {
		return 0, err
	}
	return uint64(len(set)*100 + len(filter)), nil
}

func (h *fakeHost) Delete(_ context.Context, table string, filter []plugin.Condition) (uint64, error) {
	h.rec("delete", table, dFilter(filter))
	if err := dbFail("delete", table); err != nil {
		return 0, err
	}
	return uint64(len(filter)), nil
}

func (h *fakeHost) Count(_ context.Context, table string, filter []plugin.Condition) (uint64, error) {
	h.rec("count", table, dFilter(filter))
	if err := dbFail("count", table); err != nil {
		return 0, err
	}
	return math.MaxUint64 - uint64(len(filter)), nil
}

func (h *fakeHost) Increment(_ context.Context, table, column string, by int64, filter []plugin.Condition) (uint64, error) {
	h.rec("increment", table, column, strconv.FormatInt(by, 10), dFilter(filter))
	if err := dbFail("increment", table); err != nil {
		return 0, err
	}
	return uint64(by), nil
}

func (h *fakeHost) Sum(_ context.Context, table, column string, filter []plugin.Condition) (plugin.Value, error) {
	h.rec("sum", table, column, dFilter(filter))
	if err := dbFail("sum", table); err != nil {
		return nil, err
	}
	if len(filter) == 0 {
		return plugin.ValueNull{}, nil
	}
	return filter[len(filter)-1].Value, nil
}

func (h *fakeHost) GroupBy(_ context.Context, table string, by []string, agg plugin.Aggregate, column string, filter []plugin.Condition) ([]plugin.Group, error) {
	h.rec("group-by", table, strings.Join(by, ","), agg.String(), column, dFilter(filter))
	if err := dbFail("group-by", table); err != nil {
		return nil, err
	}
	gs := []plugin.Group{}
	for k, b := range by {
		var v plugin.Value = plugin.ValueNull{}
		if k < len(filter) {
			v = filter[k].Value
		}
		gs = append(gs, plugin.Group{Key: []plugin.Field{{Column: b, Value: plugin.ValueInteger{Value: int64(k)}},
			{Column: column, Value: plugin.ValueText{Value: agg.String()}}}, Value: v})
	}
	return gs, nil
}
