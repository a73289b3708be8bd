package hostapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/events"
	"github.com/raisfast/wasmplug/runtime/services/kv"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
	"github.com/raisfast/wasmplug/runtime/services/vfs"
)

var ctx = context.Background()

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestNoServices checks that a host without services refuses every
// function with a value, never a panic.
func TestNoServices(t *testing.T) {
	a := New(nil, &Plugin{ID: "p", Logger: quiet()})
	a.Log(ctx, "info", "hello")
	if _, ok := a.GetConfig(ctx, "k"); ok {
		t.Error("get-config")
	}
	if _, ok := a.HTTPGet(ctx, "https://example.com"); ok {
		t.Error("http-get")
	}
	if _, ok := a.HTTPPost(ctx, "https://example.com", "{}"); ok {
		t.Error("http-post")
	}
	if _, ok := a.GetData(ctx, "k"); ok || a.SetData(ctx, "k", "v") {
		t.Error("data")
	}
	if _, ok := a.GetPost(ctx, "s"); ok {
		t.Error("get-post")
	}
	for name, js := range map[string]string{
		"db-query":    a.DBQuery(ctx, "SELECT 1", nil),
		"db-execute":  a.DBExecute(ctx, "DELETE FROM t", nil),
		"db-begin":    a.DBBegin(ctx),
		"db-commit":   a.DBCommit(ctx),
		"db-rollback": a.DBRollback(ctx),
	} {
		var e struct{ Error, Code string }
		if err := json.Unmarshal([]byte(js), &e); err != nil || e.Code != "unsupported" || e.Error == "" {
			t.Errorf("%s = %s", name, js)
		}
	}
	if _, ok := a.VFSRead(ctx, "a"); ok || a.VFSWrite(ctx, "a", "b") || a.VFSDelete(ctx, "a") || a.VFSExists(ctx, "") {
		t.Error("vfs")
	}
	if _, ok := a.VFSList(ctx, ""); ok {
		t.Error("vfs-list")
	}
	if _, ok := a.VFSStat(ctx, ""); ok {
		t.Error("vfs-stat")
	}
	if id := a.EmitEvent(ctx, "x.y", "{}"); id != "" {
		t.Errorf("emit-event = %q", id)
	}
	if err := a.EndCall(); err != nil {
		t.Error(err)
	}
}

// TestServices routes each function to its service, per plugin.
func TestServices(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlitedb.Open(ctx, filepath.Join(dir, "db"), sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	store, err := kv.Open(ctx, db, kv.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.New(events.Options{Logger: quiet()})
	defer bus.Close()
	got := make(chan events.Event, 1)
	if _, err := bus.Subscribe("*", func(ev events.Event) { got <- ev }); err != nil {
		t.Fatal(err)
	}
	svc := &Services{KV: store, SQL: sqldb.New(db, sqldb.Config{Logger: quiet()}), Events: bus}
	box, err := vfs.Open(filepath.Join(dir, "vfs"), vfs.Limits{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	p := &Plugin{
		ID: "p", Logger: quiet(), VFS: box,
		Config: config.New("p", map[string]any{"k": "v"}, config.Map{"p": {"o": "override"}}),
		SQL:    sqldb.Permissions{Read: true, Write: true},
	}
	a, b := New(svc, p), New(svc, &Plugin{ID: "q", Logger: quiet()})

	if v, ok := a.GetConfig(ctx, "k"); !ok || v != "v" {
		t.Errorf("get-config k = %q, %v", v, ok)
	}
	if v, ok := a.GetConfig(ctx, "o"); !ok || v != "override" {
		t.Errorf("get-config o = %q, %v", v, ok)
	}
	if !a.SetData(ctx, "k", "1") {
		t.Fatal("set-data")
	}
	if v, ok := a.GetData(ctx, "k"); !ok || v != "1" {
		t.Errorf("get-data = %q, %v", v, ok)
	}
	if _, ok := b.GetData(ctx, "k"); ok {
		t.Error("plugin q sees p's data")
	}
	if !a.VFSWrite(ctx, "x/y.txt", "hi") || !a.VFSExists(ctx, "x/y.txt") {
		t.Error("vfs-write")
	}
	if v, ok := a.VFSRead(ctx, "x/y.txt"); !ok || v != "hi" {
		t.Errorf("vfs-read = %q, %v", v, ok)
	}
	if id := a.EmitEvent(ctx, "t.e", "{}"); id == "" {
		t.Error("emit-event")
	} else if ev := <-got; ev.ID != id || ev.Source != "p" {
		t.Errorf("event %+v", ev)
	}

	// Permissions: q has none.
	if js := b.DBQuery(ctx, "SELECT 1", nil); !strings.Contains(js, "permission_denied") {
		t.Errorf("q db-query = %s", js)
	}
	// A transaction left open is rolled back by EndCall.
	if js := a.DBBegin(ctx); js != `{"ok":true}` {
		t.Fatalf("db-begin = %s", js)
	}
	if js := a.DBExecute(ctx, "INSERT INTO t VALUES ('a')", nil); !strings.Contains(js, `"rows_affected":1`) {
		t.Fatalf("db-execute = %s", js)
	}
	if !a.InTransaction() {
		t.Error("InTransaction = false")
	}
	if err := a.EndCall(); err != nil {
		t.Fatal(err)
	}
	if a.InTransaction() {
		t.Error("InTransaction after EndCall")
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows after EndCall: %d, %v", n, err)
	}
	// The next call gets a fresh session.
	if js := a.DBQuery(ctx, "SELECT count(*) FROM t", nil); js != `{"columns":["count(*)"],"rows":[[0]]}` {
		t.Errorf("db-query in the next call = %s", js)
	}
	if err := a.EndCall(); err != nil {
		t.Fatal(err)
	}
}
