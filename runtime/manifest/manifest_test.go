package manifest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/manifest"
)

// hooks are the contract's hook names (wit/plugin.wit); a real caller takes
// them from the generated hook table.
var hooks = []string{
	"on-post-creating", "on-post-updating", "on-comment-creating", "on-content-creating",
	"on-content-updating", "render-markdown", "filter-html", "on-post-created", "on-post-updated",
	"on-post-deleted", "on-comment-created", "on-content-created", "on-content-updated",
	"on-content-deleted", "on-login", "on-cron-tick",
}

// seed is the manifest from the product page, verbatim.
const seed = `[plugin]
id = "com.example.my-plugin"
name = "My WASM Plugin"
version = "0.1.0"
runtime = "wasm"
entry = "plugin.wasm"

[hooks.on-post-creating]
priority = 10

[hooks.on-post-created]
priority = 10

[[cron]]
label = "定时任务"
job_type = "my_task"
cron_expr = "0 */6 * * *"
`

func TestParseSeedManifest(t *testing.T) {
	m, err := manifest.Parse("manifest.toml", []byte(seed), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "com.example.my-plugin" || m.Name != "My WASM Plugin" || m.Version != "0.1.0" ||
		m.Runtime != "wasm" || m.Entry != "plugin.wasm" || m.Description != "" {
		t.Fatalf("plugin = %+v", m)
	}
	wantHooks := []manifest.Hook{{Name: "on-post-created", Priority: 10}, {Name: "on-post-creating", Priority: 10}}
	if !reflect.DeepEqual(m.Hooks, wantHooks) {
		t.Fatalf("Hooks = %+v", m.Hooks)
	}
	if p, ok := m.Priority("on-post-creating"); !ok || p != 10 {
		t.Fatalf("Priority(on-post-creating) = %d, %v", p, ok)
	}
	if _, ok := m.Priority("on-login"); ok {
		t.Fatal("subscribed to on-login")
	}
	if len(m.Cron) != 1 {
		t.Fatalf("Cron = %+v", m.Cron)
	}
	c := m.Cron[0]
	if c.Label != "定时任务" || c.JobType != "my_task" || c.Expr != "0 */6 * * *" || c.Schedule == nil {
		t.Fatalf("Cron[0] = %+v", c)
	}
	at := time.Date(2024, 1, 1, 5, 0, 0, 0, time.UTC)
	if next := c.Schedule.Next(at); !next.Equal(at.Add(time.Hour)) {
		t.Fatalf("schedule next = %s", next)
	}
	// Defaults: nothing granted but a sandbox quota.
	want := manifest.Permissions{DB: manifest.DBNone, VFSMaxBytes: manifest.DefaultVFSMaxBytes}
	if !reflect.DeepEqual(m.Permissions, want) {
		t.Fatalf("Permissions = %+v", m.Permissions)
	}
	if m.Config == nil || len(m.Config) != 0 {
		t.Fatalf("Config = %v", m.Config)
	}
}

func TestParseExtensions(t *testing.T) {
	src := `[plugin]
id = "org.raisfast.seo_tools"
name = "  SEO tools  "
version = "1.2.3-beta.1+build.5"
description = "Adds meta tags."
runtime = "wasm"
entry = "./build/../build/seo.wasm"

[hooks.filter-html]
[hooks.on-post-creating]
priority = -5
[hooks.on-login]
priority = 1000

[[cron]]
job_type = "sitemap"
cron_expr = "@daily"

[[cron]]
job_type = "ping.search-engines"
cron_expr = "30 9 * * MON-FRI"
label = "Ping"

[config]
api_base = "https://api.example.com"
max_items = 20
ratio = 0.25
verbose = false
"quoted key" = "ok"

[permissions]
http_allow = ["API.example.com", "*.example.org", "example.net:8443", "203.0.113.7", "[2001:db8::1]:443", "api.example.com"]
http_allow_private = true
db = "write"
db_tables = ["posts", "seo_meta"]
db_schema = ["seo_cache", "seo_cache"]
vfs_max_bytes = 0
`
	m, err := manifest.Parse("manifest.toml", []byte(src), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "SEO tools" || m.Description != "Adds meta tags." || m.Version != "1.2.3-beta.1+build.5" || m.Entry != "build/seo.wasm" {
		t.Fatalf("plugin = %+v", m)
	}
	wantHooks := []manifest.Hook{{"filter-html", 10}, {"on-login", 1000}, {"on-post-creating", -5}}
	if !reflect.DeepEqual(m.Hooks, wantHooks) {
		t.Fatalf("Hooks = %+v", m.Hooks)
	}
	if len(m.Cron) != 2 || m.Cron[0].Label != "sitemap" || m.Cron[1].Label != "Ping" || m.Cron[1].JobType != "ping.search-engines" {
		t.Fatalf("Cron = %+v", m.Cron)
	}
	wantConfig := map[string]string{"api_base": "https://api.example.com", "max_items": "20", "ratio": "0.25", "verbose": "false", "quoted key": "ok"}
	if !reflect.DeepEqual(m.Config, wantConfig) {
		t.Fatalf("Config = %v", m.Config)
	}
	wantPerm := manifest.Permissions{
		HTTPAllow:        []string{"api.example.com", "*.example.org", "example.net:8443", "203.0.113.7", "[2001:db8::1]:443"},
		HTTPAllowPrivate: true,
		DB:               manifest.DBWrite,
		DBTables:         []string{"posts", "seo_meta"},
		DBSchema:         []string{"seo_cache"},
		VFSMaxBytes:      0,
	}
	if !reflect.DeepEqual(m.Permissions, wantPerm) {
		t.Fatalf("Permissions = %+v\nwant %+v", m.Permissions, wantPerm)
	}
}

func TestAllowsHost(t *testing.T) {
	p := manifest.Permissions{HTTPAllow: []string{"api.example.com", "*.example.org", "example.net:8443", "[2001:db8::1]", "203.0.113.7:80"}}
	for host, want := range map[string]bool{
		"api.example.com":       true,
		"API.Example.COM":       true,
		"api.example.com:8080":  true, // no port in the pattern: any port
		"api.example.com.":      true,
		"example.com":           false,
		"evil-api.example.com":  false,
		"a.example.org":         true,
		"a.b.example.org:443":   true,
		"example.org":           false, // the wildcard excludes the apex
		"badexample.org":        false,
		"example.net:8443":      true,
		"example.net":           false,
		"example.net:443":       false,
		"[2001:db8::1]:443":     true,
		"203.0.113.7:80":        true,
		"203.0.113.7:8080":      false,
		"api.example.com.evil.": false,
	} {
		if got := p.AllowsHost(host); got != want {
			t.Errorf("AllowsHost(%q) = %v, want %v", host, got, want)
		}
	}
	if (&manifest.Permissions{}).AllowsHost("example.com") {
		t.Error("empty allow list allowed a host")
	}
	if !(&manifest.Permissions{HTTPAllow: []string{"*"}}).AllowsHost("anything.example:1") {
		t.Error(`"*" did not allow a host`)
	}
}

// header is a valid [plugin] table taking lines 1-6.
const header = `[plugin]
id = "com.example.p"
name = "P"
version = "1.0.0"
runtime = "wasm"
entry = "plugin.wasm"
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		key  string
		kind error
		msg  string
	}{
		{"toml syntax", header + "[hooks\n", 7, "", manifest.ErrSyntax, "expected"},
		{"duplicate key", header + "id = \"x\"\n", 7, "", manifest.ErrSyntax, "already"},
		{"duplicate table", header + "[plugin]\n", 7, "", manifest.ErrSyntax, "already"},
		{"unknown top-level key", "autor = \"me\"\n" + header, 1, "autor", manifest.ErrUnknownKey, `unknown key "autor"`},
		{"unknown table", header + "\n[hook.on-login]\n", 8, "hook", manifest.ErrUnknownKey, `did you mean "hooks"`},
		{"key case matters", header + "ID = \"x\"\n", 7, "plugin.ID", manifest.ErrUnknownKey, `did you mean "id"`},
		{"runtime js", strings.Replace(header, `"wasm"`, `"js"`, 1), 5, "plugin.runtime", manifest.ErrUnsupportedRuntime, `runtime "js"`},
		{"runtime missing", strings.Replace(header, "runtime = \"wasm\"\n", "", 1), 1, "plugin.runtime", manifest.ErrInvalid, "missing runtime"},
		{"id missing", strings.Replace(header, "id = \"com.example.p\"\n", "", 1), 1, "plugin.id", manifest.ErrInvalid, "missing id"},
		{"name empty", strings.Replace(header, `"P"`, `"  "`, 1), 3, "plugin.name", manifest.ErrInvalid, "name is empty"},
		{"name not a string", strings.Replace(header, `"P"`, `42`, 1), 3, "plugin.name", manifest.ErrInvalid, "must be a string, not the integer 42"},
		{"id upper case", strings.Replace(header, "com.example.p", "Com.Example", 1), 2, "plugin.id", manifest.ErrInvalid, "lower-case"},
		{"id with slash", strings.Replace(header, "com.example.p", "com/example", 1), 2, "plugin.id", manifest.ErrInvalid, "lower-case"},
		{"version not semver", strings.Replace(header, `"1.0.0"`, `"1.0"`, 1), 4, "plugin.version", manifest.ErrInvalid, "not a semantic version"},
		{"version leading zero", strings.Replace(header, `"1.0.0"`, `"01.0.0"`, 1), 4, "plugin.version", manifest.ErrInvalid, "not a semantic version"},
		{"version with v", strings.Replace(header, `"1.0.0"`, `"v1.0.0"`, 1), 4, "plugin.version", manifest.ErrInvalid, `without the leading "v"`},
		{"entry escapes", strings.Replace(header, `"plugin.wasm"`, `"../other/plugin.wasm"`, 1), 6, "plugin.entry", manifest.ErrEntry, "inside the plugin directory"},
		{"entry absolute", strings.Replace(header, `"plugin.wasm"`, `"/etc/plugin.wasm"`, 1), 6, "plugin.entry", manifest.ErrEntry, "relative path"},
		{"entry backslash", strings.Replace(header, `"plugin.wasm"`, `'build\plugin.wasm'`, 1), 6, "plugin.entry", manifest.ErrEntry, "use /"},
		{"entry empty", strings.Replace(header, `"plugin.wasm"`, `""`, 1), 6, "plugin.entry", manifest.ErrEntry, "empty"},
		{"unknown plugin key", header + "author = \"me\"\n", 7, "plugin.author", manifest.ErrUnknownKey, "allowed: id, name"},
		{"unknown hook", header + "\n[hooks.on-post-create]\npriority = 1\n", 8, "hooks.on-post-create", manifest.ErrUnknownHook, `did you mean "on-post-created"`},
		{"unknown hook, no suggestion", header + "[hooks.on-anything-else]\n", 7, "hooks.on-anything-else", manifest.ErrUnknownHook, `no hook "on-anything-else"`},
		{"hook not a table", header + "[hooks]\non-login = 5\n", 8, "hooks.on-login", manifest.ErrInvalid, "must be a table"},
		{"priority string", header + "[hooks.on-login]\npriority = \"high\"\n", 8, "hooks.on-login.priority", manifest.ErrInvalid, `must be an integer, not the string "high"`},
		{"priority float", header + "[hooks.on-login]\npriority = 10.0\n", 8, "hooks.on-login.priority", manifest.ErrInvalid, "write 10, not 10"},
		{"priority range", header + "[hooks.on-login]\npriority = 5000\n", 8, "hooks.on-login.priority", manifest.ErrInvalid, "outside -1000..1000"},
		{"priority inline table", header + "[hooks]\non-login = { priority = -2000 }\n", 8, "hooks.on-login.priority", manifest.ErrInvalid, "outside"},
		{"hook unknown key", header + "[hooks.on-login]\npriorty = 1\n", 8, "hooks.on-login.priorty", manifest.ErrUnknownKey, `did you mean "priority"`},
		{"cron bad expr", header + "[[cron]]\njob_type = \"a\"\ncron_expr = \"@daily\"\n\n[[cron]]\njob_type = \"b\"\ncron_expr = \"0 */6 * *\"\n", 13, "cron[1].cron_expr", manifest.ErrInvalid, "want 5 fields"},
		{"cron bad field", header + "[[cron]]\njob_type = \"a\"\ncron_expr = \"61 * * * *\"\n", 9, "cron[0].cron_expr", manifest.ErrInvalid, "minute field: 61 out of range"},
		{"cron missing job_type", header + "[[cron]]\ncron_expr = \"@daily\"\n", 7, "cron[0].job_type", manifest.ErrInvalid, "missing job_type"},
		{"cron duplicate job_type", header + "[[cron]]\njob_type = \"a\"\ncron_expr = \"@daily\"\n[[cron]]\njob_type = \"a\"\ncron_expr = \"@hourly\"\n", 11, "cron[1].job_type", manifest.ErrInvalid, "already used by cron[0]"},
		{"cron bad job_type", header + "[[cron]]\njob_type = \"a b\"\ncron_expr = \"@daily\"\n", 8, "cron[0].job_type", manifest.ErrInvalid, "may contain only"},
		{"cron unknown key", header + "[[cron]]\njob_type = \"a\"\ncron_expr = \"@daily\"\ncron = \"x\"\n", 10, "cron[0].cron", manifest.ErrUnknownKey, `did you mean "cron_expr"`},
		{"cron as a table", header + "[cron]\njob_type = \"a\"\n", 7, "cron", manifest.ErrInvalid, "array of tables"},
		{"cron inline array", "cron = [\n  { job_type = \"a\", cron_expr = \"@daily\" },\n  { job_type = \"b\", cron_expr = \"bad\" },\n]\n" + header, 3, "cron[1].cron_expr", manifest.ErrInvalid, "cron_expr \"bad\""},
		{"config nested", header + "[config]\na = 1\n[config.nested]\nb = 2\n", 9, "config.nested", manifest.ErrInvalid, "not a table"},
		{"config array", header + "[config]\nlist = [1, 2]\n", 8, "config.list", manifest.ErrInvalid, "not an array"},
		{"permissions unknown", header + "[permissions]\nhttp_alow = []\n", 8, "permissions.http_alow", manifest.ErrUnknownKey, `did you mean "http_allow"`},
		{"permissions db level", header + "[permissions]\ndb = \"admin\"\n", 8, "permissions.db", manifest.ErrInvalid, `"none", "read" or "write"`},
		{"db_tables needs db", header + "[permissions]\ndb_tables = [\"posts\"]\n", 8, "permissions.db_tables", manifest.ErrInvalid, "needs db"},
		{"db_tables bad name", header + "[permissions]\ndb = \"read\"\ndb_tables = [\n  \"posts\",\n  \"posts; drop\",\n]\n", 11, "permissions.db_tables[1]", manifest.ErrInvalid, "not a table name"},
		{"db_schema needs write", header + "[permissions]\ndb = \"read\"\ndb_schema = [\"mine\"]\n", 9, "permissions.db_schema", manifest.ErrInvalid, `needs db = "write"`},
		{"db_schema bad name", header + "[permissions]\ndb = \"write\"\ndb_schema = [\"a-b\"]\n", 9, "permissions.db_schema[0]", manifest.ErrInvalid, `db_schema "a-b" is not a table name`},
		{"vfs negative", header + "[permissions]\nvfs_max_bytes = -1\n", 8, "permissions.vfs_max_bytes", manifest.ErrInvalid, "outside 0.."},
		{"fuel zero", header + "[limits]\nfuel = 0\n", 8, "limits.fuel", manifest.ErrInvalid, "outside 1.."},
		{"fuel string", header + "[limits]\nfuel = \"lots\"\n", 8, "limits.fuel", manifest.ErrInvalid, "must be an integer"},
		{"limits unknown", header + "[limits]\nfeul = 10\n", 8, "limits.feul", manifest.ErrUnknownKey, "allowed: fuel"},
		{"env bad name", header + "[env]\n\"1X\" = \"a\"\n", 8, "env.1X", manifest.ErrInvalid, "not an environment variable name"},
		{"env name with =", header + "[env]\n\"A=B\" = \"a\"\n", 8, "env.A=B", manifest.ErrInvalid, "not an environment variable name"},
		{"env NUL", header + "[env]\nA = \"a\\u0000b\"\n", 8, "env.A", manifest.ErrInvalid, "NUL"},
		{"env array", header + "[env]\nA = [\"a\"]\n", 8, "env.A", manifest.ErrInvalid, "env values must be strings, numbers or booleans, not an array"},
		{"env nested", header + "[env.A]\nB = 1\n", 7, "env.A", manifest.ErrInvalid, "not a table"},
		{"limits not a table", "limits = 5\n" + header, 1, "limits", manifest.ErrInvalid, "table"},
		{"http_allow URL", header + "[permissions]\nhttp_allow = [\"https://api.example.com/v1\"]\n", 8, "permissions.http_allow[0]", manifest.ErrInvalid, "not a URL"},
		{"http_allow port", header + "[permissions]\nhttp_allow = [\"a.example.com:99999\"]\n", 8, "permissions.http_allow[0]", manifest.ErrInvalid, "bad port"},
		{"http_allow inner wildcard", header + "[permissions]\nhttp_allow = [\"api.*.example.com\"]\n", 8, "permissions.http_allow[0]", manifest.ErrInvalid, "wildcard"},
		{"http_allow bare IPv6", header + "[permissions]\nhttp_allow = [\"2001:db8::1\"]\n", 8, "permissions.http_allow[0]", manifest.ErrInvalid, "brackets"},
		{"http_allow not strings", header + "[permissions]\nhttp_allow = \"api.example.com\"\n", 8, "permissions.http_allow", manifest.ErrInvalid, "array of strings"},
		{"http_allow_private type", header + "[permissions]\nhttp_allow_private = \"no\"\n", 8, "permissions.http_allow_private", manifest.ErrInvalid, "true or false"},
		{"no plugin table", "[hooks.on-login]\n", 0, "", manifest.ErrInvalid, "missing [plugin] table"},
		{"plugin not a table", "plugin = 1\n", 1, "plugin", manifest.ErrInvalid, "must be a table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.Parse("plugins/p/manifest.toml", []byte(tt.src), hooks)
			var list manifest.Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse error = %v, want an Errors list", err)
			}
			e := list[0]
			if len(list) != 1 {
				t.Errorf("got %d problems, want 1:\n%v", len(list), err)
			}
			if e.File != "plugins/p/manifest.toml" || e.Line != tt.line || e.Key != tt.key || !errors.Is(e, tt.kind) || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got  %s:%d key=%q kind=%v msg=%q\nwant line %d key=%q kind=%v msg containing %q",
					e.File, e.Line, e.Key, e.Err, e.Msg, tt.line, tt.key, tt.kind, tt.msg)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(list, %v) = false", tt.kind)
			}
		})
	}
}

func TestParseReportsEveryProblemInLineOrder(t *testing.T) {
	src := `[plugin]
id = "Bad Id"
name = "P"
version = "one"
runtime = "lua"

[hooks.on-nothing]

[hooks.on-login]
priority = "first"

[[cron]]
job_type = "x"
cron_expr = "* * * * MONDAY"

[extra]
`
	_, err := manifest.Parse("m.toml", []byte(src), hooks)
	var list manifest.Errors
	if !errors.As(err, &list) {
		t.Fatalf("error = %v", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Key)
	}
	want := []string{"plugin.id", "plugin.version", "plugin.runtime", "hooks.on-nothing", "hooks.on-login.priority", "cron[0].cron_expr", "extra"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("keys %v\nwant %v\n%v", got, want, err)
	}
	for _, kind := range []error{manifest.ErrInvalid, manifest.ErrUnsupportedRuntime, manifest.ErrUnknownHook, manifest.ErrUnknownKey} {
		if !errors.Is(err, kind) {
			t.Errorf("errors.Is(err, %v) = false", kind)
		}
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "7 problems:") || !strings.Contains(msg, "m.toml:2: plugin.id: ") || !strings.Contains(msg, "m.toml:14: cron[0].cron_expr: ") {
		t.Fatalf("message:\n%s", msg)
	}
}

// wasmModule is the smallest core module: magic and version.
var wasmModule = []byte("\x00asm\x01\x00\x00\x00")

func writePlugin(t *testing.T, dir, manifestSrc string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if manifestSrc != "" {
		if err := os.WriteFile(filepath.Join(dir, "manifest.toml"), []byte(manifestSrc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-plugin")
	writePlugin(t, dir, seed, map[string][]byte{"plugin.wasm": wasmModule})
	m, err := manifest.Load(context.Background(), dir, hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != dir || m.File != filepath.Join(dir, "manifest.toml") || m.EntryPath != filepath.Join(dir, "plugin.wasm") {
		t.Fatalf("paths: %+v", m)
	}
}

func TestLoadDefaultEntryInSubdirectory(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(header, "entry = \"plugin.wasm\"\n", "", 1)
	writePlugin(t, dir, src, map[string][]byte{"plugin.wasm": wasmModule})
	m, err := manifest.Load(context.Background(), dir, hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.Entry != manifest.DefaultEntry {
		t.Fatalf("Entry = %q", m.Entry)
	}
	src = strings.Replace(header, `"plugin.wasm"`, `"target/release/p.wasm"`, 1)
	writePlugin(t, dir, src, map[string][]byte{"target/release/p.wasm": wasmModule})
	if m, err = manifest.Load(context.Background(), dir, hooks); err != nil {
		t.Fatal(err)
	}
	if m.EntryPath != filepath.Join(dir, "target", "release", "p.wasm") {
		t.Fatalf("EntryPath = %q", m.EntryPath)
	}
}

func TestLoadEntryProblems(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside.wasm")
	if err := os.WriteFile(outside, wasmModule, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(dir string)
		msg   string
	}{
		{"missing", func(string) {}, "does not exist"},
		{"directory", func(dir string) { os.Mkdir(filepath.Join(dir, "plugin.wasm"), 0o755) }, "not a regular file"},
		{"not wasm", func(dir string) {
			os.WriteFile(filepath.Join(dir, "plugin.wasm"), []byte("#!/bin/sh\necho hi\n"), 0o644)
		}, "not a WebAssembly module"},
		{"too short", func(dir string) { os.WriteFile(filepath.Join(dir, "plugin.wasm"), []byte("\x00as"), 0o644) }, "not a WebAssembly module"},
		{"component", func(dir string) {
			os.WriteFile(filepath.Join(dir, "plugin.wasm"), []byte("\x00asm\x0d\x00\x01\x00"), 0o644)
		}, "is a WebAssembly component"},
		{"symlink outside", func(dir string) {
			if err := os.Symlink(outside, filepath.Join(dir, "plugin.wasm")); err != nil {
				t.Skipf("symlinks: %v", err)
			}
		}, "outside the plugin directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, header, nil)
			tt.setup(dir)
			_, err := manifest.Load(context.Background(), dir, hooks)
			var e *manifest.Error
			if !errors.As(err, &e) || !errors.Is(err, manifest.ErrEntry) {
				t.Fatalf("Load = %v, want ErrEntry", err)
			}
			if e.Line != 6 || e.Key != "plugin.entry" || !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("got %v, want line 6 plugin.entry %q", e, tt.msg)
			}
			// Parse then Locate (the runtime's scan, which has read the
			// manifest already) reports the same problem.
			m, err := manifest.Parse(filepath.Join(dir, manifest.FileName), []byte(header), hooks)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Locate(dir)
			var le *manifest.Error
			if !errors.As(err, &le) || le.Error() != e.Error() || m.Dir != dir {
				t.Fatalf("Locate = %v (Dir %q), want %v", err, m.Dir, e)
			}
		})
	}
	// A link that stays inside is fine.
	dir := t.TempDir()
	writePlugin(t, dir, header, map[string][]byte{"build/real.wasm": wasmModule})
	if err := os.Symlink(filepath.Join("build", "real.wasm"), filepath.Join(dir, "plugin.wasm")); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	if _, err := manifest.Load(context.Background(), dir, hooks); err != nil {
		t.Fatalf("inside link: %v", err)
	}
}

func TestLoadWithoutManifest(t *testing.T) {
	_, err := manifest.Load(context.Background(), t.TempDir(), hooks)
	if !errors.Is(err, manifest.ErrNoManifest) {
		t.Fatalf("Load = %v", err)
	}
}

func TestLoadDir(t *testing.T) {
	root := t.TempDir()
	plugin := func(id string) string { return strings.Replace(header, "com.example.p", id, 1) }
	wasm := map[string][]byte{"plugin.wasm": wasmModule}
	writePlugin(t, filepath.Join(root, "a-first"), plugin("com.example.a"), wasm)
	writePlugin(t, filepath.Join(root, "b-second"), plugin("com.example.b"), wasm)
	writePlugin(t, filepath.Join(root, "c-broken"), "[plugin\n", wasm)
	writePlugin(t, filepath.Join(root, "d-copy-of-a"), "\n"+plugin("com.example.a"), wasm)
	writePlugin(t, filepath.Join(root, "e-no-manifest"), "", wasm)
	writePlugin(t, filepath.Join(root, "f-js-plugin"), strings.Replace(plugin("com.example.f"), `"wasm"`, `"js"`, 1), wasm)
	writePlugin(t, filepath.Join(root, ".g-hidden"), "garbage", nil)
	if err := os.WriteFile(filepath.Join(root, "README.md"), []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "b-second"), filepath.Join(root, "h-link-to-b")); err != nil {
		t.Skipf("symlinks: %v", err)
	}

	plugins, problems, err := manifest.LoadDir(context.Background(), root, hooks)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range plugins {
		ids = append(ids, m.ID+"@"+filepath.Base(m.Dir))
	}
	if want := []string{"com.example.a@a-first", "com.example.b@b-second"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("loaded %v, want %v", ids, want)
	}
	got := map[string]error{}
	for _, p := range problems {
		got[filepath.Base(p.Dir)] = p
	}
	for dir, kind := range map[string]error{
		"c-broken":      manifest.ErrSyntax,
		"d-copy-of-a":   manifest.ErrDuplicateID,
		"e-no-manifest": manifest.ErrNoManifest,
		"f-js-plugin":   manifest.ErrUnsupportedRuntime,
		"h-link-to-b":   manifest.ErrDuplicateID,
	} {
		if !errors.Is(got[dir], kind) {
			t.Errorf("%s: %v, want %v", dir, got[dir], kind)
		}
	}
	if len(problems) != 5 {
		t.Errorf("%d problems: %v", len(problems), problems)
	}
	dup := got["d-copy-of-a"].Error()
	if !strings.Contains(dup, filepath.Join(root, "a-first")) || !strings.Contains(dup, filepath.Join(root, "d-copy-of-a")) ||
		!strings.Contains(dup, "manifest.toml:3: plugin.id:") {
		t.Errorf("duplicate message does not name both dirs and the line: %s", dup)
	}
	if msg := got["c-broken"].Error(); !strings.Contains(msg, filepath.Join(root, "c-broken", "manifest.toml")+":1:") {
		t.Errorf("syntax message: %s", msg)
	}
}

func TestLoadDirErrors(t *testing.T) {
	if _, _, err := manifest.LoadDir(context.Background(), filepath.Join(t.TempDir(), "missing"), hooks); err == nil {
		t.Fatal("missing root accepted")
	}
	root := t.TempDir()
	writePlugin(t, filepath.Join(root, "a"), header, map[string][]byte{"plugin.wasm": wasmModule})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := manifest.LoadDir(ctx, root, hooks); !errors.Is(err, context.Canceled) {
		t.Fatalf("LoadDir with cancelled ctx = %v", err)
	}
}

// TestEnv checks [env]: strings, numbers and booleans become the guest's
// environment as strings; without [env] it is empty (never nil).
func TestEnv(t *testing.T) {
	m, err := manifest.Parse("manifest.toml", []byte(header+"[env]\nGOGC = 400\nGODEBUG = \"gctrace=0\"\n_x9 = true\nRATIO = 1.5\n"), hooks)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"GOGC": "400", "GODEBUG": "gctrace=0", "_x9": "true", "RATIO": "1.5"}
	if !reflect.DeepEqual(m.Env, want) {
		t.Errorf("Env = %v, want %v", m.Env, want)
	}
	m, err = manifest.Parse("manifest.toml", []byte(header), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.Env == nil || len(m.Env) != 0 {
		t.Errorf("without [env]: Env = %#v, want an empty map", m.Env)
	}
}

// TestLimits checks [limits] fuel is read, and that leaving it out means
// no budget.
func TestLimits(t *testing.T) {
	m, err := manifest.Parse("manifest.toml", []byte(header+"[limits]\nfuel = 250000\n"), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.Limits.Fuel != 250000 {
		t.Errorf("Limits.Fuel = %d, want 250000", m.Limits.Fuel)
	}
	m, err = manifest.Parse("manifest.toml", []byte(header), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.Limits.Fuel != 0 {
		t.Errorf("without [limits]: Limits.Fuel = %d, want 0", m.Limits.Fuel)
	}
}
