package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/events"
	"github.com/raisfast/wasmplug/runtime/services/kv"
	"github.com/raisfast/wasmplug/runtime/services/pgdb"
	"github.com/raisfast/wasmplug/runtime/services/posts"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// Defaults of serverConfig (and of the serve flags).
const (
	defaultPluginsDir   = "extensions/plugins"
	defaultDBPath       = "data/raisfast.db"
	defaultAddr         = "127.0.0.1:8080"
	defaultMaxBodyBytes = 5 << 20 // a post's content may be 4 MiB (posts.MaxContentBytes)
	defaultUser         = "admin"
	defaultEventLog     = 200
	cronHook            = "on-cron-tick"
)

// serverConfig is everything newServer needs; the zero value of each field
// takes the default. Tests use temp directories and a manual cron clock.
type serverConfig struct {
	// PluginsDir holds the plugin directories (default extensions/plugins).
	PluginsDir string
	// DBPath is the SQLite file (default data/raisfast.db; its directory is
	// created if missing) or a postgres:// URL, which puts posts, comments,
	// content, plugin KV and plugin SQL on that PostgreSQL database.
	DBPath string
	// DataDir holds the plugins' file sandboxes (default: "plugins" beside
	// the database file).
	DataDir string
	// CacheDir keeps wazero's compiled code between runs ("" = none).
	CacheDir string
	// PoolSize is the number of instances per plugin (0: runtime default).
	PoolSize int
	// CallTimeout bounds one plugin call (0: runtime default).
	CallTimeout time.Duration
	// WatchInterval polls PluginsDir for changes (0: no hot reload).
	WatchInterval time.Duration
	// NoCron disables [[cron]] entries.
	NoCron bool
	// Clock drives cron (nil: the system clock).
	Clock cron.Clock
	// ConfigOverrides are consulted before a manifest's [config] by get-config.
	ConfigOverrides []config.Source
	// MaxBodyBytes bounds a request body (default 5 MiB).
	MaxBodyBytes int64
	// DefaultUser acts when a request has no X-User-ID header (default "admin").
	DefaultUser string
	// Logger receives everything (default slog.Default()).
	Logger *slog.Logger
	// InitSQL is SQL run on the database at start, before the plugins load,
	// in one transaction: what an administrator sets up once, such as the
	// tables of a plugin that has no schema permission. Write it idempotent
	// (CREATE TABLE IF NOT EXISTS …): it runs at every start.
	InitSQL string
	// Build builds the Go plugins of PluginsDir whose wasm is missing or
	// stale before loading, and (with WatchInterval) again when their
	// sources change while serving.
	Build bool
	// GoCmd is the go command for Build (default: "go" on PATH).
	GoCmd string
	// ClusterDSN, a postgres:// DSN, makes this server a replica: cron
	// slots are claimed and events relayed on that database (see
	// cluster.go and docs/scale-out.md). Empty: a single node.
	ClusterDSN string
}

