package export_raisfast_plugin_wit_plugin_hooks

// The data path of on-content-creating (interop/SPEC.md, "The data calls").

import (
	"math"
	"strconv"
	"strings"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
	db "wit_component/raisfast_plugin_wit_data"
	host "wit_component/raisfast_plugin_wit_host_api"
	. "wit_component/raisfast_plugin_wit_types"
)

func dataRow() []db.Field {
	return []db.Field{
		{Column: "n", Value: db.MakeValueNull()},
		{Column: "i", Value: db.MakeValueInteger(-1)},
		{Column: "r", Value: db.MakeValueReal(-1.5)},
		{Column: "t", Value: db.MakeValueText("Zoë € 😀")},
		{Column: "e", Value: db.MakeValueText("")},
		{Column: "b", Value: db.MakeValueBlob([]byte{})},
		{Column: "c", Value: db.MakeValueBlob([]byte{0x00, 0xff, 0x80, 0x7f})},
	}
}

func dataFilter() []db.Condition {
	return []db.Condition{
		{Column: "a", Op: db.Comparison_Eq, Value: db.MakeValueInteger(math.MinInt64)},
		{Column: "b", Op: db.Comparison_Ne, Value: db.MakeValueText("ü😀")},
		{Column: "c", Op: db.Comparison_Lt, Value: db.MakeValueReal(math.Copysign(0, -1))},
		{Column: "d", Op: db.Comparison_Le, Value: db.MakeValueReal(math.NaN())},
		{Column: "e", Op: db.Comparison_Gt, Value: db.MakeValueInteger(math.MaxInt64)},
		{Column: "f", Op: db.Comparison_Ge, Value: db.MakeValueReal(math.Float64frombits(1))},
		{Column: "g", Op: db.Comparison_Like, Value: db.MakeValueText("%a_b%")},
		{Column: "h", Op: db.Comparison_IsNull, Value: db.MakeValueNull()},
		{Column: "i", Op: db.Comparison_IsNotNull, Value: db.MakeValueBlob([]byte{0x01, 0x02, 0x03})},
	}
}

const hexDigits = "0123456789abcdef"

func val(v db.Value) string {
	switch v.Tag() {
	case db.Value_Null:
		return "null"
	case db.Value_Integer:
		return "i:" + strconv.FormatInt(v.Integer(), 10)
	case db.Value_Real:
		x := v.Real()
		if x != x {
			return "r:nan"
		}
		bits := math.Float64bits(x)
		b := []byte("r:")
		for s := 60; s >= 0; s -= 4 {
			b = append(b, hexDigits[bits>>s&15])
		}
		return string(b)
	case db.Value_Text:
		return "t:" + v.Text()
	case db.Value_Blob:
		b := []byte("b:")
		for _, c := range v.Blob() {
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		}
		return string(b)
	}
	return "?"
}

func row(r []db.Field) string {
	parts := make([]string, len(r))
	for i, f := range r {
		parts[i] = f.Column + "=" + val(f.Value)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

var dbErrorNames = []string{"permission-denied", "no-such-table", "no-such-column", "type-mismatch",
	"constraint", "timeout", "too-large", "invalid", "unavailable", "backend"}

func dbErr(e db.DbError) string {
	var s string
	switch e.Tag() {
	case db.DbError_PermissionDenied:
		s = e.PermissionDenied()
	case db.DbError_NoSuchTable:
		s = e.NoSuchTable()
	case db.DbError_NoSuchColumn:
		s = e.NoSuchColumn()
	case db.DbError_TypeMismatch:
		s = e.TypeMismatch()
	case db.DbError_Constraint:
		s = e.Constraint()
	case db.DbError_Timeout:
		return "timeout"
	case db.DbError_TooLarge:
		s = e.TooLarge()
	case db.DbError_Invalid:
		s = e.Invalid()
	case db.DbError_Unavailable:
		s = e.Unavailable()
	case db.DbError_Backend:
		s = e.Backend()
	default:
		return "?"
	}
	return dbErrorNames[e.Tag()] + "(" + s + ")"
}

func res[T any](r witTypes.Result[T, db.DbError], ok func(T) string) string {
	if r.IsErr() {
		return "err:" + dbErr(r.Err())
	}
	return "ok:" + ok(r.Ok())
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

func rows(rs [][]db.Field) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = row(r)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func onContentData(e ContentEvent) ContentEvent {
	t := e.Data
	id := host.NewId()
	out := []string{"new-id=" + id, "db-ph=" + host.DbPh(1) + " " + host.DbPh(math.MaxUint32)}
	line := func(fn, r string) { out = append(out, fn+"="+r) }
	f := dataFilter()
	full := db.Query{Columns: []string{"id", "títle", ""}, Filter: f,
		OrderBy: []db.Order{{Column: "id"}, {Column: "títle", Descending: true}},
		Limit:   witTypes.Some[uint32](math.MaxUint32), Offset: witTypes.Some[uint32](0)}
	zero := db.Query{Limit: witTypes.None[uint32](), Offset: witTypes.None[uint32]()}

	line("insert", res(db.Insert(t, dataRow()), u64))
	for _, q := range []db.Query{full, zero} {
		line("fetch-one", res(db.FetchOne(t, q), func(r witTypes.Option[[]db.Field]) string {
			if r.IsNone() {
				return "~"
			}
			return "+" + row(r.Some())
		}))
	}
	for _, q := range []db.Query{full, zero} {
		line("fetch-all", res(db.FetchAll(t, q), rows))
	}
	line("update", res(db.Update(t, []db.Field{{Column: "s", Value: db.MakeValueText("ok ✓")}, {Column: "n", Value: db.MakeValueNull()}}, f), u64))
	line("delete", res(db.Delete(t, f), u64))
	line("count", res(db.Count(t, nil), u64))
	line("increment", res(db.Increment(t, "views", math.MinInt64, f), u64))
	for _, ff := range [][]db.Condition{f, nil} {
		line("sum", res(db.Sum(t, "total", ff), val))
	}
	by := []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
	for a := db.Aggregate_Count; a <= db.Aggregate_Avg; a++ {
		line("group-by", res(db.GroupBy(t, by[:2*int(a)], a, "v", f), func(gs []db.Group) string {
			parts := make([]string, len(gs))
			for i, g := range gs {
				parts[i] = row(g.Key) + "->" + val(g.Value)
			}
			return "[" + strings.Join(parts, ",") + "]"
		}))
	}
	return ContentEvent{ContentType: "DATA", Data: strings.Join(out, "\n"), Id: some(id)}
}
