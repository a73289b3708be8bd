package sqldb

import (
	"fmt"
	"strings"

	sqlite "modernc.org/sqlite"
)

// Permissions are what one plugin may do with the host database.
type Permissions struct {
	// Read allows db-query (SELECT and WITH … SELECT).
	Read bool
	// Write allows db-execute of INSERT, UPDATE, DELETE (and REPLACE/UPSERT)
	// and the transaction functions db-begin, db-commit and db-rollback.
	// A statement run by db-execute may read the tables it is allowed to.
	Write bool
	// Schema additionally allows db-execute of CREATE/DROP/ALTER TABLE,
	// CREATE/DROP INDEX and CREATE/DROP VIEW. CREATE TRIGGER is allowed only
	// with Schema and no Tables allow-list: a trigger runs with the rights of
	// whoever fires it, including the host.
	Schema bool
	// Tables, when non-empty, is the allow-list of table (and view) names the
	// plugin may touch, compared case-insensitively. Every table a statement
	// reads or writes must be listed, including the tables underneath a view
	// and the tables written by triggers. Empty means every table of the main
	// database.
	Tables []string
	// SchemaTables, when non-empty, narrows Schema to these tables (each
	// also in Tables): DDL may create, alter and drop them and their
	// indexes and views of that name, nothing else. A manifest's db_schema.
	SchemaTables []string
}

// stmtKind is the host-api function a statement arrives through.
type stmtKind int

const (
	kindQuery   stmtKind = iota // db-query: read-only
	kindExecute                 // db-execute
)

// schemaTables are SQLite's catalog tables. DDL reads and writes them; SQLite
// itself refuses direct DML on them (writable_schema is a PRAGMA, and PRAGMAs
// are denied).
var schemaTables = map[string]bool{
	"sqlite_master": true, "sqlite_schema": true,
	"sqlite_temp_master": true, "sqlite_temp_schema": true,
}

// introspection PRAGMAs a reader may run on an allowed table.
var readPragmas = map[string]bool{
	"table_info": true, "table_xinfo": true, "index_list": true, "foreign_key_list": true,
}

// policy is one statement's authorizer state. SQLite calls allow while it
// compiles the statement (including trigger bodies and view definitions).
type policy struct {
	perm   Permissions
	kind   stmtKind
	tables map[string]bool // lower-cased allow-list; nil = all
	owned  map[string]bool // lower-cased SchemaTables; nil = Tables
	denied string          // first refusal, for the error message

	// Function calls the statement compiled, for Config.MaxFunctionCost.
	// A statement SQLite recompiles (after a schema change) counts again;
	// the budget is checked once, after the first compilation.
	cost      int
	quadNames int // calls of quadraticCandidates, whatever their arity
}

func newPolicy(perm Permissions, kind stmtKind) *policy {
	p := &policy{perm: perm, kind: kind}
	if len(perm.Tables) > 0 {
		p.tables = make(map[string]bool, len(perm.Tables))
		for _, t := range perm.Tables {
			p.tables[strings.ToLower(t)] = true
		}
	}
	if len(perm.SchemaTables) > 0 {
		p.owned = make(map[string]bool, len(perm.SchemaTables))
		for _, t := range perm.SchemaTables {
			p.owned[strings.ToLower(t)] = true
		}
	}
	return p
}

// schemaDenied refuses DDL on table name.
func (p *policy) schemaDenied(name string) sqlite.AuthorizerReturnCode {
	if p.owned != nil {
		return p.deny("table %s is not one of the plugin's own tables (db_schema)", name)
	}
	return p.deny("table %s is not in the allow-list", name)
}

// schemaAllowed reports whether DDL may change table name.
func (p *policy) schemaAllowed(name string) bool {
	if p.owned != nil {
		return p.owned[strings.ToLower(name)]
	}
	return p.tableAllowed(name)
}

func (p *policy) tableAllowed(name string) bool {
	return p.tables == nil || p.tables[strings.ToLower(name)]
}

