package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/services/config"
)

// newLogger returns a text logger on w at level ("debug", "info", "warn",
// "error").
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: -log-level %q: want debug, info, warn or error", errUsage, level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
}

// poolSize is the -pool flag when set, else PLUGIN_WASM_POOL_SIZE, else the
// runtime's default.
func poolSize(flagValue int) (int, error) {
	if flagValue > 0 {
		return flagValue, nil
	}
	n, err := runtime.PoolSizeFromEnv(os.LookupEnv)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	return n, nil
}

// serveCmd: pluginhost serve.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pluginhost serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pluginsDir := fs.String("plugins", defaultPluginsDir, "plugins directory: one directory per plugin with manifest.toml and its wasm")
	dbPath := fs.String("db", defaultDBPath, "SQLite database file (created with its directory if missing), or a postgres://user@host:port/db URL: posts, comments, plugin KV and plugin SQL on PostgreSQL")
	dataDir := fs.String("data", "", `plugins' file sandboxes (default "plugins" beside the database)`)
	cacheDir := fs.String("cache", "", `wazero compilation cache (default "cache" beside the database; "off" disables)`)
	addr := fs.String("addr", defaultAddr, "listen address (host:port; port 0 picks a free one)")
	build := fs.Bool("build", true, "build Go plugins (go.mod/main.go) whose wasm is missing or older than their sources")
	watch := fs.Duration("watch", 2*time.Second, "poll the plugins directory at this interval and hot-reload changes (0 disables)")
	cronOn := fs.Bool("cron", true, `fire "on-cron-tick" for the plugins' [[cron]] entries`)
	pool := fs.Int("pool", 0, "instances per plugin (default: $"+runtime.PoolSizeEnv+", else 4)")
	callTimeout := fs.Duration("call-timeout", runtime.DefaultCallTimeout, "deadline of one plugin call")
	maxBody := fs.Int64("max-body", defaultMaxBodyBytes, "largest request body in bytes")
	user := fs.String("user", defaultUser, "acting user of requests without an X-User-ID header")
	initSQL := fs.String("init-sql", defaultInitSQL, "SQL file run on the database at every start, before the plugins load (skipped when the default file is absent)")
	clusterDSN := fs.String("cluster", "", "postgres:// DSN the replicas share: cron slots claimed and events relayed there (default: -db when it is postgres://; see docs/scale-out.md)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error (debug shows why host-api calls were refused)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, fs.Args())
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	size, err := poolSize(*pool)
	if err != nil {
		return err
	}
	cache := *cacheDir
	switch cache {
	case "":
		cache = filepath.Join(dbDir(*dbPath), "cache")
	case "off":
		cache = ""
	}
	cfg := serverConfig{
		PluginsDir:      *pluginsDir,
		DBPath:          *dbPath,
		DataDir:         *dataDir,
		CacheDir:        cache,
		PoolSize:        size,
		CallTimeout:     *callTimeout,
		WatchInterval:   *watch,
		NoCron:          !*cronOn,
		ConfigOverrides: []config.Source{config.Env{LookupEnv: os.LookupEnv}},
		MaxBodyBytes:    *maxBody,
		DefaultUser:     *user,
		Logger:          log,
	}
	cfg.ClusterDSN = *clusterDSN
	if cfg.ClusterDSN == "" && isPostgresDSN(*dbPath) {
		cfg.ClusterDSN = *dbPath
	}
	if err := checkUserID(*user); err != nil {
		return fmt.Errorf("%w: -user: %v", errUsage, err)
	}
	if fi, err := os.Stat(cfg.PluginsDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("plugins directory %s: not found (create it, or pass -plugins DIR)", cfg.PluginsDir)
	}

	cfg.Build = *build
	if cfg.InitSQL, err = readInitSQL(*initSQL); err != nil {
		return err
	}
	// Bound before anything is built or loaded: a busy port fails at once.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", *addr, err)
	}
	log.Info("pluginhost: bound; loading plugins", "addr", ln.Addr().String(), "plugins", cfg.PluginsDir)
	s, err := newServer(ctx, cfg)
	if err != nil {
		ln.Close()
		if ctx.Err() != nil {
			return nil // interrupted while building or loading
		}
		return err
	}
	return serveOn(ctx, s, ln, func(a net.Addr) {
		log.Info("pluginhost: listening", "addr", "http://"+a.String(), "plugins", len(s.rt.Plugins()),
			"problems", len(s.rt.Problems()), "db", redactDSN(cfg.DBPath), "pool", size)
	})
}

// listenAndServe serves s on addr until ctx ends (see serveOn); ready is
// called with the bound address.
func listenAndServe(ctx context.Context, s *server, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close(context.Background())
		return err
	}
	return serveOn(ctx, s, ln, ready)
}

// serveOn serves s on ln until ctx ends, then shuts down gracefully: the
// listener closes, requests in flight finish (up to 15 s), the runtime
// drains plugin calls and closes, and the database closes. ready is called
// with ln's address before serving.
func serveOn(ctx context.Context, s *server, ln net.Listener, ready func(net.Addr)) error {
	var err error
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		s.log.Info("pluginhost: shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = hs.Shutdown(sctx)
		cancel()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if cerr := s.Close(cctx); cerr != nil {
		s.log.Warn("pluginhost: closing", "err", cerr)
	}
	if err == nil {
		s.log.Info("pluginhost: stopped")
	}
	return err
}

// defaultInitSQL is the administrator's start-up SQL of this checkout: the
// tables of the example plugins that may not create their own.
const defaultInitSQL = "extensions/init.sql"

// readInitSQL reads the -init-sql file; the default may be absent.
func readInitSQL(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && path == defaultInitSQL {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("-init-sql: %w", err)
	}
	return string(b), nil
}

// splitPositional separates one positional argument from flags given
// before or after it: "call HOOK -json …" and "call -json … HOOK".
// parseDirArgs parses the flags of a command that takes one plugin
// directory, before or after its flags ("check DIR -json", "check -json
// DIR"). A help request returns flag.ErrHelp.
func parseDirArgs(fs *flag.FlagSet, args []string, what string) (string, error) {
	dir, rest := splitPositional(args)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if dir == "" && fs.NArg() > 0 {
		dir = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return "", fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if dir == "" || fs.NArg() > 0 {
		return "", fmt.Errorf("%w: %s takes one plugin directory", errUsage, what)
	}
	return dir, nil
}

func splitPositional(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
