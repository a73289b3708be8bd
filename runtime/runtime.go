package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/internal/hostapi"
	"github.com/raisfast/wasmplug/runtime/services/kv"
	"github.com/raisfast/wasmplug/runtime/services/pgdb"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
	"github.com/raisfast/wasmplug/runtime/services/vfs"
	"github.com/tetratelabs/wazero"
)

// Errors of the runtime, for errors.Is.
var (
	// ErrClosed is returned by dispatch, Reload and Close's followers once
	// Close has begun.
	ErrClosed = errors.New("runtime: closed")
	// ErrUnknownHook is returned for a hook name that the generated hook
	// table (plugin.HookList) does not have.
	ErrUnknownHook = errors.New("runtime: unknown hook")
	// ErrFuelExhausted: a plugin call used up the plugin's [limits] fuel
	// budget (manifest.Limits) and was stopped; the instance is replaced.
	ErrFuelExhausted = errors.New("runtime: the call used up its fuel budget")
	// ErrNoDatabase is the load problem of a plugin whose manifest asks
	// for database access ([permissions] db) when Config.DB is nil.
	ErrNoDatabase = errors.New("runtime: the plugin asks for database access and the host has none (Config.DB is nil)")
)

// Runtime loads the plugins of a directory and dispatches hooks to them. It
// is safe for concurrent use.
type Runtime struct {
	cfg      Config
	log      *slog.Logger
	svc      *hostapi.Services
	vfs      *vfs.Manager // nil without Config.DataDir
	kvDB     *sql.DB      // the key-value database the runtime opened, if it did
	cache    wazero.CompilationCache
	rcfg     wazero.RuntimeConfig // for modules that could not be instrumented: wazero's close-on-context-done
	rcfgFast wazero.RuntimeConfig // for instrumented modules: interrupted through their flag
	wd       *watchdog            // fires the flags of calls past their deadline
	cronHook *plugin.Hook         // nil: cron disabled
	sched    *cron.Scheduler

	cur atomic.Pointer[snapshot] // what dispatch sees

	// reloading serialises Reload (a one-token semaphore, so a Reload can
	// stop waiting when its context ends); life is cancelled by Close, which
	// cancels a reload in progress.
	reloading chan struct{}
	life      context.Context
	endLife   context.CancelFunc

	mu       sync.Mutex // held briefly: guards the fields below and publishing
	closed   bool
	lastScan map[string]string // dir → fingerprint at the last Reload
	live     map[*loaded]bool  // every plugin not yet closed, for a forced Close

	stamps stampCache // file fingerprints, shared by Reload and the watcher

	retiring  sync.WaitGroup // background drains of old snapshots
	closing   atomic.Bool
	watchStop chan struct{}
	watchDone chan struct{}
	closeOnce sync.Once
	closeErr  error
	closeDone chan struct{}
	svcOnce   sync.Once
}

// New loads every plugin under cfg.PluginsDir and starts cron and, if
// configured, the watcher. A plugin that fails to load is left out and
// reported by Problems; New fails only when the configuration is unusable
// (missing PluginsDir, unknown CronHook, unopenable services or cache).
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rt := &Runtime{
		cfg:       cfg,
		log:       cfg.Logger,
		svc:       &hostapi.Services{Posts: cfg.Posts, Events: cfg.Events},
		live:      map[*loaded]bool{},
		lastScan:  map[string]string{},
		closeDone: make(chan struct{}),
		reloading: make(chan struct{}, 1),
	}
	rt.life, rt.endLife = context.WithCancel(context.Background())
	if cfg.CronHook != "" {
		k := plugin.ExportIndex(cfg.CronHook)
		if k < 0 {
			return nil, fmt.Errorf("%w: Config.CronHook %q", ErrUnknownHook, cfg.CronHook)
		}
		h := plugin.HookList[k]
		if h.Kind != plugin.HookAction {
			return nil, fmt.Errorf("runtime: Config.CronHook %q is not an action hook", cfg.CronHook)
		}
		rt.cronHook = &h
	}
	if err := rt.openServices(ctx); err != nil {
		rt.closeServices()
		return nil, err
	}
	rt.rcfgFast = wazero.NewRuntimeConfig().WithMemoryLimitPages(cfg.MemoryLimitPages)
	if cfg.CompilationCacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CompilationCacheDir)
		if err != nil {
			rt.closeServices()
			return nil, fmt.Errorf("runtime: compilation cache: %w", err)
		}
		rt.cache = cache
		rt.rcfgFast = rt.rcfgFast.WithCompilationCache(cache)
	}
	rt.rcfg = rt.rcfgFast.WithCloseOnContextDone(true)
	rt.wd = newWatchdog(rt.cfg.CallTimeout)
	rt.cur.Store(newSnapshot(nil, nil, false))
	if rt.cronHook != nil {
		rt.sched = cron.NewScheduler(cron.WithClock(cfg.Clock), cron.WithLogger(cfg.Logger), cron.WithLocation(cfg.CronLocation))
		go func() { _ = rt.sched.Run(context.Background()) }() // returns at Stop
	}
	if err := rt.Reload(ctx); err != nil {
		rt.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if cfg.WatchInterval > 0 {
		rt.watchStop = make(chan struct{})
		rt.watchDone = make(chan struct{})
		go rt.watch(cfg.WatchInterval)
	}
	return rt, nil
}