func (p *policy) deny(format string, args ...any) sqlite.AuthorizerReturnCode {
	if p.denied == "" {
		p.denied = fmt.Sprintf(format, args...)
	}
	return sqlite.AuthorizerDeny
}

// allow is the sqlite.AuthorizerFn. Anything not explicitly allowed is denied.
func (p *policy) allow(action sqlite.AuthorizerActionCode, arg1, arg2, dbName, _ string) sqlite.AuthorizerReturnCode {
	const ok = sqlite.AuthorizerOK
	// Only the main database: no temp objects (they would outlive the call on
	// a pooled connection) and no attached databases.
	if dbName != "" && dbName != "main" {
		return p.deny("database %q is not accessible", dbName)
	}
	write := p.kind == kindExecute && p.perm.Write
	schema := write && p.perm.Schema
	readable := (p.kind == kindQuery && p.perm.Read) || write

	switch action {
	case sqlite.AuthSelect, sqlite.AuthRecursive:
		if readable {
			return ok
		}
		return p.deny("reading is not permitted")
	case sqlite.AuthFunction:
		name := strings.ToLower(arg2)
		if deniedFunction(name) {
			return p.deny("function %s is not permitted", arg2)
		}
		if quadraticCandidates[name] {
			p.quadNames++
		}
		p.cost += functionCost(name)
		return ok
	case sqlite.AuthRead:
		if !readable {
			return p.deny("reading is not permitted")
		}
		if schemaTables[strings.ToLower(arg1)] {
			if schema || p.tableAllowed(arg1) {
				return ok
			}
			return p.deny("table %s is not in the allow-list", arg1)
		}
		if p.tableAllowed(arg1) {
			return ok
		}
		return p.deny("table %s is not in the allow-list", arg1)
	case sqlite.AuthInsert, sqlite.AuthUpdate, sqlite.AuthDelete:
		if schemaTables[strings.ToLower(arg1)] {
			if schema {
				return ok
			}
			return p.deny("schema changes are not permitted")
		}
		if p.kind == kindQuery {
			return p.deny("db-query is read-only; use db-execute to modify %s", arg1)
		}
		if !write {
			return p.deny("writing is not permitted")
		}
		if p.tableAllowed(arg1) {
			return ok
		}
		return p.deny("table %s is not in the allow-list", arg1)
	case sqlite.AuthCreateTable, sqlite.AuthDropTable, sqlite.AuthCreateView, sqlite.AuthDropView:
		if !schema {
			return p.deny("schema changes are not permitted")
		}
		if p.schemaAllowed(arg1) {
			return ok
		}
		return p.schemaDenied(arg1)
	case sqlite.AuthCreateIndex, sqlite.AuthDropIndex:
		if !schema {
			return p.deny("schema changes are not permitted")
		}
		if p.schemaAllowed(arg2) {
			return ok
		}
		return p.schemaDenied(arg2)
	case sqlite.AuthAlterTable:
		// arg1 is the database, arg2 the table.
		if !schema {
			return p.deny("schema changes are not permitted")
		}
		if p.schemaAllowed(arg2) {
			return ok
		}
		return p.schemaDenied(arg2)
	case sqlite.AuthReindex:
		// SQLite reports one while creating an index.
		if schema {
			return ok
		}
		return p.deny("schema changes are not permitted")
	case sqlite.AuthCreateTrigger, sqlite.AuthDropTrigger:
		if schema && p.tables == nil {
			return ok
		}
		return p.deny("triggers are not permitted")
	case sqlite.AuthPragma:
		if readable && p.kind == kindQuery && readPragmas[strings.ToLower(arg1)] && arg2 != "" && p.tableAllowed(arg2) {
			return ok
		}
		return p.deny("PRAGMA %s is not permitted", arg1)
	case sqlite.AuthTransaction, sqlite.AuthSavepoint:
		return p.deny("transaction statements are not permitted; use db-begin, db-commit and db-rollback")
	case sqlite.AuthAttach, sqlite.AuthDetach:
		return p.deny("ATTACH, DETACH and VACUUM are not permitted")
	}
	return p.deny("operation %d is not permitted", action)
}
