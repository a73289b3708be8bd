package main

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/raisfast/wasmplug/guest/plugin/hostapi"
)

// dbResult is any JSON answer of the db-* host functions (docs/host-api.md):
// {"ok":true}, {"rows_affected":1,"last_insert_id":42},
// {"columns":[…],"rows":[[…]]} or {"error":"…","code":"…"}.
type dbResult struct {
	OK           bool              `json:"ok"`
	RowsAffected int64             `json:"rows_affected"`
	Columns      []string          `json:"columns"`
	Rows         []json.RawMessage `json:"rows"`
	Error        string            `json:"error"`
	Code         string            `json:"code"`
}

// dbError is a failure reported by the host as {"error","code"}.
type dbError struct {
	Op, Code, Msg string
}

func (e *dbError) Error() string { return e.Op + ": " + e.Code + ": " + e.Msg }

// decode parses a db-* answer; a JSON error object becomes a *dbError.
func decode(op, answer string) (*dbResult, error) {
	var r dbResult
	if err := json.Unmarshal([]byte(answer), &r); err != nil {
		return nil, &dbError{Op: op, Code: "bad_answer", Msg: "cannot parse " + answer}
	}
	if r.Code != "" || r.Error != "" {
		return nil, &dbError{Op: op, Code: r.Code, Msg: r.Error}
	}
	return &r, nil
}

// tx is the transaction of one hook call.
type tx struct {
	created bool // the schema was created in this transaction
	done    bool
}

func begin() (*tx, error) {
	if _, err := decode("db-begin", hostapi.DBBegin()); err != nil {
		return nil, err
	}
	return &tx{}, nil
}

func (t *tx) commit() error {
	_, err := decode("db-commit", hostapi.DBCommit())
	if err == nil {
		t.done = true
	}
	return err
}

// rollback ends the transaction unless it was committed. Its own failure
// only matters for the log: the host rolls back an open transaction when
// the hook call ends anyway.
func (t *tx) rollback() {
	if t.done {
		return
	}
	t.done = true
	if _, err := decode("db-rollback", hostapi.DBRollback()); err != nil {
		hostapi.Log("warn", err.Error())
	}
}

// exec runs a statement with params bound to its "?" placeholders. When a
// table of the plugin is missing it creates the schema (in this
// transaction) and runs the statement again.
func (t *tx) exec(sql string, params ...any) error {
	_, err := t.run("db-execute", sql, params)
	return err
}

// queryInt runs a query whose first row's first column is an integer.
func (t *tx) queryInt(sql string, params ...any) (int64, error) {
	r, err := t.run("db-query", sql, params)
	if err != nil {
		return 0, err
	}
	if len(r.Rows) == 0 {
		return 0, &dbError{Op: "db-query", Code: "no_rows", Msg: sql}
	}
	var row []int64
	if err := json.Unmarshal(r.Rows[0], &row); err != nil || len(row) == 0 {
		return 0, &dbError{Op: "db-query", Code: "bad_row", Msg: string(r.Rows[0])}
	}
	return row[0], nil
}

func (t *tx) run(op, sql string, params []any) (*dbResult, error) {
	var ps *string
	if len(params) > 0 {
		p, err := json.Marshal(params)
		if err != nil {
			return nil, err
		}
		s := string(p)
		ps = &s
	}
	call := func() (*dbResult, error) {
		if op == "db-query" {
			return decode(op, hostapi.DBQuery(sql, ps))
		}
		return decode(op, hostapi.DBExecute(sql, ps))
	}
	r, err := call()
	var de *dbError
	if err != nil && !t.created && errors.As(err, &de) && de.Code == "sql_error" && strings.Contains(de.Msg, "no such table: plugin_stats_") {
		if err := t.createSchema(); err != nil {
			return nil, err
		}
		return call()
	}
	return r, err
}

func (t *tx) createSchema() error {
	t.created = true
	for _, stmt := range schema {
		if _, err := decode("db-execute", hostapi.DBExecute(stmt, nil)); err != nil {
			var de *dbError
			if errors.As(err, &de) && de.Code == "permission_denied" {
				return errors.New("the plugin's tables do not exist and the host does not let it create them (" + de.Msg +
					"): grant it schema changes, or create them with the statements in examples/plugins/stats/README.md")
			}
			return err
		}
	}
	hostapi.Log("info", "created tables plugin_stats_counters, plugin_stats_logins and plugin_stats_posts")
	return nil
}
