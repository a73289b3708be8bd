package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
}

func TestCheck(t *testing.T) {
	plugins := t.TempDir()
	cronTOML := "[[cron]]\nlabel = \"nightly\"\njob_type = \"x\"\ncron_expr = \"0 3 * * *\"\n"
	deploy(t, plugins,
		testPlugin{id: "good", guest: loginGuest, hooks: map[string]int{"on-login": 7}, extra: cronTOML},
		testPlugin{id: "unexported", guest: loginGuest, hooks: map[string]int{"on-login": 1, "render-markdown": 2}},
		testPlugin{id: "badcron", guest: loginGuest, hooks: map[string]int{"on-login": 1}, extra: "[[cron]]\njob_type = \"j\"\ncron_expr = \"61 * * * *\"\n"},
		testPlugin{id: "unknownhook", guest: loginGuest, hooks: map[string]int{"on-frobnicate": 1}},
		testPlugin{id: "nocronhook", guest: prefixGuest("x", "y"), hooks: map[string]int{"render-markdown": 1}, extra: cronTOML},
	)

	out, _, err := runCLI(t, "check", filepath.Join(plugins, "good"))
	if err != nil {
		t.Fatalf("good: %v\n%s", err, out)
	}
	wantLines(t, out,
		"OK    manifest ", "good 0.1.0",
		"OK    cron[0] \"0 3 * * *\" (label \"nightly\"",
		"OK    entry plugin.wasm:", "compiles",
		"OK    contract: imports and exports match",
		"OK    hook on-login (action, priority 7): exported",
		"OK    hook on-cron-tick: exported (fired by the 1 [[cron]] entry)",
		"host-api imports used: ", "set-data",
		"OK    loads in the runtime",
		"PASS  ")

	for name, want := range map[string][]string{
		"unexported":  {"FAIL  hook render-markdown (filter, priority 2): subscribed in the manifest but not exported", "OK    hook on-login"},
		"badcron":     {"manifest.toml:13: cron[0].cron_expr: cron_expr \"61 * * * *\": minute field"},
		"unknownhook": {"manifest.toml:8: hooks.on-frobnicate: the contract has no hook \"on-frobnicate\""},
		"nocronhook":  {"FAIL  hook on-cron-tick: the manifest has [[cron]] entries but the module does not export it", "exported but not subscribed (never called): filter-html"},
	} {
		out, _, err := runCLI(t, "check", filepath.Join(plugins, name))
		if !errors.Is(err, errFailed) {
			t.Errorf("%s: err = %v, want a failure\n%s", name, err, out)
		}
		wantLines(t, out, append(want, "FAIL  "+filepath.Join(plugins, name))...)
	}

	// Not wasm; no manifest; no directory.
	notwasm := filepath.Join(plugins, "notwasm")
	rtt.WritePlugin(t, notwasm, testManifest("notwasm", map[string]int{"on-login": 1}, ""), []byte("not wasm"))
	out, _, err = runCLI(t, "check", notwasm)
	if !errors.Is(err, errFailed) {
		t.Fatalf("notwasm: %v", err)
	}
	wantLines(t, out, "FAIL  entry plugin.wasm: does not compile")
	os.Remove(filepath.Join(notwasm, "manifest.toml"))
	out, _, err = runCLI(t, "check", notwasm)
	wantLines(t, out, "FAIL  manifest: ")
	js := filepath.Join(plugins, "js")
	rtt.WritePlugin(t, js, strings.Replace(testManifest("js", nil, ""), `runtime = "wasm"`, `runtime = "js"`, 1), nil)
	out, _, err = runCLI(t, "check", js)
	if err != nil {
		t.Fatalf("js plugin: %v\n%s", err, out)
	}
	wantLines(t, out, "the WebAssembly host skips it", "PASS")
	if _, _, err := runCLI(t, "check"); !errors.Is(err, errUsage) {
		t.Fatalf("no dir: %v", err)
	}
	out, _, _ = runCLI(t, "check", filepath.Join(plugins, "missing"))
	wantLines(t, out, "not a plugin directory")
}