// openServices opens the shared host services of Config: the sandbox
// manager and data directory, the key-value store (on its own database) and
// plugin SQL. On failure the caller calls closeServices.
func (rt *Runtime) openServices(ctx context.Context) error {
	cfg := rt.cfg
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("runtime: data dir: %w", err)
		}
		rt.vfs = vfs.NewManager(cfg.DataDir, cfg.VFS, rt.log)
	}
	pg := cfg.DB != nil && pgdb.DialectOf(cfg.DB) == sqldb.Postgres
	kvDB := cfg.KVDB
	switch {
	case pg && kvDB == nil:
		// PostgreSQL has row locks and roles: the store shares the host's
		// database, in a schema no plugin role has any privilege on.
		kvDB = cfg.DB
	case kvDB != nil && cfg.DB != nil && !pg:
		if sameDatabase(ctx, kvDB, cfg.DB) {
			return errors.New("runtime: Config.KVDB is Config.DB's database: the key-value store needs one of its own " +
				"(a set-data inside a plugin's db transaction would wait for that transaction's write lock); " +
				"leave KVDB nil to use " + DefaultKVFile + " in Config.DataDir")
		}
	case kvDB == nil && cfg.DataDir != "":
		db, err := sqlitedb.Open(ctx, filepath.Join(cfg.DataDir, DefaultKVFile), sqlitedb.Options{})
		if err != nil {
			return fmt.Errorf("runtime: key-value store: %w", err)
		}
		rt.kvDB, kvDB = db, db
	case kvDB == nil && cfg.DB != nil:
		rt.log.Warn("runtime: get-data/set-data are not offered: set Config.DataDir or Config.KVDB")
	}
	if kvDB != nil {
		store, err := kv.Open(ctx, kvDB, cfg.KV)
		if err != nil {
			return fmt.Errorf("runtime: %w", err)
		}
		rt.svc.KV = store
	}
	switch {
	case pg:
		b, err := pgdb.New(ctx, cfg.DB, cfg.SQL, pgdb.Options{})
		if err != nil {
			return fmt.Errorf("runtime: %w", err)
		}
		rt.svc.SQL = b
	case cfg.DB != nil:
		rt.svc.SQL = sqldb.New(cfg.DB, cfg.SQL)
	}
	return nil
}

// closeServices closes what openServices opened (once).
func (rt *Runtime) closeServices() error {
	var errs []error
	rt.svcOnce.Do(func() {
		if rt.vfs != nil {
			errs = append(errs, rt.vfs.Close())
		}
		if rt.kvDB != nil {
			errs = append(errs, rt.kvDB.Close())
		}
	})
	return errors.Join(errs...)
}

// sameDatabase reports whether a and b are the same SQLite database file.
// Databases that are not SQLite, not files, or cannot be told apart are
// taken to differ.
func sameDatabase(ctx context.Context, a, b *sql.DB) bool {
	if a == b {
		return true
	}
	file := func(db *sql.DB) string {
		var f string
		if err := db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&f); err != nil {
			return ""
		}
		return f
	}
	fa, fb := file(a), file(b)
	if fa == "" || fb == "" {
		return false
	}
	sa, errA := os.Stat(fa)
	sb, errB := os.Stat(fb)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// KV returns the key-value store behind get-data/set-data (nil when none is
// offered), for host code that administers plugin data: listing, or
// DeleteAll when a plugin is uninstalled.
func (rt *Runtime) KV() *kv.Store { return rt.svc.KV }

