package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/services/config"
)

// callCmd: pluginhost call HOOK -plugins DIR -json '…'.
//
// It loads the plugins (building Go plugins first, like serve), runs one
// hook through the runtime exactly as the host would (runtime.TraceJSON,
// the per-plugin form of runtime.CallJSON) and prints:
//
//   - for a filter, the chain's final value as JSON on stdout;
//   - for an action, one line per subscribed plugin on stdout: "ok" or the
//     failure;
//
// with -trace, each plugin's step of a filter chain on stderr. Exit status
// 1 when a plugin failed (for a filter, the value is printed anyway: the
// failing plugin was skipped, as the host would).
//
// Without -db the plugins get a throw-away database and sandbox directory;
// with -db they see that database (posts, their data) as serve does.
//
// call on-cron-tick -cron LABEL fires the [[cron]] entry with that label
// (or PLUGIN/JOB_TYPE) instead: the cron hook on its plugin, subscribed or
// not, with the payload the scheduler gives (runtime.FireCron) for the
// current minute.
func callCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	hook, rest := splitPositional(args)
	fs := flag.NewFlagSet("pluginhost call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pluginhost call HOOK [-plugins DIR] -json '…'\n       pluginhost call on-cron-tick -cron LABEL [-plugins DIR]\nhooks: %s\n", hookNames())
		fs.PrintDefaults()
	}
	pluginsDir := fs.String("plugins", defaultPluginsDir, "plugins directory, or one plugin's directory (with its manifest.toml)")
	jsonArg := fs.String("json", "", `the hook's argument as JSON: a post-input object, a string, … ("@FILE" reads a file, "-" stdin); for on-content-deleted {"content_type":…,"id":…}`)
	dbPath := fs.String("db", "", "SQLite database the plugins see (default: a temporary one)")
	dataDir := fs.String("data", "", "plugins' sandboxes (default: beside -db, or temporary)")
	build := fs.Bool("build", true, "build Go plugins whose wasm is missing or stale first")
	trace := fs.Bool("trace", false, "print every plugin's step on stderr")
	pool := fs.Int("pool", 1, "instances per plugin")
	callTimeout := fs.Duration("call-timeout", runtime.DefaultCallTimeout, "deadline of one plugin call")
	initSQL := fs.String("init-sql", defaultInitSQL, "SQL file run on the database first (skipped when the default file is absent)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	cronLabel := fs.String("cron", "", "with on-cron-tick: fire the [[cron]] entry with this label (or PLUGIN/JOB_TYPE) with the scheduler's payload, instead of -json")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if hook == "" && fs.NArg() > 0 {
		hook = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if hook == "" {
		return fmt.Errorf("%w: call needs a HOOK (one of %s)", errUsage, hookNames())
	}
	k := plugin.ExportIndex(hook)
	if k < 0 {
		return fmt.Errorf("%w: unknown hook %q (one of %s)", errUsage, hook, hookNames())
	}
	h := plugin.HookList[k]
	var argJSON []byte
	var err error
	switch {
	case *cronLabel != "" && h.Name != cronHook:
		return fmt.Errorf("%w: -cron fires a [[cron]] entry: it goes with %s, not %s", errUsage, cronHook, h.Name)
	case *cronLabel != "" && *jsonArg != "":
		return fmt.Errorf("%w: -cron and -json: a [[cron]] entry's argument is its payload; give one of them", errUsage)
	case *cronLabel == "":
		if argJSON, err = readJSONArg(*jsonArg); err != nil {
			return err
		}
		if err := checkHookArg(h.Name, argJSON); err != nil {
			return fmt.Errorf("%w: -json: %v\n%s: %s", errUsage, err, h.Name, h.Doc)
		}
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}

	plugins, cleanup, err := pluginsRoot(*pluginsDir)
	if err != nil {
		return err
	}
	defer cleanup()
	cfg := serverConfig{
		PluginsDir:      plugins,
		DBPath:          *dbPath,
		DataDir:         *dataDir,
		PoolSize:        *pool,
		CallTimeout:     *callTimeout,
		Clock:           frozenClock{}, // load [[cron]] plugins as serve does, never fire them
		ConfigOverrides: []config.Source{config.Env{LookupEnv: os.LookupEnv}},
		Logger:          log,
	}
	if cfg.DBPath == "" {
		tmp, err := os.MkdirTemp("", "pluginhost-call-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cfg.DBPath = filepath.Join(tmp, "call.db")
	}
	cfg.Build = *build
	if cfg.InitSQL, err = readInitSQL(*initSQL); err != nil {
		return err
	}
	s, err := newServer(ctx, cfg)
	if err != nil {
		return err
	}
	for _, p := range s.buildProblems {
		fmt.Fprintf(stderr, "build failed: %s: %s\n%s\n", p.Dir, p.Error, p.Output)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(cctx)
	}()
	for _, p := range s.rt.Problems() {
		fmt.Fprintf(stderr, "not loaded: %s\n", p.Error())
	}
	if *cronLabel != "" {
		return fireCron(ctx, s, *cronLabel, stdout, stderr)
	}
	subs, _ := s.rt.Subscribers(h.Name)
	if len(subs) == 0 {
		fmt.Fprintf(stderr, "note: no loaded plugin subscribes to %s\n", h.Name)
		if h.Name == cronHook {
			fmt.Fprintf(stderr, "note: [[cron]] entries fire %s without a [hooks.%s] subscription; call reaches only subscribers\n", cronHook, cronHook)
		}
	}

	tr, err := runtime.TraceJSON(ctx, s.rt, h.Name, argJSON)
	if err != nil {
		if errors.Is(err, runtime.ErrClosed) {
			return err
		}
		return fmt.Errorf("%w: -json: %v\n%s: %s", errUsage, strings.TrimPrefix(witArgError(h.Name, err).Error(), "runtime: "), h.Name, h.Doc)
	}
	failed := false
	if h.Kind == plugin.HookFilter {
		for _, st := range tr.Steps {
			if st.Err != nil {
				failed = true
				fmt.Fprintf(stderr, "%s (priority %d): FAILED, skipped: %v\n", st.Plugin, st.Priority, st.Err)
			} else if *trace {
				fmt.Fprintf(stderr, "%s (priority %d, %s): %s\n", st.Plugin, st.Priority, st.Duration.Round(time.Microsecond), describeOutput(st.Output))
			}
		}
		fmt.Fprintf(stdout, "%s\n", indentJSON(tr.Output))
	} else {
		for _, st := range tr.Steps {
			if st.Err != nil {
				failed = true
				fmt.Fprintf(stdout, "%s: FAILED: %v\n", st.Plugin, st.Err)
			} else {
				fmt.Fprintf(stdout, "%s: ok (%s)\n", st.Plugin, st.Duration.Round(time.Microsecond))
			}
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

// fireCron fires the [[cron]] entry named by label (its label, or
// PLUGIN/JOB_TYPE) as the scheduler would for the current minute, and
// prints "PLUGIN: ok" or the failure.
func fireCron(ctx context.Context, s *server, label string, stdout, stderr io.Writer) error {
	e, err := findCron(s.rt.CronEntries(), label)
	if err != nil {
		return err
	}
	firedAt := time.Now().Truncate(time.Minute)
	fmt.Fprintf(stderr, "firing %s's [[cron]] %q (job_type %q, %q) for %s\n", e.Plugin, e.Label, e.JobType, e.Expr, firedAt.Format(time.RFC3339))
	start := time.Now()
	if err := s.rt.FireCron(ctx, e.Plugin, e.JobType, firedAt); err != nil {
		fmt.Fprintf(stdout, "%s: FAILED: %v\n", e.Plugin, err)
		return errFailed
	}
	fmt.Fprintf(stdout, "%s: ok (%s)\n", e.Plugin, time.Since(start).Round(time.Microsecond))
	return nil
}

// findCron returns the one entry labelled label, else the one whose
// PLUGIN/JOB_TYPE is label; the error lists the entries there are.
func findCron(entries []runtime.CronEntry, label string) (runtime.CronEntry, error) {
	var byLabel, byID []runtime.CronEntry
	for _, e := range entries {
		if e.Label == label {
			byLabel = append(byLabel, e)
		}
		if e.Plugin+"/"+e.JobType == label {
			byID = append(byID, e)
		}
	}
	switch {
	case len(byLabel) == 1:
		return byLabel[0], nil
	case len(byLabel) > 1:
		return runtime.CronEntry{}, fmt.Errorf("%w: -cron %q: %d entries have that label; name one as PLUGIN/JOB_TYPE:\n%s", errUsage, label, len(byLabel), listCron(byLabel))
	case len(byID) == 1:
		return byID[0], nil
	case len(entries) == 0:
		return runtime.CronEntry{}, fmt.Errorf("%w: -cron %q: no loaded plugin has [[cron]] entries", errUsage, label)
	}
	return runtime.CronEntry{}, fmt.Errorf("%w: -cron %q: no [[cron]] entry has that label; the labels are:\n%s", errUsage, label, listCron(entries))
}

func listCron(entries []runtime.CronEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "  %q  (%s/%s, %q)\n", e.Label, e.Plugin, e.JobType, e.Expr)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// readJSONArg returns the -json argument: inline, "@FILE" or "-" (stdin).
func readJSONArg(v string) ([]byte, error) {
	var b []byte
	switch {
	case v == "":
		return nil, fmt.Errorf("%w: -json is required: the hook's argument as JSON", errUsage)
	case v == "-":
		var err error
		if b, err = io.ReadAll(io.LimitReader(os.Stdin, 64<<20)); err != nil {
			return nil, err
		}
	case strings.HasPrefix(v, "@"):
		var err error
		if b, err = os.ReadFile(v[1:]); err != nil {
			return nil, fmt.Errorf("%w: -json: %v", errUsage, err)
		}
	default:
		b = []byte(v)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%w: -json: not valid JSON (a string argument needs its quotes: -json '\"text\"')", errUsage)
	}
	return b, nil
}

func describeOutput(out json.RawMessage) string {
	if len(out) == 0 || string(bytes.TrimSpace(out)) == "null" {
		return "none (value kept)"
	}
	return "some " + string(out)
}

func indentJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

func hookNames() string { return strings.Join(plugin.HookNames(), ", ") }

// pluginsRoot returns the plugins directory to load for -plugins dir: dir
// itself, or, when dir is one plugin (it holds a manifest.toml), a
// temporary directory whose only entry links to it.
func pluginsRoot(dir string) (root string, cleanup func(), err error) {
	if _, err := os.Stat(filepath.Join(dir, "manifest.toml")); err != nil {
		return dir, func() {}, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp("", "pluginhost-plugin-")
	if err != nil {
		return "", nil, err
	}
	if err := os.Symlink(abs, filepath.Join(tmp, filepath.Base(abs))); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("-plugins %s: %w", dir, err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}