func TestCall(t *testing.T) {
	plugins := t.TempDir()
	deploy(t, plugins,
		testPlugin{id: "com.test.posts", guest: postGuest, hooks: map[string]int{"on-post-creating": 1}},
		testPlugin{id: "com.test.a", guest: prefixGuest("A:", ""), hooks: map[string]int{"render-markdown": 2}},
		testPlugin{id: "com.test.b", guest: prefixGuest("B:", ""), hooks: map[string]int{"render-markdown": 1}},
		testPlugin{id: "com.test.login", guest: loginGuest, hooks: map[string]int{"on-login": 1}},
		testPlugin{id: "com.test.trap", guest: trapGuest, hooks: map[string]int{"render-markdown": 3}},
	)
	// A filter prints the chain's final value; a failing plugin is skipped
	// (and makes the exit status 1).
	out, errOut, err := runCLI(t, "call", "render-markdown", "-plugins", plugins, "-json", `"md"`, "-trace")
	if !errors.Is(err, errFailed) || strings.TrimSpace(out) != `"A:B:md"` {
		t.Fatalf("render-markdown: %v %q %s", err, out, errOut)
	}
	wantLines(t, errOut, "com.test.b (priority 1", `some "B:md"`, "com.test.trap (priority 3): FAILED, skipped")

	out, _, err = runCLI(t, "call", "-plugins", plugins, "-json", `{"title":"T","content":"c"}`, "on-post-creating")
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, out, `"title": "Title From Plugin"`, `"slug": "plugin-slug"`)

	// An action prints one line per plugin.
	out, _, err = runCLI(t, "call", "on-login", "-plugins", plugins, "-json", `"u1"`)
	if err != nil || !strings.HasPrefix(out, "com.test.login: ok (") {
		t.Fatalf("on-login: %v %q", err, out)
	}

	for _, args := range [][]string{
		{"call", "nope", "-plugins", plugins, "-json", `1`},
		{"call", "on-login", "-plugins", plugins},
		{"call", "on-login", "-plugins", plugins, "-json", `{`},
		{"call", "on-post-creating", "-plugins", plugins, "-json", `{"title":1}`},
		{"call"},
		{"frob"},
	} {
		if _, _, err := runCLI(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
}

// TestServeCommand runs `pluginhost serve` on 127.0.0.1:0 with a deployed
// plugin, talks to it, and stops it as SIGINT would (the context ends).
func TestServeCommand(t *testing.T) {
	root := t.TempDir()
	plugins := filepath.Join(root, "plugins")
	deploy(t, plugins, testPlugin{id: "com.test.login", guest: loginGuest, hooks: map[string]int{"on-login": 1}})
	t.Setenv("PLUGIN_WASM_POOL_SIZE", "3")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-plugins", plugins, "-db", filepath.Join(root, "db", "x.db"),
			"-addr", "127.0.0.1:0", "-build=false", "-watch", "0"}, io.Discard, pw)
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), "addr=http://"); ok {
				a, _, _ = strings.Cut(a, " ")
				addr <- a
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve returned early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}

	res, err := http.Post(base+"/api/login", "application/json", strings.NewReader(`{"user_id":"dave"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	var pl pluginsResponse
	res, err = http.Get(base + "/api/plugins")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&pl)
	res.Body.Close()
	if len(pl.Plugins) != 1 || pl.Plugins[0].Pool.Size != 3 {
		t.Fatalf("plugins %+v (want the pool size from PLUGIN_WASM_POOL_SIZE)", pl.Plugins)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if _, err := os.Stat(filepath.Join(root, "db", "x.db")); err != nil {
		t.Fatalf("database not created: %v", err)
	}

	// A bad PLUGIN_WASM_POOL_SIZE is a usage error.
	t.Setenv("PLUGIN_WASM_POOL_SIZE", "lots")
	if _, _, err := runCLI(t, "serve", "-plugins", plugins, "-db", filepath.Join(root, "y.db"), "-addr", "127.0.0.1:0"); !errors.Is(err, errUsage) {
		t.Fatalf("bad pool size: %v", err)
	}
}

// TestCheckContract: check says which contract version a plugin was built
// for and how this host takes it.
func TestCheckContract(t *testing.T) {
	plugins := t.TempDir()
	wat := loginGuest.WAT()
	for _, c := range []struct {
		id, wat string
		ok      bool
		want    string
	}{
		{"same", wat, true, "OK    contract: built for raisfast:plugin-wit@0.1.1: the host's version"},
		{"later", strings.ReplaceAll(wat, "@0.1.1", "@0.1.3"), true,
			"OK    contract: built for raisfast:plugin-wit@0.1.3: compatible with this host's 0.1.1 (same semver track 0.1)"},
		{"lacking", strings.Replace(strings.ReplaceAll(wat, "@0.1.1", "@0.1.3"), "(import ", `(import "raisfast:plugin-wit/host-api@0.1.3" "now-millis" (func (result i64)))
  (import `, 1), false,
			"FAIL  contract: built for raisfast:plugin-wit@0.1.3: refused by this host's 0.1.1 (imports host-api#now-millis, which this host lacks)"},
		{"major", strings.ReplaceAll(wat, "@0.1.1", "@0.2.0"), false,
			"FAIL  contract: built for raisfast:plugin-wit@0.2.0: refused by this host's 0.1.1 (0.2.0 is on track 0.2, this host's 0.1.1 on track 0.1)"},
	} {
		wasm, err := rtt.Assemble(context.Background(), c.wat)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(plugins, c.id)
		rtt.WritePlugin(t, dir, testManifest(c.id, map[string]int{"on-login": 1}, ""), wasm)
		out, _, err := runCLI(t, "check", dir)
		if c.ok != (err == nil) {
			t.Errorf("%s: err = %v\n%s", c.id, err, out)
		}
		wantLines(t, out, c.want)
	}
}

// TestVersion: `pluginhost version` names the module, the wazero go.mod
// requires and the contract of gen/plugin; help lists the command.
func TestVersion(t *testing.T) {
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`github.com/tetratelabs/wazero (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod requires no wazero")
	}
	for _, arg := range []string{"version", "-version", "--version"} {
		out, _, err := runCLI(t, arg)
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		wantLines(t, out, "pluginhost ", "wazero     "+string(m[1])+"\n",
			"contract   "+plugin.WorldPackage+"@"+plugin.WorldVersion+" ")
	}
	for _, arg := range []string{"help", "-h"} {
		out, _, err := runCLI(t, arg)
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		wantLines(t, out, "pluginhost version ")
	}
}

// TestCheckJSON: check -json prints the same checks as one JSON object,
// with the exit status of the text form.
func TestCheckJSON(t *testing.T) {
	plugins := t.TempDir()
	deploy(t, plugins,
		testPlugin{id: "good", guest: loginGuest, hooks: map[string]int{"on-login": 7},
			extra: "[[cron]]\nlabel = \"nightly\"\njob_type = \"x\"\ncron_expr = \"0 3 * * *\"\n"},
		testPlugin{id: "unexported", guest: loginGuest, hooks: map[string]int{"on-login": 1, "render-markdown": 2}},
		testPlugin{id: "nohooks", guest: loginGuest},
	)
	decode := func(out string) checkReport {
		t.Helper()
		var r checkReport
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil || dec.More() {
			t.Fatalf("not one JSON object (%v):\n%s", err, out)
		}
		return r
	}
	find := func(r checkReport, status, prefix string) *checkResult {
		for i, c := range r.Checks {
			if c.Status == status && strings.HasPrefix(c.Message, prefix) {
				return &r.Checks[i]
			}
		}
		t.Errorf("no %s check %q in %+v", status, prefix, r.Checks)
		return &checkResult{}
	}

	good := filepath.Join(plugins, "good")
	out, _, err := runCLI(t, "check", "-json", good)
	if err != nil {
		t.Fatalf("good: %v\n%s", err, out)
	}
	r := decode(out)
	if r.Dir != good || !r.OK || len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "set-data") {
		t.Fatalf("good: %+v", r)
	}
	find(r, "ok", "hook on-login (action, priority 7): exported")
	find(r, "ok", "loads in the runtime")
	for _, c := range r.Checks {
		if c.Status != "ok" {
			t.Errorf("good: %+v", c)
		}
	}

	out, _, err = runCLI(t, "check", filepath.Join(plugins, "unexported"), "-json")
	if !errors.Is(err, errFailed) {
		t.Fatalf("unexported: err = %v", err)
	}
	r = decode(out)
	if r.OK {
		t.Fatalf("unexported: ok in %+v", r)
	}
	find(r, "fail", "hook render-markdown (filter, priority 2): subscribed in the manifest but not exported")
	find(r, "ok", "hook on-login")

	out, _, err = runCLI(t, "check", "-json", filepath.Join(plugins, "nohooks"))
	if err != nil {
		t.Fatalf("nohooks: %v\n%s", err, out)
	}
	find(decode(out), "warn", "the manifest subscribes to no hook")
	out, _, _ = runCLI(t, "check", filepath.Join(plugins, "nohooks"))
	wantLines(t, out, "WARN  the manifest subscribes to no hook", "PASS  ")
}

// TestCheckStaleAfterFailedBuild: when a Go plugin's sources are newer than
// its wasm and do not build, check fails and says the wasm is stale instead
// of passing the old module.
func TestCheckStaleAfterFailedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := filepath.Join(t.TempDir(), "broken")
	writeGoPlugin(t, dir)
	// A wasm that loads (a WAT guest) and is older than the sources.
	wasm := filepath.Join(dir, "plugin.wasm")
	if err := os.WriteFile(wasm, loginGuest.Wasm(t), 0o644); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(wasm, past, past); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCLI(t, "check", dir)
	if !errors.Is(err, errFailed) {
		t.Fatalf("err = %v, want a failure\n%s", err, out)
	}
	wantLines(t, out, "FAIL  go build: ", "undefined", "FAIL  entry plugin.wasm: stale: older than the plugin's Go sources, and the build failed", "FAIL  "+dir)
	for _, bad := range []string{"OK    entry", "OK    contract", "OK    loads"} {
		if strings.Contains(out, bad) {
			t.Errorf("the stale wasm was checked as OK (%q):\n%s", bad, out)
		}
	}

	out, _, err = runCLI(t, "check", "-json", dir)
	if !errors.Is(err, errFailed) {
		t.Fatalf("-json: err = %v", err)
	}
	var r checkReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var stale bool
	for _, c := range r.Checks {
		switch {
		case c.Status == "fail" && strings.HasPrefix(c.Message, "go build: "):
			if !strings.Contains(strings.Join(c.Details, "\n"), "undefined") {
				t.Errorf("the build failure lacks the compiler's output: %+v", c)
			}
		case c.Status == "fail" && strings.HasPrefix(c.Message, "entry plugin.wasm: stale"):
			stale = true
		}
	}
	if r.OK || !stale {
		t.Fatalf("-json: %+v", r)
	}

	// Without building, the stale wasm is checked, with a warning.
	out, _, _ = runCLI(t, "check", "-build=false", dir)
	wantLines(t, out, "WARN  go build: "+wasm+" is older than the plugin's Go sources (-build=false: not rebuilt)", "OK    entry plugin.wasm")
}

