package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/manifest"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
	"github.com/tetratelabs/wazero"
)

// checkCmd: pluginhost check DIR.
//
// It validates one plugin directory the way serve would load it and prints
// a report of OK/FAIL lines:
//
//   - the manifest (strictly: unknown keys, types, a wasm runtime, the id);
//   - every subscribed hook is a hook of the contract;
//   - every [[cron]] expression parses (with its next firing), and the cron
//     hook is exported when there are entries;
//   - the entry wasm exists and compiles;
//   - the contract version it was built for and how this host takes it
//     (the host's version, compatible on the same semver track, or refused
//     with why; see docs/contract-evolution.md);
//   - its imports and exports match the contract (plugin.Compile with
//     OptionalExports(<the manifest's hooks>)), each subscribed hook is
//     exported;
//   - it loads in the runtime (instantiation and _initialize included);
//
// followed by the hooks found, the exports no subscription reaches and the
// imports the module uses. A Go plugin is built first when its wasm is
// missing or older than its sources; when that build fails an older wasm
// is reported stale (a failure), not checked. Exit status 1 when anything
// failed. With -json the report is one JSON object (checkReport).
func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pluginhost check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pluginhost check [-build=false] [-json] DIR")
		fs.PrintDefaults()
	}
	build := fs.Bool("build", true, "build a Go plugin first if its wasm is missing or older than its sources")
	asJSON := fs.Bool("json", false, `print the report as one JSON object {"dir", "ok", "checks": [{"status": "ok"|"fail"|"warn", "message", "details"}], "notes"}`)
	dir, err := parseDirArgs(fs, args, "check")
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep := &report{w: stdout}
	if *asJSON {
		rep.w = nil
	}
	checkPlugin(ctx, rep, dir, *build, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if *asJSON {
		if err := rep.writeJSON(stdout, dir); err != nil {
			return err
		}
		if rep.fails > 0 {
			return errFailed
		}
		return nil
	}
	if rep.fails > 0 {
		fmt.Fprintf(stdout, "FAIL  %s: %d problem(s)\n", dir, rep.fails)
		return errFailed
	}
	fmt.Fprintf(stdout, "PASS  %s\n", dir)
	return nil
}

