package runtime

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/events"
	"github.com/raisfast/wasmplug/runtime/services/httpc"
	"github.com/raisfast/wasmplug/runtime/services/kv"
	"github.com/raisfast/wasmplug/runtime/services/posts"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/vfs"
)

// Defaults for Config.
const (
	// DefaultPoolSize is the number of instances per plugin when neither
	// Config.PoolSize nor PLUGIN_WASM_POOL_SIZE says otherwise.
	DefaultPoolSize = 4
	// DefaultCallTimeout bounds one guest call (one plugin, one hook).
	DefaultCallTimeout = 5 * time.Second
	// DefaultInitTimeout bounds instantiating one instance (_initialize).
	DefaultInitTimeout = 10 * time.Second
	// DefaultMemoryLimitPages caps each instance's linear memory: 1024
	// pages of 64 KiB = 64 MiB (a standard Go guest needs about 7 MiB).
	DefaultMemoryLimitPages = 1024
	// PoolSizeEnv is the environment variable of the seed's documentation.
	PoolSizeEnv = "PLUGIN_WASM_POOL_SIZE"
	// ManifestFile is the manifest's name inside a plugin directory.
	ManifestFile = "manifest.toml"
	// DefaultKVFile is the SQLite file of the key-value store in
	// Config.DataDir when Config.KVDB is nil. Plugin ids begin with a letter
	// or digit, so it never names (or, with its -wal/-shm companions, shares
	// a name with) a plugin's sandbox directory.
	DefaultKVFile = "_plugin_kv.db"
	// DefaultWatchInterval is how often the watcher polls PluginsDir when
	// Config.WatchInterval is zero (as pluginhost serve's -watch).
	DefaultWatchInterval = 2 * time.Second
	// NoCompilationCache as Config.CompilationCacheDir keeps compiled code
	// in memory only.
	NoCompilationCache = "off"
)

// DefaultCompilationCacheDir is the compilation cache of a Config that
// names none: "wasmplug" in the user's cache directory
// (os.UserCacheDir, e.g. ~/.cache/wasmplug). wazero keys its entries by
// module and wazero version, and runtime/interrupt's by input and rewriter
// version, so hosts and versions can share it.
func DefaultCompilationCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "wasmplug"), nil
}

// PoolSizeFromEnv reads PLUGIN_WASM_POOL_SIZE through lookup (pass
// os.LookupEnv): DefaultPoolSize when unset or empty, an error when it is
// not a positive integer. The runtime never reads the environment itself.
func PoolSizeFromEnv(lookup func(string) (string, bool)) (int, error) {
	v, ok := lookup(PoolSizeEnv)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return DefaultPoolSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1024 {
		return 0, fmt.Errorf("%s=%q: want an integer from 1 to 1024", PoolSizeEnv, v)
	}
	return n, nil
}