// TestCallCron: call on-cron-tick -cron LABEL fires that [[cron]] entry on
// its plugin (which does not subscribe to on-cron-tick) with the
// scheduler's payload; an unknown label lists the labels there are.
func TestCallCron(t *testing.T) {
	root := t.TempDir()
	plugins := filepath.Join(root, "plugins")
	db := filepath.Join(root, "data", "call.db")
	cronTOML := func(label, jobType, expr string) string {
		if label != "" {
			label = fmt.Sprintf("label = %q\n", label)
		}
		return fmt.Sprintf("[[cron]]\n%sjob_type = %q\ncron_expr = %q\n", label, jobType, expr)
	}
	deploy(t, plugins,
		testPlugin{id: "com.test.cron", guest: loginGuest, hooks: map[string]int{"on-login": 1},
			extra: cronTOML("nightly", "cleanup", "0 3 * * *") + cronTOML("", "hourly", "0 * * * *")},
		testPlugin{id: "com.test.other", guest: loginGuest, hooks: map[string]int{"on-login": 1},
			extra: cronTOML("weekly", "report", "0 0 * * 0")},
	)
	before := time.Now().Truncate(time.Minute)
	out, errOut, err := runCLI(t, "call", "on-cron-tick", "-cron", "nightly", "-plugins", plugins, "-db", db)
	if err != nil || !strings.HasPrefix(out, "com.test.cron: ok (") {
		t.Fatalf("-cron nightly: %v %q\n%s", err, out, errOut)
	}
	wantLines(t, errOut, `firing com.test.cron's [[cron]] "nightly" (job_type "cleanup", "0 3 * * *")`)
	// By PLUGIN/JOB_TYPE (an entry without a label is labelled by its job_type).
	if out, errOut, err := runCLI(t, "call", "on-cron-tick", "-cron", "com.test.other/report", "-plugins", plugins, "-db", db); err != nil || !strings.HasPrefix(out, "com.test.other: ok") {
		t.Fatalf("-cron com.test.other/report: %v %q\n%s", err, out, errOut)
	}

	h := newHarness(t, func(c *serverConfig) { c.PluginsDir, c.DBPath, c.NoCron = plugins, db, true })
	for id, want := range map[string]runtime.CronPayload{
		"com.test.cron":  {Label: "nightly", JobType: "cleanup", CronExpr: "0 3 * * *"},
		"com.test.other": {Label: "weekly", JobType: "report", CronExpr: "0 0 * * 0"},
	} {
		v, ok := h.data(id, "tick")
		if !ok {
			t.Fatalf("%s: on-cron-tick did not run", id)
		}
		var got runtime.CronPayload
		if err := json.Unmarshal([]byte(v), &got); err != nil {
			t.Fatalf("%s: payload %q: %v", id, v, err)
		}
		at, err := time.Parse(time.RFC3339, got.FiredAt)
		if err != nil || at.Before(before) || at.After(time.Now()) || at.Second() != 0 {
			t.Errorf("%s: fired_at %q: want this minute (%v)", id, got.FiredAt, err)
		}
		got.FiredAt = ""
		if got != want {
			t.Errorf("%s: payload %+v, want %+v", id, got, want)
		}
	}

	_, _, err = runCLI(t, "call", "on-cron-tick", "-cron", "monthly", "-plugins", plugins)
	if !errors.Is(err, errUsage) {
		t.Fatalf("unknown label: %v", err)
	}
	wantLines(t, err.Error(), `-cron "monthly": no [[cron]] entry has that label; the labels are:`,
		`"nightly"  (com.test.cron/cleanup, "0 3 * * *")`, `"hourly"  (com.test.cron/hourly, "0 * * * *")`, `"weekly"  (com.test.other/report`)
	for _, args := range [][]string{
		{"call", "on-login", "-cron", "nightly", "-plugins", plugins},
		{"call", "on-cron-tick", "-cron", "nightly", "-json", "null", "-plugins", plugins},
	} {
		if _, _, err := runCLI(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}

	// A label two entries share names neither.
	deploy(t, plugins, testPlugin{id: "com.test.twin", guest: loginGuest, hooks: map[string]int{"on-login": 1}, extra: cronTOML("nightly", "twin", "0 4 * * *")})
	_, _, err = runCLI(t, "call", "on-cron-tick", "-cron", "nightly", "-plugins", plugins)
	if !errors.Is(err, errUsage) {
		t.Fatalf("shared label: %v", err)
	}
	wantLines(t, err.Error(), "2 entries have that label; name one as PLUGIN/JOB_TYPE", "com.test.twin/twin")
}

// TestCallWITTypeErrors: a -json value of the wrong type is reported in the
// contract's terms (WIT record, field and type), whether or not a plugin
// subscribes to the hook.
func TestCallWITTypeErrors(t *testing.T) {
	plugins := t.TempDir()
	deploy(t, plugins, testPlugin{id: "com.test.posts", guest: postGuest, hooks: map[string]int{"on-post-creating": 1}})
	empty := t.TempDir()
	for _, c := range []struct {
		hook, json, want string
	}{
		{"on-post-creating", `{"title":1,"content":"c"}`, "-json: post-input.title: want a string, got a number\n"},
		{"on-post-creating", `{"title":"t","content":"c","tag_ids":"a"}`, "-json: post-input.tag-ids: want a list<string> (a JSON array), got a string (tag-ids is an option<list<string>>)"},
		{"on-post-creating", `{"title":"t","content":"c","tag_ids":[true]}`, "-json: post-input.tag-ids: want a string, got a bool"},
		{"on-post-creating", `"t"`, "-json: on-post-creating takes a post-input record (a JSON object), got a string"},
		{"on-comment-creating", `{"content":"c","nickname":[]}`, "-json: comment-input.nickname: want a string, got an array (nickname is an option<string>)"},
		{"on-content-creating", `{"content_type":"a","data":"{}","id":5}`, "-json: content-event.id: want a string, got a number"},
		{"on-content-deleted", `{"content_type":1,"id":"x"}`, "-json: on-content-deleted parameter content-type: want a string, got a number"},
		{"render-markdown", `{}`, "-json: render-markdown takes a string, got an object"},
	} {
		for _, dir := range []string{plugins, empty} {
			_, _, err := runCLI(t, "call", c.hook, "-plugins", dir, "-json", c.json)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %s (-plugins %s): err = %v, want %q", c.hook, c.json, filepath.Base(dir), err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "Go struct") {
				t.Errorf("%s %s: the Go type leaks: %v", c.hook, c.json, err)
			}
		}
	}
}