// checkPlugin runs every check on dir, reporting to rep.
func checkPlugin(ctx context.Context, rep *report, dir string, build bool, log *slog.Logger) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		rep.fail("%s: not a plugin directory", dir)
		return
	}
	stale := checkBuild(ctx, rep, dir, build, log)

	// Manifest: parsed strictly, every problem on its own line.
	mpath := filepath.Join(dir, manifest.FileName)
	m, err := readManifest(mpath)
	if errors.Is(err, errOtherRuntime) {
		rep.ok("manifest %s: %v; the WebAssembly host skips it", mpath, err)
		return
	}
	var es manifest.Errors
	switch {
	case errors.As(err, &es):
		for _, e := range es {
			rep.fail("manifest: %s", e.Error())
		}
		return
	case err != nil:
		rep.fail("manifest: %v", err)
		return
	}
	rep.ok("manifest %s: %s %s %q, entry %s", mpath, m.ID, m.Version, m.Name, m.Entry)

	// Hooks of the manifest, in the contract's order (the parser has
	// checked that each is a hook of the contract).
	hooks := slices.Clone(m.Hooks)
	slices.SortFunc(hooks, func(a, b manifest.Hook) int { return plugin.ExportIndex(a.Name) - plugin.ExportIndex(b.Name) })
	required := []string{}
	for _, h := range hooks {
		required = append(required, h.Name)
	}

	// Cron (the parser has checked the expressions).
	for i, c := range m.Cron {
		when := "never"
		if next := c.Schedule.Next(time.Now()); !next.IsZero() {
			when = next.Format(time.RFC3339)
		}
		rep.ok("cron[%d] %q (label %q, job_type %q): next firing %s", i, c.Expr, c.Label, c.JobType, when)
	}
	if len(m.Cron) > 0 && !slices.Contains(required, cronHook) {
		required = append(required, cronHook)
	}

	// Entry.
	if !filepath.IsLocal(filepath.FromSlash(m.Entry)) {
		rep.fail("entry %q: must be a relative path inside the plugin directory", m.Entry)
		return
	}
	if stale {
		rep.fail("entry %s: stale: older than the plugin's Go sources, and the build failed (the runtime would load this old module)", m.Entry)
		return
	}
	epath := filepath.Join(dir, filepath.FromSlash(m.Entry))
	wasm, err := os.ReadFile(epath)
	if err != nil {
		rep.fail("entry %s: %v", m.Entry, err)
		return
	}
	r := wazero.NewRuntime(ctx)
	defer r.Close(context.WithoutCancel(ctx))
	if err := plugin.Define(ctx, r); err != nil {
		rep.fail("host: %v", err)
		return
	}
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		rep.fail("entry %s: does not compile: %v", m.Entry, err)
		return
	}
	rep.ok("entry %s: %s, compiles", m.Entry, byteSize(len(wasm)))

	// Contract: first with no export required (to see what is there), then
	// with the manifest's hooks required, as the runtime links it.
	linked, err := plugin.Link(ctx, r, cm, plugin.OptionalExports())
	var le *abi.LinkError
	switch {
	case err == nil:
		rep.ok("contract: %s", contractLine(linked.Contract()))
		rep.ok("contract: imports and exports match %s@%s plugin-world", plugin.WorldPackage, plugin.WorldVersion)
	case errors.As(err, &le):
		rep.fail("contract: %s", contractLine(le.Contract))
		rep.fail("contract: the module does not match plugin-world:")
		listLinkProblems(rep, err)
	default:
		rep.fail("contract: the module does not match plugin-world:")
		listLinkProblems(rep, err)
	}

	// Hooks found.
	hookFails := rep.fails
	exported := map[string]bool{}
	if linked != nil {
		for _, h := range plugin.HookList {
			if linked.HasExport(h.Index) {
				exported[h.Name] = true
			}
		}
	}
	for _, sub := range hooks {
		if linked == nil {
			break
		}
		h := plugin.HookList[plugin.ExportIndex(sub.Name)]
		if exported[h.Name] {
			rep.ok("hook %s (%s, priority %d): exported", h.Name, h.Kind, sub.Priority)
		} else {
			rep.fail("hook %s (%s, priority %d): subscribed in the manifest but not exported", h.Name, h.Kind, sub.Priority)
		}
	}
	if len(m.Cron) > 0 && linked != nil {
		if exported[cronHook] {
			rep.ok("hook %s: exported (fired by the %d [[cron]] entr%s)", cronHook, len(m.Cron), plural(len(m.Cron), "y", "ies"))
		} else {
			rep.fail("hook %s: the manifest has [[cron]] entries but the module does not export it", cronHook)
		}
	}
	// The runtime's own link, with the manifest's hooks required: its
	// problems are normally the missing hooks just reported.
	if linked != nil && rep.fails == hookFails {
		if _, err := plugin.Link(ctx, r, cm, plugin.OptionalExports(required...)); err != nil {
			rep.fail("contract: with the manifest's hooks required:")
			listLinkProblems(rep, err)
		}
	}
	if len(hooks) == 0 && len(m.Cron) == 0 {
		rep.warn("the manifest subscribes to no hook: the plugin is never called")
	}
	var unsubscribed []string
	for _, h := range plugin.HookList {
		_, subscribed := m.Priority(h.Name)
		if exported[h.Name] && !subscribed && !(h.Name == cronHook && len(m.Cron) > 0) {
			unsubscribed = append(unsubscribed, h.Name)
		}
	}
	if len(unsubscribed) > 0 {
		rep.warn("exported but not subscribed (never called): %s", strings.Join(unsubscribed, ", "))
	}

	// Imports used.
	imports := map[string][]string{} // module → functions
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		if strings.Contains(mod, "host-api") {
			mod = "host-api"
		}
		imports[mod] = append(imports[mod], name)
	}
	for _, mod := range slices.Sorted(maps.Keys(imports)) {
		fns := slices.Compact(slices.Sorted(slices.Values(imports[mod])))
		imports[mod] = fns
	}
	if fns := imports["host-api"]; len(fns) > 0 {
		rep.note("host-api imports used: %s", strings.Join(fns, ", "))
	} else {
		rep.note("host-api imports used: none")
	}
	for _, mod := range slices.Sorted(maps.Keys(imports)) {
		if mod != "host-api" {
			rep.note("%s imports: %s", mod, strings.Join(imports[mod], ", "))
		}
	}
	if rep.fails > 0 {
		return
	}

	// Load it as serve would: a runtime over a directory holding only this
	// plugin (instantiation and _initialize included).
	if err := loadAlone(ctx, dir, log); err != nil {
		rep.fail("runtime: %v", err)
		return
	}
	rep.ok("loads in the runtime: instantiated, _initialize ran where exported")
}