// Config configures a Runtime. Only PluginsDir is required, and must exist.
// The zero values of the rest are the reference host's (pluginhost serve):
// compiled code cached on disk, the plugins directory watched for hot
// reload. Every service left nil is not offered to plugins (the host-api
// functions behind it answer none/false/a JSON error, see
// runtime/internal/hostapi), and a plugin whose manifest asks for database
// access does not load without DB.
type Config struct {
	// PluginsDir holds one directory per plugin (extensions/plugins), each
	// with a manifest.toml and its wasm entry.
	PluginsDir string

	// Adapters run plugins built for older majors of the contract (see
	// plugin.Adapter and docs/contract-evolution.md): a module whose names
	// are on another semver track than gen/plugin's goes to the adapter on
	// that track. Without one such a plugin is a load problem.
	Adapters []plugin.Adapter

	// PoolSize is the number of instances per plugin (default
	// DefaultPoolSize; hosts pass PoolSizeFromEnv(os.LookupEnv)).
	PoolSize int
	// CallTimeout is the deadline of each guest call (default
	// DefaultCallTimeout). A call that exceeds it is interrupted and its
	// instance replaced. Waiting for a free instance is bounded by the
	// caller's context only.
	CallTimeout time.Duration
	// InitTimeout bounds the creation of one instance, _initialize included
	// (default DefaultInitTimeout).
	InitTimeout time.Duration
	// MemoryLimitPages caps each instance's memory in 64 KiB pages (default
	// DefaultMemoryLimitPages; at most 65536).
	MemoryLimitPages uint32
	// CompilationCacheDir keeps compiled machine code on disk so a
	// restart or a reload of an unchanged module skips compilation
	// (default DefaultCompilationCacheDir(); NoCompilationCache turns it
	// off, and so does a machine without a user cache directory, with an
	// INFO record). All generations share it. The modules rewritten by runtime/interrupt
	// are kept there too (under interrupt/, keyed by the input's hash and
	// the rewriter's version), so a restart skips the rewrite as well.
	CompilationCacheDir string
	// FreshInstances turns instance images off: every instance runs the
	// module's initialiser itself instead of starting from the image of
	// the plugin's first instance (see runtime/IMAGES.md for what an image
	// shares between instances).
	FreshInstances bool

	// DB is the host database behind db-* (with each plugin's
	// permissions). The driver selects the backend: a database opened with
	// the pgx driver (github.com/jackc/pgx/v5/stdlib, sql.Open("pgx", dsn))
	// is PostgreSQL, run by package pgdb (a role per plugin, created and
	// granted by the runtime, so the host's role must be a superuser or have
	// CREATEROLE); anything else is SQLite, run by package sqldb (which
	// needs modernc.org/sqlite, as package sqlitedb opens it).
	DB *sql.DB
	// KVDB is the database of the key-value store behind get-data/set-data
	// (table Config.KV.Table, default plugin_kv). On SQLite it must be a
	// database of its own, not DB's file: a plugin's db-begin holds DB's
	// write lock for the rest of its hook call, so a set-data on DB would
	// wait for it, and plugins with db access could read every plugin's
	// entries (see runtime/services/RATIONALE.md). New refuses KVDB on DB's
	// file. When KVDB is nil and DataDir is set, the runtime opens (creating
	// it) the SQLite file DataDir/DefaultKVFile and closes it at Close; with
	// neither, get-data/set-data are not offered. When DB is PostgreSQL and
	// KVDB is nil, the store uses DB itself: its tables live in schema
	// Config.KV.Schema ("wasmplug"), on which no plugin role is granted
	// anything, and PostgreSQL's row locks keep set-data from waiting on a
	// plugin's transaction. [Runtime.KV] is the store in use.
	KVDB *sql.DB
	// Posts answers get-post.
	Posts posts.PostStore
	// DataDir holds the plugins' file sandboxes, DataDir/<plugin id>/, and
	// the key-value store's default database, DataDir/DefaultKVFile.
	DataDir string
	// Events receives emit-event.
	Events *events.Bus
	// ConfigOverrides are consulted, in order, before a manifest's [config]
	// table by get-config (config.Env, config.Map, …).
	ConfigOverrides []config.Source

	// HTTP is the policy template of every plugin's HTTP client: the
	// manifest supplies the allow-list (Allow), the host everything else
	// (timeouts, AllowedNets for a sidecar, redirects).
	HTTP httpc.Policy
	// SQL bounds plugin SQL (row, time and size limits).
	SQL sqldb.Config
	// KV configures the key-value store (limits, table name).
	KV kv.Options
	// VFS bounds each sandbox; a manifest's vfs_max_bytes replaces
	// MaxTotalSize for its plugin.
	VFS vfs.Limits

	// Logger receives the runtime's records and the plugins' log calls
	// (default slog.Default()).
	Logger *slog.Logger

	// CronHook names the action hook that [[cron]] entries fire (the
	// reference host passes "on-cron-tick"). Empty disables cron: entries
	// are then ignored with a warning. The hook must take one string or
	// option<string> argument; it receives the payload described in the
	// package documentation.
	CronHook string
	// Clock drives the cron scheduler (default cron.SystemClock(); tests
	// pass a crontest.Clock). Guests always see the real clocks.
	Clock cron.Clock
	// CronLocation is the time zone cron expressions are read in (default
	// time.Local). Replicas sharing CronClaims must use the same one.
	CronLocation *time.Location
	// CronClaims, when set, makes a [[cron]] slot run on one replica of a
	// cluster: every replica's scheduler fires it and only the one that
	// claims it calls the hook (job "<plugin id>/<job_type>", slot the
	// scheduled instant). Nil (one node) runs every slot here.
	// pgcluster.CronClaims implements it on PostgreSQL.
	CronClaims cron.Claims

	// WatchInterval is how often the watcher polls PluginsDir; it reloads
	// when a plugin directory was added, changed or removed (a change must
	// be stable for one interval, so half-copied files are not loaded).
	// Zero means DefaultWatchInterval; a negative interval disables the
	// watcher (Reload can still be called).
	WatchInterval time.Duration
}

func (c Config) withDefaults() (Config, error) {
	if c.PluginsDir == "" {
		return c, fmt.Errorf("runtime: Config.PluginsDir is required")
	}
	if fi, err := os.Stat(c.PluginsDir); err != nil {
		return c, fmt.Errorf("runtime: Config.PluginsDir: %w", err)
	} else if !fi.IsDir() {
		return c, fmt.Errorf("runtime: Config.PluginsDir %s is not a directory", c.PluginsDir)
	}
	if c.PoolSize <= 0 {
		c.PoolSize = DefaultPoolSize
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.InitTimeout <= 0 {
		c.InitTimeout = DefaultInitTimeout
	}
	if c.MemoryLimitPages == 0 {
		c.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if c.MemoryLimitPages > 65536 {
		return c, fmt.Errorf("runtime: Config.MemoryLimitPages %d exceeds 65536", c.MemoryLimitPages)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = DefaultWatchInterval
	}
	switch c.CompilationCacheDir {
	case "":
		dir, err := DefaultCompilationCacheDir()
		if err != nil {
			c.Logger.Info("runtime: no compilation cache", "err", err)
		}
		c.CompilationCacheDir = dir
	case NoCompilationCache:
		c.CompilationCacheDir = ""
	}
	if c.Clock == nil {
		c.Clock = cron.SystemClock()
	}
	if c.CronLocation == nil {
		c.CronLocation = time.Local
	}
	if c.SQL.Logger == nil {
		c.SQL.Logger = c.Logger
	}
	if c.KV.Logger == nil {
		c.KV.Logger = c.Logger
	}
	return c, nil
}
