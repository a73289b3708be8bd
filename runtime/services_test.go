package runtime

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/internal/hostapi"
	"github.com/raisfast/wasmplug/runtime/manifest"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// Tests of how the runtime wires manifests onto the host services.

// adapter returns a host API of plugin id as the last runtime started wires
// it (the plugin's permissions, the shared services), to call host functions
// without a guest. The call it stands for ends with the test.
func (f *fixture) adapter(id string) *hostapi.Adapter {
	f.t.Helper()
	p := f.rt.cur.Load().byID[id]
	if p == nil {
		f.t.Fatalf("plugin %s is not loaded", id)
	}
	a := hostapi.New(f.rt.svc, p.host)
	f.t.Cleanup(func() { a.EndCall() })
	return a
}

// nothingGuest exports on-login and does nothing: for plugins whose host
// functions a test calls through an adapter.
var nothingGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32))`}

// TestKVInsideTransaction: set-data and get-data inside the plugin's own
// db transaction answer at once (they used to wait, on another connection
// of the same database, for the transaction's write lock until the call's
// deadline), and the transaction commits.
func TestKVInsideTransaction(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.Exec(`CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	f.cfg.PoolSize = 1
	f.add("kvtx", "kvtx", kvTxGuest, map[string]int{"on-login": 0}, "[permissions]\ndb = \"write\"\n")
	rt := f.start()
	noProblems(t, rt)

	// Before the fix, set-data waited for the transaction's write lock and
	// the call failed at its deadline (Config.CallTimeout, 2s here).
	start := time.Now()
	if err := Action(ctx, rt, plugin.Hooks.OnLogin, "v1"); err != nil {
		t.Fatalf("call: %v (after %s)", err, time.Since(start))
	}
	for key, want := range map[string]string{"k": "v1", "got": "v1", "commit": `{"ok":true}`} {
		if v, ok := f.kv("kvtx", key); v != want {
			t.Errorf("%s = %q, %v; want %q", key, v, ok, want)
		}
	}
	var n int
	if err := f.db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Errorf("committed rows: %d, %v; want 1", n, err)
	}
}