// server is the reference blog host: SQLite storage, the plugin runtime, and
// the HTTP API that calls each hook at its moment.
type server struct {
	cfg    serverConfig
	log    *slog.Logger
	db     *sql.DB
	posts  *posts.SQLStore
	store  *store
	kv     *kv.Store
	bus    *events.Bus
	rt     *runtime.Runtime
	mux    *http.ServeMux
	recent *eventLog
	sub    *events.Subscription

	cluster *cluster // nil: a single node (cluster.go)

	builder       *builder // nil without cfg.Build
	buildMu       sync.Mutex
	buildProblems []buildProblem
	stopRebuild   context.CancelFunc
	rebuildDone   chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// newServer opens the database, the stores, the event bus and the plugin
// runtime (which loads every plugin of cfg.PluginsDir, starts cron and, if
// configured, the watcher). Plugins that fail to load do not fail it: they
// are reported by GET /api/plugins.
func newServer(ctx context.Context, cfg serverConfig) (_ *server, err error) {
	if cfg.PluginsDir == "" {
		cfg.PluginsDir = defaultPluginsDir
	}
	if cfg.DBPath == "" {
		cfg.DBPath = defaultDBPath
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(dbDir(cfg.DBPath), "plugins")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBodyBytes
	}
	if cfg.DefaultUser == "" {
		cfg.DefaultUser = defaultUser
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &server{cfg: cfg, log: cfg.Logger, recent: newEventLog(defaultEventLog)}
	defer func() {
		if err != nil {
			s.Close(context.WithoutCancel(ctx))
		}
	}()

	if fi, err := os.Stat(cfg.PluginsDir); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return nil, fmt.Errorf("plugins directory %s: %w", cfg.PluginsDir, err)
	}
	if cfg.Build {
		s.builder = &builder{GoCmd: cfg.GoCmd, Log: s.log}
		s.buildProblems = s.builder.buildAll(ctx, cfg.PluginsDir)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if s.db, err = openDB(ctx, cfg); err != nil {
		return nil, err
	}
	if s.posts, err = posts.Open(ctx, s.db, posts.Options{}); err != nil {
		return nil, err
	}
	if s.store, err = openStore(ctx, s.db); err != nil {
		return nil, err
	}
	if cfg.InitSQL != "" {
		if err := s.initSQL(ctx, cfg.InitSQL); err != nil {
			return nil, err
		}
	}
	// The runtime opens its own kv.Store on the same table for set-data and
	// get-data; this one serves the read-only admin endpoint.
	if cfg.ClusterDSN != "" {
		if s.cluster, err = clusterServices(ctx, cfg.ClusterDSN, nil, s.log); err != nil {
			return nil, err
		}
	}
	s.bus = events.New(events.Options{Logger: s.log, Relay: s.cluster.eventRelay()})
	if s.sub, err = s.bus.Subscribe("*", s.onEvent); err != nil {
		return nil, err
	}
	if err := s.cluster.start(ctx, s.bus); err != nil {
		return nil, err
	}

	rcfg := runtime.Config{
		PluginsDir:          cfg.PluginsDir,
		PoolSize:            cfg.PoolSize,
		CallTimeout:         cfg.CallTimeout,
		CompilationCacheDir: cfg.CacheDir,
		DB:                  s.db,
		Posts:               posts.JSONStore{Posts: s.posts},
		DataDir:             cfg.DataDir,
		Events:              s.bus,
		ConfigOverrides:     cfg.ConfigOverrides,
		Logger:              s.log,
		Clock:               cfg.Clock,
		WatchInterval:       cfg.WatchInterval,
		CronClaims:          s.cluster.cronClaims(),
	}
	if !cfg.NoCron {
		rcfg.CronHook = cronHook
	}
	if cfg.CacheDir == "" {
		rcfg.CompilationCacheDir = runtime.NoCompilationCache
	}
	if cfg.WatchInterval <= 0 {
		rcfg.WatchInterval = -1 // serverConfig's zero disables the watcher
	}
	if s.rt, err = runtime.New(ctx, rcfg); err != nil {
		return nil, err
	}
	s.kv = s.rt.KV() // the plugins' key-value store (a SQLite file of its own, or DB's schema wasmplug on PostgreSQL)
	for _, p := range s.rt.Problems() {
		s.log.Warn("pluginhost: plugin not loaded", "problem", p.Error())
	}
	if s.builder != nil && cfg.WatchInterval > 0 {
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		s.stopRebuild, s.rebuildDone = cancel, make(chan struct{})
		go s.rebuildLoop(rctx, cfg.WatchInterval)
	}
	s.routes()
	return s, nil
}

// openDB opens the host database of cfg.DBPath: PostgreSQL for a
// postgres:// URL, else the SQLite file (creating its directory).
func openDB(ctx context.Context, cfg serverConfig) (*sql.DB, error) {
	if pgdb.IsDSN(cfg.DBPath) {
		db, err := sql.Open("pgx", cfg.DBPath)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", redactDSN(cfg.DBPath), err)
		}
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("database %s: %w", redactDSN(cfg.DBPath), err)
		}
		return db, nil
	}
	if err := os.MkdirAll(filepath.Dir(cfg.DBPath), 0o755); err != nil {
		return nil, fmt.Errorf("database directory: %w", err)
	}
	// A plugin may hold the database's write lock for one call (db-begin
	// until the call ends, at most CallTimeout); the host's own writes wait
	// that long and more instead of failing with SQLITE_BUSY.
	callTimeout := cfg.CallTimeout
	if callTimeout <= 0 {
		callTimeout = runtime.DefaultCallTimeout
	}
	return sqlitedb.Open(ctx, cfg.DBPath, sqlitedb.Options{BusyTimeout: 2 * callTimeout})
}

// dbDir is the directory the host keeps its files in beside the database:
// the SQLite file's, or "data" for PostgreSQL.
func dbDir(db string) string {
	if pgdb.IsDSN(db) {
		return filepath.Dir(defaultDBPath)
	}
	return filepath.Dir(db)
}