// snapshot is an immutable view of the loaded plugins: what one dispatch
// sees from start to end, whatever reloads happen meanwhile. refs counts the
// runtime's own reference (1 while it is current) plus one per dispatch in
// progress; when it drops to zero, drained is closed.
type snapshot struct {
	refs    atomic.Int64
	drained chan struct{}

	closed   bool
	plugins  []*loaded // sorted by id
	byID     map[string]*loaded
	byDir    map[string]*loaded
	hooks    [][]*loaded // per export index, by ascending priority then id
	problems []Problem
	at       time.Time
}

func newSnapshot(plugins []*loaded, problems []Problem, closed bool) *snapshot {
	s := &snapshot{
		drained:  make(chan struct{}),
		closed:   closed,
		plugins:  plugins,
		byID:     make(map[string]*loaded, len(plugins)),
		byDir:    make(map[string]*loaded, len(plugins)),
		hooks:    make([][]*loaded, len(plugin.HookList)),
		problems: problems,
		at:       time.Now(),
	}
	s.refs.Store(1)
	slices.SortFunc(s.plugins, func(a, b *loaded) int { return strings.Compare(a.id, b.id) })
	for _, p := range s.plugins {
		s.byID[p.id] = p
		s.byDir[p.dir] = p
		for k := range p.priority {
			s.hooks[k] = append(s.hooks[k], p)
		}
	}
	for k, ps := range s.hooks {
		slices.SortStableFunc(ps, func(a, b *loaded) int {
			if pa, pb := a.priority[k], b.priority[k]; pa != pb {
				return pa - pb
			}
			return strings.Compare(a.id, b.id)
		})
	}
	return s
}

func (s *snapshot) tryAcquire() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (s *snapshot) release() {
	if s.refs.Add(-1) == 0 {
		close(s.drained)
	}
}

// acquire returns the current snapshot, referenced until release. It fails
// only once the runtime is closed.
func (rt *Runtime) acquire() (*snapshot, error) {
	for {
		s := rt.cur.Load()
		if !s.tryAcquire() {
			continue // retired between Load and tryAcquire: a newer one is current
		}
		if s.closed {
			s.release()
			return nil, ErrClosed
		}
		return s, nil
	}
}

// publish makes next current and retires the previous snapshot: once no
// dispatch uses it any more, the plugins that no later snapshot holds are
// closed. Called with rt.mu held.
func (rt *Runtime) publish(next *snapshot) {
	for _, p := range next.plugins {
		p.refs.Add(1)
	}
	old := rt.cur.Swap(next)
	rt.retiring.Add(1)
	go func() {
		defer rt.retiring.Done()
		old.release()
		<-old.drained
		for _, p := range old.plugins {
			if p.refs.Add(-1) == 0 {
				rt.closePlugin(p)
			}
		}
	}()
}

// closePlugin closes a plugin nobody can reach any more: its pool (waiting
// for calls in flight), compiled module and wazero runtime.
func (rt *Runtime) closePlugin(p *loaded) {
	ctx, cancel := context.WithTimeout(context.Background(), rt.cfg.CallTimeout+rt.cfg.InitTimeout)
	defer cancel()
	if err := p.close(ctx); err != nil {
		rt.log.Warn("runtime: closing plugin", "plugin", p.id, "dir", p.dir, "err", err)
	}
	rt.mu.Lock()
	delete(rt.live, p)
	rt.mu.Unlock()
}

// Close stops the watcher and cron, refuses new dispatches, waits (bounded
// by ctx) for calls in flight, then closes every plugin, the runtimes, the
// compilation cache, the sandboxes and the key-value database it opened (not
// Config.KVDB or Config.DB, which belong to the host). A reload in progress
// (the watcher's or a caller's) is cancelled, not waited for, and returns
// ErrClosed. If ctx ends first, running calls are interrupted (their waits
// end at once, their runtimes are closed after forceCloseGrace) and Close
// returns an error wrapping ctx's: Close takes about as long as ctx allows.
// Later calls wait for the first and return its result.
func (rt *Runtime) Close(ctx context.Context) error {
	first := false
	rt.closeOnce.Do(func() {
		first = true
		rt.closeErr = rt.close(ctx)
		close(rt.closeDone)
	})
	if first {
		return rt.closeErr
	}
	select {
	case <-rt.closeDone:
		return rt.closeErr
	case <-ctx.Done():
		return fmt.Errorf("runtime: close: %w", ctx.Err())
	}
}

// forceCloseGrace is how long Close, its context ended, lets calls whose
// waits it ended return before it closes their wazero runtimes.
const forceCloseGrace = 100 * time.Millisecond

