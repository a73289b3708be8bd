package pgdb

import (
	"fmt"
	"strings"

	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// stmtKind is the host-api function a statement arrives through.
type stmtKind int

const (
	kindQuery   stmtKind = iota // db-query
	kindExecute                 // db-execute
)

// statement is a plugin statement that passed classify.
type statement struct {
	ddl bool // changes the schema (CREATE/ALTER/DROP)
}

// deniedNames are functions, views and schemas no plugin statement may
// name, anywhere (as a word or a quoted identifier, any case), because
// PostgreSQL does not check them against the current role alone:
//
//   - set_config and the pg_settings view (whose UPDATE rule calls
//     set_config) can set "role" or "session_authorization": SET ROLE is
//     checked against the session user, the host, so they would leave the
//     plugin's role;
//   - query_to_xml, ts_stat, ts_rewrite and the other functions that run a
//     query given as text would run text classify never saw;
//   - pg_notify would forge the host's cluster events; session-level
//     advisory locks outlive the statement on a pooled connection (and the
//     host uses them for cron); pg_cancel/terminate_backend stop other
//     sessions of the same role; large-object functions write outside any
//     table the plugin was granted;
//   - pg_temp: temporary objects outlive the statement on the pooled
//     connection and shadow the host's tables for later statements on it.
var deniedNames = map[string]bool{
	"set_config": true, "pg_settings": true,
	"query_to_xml": true, "query_to_xmlschema": true, "query_to_xml_and_xmlschema": true,
	"cursor_to_xml": true, "cursor_to_xmlschema": true,
	"table_to_xml": true, "table_to_xmlschema": true, "table_to_xml_and_xmlschema": true,
	"schema_to_xml": true, "schema_to_xmlschema": true, "schema_to_xml_and_xmlschema": true,
	"database_to_xml": true, "database_to_xmlschema": true, "database_to_xml_and_xmlschema": true,
	"ts_stat": true, "ts_rewrite": true,
	"pg_notify":        true,
	"pg_advisory_lock": true, "pg_advisory_lock_shared": true,
	"pg_try_advisory_lock": true, "pg_try_advisory_lock_shared": true,
	"pg_advisory_unlock": true, "pg_advisory_unlock_shared": true, "pg_advisory_unlock_all": true,
	"pg_cancel_backend": true, "pg_terminate_backend": true,
	"loread": true, "lowrite": true,
}

// deniedPrefixes extend deniedNames to families.
var deniedPrefixes = []string{"dblink", "lo_", "pg_temp", "pg_toast", "pg_read_", "pg_write_", "pg_file", "pg_ls_"}

func deniedName(name string) bool {
	n := strings.ToLower(name)
	if deniedNames[n] {
		return true
	}
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// classify refuses what no plugin statement may be, before PostgreSQL sees
// it: more than one statement, an unknown statement type for kind, a
// statement PostgreSQL does not check against the current role (SET,
// RESET, DO, CREATE FUNCTION, COPY, LISTEN, NOTIFY, transaction control,
// PREPARE/EXECUTE …), a denied name (see deniedNames) and temporary objects.
// What it lets through still runs as the plugin's role in a transaction
// whose privileges PostgreSQL checks; classify is the part of the policy
// PostgreSQL's privileges cannot express.
func classify(query string, kind stmtKind, perm sqldb.Permissions) (statement, error) {
	toks, err := lex(query)
	if err != nil {
		return statement{}, &sqldb.Error{Code: sqldb.CodeBadSQL, Message: err.Error()}
	}
	stmts := splitStatements(toks)
	switch n := len(stmts); {
	case n == 0:
		return statement{}, &sqldb.Error{Code: sqldb.CodeBadSQL, Message: "empty SQL"}
	case n > 1:
		return statement{}, &sqldb.Error{Code: sqldb.CodeBadSQL, Message: fmt.Sprintf("SQL holds %d statements; send one at a time", n)}
	}
	st := stmts[0]
	deny := func(format string, args ...any) (statement, error) {
		return statement{}, &sqldb.Error{Code: sqldb.CodePermissionDenied, Message: fmt.Sprintf(format, args...)}
	}
	for i, t := range st {
		if (t.kind == tokWord || t.kind == tokQIdent) && deniedName(t.text) {
			return deny("%s is not permitted in plugin SQL", t.text)
		}
		// SELECT … INTO TEMP t, CREATE TEMP TABLE …
		if t.kind == tokWord && (t.text == "temp" || t.text == "temporary") && i > 0 {
			if p := st[i-1]; p.kind == tokWord && (p.text == "into" || p.text == "create" || p.text == "local" || p.text == "global" || p.text == "or") {
				return deny("temporary tables are not permitted")
			}
		}
	}
	if kind == kindQuery {
		// Writable CTEs and SELECT … INTO (the READ ONLY transaction would
		// refuse them too, less clearly).
		for i, t := range st {
			if t.kind != tokWord {
				continue
			}
			switch t.text {
			case "insert", "delete", "merge", "into":
				return deny("db-query is read-only; use db-execute to modify the database")
			case "update":
				if p := word(st, i-1); p != "for" && p != "key" {
					return deny("db-query is read-only; use db-execute to modify the database")
				}
			}
		}
	}
	first := word(st, 0)
	if st[0].kind == tokPunct && st[0].text == "(" {
		first = "select"
	}
	switch first {
	case "select", "with", "values", "table":
		return statement{}, nil
	}
	if kind == kindQuery {
		return deny("db-query runs SELECT, WITH, VALUES and TABLE statements only; %s is not one", strings.ToUpper(firstText(st)))
	}
	switch first {
	case "insert", "update", "delete", "merge":
		return statement{}, nil
	case "create", "alter", "drop":
		if !perm.Schema {
			return deny("schema changes are not permitted")
		}
		return classifyDDL(st, perm)
	}
	return deny("%s statements are not permitted in plugin SQL (transactions: use db-begin, db-commit and db-rollback)", strings.ToUpper(firstText(st)))
}

// classifyDDL lets through CREATE/DROP TABLE, INDEX and VIEW and ALTER
// TABLE/INDEX; with a Tables allow-list, CREATE TABLE and CREATE VIEW must
// name a listed table (one of SchemaTables when they are set). (ALTER and DROP need ownership, which PostgreSQL
// checks: a plugin alters and drops only what it created.)
func classifyDDL(st []token, perm sqldb.Permissions) (statement, error) {
	deny := func(format string, args ...any) (statement, error) {
		return statement{}, &sqldb.Error{Code: sqldb.CodePermissionDenied, Message: fmt.Sprintf(format, args...)}
	}
	i := 1
	verb := word(st, 0)
	if verb == "create" && word(st, i) == "or" && word(st, i+1) == "replace" {
		i += 2
	}
	if verb == "create" && word(st, i) == "unlogged" {
		i++
	}
	if verb == "create" && word(st, i) == "unique" {
		i++
	}
	obj := word(st, i)
	switch {
	case obj == "table" || obj == "view" || obj == "index":
	default:
		return deny("%s %s is not permitted in plugin SQL (tables, indexes and views only)", strings.ToUpper(verb), strings.ToUpper(firstText(st[i:])))
	}
	if verb != "create" || obj == "index" || len(perm.Tables) == 0 {
		return statement{ddl: true}, nil
	}
	i++
	if word(st, i) == "if" && word(st, i+1) == "not" && word(st, i+2) == "exists" {
		i += 3
	}
	name := identAt(st, i)
	if i+2 < len(st) && st[i+1].kind == tokPunct && st[i+1].text == "." {
		name = identAt(st, i+2)
	}
	list, what := perm.Tables, "in the allow-list"
	if len(perm.SchemaTables) > 0 {
		list, what = perm.SchemaTables, "one of the plugin's own tables (db_schema)"
	}
	for _, t := range list {
		if name != "" && strings.EqualFold(t, name) {
			return statement{ddl: true}, nil
		}
	}
	return deny("table %s is not %s", name, what)
}

func word(st []token, i int) string {
	if i >= 0 && i < len(st) && st[i].kind == tokWord {
		return st[i].text
	}
	return ""
}

func identAt(st []token, i int) string {
	if i < len(st) && (st[i].kind == tokWord || st[i].kind == tokQIdent) {
		return st[i].text
	}
	return ""
}

func firstText(st []token) string {
	if len(st) == 0 {
		return ""
	}
	if st[0].text == "" {
		return "this"
	}
	return st[0].text
}