// redactDSN hides a PostgreSQL URL's password for logs and errors.
func redactDSN(db string) string {
	if !pgdb.IsDSN(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// rebuildLoop rebuilds Go plugins whose sources changed while serving; the
// runtime's watcher then reloads the new wasm.
func (s *server) rebuildLoop(ctx context.Context, every time.Duration) {
	defer close(s.rebuildDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.setBuildProblems(s.builder.buildAll(ctx, s.cfg.PluginsDir))
	}
}

// initSQL runs the administrator's start-up SQL in one transaction.
func (s *server) initSQL(ctx context.Context, src string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("init SQL: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, src); err != nil {
		return fmt.Errorf("init SQL: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("init SQL: %w", err)
	}
	return nil
}

// onEvent keeps plugin events for GET /api/events and logs them.
func (s *server) onEvent(ev events.Event) {
	s.recent.add(ev)
	s.log.Info("pluginhost: event", "type", ev.Type, "source", ev.Source, "id", ev.ID)
}

// setBuildProblems replaces the Go build problems GET /api/plugins reports.
func (s *server) setBuildProblems(p []buildProblem) {
	s.buildMu.Lock()
	s.buildProblems = p
	s.buildMu.Unlock()
}

// Close stops the runtime (waiting, bounded by ctx, for plugin calls in
// flight), the event bus and the database. Stop the HTTP server first.
func (s *server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.stopRebuild != nil {
			s.stopRebuild()
			<-s.rebuildDone
		}
		if s.rt != nil {
			errs = append(errs, s.rt.Close(ctx))
		}
		errs = append(errs, s.cluster.close(ctx))
		if s.bus != nil {
			s.bus.Close()
		}
		if s.db != nil {
			errs = append(errs, s.db.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// ServeHTTP routes a request, logs it, and turns a handler's panic into a
// 500 JSON error.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("pluginhost: handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			if sw.status == 0 {
				writeError(sw, r, s.log, errorf(http.StatusInternalServerError, codeInternal, "internal error"))
			}
		}
		s.log.Info("pluginhost: request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"took", time.Since(start).Round(time.Microsecond))
	}()
	s.route(sw, r)
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// route dispatches to the mux; requests no route matches get a JSON 404 or
// 405 (with Allow) instead of the mux's plain text.
func (s *server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		rec := &statusRecorder{h: http.Header{}}
		s.mux.ServeHTTP(rec, r)
		if allow := rec.h.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		if rec.status == http.StatusMethodNotAllowed {
			writeError(w, r, s.log, errorf(http.StatusMethodNotAllowed, codeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(w, r, s.log, errorf(http.StatusNotFound, codeNotFound, "no endpoint %s %s", r.Method, r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// statusRecorder captures the status and headers of the mux's own 404/405.
type statusRecorder struct {
	h      http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.h }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }

// handler adapts an error-returning handler.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			if errors.Is(err, runtime.ErrClosed) || errors.Is(err, sql.ErrConnDone) {
				err = errorf(http.StatusServiceUnavailable, codeUnavailable, "the host is shutting down")
			}
			writeError(w, r, s.log, err)
		}
	})
}

// routes registers every endpoint.
func (s *server) routes() {
	m := http.NewServeMux()
	m.Handle("GET /api/posts", s.wrap(s.listPosts))
	m.Handle("POST /api/posts", s.wrap(s.createPost))
	m.Handle("GET /api/posts/{slug}", s.wrap(s.getPost))
	m.Handle("PUT /api/posts/{id}", s.wrap(s.updatePost))
	m.Handle("DELETE /api/posts/{id}", s.wrap(s.deletePost))
	m.Handle("GET /api/posts/{id}/comments", s.wrap(s.listComments))
	m.Handle("POST /api/posts/{id}/comments", s.wrap(s.createComment))

	m.Handle("GET /api/content/{type}", s.wrap(s.listContent))
	m.Handle("POST /api/content/{type}", s.wrap(s.createContent))
	m.Handle("GET /api/content/{type}/{id}", s.wrap(s.getContent))
	m.Handle("PUT /api/content/{type}/{id}", s.wrap(s.updateContent))
	m.Handle("DELETE /api/content/{type}/{id}", s.wrap(s.deleteContent))

	m.Handle("POST /api/render", s.wrap(s.render))
	m.Handle("POST /api/login", s.wrap(s.login))

	m.Handle("GET /api/plugins", s.wrap(s.listPlugins))
	m.Handle("POST /api/plugins/reload", s.wrap(s.reloadPlugins))
	m.Handle("GET /api/plugins/{id}/data/{key...}", s.wrap(s.pluginData))
	m.Handle("GET /api/plugins/{id}/files/{path...}", s.wrap(s.pluginFile))
	m.Handle("GET /api/events", s.wrap(s.listEvents))
	m.Handle("GET /healthz", s.wrap(s.healthz))
	s.mux = m
}