func (rt *Runtime) close(ctx context.Context) error {
	var errs []error
	rt.closing.Store(true)
	rt.endLife() // cancels a reload in progress, the watcher's or a caller's
	if rt.watchStop != nil {
		close(rt.watchStop)
		select {
		case <-rt.watchDone:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("runtime: close: the watcher's reload is still running: %w", ctx.Err()))
		}
	}
	if rt.sched != nil {
		if err := rt.sched.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("runtime: stopping cron: %w", err))
		}
	}
	rt.mu.Lock()
	rt.closed = true
	rt.publish(newSnapshot(nil, nil, true))
	rt.mu.Unlock()

	drained := make(chan struct{})
	go func() { rt.retiring.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("runtime: close: calls still running: %w", ctx.Err()))
		rt.mu.Lock()
		live := make([]*loaded, 0, len(rt.live))
		for p := range rt.live {
			live = append(live, p)
		}
		rt.mu.Unlock()
		// Waiting guests end by themselves once their waits end; closing
		// their runtimes at once would race with wazero's WASI functions
		// still reading the module's system context.
		for _, p := range live {
			p.endWaits()
		}
		select {
		case <-drained:
		case <-time.After(forceCloseGrace):
			for _, p := range live {
				p.forceClose()
			}
			<-drained
		}
	}
	// A reload still building (its context is cancelled) closes what it
	// built when it sees the runtime closed; wait for it within ctx.
	select {
	case rt.reloading <- struct{}{}: // kept: no reload starts after Close
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("runtime: close: a reload is still running: %w", ctx.Err()))
	}
	if rt.cache != nil {
		errs = append(errs, rt.cache.Close(context.WithoutCancel(ctx)))
	}
	rt.wd.stop()
	errs = append(errs, rt.closeServices())
	return errors.Join(errs...)
}

// Problem is a plugin directory that could not be loaded (or whose new
// version could not, while the previous one keeps serving).
type Problem struct {
	// Dir is the plugin directory.
	Dir string
	// Plugin is the plugin id, when the manifest got that far.
	Plugin string
	// Err says what is wrong; manifest errors name the file and line.
	Err error
	// Serving is set when an earlier version of the plugin from this
	// directory is still loaded and serving.
	Serving bool
}

func (p Problem) Error() string {
	msg := p.Err.Error()
	if !strings.HasPrefix(msg, p.Dir) {
		msg = p.Dir + ": " + msg
	}
	if p.Serving {
		msg += " [previous version still serving]"
	}
	return msg
}

func (p Problem) Unwrap() error { return p.Err }

// Problems returns the load errors of the latest load or reload, by
// directory.
func (rt *Runtime) Problems() []Problem {
	return slices.Clone(rt.cur.Load().problems)
}

// PluginInfo describes a loaded plugin.
type PluginInfo struct {
	ID, Name, Version string
	// Dir is the plugin's directory, Entry its wasm file.
	Dir, Entry string
	// Hooks maps each hook the plugin is called for to its priority.
	Hooks map[string]int
	// Cron lists the plugin's [[cron]] expressions.
	Cron []string
	// LoadedAt is when this version was loaded.
	LoadedAt time.Time
	// Fingerprint identifies the manifest and wasm that were loaded.
	Fingerprint string
	// Pool is a snapshot of the instance pool.
	Pool PoolStats
	// Calls and Failures count this version's hook calls.
	Calls, Failures uint64
	// Contract is the contract version the plugin was built for (as its
	// module's import and export names say) and how this host takes it:
	// the same version, or another on the same semver track.
	Contract abi.Contract
	// InterruptFlag is true when the module was instrumented
	// (runtime/interrupt): its deadlines cost a load and a branch per
	// function entry and loop header instead of a goroutine per guest call.
	InterruptFlag bool
	// Image says how new instances start: "image: …" (from the image of
	// the first instance, with its size) or why each runs its
	// initialiser itself.
	Image string
}

// Plugins returns the loaded plugins, sorted by id.
func (rt *Runtime) Plugins() []PluginInfo {
	s := rt.cur.Load()
	out := make([]PluginInfo, 0, len(s.plugins))
	for _, p := range s.plugins {
		out = append(out, p.info())
	}
	return out
}

// Subscribers returns the ids of the plugins that a dispatch of hook calls,
// in call order.
func (rt *Runtime) Subscribers(hook string) ([]string, error) {
	k := plugin.ExportIndex(hook)
	if k < 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownHook, hook)
	}
	s := rt.cur.Load()
	ids := make([]string, 0, len(s.hooks[k]))
	for _, p := range s.hooks[k] {
		ids = append(ids, p.id)
	}
	return ids, nil
}
