package hostapi

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/services/dataapi"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/witval"
)

var _ plugin.Data = (*Adapter)(nil)

// NewID implements host-api new-id: a UUID v7.
func (a *Adapter) NewID(ctx context.Context) string {
	id, err := uuid.NewV7()
	if err != nil { // the system's random source failed
		a.p.dbg.WarnContext(ctx, "host-api: new-id", "err", err)
		return ""
	}
	return id.String()
}

// DBPh implements host-api db-ph: the backend's placeholder of parameter n
// ("?" when the host offers no database, as for SQLite).
func (a *Adapter) DBPh(ctx context.Context, n uint32) string {
	if a.svc.SQL == nil {
		return sqldb.SQLite.Placeholder(int(n))
	}
	return a.svc.SQL.Dialect().Placeholder(int(n))
}

// tables returns the typed data API of the current call, on its session.
func (a *Adapter) tables(ctx context.Context, fn string) (*dataapi.Tables, error) {
	if a.svc.SQL == nil {
		a.denied(ctx, fn, "no database")
		return nil, dbErr(&dataapi.Error{Kind: dataapi.Unavailable, Message: "the host offers no database"})
	}
	return dataapi.New(a.svc.SQL, a.session(), a.p.ID, a.p.SQL), nil
}

// dbErr turns a dataapi error into the WIT result's db-error.
func dbErr(err error) error {
	var e *dataapi.Error
	if !errors.As(err, &e) {
		e = &dataapi.Error{Kind: dataapi.Backend, Message: err.Error()}
	}
	var v plugin.DBError
	switch e.Kind {
	case dataapi.PermissionDenied:
		v = plugin.DBErrorPermissionDenied{Value: e.Message}
	case dataapi.NoSuchTable:
		v = plugin.DBErrorNoSuchTable{Value: e.Message}
	case dataapi.NoSuchColumn:
		v = plugin.DBErrorNoSuchColumn{Value: e.Message}
	case dataapi.TypeMismatch:
		v = plugin.DBErrorTypeMismatch{Value: e.Message}
	case dataapi.Constraint:
		v = plugin.DBErrorConstraint{Value: e.Message}
	case dataapi.Timeout:
		v = plugin.DBErrorTimeout{}
	case dataapi.TooLarge:
		v = plugin.DBErrorTooLarge{Value: e.Message}
	case dataapi.Invalid:
		v = plugin.DBErrorInvalid{Value: e.Message}
	case dataapi.Unavailable:
		v = plugin.DBErrorUnavailable{Value: e.Message}
	default:
		v = plugin.DBErrorBackend{Value: e.Message}
	}
	return &witval.ResultError[plugin.DBError]{Value: v}
}

func (a *Adapter) failed(ctx context.Context, fn string, err error) error {
	a.p.dbg.DebugContext(ctx, "host-api: data call refused", "func", fn, "err", err)
	return dbErr(err)
}

func fromValue(v plugin.Value) any {
	switch x := v.(type) {
	case plugin.ValueInteger:
		return x.Value
	case plugin.ValueReal:
		return x.Value
	case plugin.ValueText:
		return x.Value
	case plugin.ValueBlob:
		return x.Value
	}
	return nil
}

func toValue(v any) plugin.Value {
	switch x := v.(type) {
	case int64:
		return plugin.ValueInteger{Value: x}
	case float64:
		return plugin.ValueReal{Value: x}
	case string:
		return plugin.ValueText{Value: x}
	case []byte:
		return plugin.ValueBlob{Value: x}
	}
	return plugin.ValueNull{}
}

func fromRow(row []plugin.Field) []dataapi.Field {
	out := make([]dataapi.Field, len(row))
	for i, f := range row {
		out[i] = dataapi.Field{Column: f.Column, Value: fromValue(f.Value)}
	}
	return out
}

func toRow(row []dataapi.Field) []plugin.Field {
	out := make([]plugin.Field, len(row))
	for i, f := range row {
		out[i] = plugin.Field{Column: f.Column, Value: toValue(f.Value)}
	}
	return out
}

func fromFilter(f []plugin.Condition) []dataapi.Condition {
	out := make([]dataapi.Condition, len(f))
	for i, c := range f {
		out[i] = dataapi.Condition{Column: c.Column, Op: dataapi.Op(c.Op), Value: fromValue(c.Value)}
	}
	return out
}