// TestKVDatabase: the key-value store lives in a database of its own —
// DataDir/_plugin_kv.db by default, or Config.KVDB — which plugin SQL cannot
// reach, and never in Config.DB.
func TestKVDatabase(t *testing.T) {
	f := newFixture(t)
	f.add("w", "w", nothingGuest, map[string]int{"on-login": 0}, "[permissions]\ndb = \"write\"\n")
	f.add("r", "r", nothingGuest, map[string]int{"on-login": 0}, "[permissions]\ndb = \"read\"\n")
	rt := f.start()
	noProblems(t, rt)
	if !f.adapter("w").SetData(ctx, "secret", "w's") {
		t.Fatal("set-data")
	}
	// Another plugin's SQL, without a table allow-list, cannot read it.
	for _, id := range []string{"r", "w"} {
		js := f.adapter(id).DBQuery(ctx, "SELECT value FROM plugin_kv", nil)
		if strings.Contains(js, "w's") || !strings.Contains(js, "no such table") {
			t.Errorf("plugin %s: db-query of plugin_kv = %s", id, js)
		}
	}
	if _, err := os.Stat(filepath.Join(f.data, DefaultKVFile)); err != nil {
		t.Errorf("default key-value database: %v", err)
	}
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The data survives a restart.
	f.start()
	if v, _ := f.kv("w", "secret"); v != "w's" {
		t.Errorf("after restart: %q", v)
	}

	// A database the host passes is used instead.
	kvdb, err := sqlitedb.Open(ctx, filepath.Join(t.TempDir(), "kv.db"), sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer kvdb.Close()
	f.cfg.KVDB = kvdb
	f.start()
	if !f.adapter("w").SetData(ctx, "k", "in KVDB") {
		t.Fatal("set-data")
	}
	var v string
	if err := kvdb.QueryRow(`SELECT value FROM plugin_kv WHERE plugin_id = 'w' AND key = 'k'`).Scan(&v); err != nil || v != "in KVDB" {
		t.Errorf("Config.KVDB holds %q, %v", v, err)
	}

	// Not the host database, however it is opened.
	again, err := sqlitedb.Open(ctx, filepath.Join(filepath.Dir(f.data), "host.db"), sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	for name, db := range map[string]*sql.DB{"DB itself": f.db, "DB's file": again} {
		cfg := f.cfg
		cfg.KVDB = db
		if rt, err := New(ctx, cfg); err == nil {
			rt.Close(ctx)
			t.Errorf("KVDB = %s: accepted", name)
		} else if !strings.Contains(err.Error(), "KVDB") {
			t.Errorf("KVDB = %s: %v", name, err)
		}
	}
}

// TestHTTPAllowAnyHost: http_allow = ["*"] loads and reaches any public
// host; private and loopback addresses still need http_allow_private.
func TestHTTPAllowAnyHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.URL.Path)
	}))
	defer srv.Close()
	f := newFixture(t) // no AllowedNets: 127.0.0.1 is refused unless private addresses are allowed
	f.add("any", "any", fetchGuest, map[string]int{"on-login": 0}, "[permissions]\nhttp_allow = [\"*\"]\n")
	f.add("anypriv", "anypriv", fetchGuest, map[string]int{"on-login": 0},
		"[permissions]\nhttp_allow = [\"*\"]\nhttp_allow_private = true\n")
	rt := f.start()
	noProblems(t, rt)
	if err := Action(ctx, rt, plugin.Hooks.OnLogin, srv.URL+"/x"); err != nil {
		t.Fatal(err)
	}
	if v, ok := f.kv("any", "body"); ok {
		t.Errorf("http_allow = [\"*\"] reached a loopback address: %q", v)
	}
	if v, _ := f.kv("anypriv", "body"); v != "hello from /x" {
		t.Errorf("http_allow = [\"*\"] with http_allow_private got %q", v)
	}
	p := f.rt.cur.Load().byID["any"]
	if p == nil {
		t.Fatal("the plugin with http_allow = [\"*\"] did not load")
	}
	c := p.host.HTTP
	for _, u := range []string{"https://example.com/", "http://api.example.org:8080/x", "http://203.0.113.9/"} {
		if _, err := c.Check(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// TestSandboxFromManifest: vfs_max_bytes bounds each plugin's sandbox (0:
// none), a reload that changes it applies the new quota to the usage the
// previous version left, and removing the plugin releases the directory.
func TestSandboxFromManifest(t *testing.T) {
	f := newFixture(t)
	f.add("small", "small", nothingGuest, map[string]int{"on-login": 0}, "[permissions]\nvfs_max_bytes = 4096\n")
	f.add("off", "off", nothingGuest, map[string]int{"on-login": 0}, "[permissions]\nvfs_max_bytes = 0\n")
	f.add("dflt", "dflt", nothingGuest, map[string]int{"on-login": 0}, "")
	rt := f.start()
	noProblems(t, rt)

	small := f.adapter("small")
	// The quota counts disk blocks (4 KiB here): one block's file fits.
	if small.VFSWrite(ctx, "a", strings.Repeat("x", 4097)) || !small.VFSWrite(ctx, "a", strings.Repeat("x", 4096)) {
		t.Error("small: want 4096 bytes and no more")
	}
	if f.adapter("off").VFSWrite(ctx, "a", "x") {
		t.Error("vfs_max_bytes = 0: vfs-write succeeded")
	}
	if _, err := os.Stat(filepath.Join(f.data, "off")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("vfs_max_bytes = 0: sandbox directory: %v", err)
	}
	if !f.adapter("dflt").VFSWrite(ctx, "a", strings.Repeat("x", 1<<20)) {
		t.Errorf("default quota (%d bytes) refused 1 MiB", manifest.DefaultVFSMaxBytes)
	}

	// A new version with a bigger quota counts what the old one wrote.
	f.add("small", "small", nothingGuest, map[string]int{"on-login": 0}, "[permissions]\nvfs_max_bytes = 8192\n")
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	noProblems(t, rt)
	small2 := f.adapter("small")
	if small2.VFSWrite(ctx, "b", strings.Repeat("x", 4097)) || !small2.VFSWrite(ctx, "b", strings.Repeat("x", 4096)) {
		t.Error("small, 8192-byte quota with 4096 bytes used: want 4096 more bytes and no more")
	}

	if err := os.RemoveAll(filepath.Join(f.dir, "small")); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removed plugin's sandbox to be released", func() bool { return !rt.vfs.InUse("small") })
	if !rt.vfs.InUse("dflt") {
		t.Error("a loaded plugin's sandbox was released")
	}
}

// TestDBReadHasNoTransactions: db = "read" allows db-query only, as the
// manifest documents; db-begin and friends need db = "write".
func TestDBReadHasNoTransactions(t *testing.T) {
	f := newFixture(t)
	f.add("r", "r", nothingGuest, map[string]int{"on-login": 0}, "[permissions]\ndb = \"read\"\n")
	f.add("w", "w", nothingGuest, map[string]int{"on-login": 0}, "[permissions]\ndb = \"write\"\n")
	f.start()
	r := f.adapter("r")
	if js := r.DBQuery(ctx, "SELECT 1", nil); js != `{"columns":["1"],"rows":[[1]]}` {
		t.Errorf("read: db-query = %s", js)
	}
	for name, fn := range map[string]func(context.Context) string{"db-begin": r.DBBegin, "db-commit": r.DBCommit, "db-rollback": r.DBRollback} {
		if js := fn(ctx); !strings.Contains(js, `"permission_denied"`) {
			t.Errorf("read: %s = %s", name, js)
		}
	}
	w := f.adapter("w")
	if js := w.DBBegin(ctx); js != `{"ok":true}` {
		t.Errorf("write: db-begin = %s", js)
	}
	if js := w.DBRollback(ctx); js != `{"ok":true}` {
		t.Errorf("write: db-rollback = %s", js)
	}
}

// TestConfigFromManifest checks get-config as docs/host-api.md describes
// it: flat values rendered as strings, and nested tables refused when the
// manifest loads.
func TestConfigFromManifest(t *testing.T) {
	f := newFixture(t)
	f.add("c", "c", nothingGuest, map[string]int{"on-login": 0}, `[config]
api_url = "https://api.example.com"
retries = 3
ratio = 0.25
tiny = 0.000001
verbose = true
"smtp.host" = "mail.example.com"
`)
	f.add("nested", "nested", nothingGuest, map[string]int{"on-login": 0}, "[config]\na = 1\n\n[config.smtp]\nhost = \"mail.example.com\"\n")
	rt := f.start()
	c := f.adapter("c")
	for key, want := range map[string]string{
		"api_url": "https://api.example.com", "retries": "3", "ratio": "0.25", "tiny": "1e-06",
		"verbose": "true", "smtp.host": "mail.example.com",
	} {
		if v, ok := c.GetConfig(ctx, key); !ok || v != want {
			t.Errorf("get-config(%q) = %q, %v; want %q", key, v, ok, want)
		}
	}
	for _, key := range []string{"missing", "smtp"} {
		if v, ok := c.GetConfig(ctx, key); ok {
			t.Errorf("get-config(%q) = %q", key, v)
		}
	}
	probs := rt.Problems()
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "config.smtp") {
		t.Errorf("problems = %v; want one, for the nested table", probs)
	}
}