// checkBuild builds dir first when it is a Go plugin whose entry is
// missing or older than its sources (build), or warns that it is stale
// (!build). It reports whether the entry on disk is stale: older than the
// sources, with the build failed or not run.
func checkBuild(ctx context.Context, rep *report, dir string, build bool, log *slog.Logger) (stale bool) {
	if !isGoPlugin(dir) {
		return false
	}
	entry := filepath.Join(dir, manifestEntry(dir))
	before, _ := os.Stat(entry)
	if !build {
		newest, err := newestSource(dir)
		if err == nil && before != nil && before.ModTime().Before(newest) {
			rep.warn("go build: %s is older than the plugin's Go sources (-build=false: not rebuilt)", entry)
		}
		return false
	}
	b := &builder{Log: log}
	p := b.buildDir(ctx, dir)
	if p != nil {
		rep.fail("go build: %s", p.Error)
		for _, l := range strings.Split(p.Output, "\n") {
			rep.detail("%s", l)
		}
		return p.Stale
	}
	if after, err := os.Stat(entry); err == nil && (before == nil || !after.ModTime().Equal(before.ModTime())) {
		rep.ok("go build: built %s (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared)", entry)
	}
	return false
}

// loadAlone loads dir in a runtime of its own, on temporary directories.
func loadAlone(ctx context.Context, dir string, log *slog.Logger) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "pluginhost-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	plugins := filepath.Join(tmp, "plugins")
	if err := os.Mkdir(plugins, 0o755); err != nil {
		return err
	}
	link := filepath.Join(plugins, filepath.Base(abs))
	if err := os.Symlink(abs, link); err != nil {
		return err
	}
	// A scratch database, so that a plugin asking for db access loads as
	// it would in serve.
	db, err := sqlitedb.Open(ctx, filepath.Join(tmp, "check.db"), sqlitedb.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	rt, err := runtime.New(ctx, runtime.Config{
		PluginsDir:          plugins,
		PoolSize:            1,
		DB:                  db,
		DataDir:             filepath.Join(tmp, "data"),
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		CronHook:            cronHook,
		Clock:               frozenClock{},
		CompilationCacheDir: runtime.NoCompilationCache,
		WatchInterval:       -1,
	})
	if err != nil {
		return err
	}
	defer rt.Close(context.WithoutCancel(ctx))
	if probs := rt.Problems(); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = strings.ReplaceAll(p.Err.Error(), link, dir)
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	if len(rt.Plugins()) != 1 {
		return errors.New("the runtime skipped the plugin")
	}
	return nil
}

func listLinkProblems(rep *report, err error) {
	var le *abi.LinkError
	if errors.As(err, &le) {
		for _, p := range le.Problems {
			rep.detail("- %s", p)
		}
		return
	}
	rep.detail("- %v", err)
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// frozenClock never fires: check loads a plugin with cron configured (so
// the runtime requires the cron hook, as serve does) without running it.
type frozenClock struct{}

func (frozenClock) Now() time.Time                    { return time.Now() }
func (frozenClock) NewTimer(time.Duration) cron.Timer { return frozenTimer{} }

type frozenTimer struct{}

func (frozenTimer) C() <-chan time.Time { return nil }
func (frozenTimer) Stop() bool          { return true }

// contractLine says which contract version a module was built for and how
// this host takes it.
func contractLine(c abi.Contract) string {
	built := c.Package + "@" + c.Built
	if c.Built == "" {
		built = "unversioned names (any " + c.Package + ")"
	}
	switch c.Take {
	case abi.TakeSame:
		return fmt.Sprintf("built for %s: the host's version", built)
	case abi.TakeCompatible:
		return fmt.Sprintf("built for %s: compatible with this host's %s (same semver track %s)", built, c.Host, abi.Track(c.Host))
	case abi.TakeUnversioned:
		return fmt.Sprintf("built for %s: taken by this host's %s", built, c.Host)
	case abi.TakeAdapted:
		return fmt.Sprintf("built for %s: an older major, adapted to this host's %s (%s)", built, c.Host, c.Why)
	}
	return fmt.Sprintf("built for %s: refused by this host's %s (%s)", built, c.Host, c.Why)
}
