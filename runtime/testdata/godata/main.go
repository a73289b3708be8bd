// Command godata is a test plugin for the typed data API of contract 0.1.1
// (runtime/data_test.go), built with `witgen guest` bindings:
//
//   - on-login(user) inserts a visit (id from new-id) and increments the
//     user's counter row, both in table visits;
//
//   - render-markdown(table) answers a summary of that table computed with
//     count, sum, group-by, fetch-one and fetch-all, or "error <kind>: …"
//     for the first call refused, so the test sees the typed error too.
//
//     GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
package main

import (
	"fmt"
	"strings"

	"github.com/raisfast/wasmplug/guest/plugin"
	"github.com/raisfast/wasmplug/guest/plugin/data"
	"github.com/raisfast/wasmplug/guest/plugin/hostapi"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onlogin"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/rendermarkdown"
	"github.com/raisfast/wasmplug/witval"
)

func text(s string) plugin.Value { return plugin.ValueText{Value: s} }

func eq(col string, v plugin.Value) plugin.Condition {
	return plugin.Condition{Column: col, Op: plugin.ComparisonEq, Value: v}
}

// describe names a db-error case.
func describe(err error) string {
	re, ok := err.(*witval.ResultError[plugin.DBError])
	if !ok {
		return "error ?: " + err.Error()
	}
	switch e := re.Value.(type) {
	case plugin.DBErrorPermissionDenied:
		return "error permission-denied: " + e.Value
	case plugin.DBErrorNoSuchTable:
		return "error no-such-table: " + e.Value
	case plugin.DBErrorNoSuchColumn:
		return "error no-such-column: " + e.Value
	case plugin.DBErrorTypeMismatch:
		return "error type-mismatch: " + e.Value
	case plugin.DBErrorConstraint:
		return "error constraint: " + e.Value
	case plugin.DBErrorTimeout:
		return "error timeout"
	case plugin.DBErrorTooLarge:
		return "error too-large: " + e.Value
	case plugin.DBErrorInvalid:
		return "error invalid: " + e.Value
	case plugin.DBErrorUnavailable:
		return "error unavailable: " + e.Value
	case plugin.DBErrorBackend:
		return "error backend: " + e.Value
	}
	return "error ?"
}

func show(v plugin.Value) string {
	switch x := v.(type) {
	case plugin.ValueInteger:
		return fmt.Sprint(x.Value)
	case plugin.ValueReal:
		return fmt.Sprint(x.Value)
	case plugin.ValueText:
		return x.Value
	case plugin.ValueBlob:
		return fmt.Sprintf("%x", x.Value)
	}
	return "null"
}

func login(user string) {
	id := hostapi.NewID()
	if _, err := data.Insert("visits", []plugin.Field{
		{Column: "id", Value: text(id)},
		{Column: "who", Value: text(user)},
		{Column: "n", Value: plugin.ValueInteger{Value: 1}},
		{Column: "tag", Value: plugin.ValueBlob{Value: []byte(user)}},
	}); err != nil {
		hostapi.Log("warn", "insert: "+describe(err))
		return
	}
	n, err := data.Increment("visits", "n", 10, []plugin.Condition{eq("who", text(user)), eq("id", text(id))})
	if err != nil {
		hostapi.Log("warn", "increment: "+describe(err))
		return
	}
	hostapi.Log("info", fmt.Sprintf("visit %s by %s (%d updated, placeholder %s)", id, user, n, hostapi.DBPh(2)))
}

func summary(table string) string {
	count, err := data.Count(table, nil)
	if err != nil {
		return describe(err)
	}
	sum, err := data.Sum(table, "n", nil)
	if err != nil {
		return describe(err)
	}
	groups, err := data.GroupBy(table, []string{"who"}, plugin.AggregateCount, "", nil)
	if err != nil {
		return describe(err)
	}
	var gs []string
	for _, g := range groups {
		gs = append(gs, show(g.Key[0].Value)+"="+show(g.Value))
	}
	one := uint32(1)
	first, err := data.FetchOne(table, plugin.Query{Columns: []string{"who", "tag"},
		OrderBy: []plugin.Order{{Column: "id", Descending: false}}, Limit: &one})
	if err != nil {
		return describe(err)
	}
	firstWho := "none"
	if first != nil {
		firstWho = show((*first)[0].Value) + "/" + show((*first)[1].Value)
	}
	all, err := data.FetchAll(table, plugin.Query{Filter: []plugin.Condition{{Column: "n", Op: plugin.ComparisonGe, Value: plugin.ValueInteger{Value: 11}}}})
	if err != nil {
		return describe(err)
	}
	return fmt.Sprintf("count=%d sum=%s groups=%s first=%s big=%d", count, show(sum), strings.Join(gs, ","), firstWho, len(all))
}

func init() {
	onlogin.Export(login)
	rendermarkdown.Export(func(table string) *string {
		s := summary(table)
		return &s
	})
}

func main() {}