func fromQuery(q plugin.Query) dataapi.Query {
	order := make([]dataapi.Order, len(q.OrderBy))
	for i, o := range q.OrderBy {
		order[i] = dataapi.Order{Column: o.Column, Descending: o.Descending}
	}
	return dataapi.Query{Columns: q.Columns, Filter: fromFilter(q.Filter), OrderBy: order, Limit: q.Limit, Offset: q.Offset}
}

// Insert implements data insert.
func (a *Adapter) Insert(ctx context.Context, table string, row []plugin.Field) (uint64, error) {
	t, err := a.tables(ctx, "insert")
	if err != nil {
		return 0, err
	}
	n, err := t.Insert(ctx, table, fromRow(row))
	if err != nil {
		return 0, a.failed(ctx, "insert", err)
	}
	return n, nil
}

// FetchOne implements data fetch-one.
func (a *Adapter) FetchOne(ctx context.Context, table string, q plugin.Query) (*[]plugin.Field, error) {
	t, err := a.tables(ctx, "fetch-one")
	if err != nil {
		return nil, err
	}
	row, err := t.FetchOne(ctx, table, fromQuery(q))
	if err != nil {
		return nil, a.failed(ctx, "fetch-one", err)
	}
	if row == nil {
		return nil, nil
	}
	out := toRow(row)
	return &out, nil
}

// FetchAll implements data fetch-all.
func (a *Adapter) FetchAll(ctx context.Context, table string, q plugin.Query) ([][]plugin.Field, error) {
	t, err := a.tables(ctx, "fetch-all")
	if err != nil {
		return nil, err
	}
	rows, err := t.FetchAll(ctx, table, fromQuery(q))
	if err != nil {
		return nil, a.failed(ctx, "fetch-all", err)
	}
	out := make([][]plugin.Field, len(rows))
	for i, r := range rows {
		out[i] = toRow(r)
	}
	return out, nil
}

// Update implements data update.
func (a *Adapter) Update(ctx context.Context, table string, set []plugin.Field, filter []plugin.Condition) (uint64, error) {
	t, err := a.tables(ctx, "update")
	if err != nil {
		return 0, err
	}
	n, err := t.Update(ctx, table, fromRow(set), fromFilter(filter))
	if err != nil {
		return 0, a.failed(ctx, "update", err)
	}
	return n, nil
}

// Delete implements data delete.
func (a *Adapter) Delete(ctx context.Context, table string, filter []plugin.Condition) (uint64, error) {
	t, err := a.tables(ctx, "delete")
	if err != nil {
		return 0, err
	}
	n, err := t.Delete(ctx, table, fromFilter(filter))
	if err != nil {
		return 0, a.failed(ctx, "delete", err)
	}
	return n, nil
}

// Count implements data count.
func (a *Adapter) Count(ctx context.Context, table string, filter []plugin.Condition) (uint64, error) {
	t, err := a.tables(ctx, "count")
	if err != nil {
		return 0, err
	}
	n, err := t.Count(ctx, table, fromFilter(filter))
	if err != nil {
		return 0, a.failed(ctx, "count", err)
	}
	return n, nil
}

// Increment implements data increment.
func (a *Adapter) Increment(ctx context.Context, table, column string, by int64, filter []plugin.Condition) (uint64, error) {
	t, err := a.tables(ctx, "increment")
	if err != nil {
		return 0, err
	}
	n, err := t.Increment(ctx, table, column, by, fromFilter(filter))
	if err != nil {
		return 0, a.failed(ctx, "increment", err)
	}
	return n, nil
}

// Sum implements data sum.
func (a *Adapter) Sum(ctx context.Context, table, column string, filter []plugin.Condition) (plugin.Value, error) {
	t, err := a.tables(ctx, "sum")
	if err != nil {
		return nil, err
	}
	v, err := t.Sum(ctx, table, column, fromFilter(filter))
	if err != nil {
		return nil, a.failed(ctx, "sum", err)
	}
	return toValue(v), nil
}

// GroupBy implements data group-by.
func (a *Adapter) GroupBy(ctx context.Context, table string, by []string, agg plugin.Aggregate, column string, filter []plugin.Condition) ([]plugin.Group, error) {
	t, err := a.tables(ctx, "group-by")
	if err != nil {
		return nil, err
	}
	groups, err := t.GroupBy(ctx, table, by, dataapi.Aggregate(agg), column, fromFilter(filter))
	if err != nil {
		return nil, a.failed(ctx, "group-by", err)
	}
	out := make([]plugin.Group, len(groups))
	for i, g := range groups {
		out[i] = plugin.Group{Key: toRow(g.Key), Value: toValue(g.Value)}
	}
	return out, nil
}
