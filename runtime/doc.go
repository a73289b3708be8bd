// Package runtime runs RaisFast's WebAssembly plugins: it loads the plugin
// directories of extensions/plugins, keeps a pool of instances per plugin, and
// dispatches hooks to them in priority order, driven entirely by the generated
// hook table of gen/plugin — nothing here names an individual hook, so a hook
// added to wit/plugin.wit is dispatched after `go generate` without a change
// to this package.
//
//	rt, err := runtime.New(ctx, runtime.Config{
//		PluginsDir: "extensions/plugins",
//		PoolSize:   size, // runtime.PoolSizeFromEnv(os.LookupEnv)
//		DB:         db,   // db-* services
//		DataDir:    "data/plugins", // sandboxes, and the get-data/set-data database
//		CronHook:   "on-cron-tick",
//	})
//	…
//	html, _ := runtime.Filter(ctx, rt, plugin.Hooks.RenderMarkdown, md)
//	err = runtime.Action(ctx, rt, plugin.Hooks.OnPostCreated, post) // nil, or the failures joined
//	out, err := runtime.CallJSON(ctx, rt, "on-post-creating", []byte(`{"title":"Hi","content":""}`))
//
// # Loading
//
// Each directory of Config.PluginsDir (hidden ones excepted) is a plugin: a
// manifest.toml (parsed strictly by runtime/manifest; errors name the file
// and line) and its wasm entry. A manifest for another runtime (runtime =
// "js", …) is skipped. For each plugin the runtime
//
//   - checks every hook the manifest subscribes to against plugin.HookList
//     and compiles the entry with plugin.OptionalExports(those hooks), so a
//     subscription to a hook the module does not export — or exports with the
//     wrong signature — is a load error, while unsubscribed exports are never
//     called;
//   - rewrites the module with runtime/interrupt, so that it checks an
//     interrupt flag at every function entry and loop header (a load and a
//     branch) and returns to Go every 65536 checks; one watchdog goroutine per
//     runtime sets the flag of a call past its deadline (or whose caller's
//     context ended: it polls that every 5 ms while such calls run, so a
//     call registers nothing on the caller's context), and Close sets every
//     flag; a manifest's [limits] fuel adds a deterministic budget per call
//     to the same checks (ErrFuelExhausted). A module the rewriter
//     refuses runs with wazero's WithCloseOnContextDone instead (a goroutine
//     per guest call), with a warning; with Config.CompilationCacheDir the
//     rewritten module is cached on disk (checksummed, keyed by the input's
//     hash and the rewriter version);
//   - creates its own wazero.Runtime (sharing Config.CompilationCacheDir, a
//     file cache) with WithMemoryLimitPages(Config.MemoryLimitPages);
//   - fills a pool (package pool) of Config.PoolSize instances, each with its
//     own hostapi.Adapter, real clocks, crypto/rand as its random source, and
//     its stdout/stderr logged (debug/warn) with the plugin id, the lines
//     of one call as one record (a Go guest's traceback is one warning);
//     the first instance runs _initialize and the others start from its
//     image (memory and mutable globals), unless Config.FreshInstances or the
//     module cannot be imaged (PluginInfo.Image says which; see IMAGES.md).
//
// A plugin that fails to load is left out and reported by [Runtime.Problems];
// the others load normally. Two directories declaring the same plugin id: the
// first by directory name wins.
//
// The manifest's config and permissions tables configure the plugin's host
// services (package runtime/internal/hostapi): config answers get-config, after
// Config.ConfigOverrides; http_allow becomes the httpc allow-list (an entry
// without a port allows every port, "*" any host; the rest of the policy is
// Config.HTTP) and http_allow_private lifts its private-address check;
// db = "read" (db-query) / "write" (also db-execute and transactions) and
// db_tables become sqldb permissions (never Schema); vfs_max_bytes caps the
// plugin's handle on the sandbox Config.DataDir/<plugin id> (0: no sandbox;
// the directory's usage count is shared by the plugin's versions).
// get-data/set-data, get-post, emit-event and log need no permission.
//
// get-data/set-data use a SQLite database of their own, Config.KVDB or by
// default Config.DataDir/_plugin_kv.db, never Config.DB: a plugin's db-begin
// holds the host database's write lock until its call ends, and its own
// set-data in between must not wait for it (see Config.KVDB).
//
// # Dispatch
//
// [Filter] runs a filter hook's subscribers in ascending priority (ties by
// plugin id), each on the previous output; none keeps the value; a failing
// plugin is skipped and logged with the value unchanged. [Action] runs every
// subscriber of an action hook in the same order; one failure does not stop
// the others. [CallJSON] and [TraceJSON] do either for a hook named at run
// time, with JSON arguments, for CLIs.
//
// Every guest call takes a free instance (round-robin; waiting, bounded by
// the caller's context, when all are busy), runs under Config.CallTimeout,
// and then ends the instance's host-side call state: a database transaction
// the plugin left open is rolled back. A call that traps, times out or is
// cancelled discards its instance; the pool creates a replacement in the
// background while the other instances keep serving. Instances are reused,
// so a plugin may keep state in its memory between calls (per instance; for
// shared state use get-data/set-data).
//
// # Cron
//
// When Config.CronHook is set (the reference host uses "on-cron-tick"),
// every cron entry of a loaded plugin fires that hook on that plugin at
// the times its five-field expression names (package runtime/cron, read in
// Config.CronLocation, timed by Config.Clock). The hook's single argument is
// a JSON text:
//
//	{"label":"定时任务","job_type":"my_task","cron_expr":"0 */6 * * *","fired_at":"2025-01-02T06:00:00+08:00"}
//
// fired_at is the scheduled instant in RFC 3339 (see [CronPayload]). A firing
// is skipped while the previous run of the same entry is still running. A
// plugin with cron entries must export the cron hook. [Runtime.CronEntries]
// lists the entries and [Runtime.FireCron] fires one by hand, with the same
// payload.
//
// # Hot reload
//
// [Runtime.Reload] (and the watcher, when Config.WatchInterval is set)
// rescans the directory. Unchanged plugins keep their loaded version and
// instances; added or changed ones are compiled and their pools filled beside
// the running versions; the new set is then swapped in atomically (an
// immutable snapshot behind an atomic pointer, with each hook's subscribers
// pre-sorted) and the versions no longer used are closed once the dispatches
// that started before the swap have finished — calls in flight never fail
// because of a reload. A changed plugin that fails to load keeps its previous
// version serving (reported by Problems with Serving set). Cron entries move
// with their plugin; unchanged entries keep their next firing time.
//
// # Closing
//
// [Runtime.Close] stops the watcher and cron, makes new dispatches fail with
// [ErrClosed], waits for calls in flight (bounded by its context; then it
// interrupts them), and closes every pool, wazero runtime, sandbox, the
// compilation cache and the key-value database it opened.
package runtime
