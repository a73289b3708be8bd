package sqldb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// One hook call of a plugin that may read and write the "notes" table only.
func Example() {
	dir, _ := os.MkdirTemp("", "sqldb-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, _ := sqlitedb.Open(ctx, filepath.Join(dir, "host.db"), sqlitedb.Options{})
	defer db.Close()
	db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
	db.Exec("CREATE TABLE users (id INTEGER PRIMARY KEY, password TEXT)")

	host := sqldb.New(db, sqldb.Config{})
	s := host.Session("com.example.notes", sqldb.Permissions{Read: true, Write: true, Tables: []string{"notes"}})
	defer s.Close() // when the hook call ends; rolls back a forgotten transaction

	params := `["hello"]`
	fmt.Println(s.BeginJSON(ctx))
	fmt.Println(s.ExecuteJSON(ctx, "INSERT INTO notes (body) VALUES (?)", &params))
	fmt.Println(s.CommitJSON(ctx))
	fmt.Println(s.QueryJSON(ctx, "SELECT id, body FROM notes", nil))
	fmt.Println(s.QueryJSON(ctx, "SELECT password FROM users", nil))
	fmt.Println(s.QueryJSON(ctx, "DELETE FROM notes", nil))
	// Output:
	// {"ok":true}
	// {"rows_affected":1,"last_insert_id":1}
	// {"ok":true}
	// {"columns":["id","body"],"rows":[[1,"hello"]]}
	// {"error":"table users is not in the allow-list","code":"permission_denied"}
	// {"error":"db-query is read-only; use db-execute to modify notes","code":"permission_denied"}
}
