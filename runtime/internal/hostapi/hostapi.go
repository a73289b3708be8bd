// Package hostapi implements the generated plugin.HostAPI interface over the
// host services of runtime/services: it is the only place where a host-api
// function of wit/plugin.wit meets a service.
//
//	log                       → hostlog (slog, tagged with the plugin id)
//	get-config                → config (manifest [config] + host overrides)
//	http-get, http-post       → httpc (the manifest's allow-list)
//	get-data, set-data        → kv (namespaced by plugin id; its own database)
//	get-post                  → posts.PostStore (the post as JSON)
//	db-query … db-rollback    → sqldb (one Session per hook call)
//	vfs-read … vfs-stat       → vfs (the plugin's os.Root sandbox)
//	emit-event                → events (source = plugin id)
//	new-id                    → a UUID v7 (0.1.1)
//	db-ph                     → the backend's placeholder (0.1.1)
//	data insert … group-by    → dataapi, on the call's sqldb session (0.1.1)
//
// A [Plugin] holds what one plugin may use (built once per loaded plugin and
// shared by its instances); an [Adapter] is the HostAPI of one instance. A
// service the host did not configure, or that the plugin's permissions do
// not grant, behaves like a refusal of that service: none, false, "" or a
// JSON error {"error":…,"code":…}, logged at debug level — never a trap,
// so a plugin written for a richer host still runs.
//
// Database sessions are per call: the first db-* function of a hook call
// opens a sqldb.Session with the plugin's permissions, and [Adapter.EndCall],
// which the runtime calls when the hook call returns (whatever happened),
// closes it, rolling back a transaction the plugin left open.
package hostapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/internal/hostlog"
	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/events"
	"github.com/raisfast/wasmplug/runtime/services/httpc"
	"github.com/raisfast/wasmplug/runtime/services/kv"
	"github.com/raisfast/wasmplug/runtime/services/posts"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/vfs"
)

// Services are the host services shared by every plugin. Nil fields are
// services the host does not offer.
type Services struct {
	KV     *kv.Store
	SQL    sqldb.Backend
	Posts  posts.PostStore
	Events *events.Bus
}

// Plugin is what one plugin may use. Nil fields (and a zero SQL) deny the
// corresponding host-api functions. As docs/host-api.md says, log,
// get-config, get-data/set-data, get-post and emit-event need no grant (each
// is confined to the plugin's own namespace); vfs-* work when VFS is set,
// which the runtime does unless the manifest's vfs_max_bytes is 0; HTTP
// needs an allow-list and the database explicit permissions (transactions:
// Write).
type Plugin struct {
	// ID is the plugin id: the namespace of its data, the source of its
	// events, the tag of its log records.
	ID string
	// Logger is the host logger (slog.Default() if nil); records get the
	// plugin id.
	Logger *slog.Logger
	// Config answers get-config.
	Config *config.Config
	// HTTP performs http-get and http-post under the plugin's allow-list.
	HTTP *httpc.Client
	// VFS is the plugin's sandbox directory.
	VFS *vfs.Sandbox
	// SQL are the plugin's database permissions.
	SQL sqldb.Permissions

	once sync.Once
	log  *hostlog.Logger
	dbg  *slog.Logger
}

func (p *Plugin) init() {
	p.once.Do(func() {
		l := p.Logger
		if l == nil {
			l = slog.Default()
		}
		p.log = hostlog.New(l, p.ID, 0)
		p.dbg = l.With("plugin", p.ID)
	})
}

// FlushLog writes the summary of the plugin's log records the rate limit
// dropped since the last summary, if any. The runtime calls it when it
// closes the plugin.
func (p *Plugin) FlushLog(ctx context.Context) {
	p.init()
	p.log.Flush(ctx)
}

// Adapter is the plugin.HostAPI of one instance. Like the instance, it
// serves one call at a time.
type Adapter struct {
	svc *Services
	p   *Plugin

	mu   sync.Mutex // guards sess: EndCall may run on another goroutine than a late host call
	sess sqldb.Conn
	// open is sess != nil, readable without mu: most calls open no session,
	// and EndCall then takes no lock.
	open atomic.Bool
}

var _ plugin.HostAPI = (*Adapter)(nil)

// New returns the host API of one instance of plugin p.
func New(svc *Services, p *Plugin) *Adapter {
	if svc == nil {
		svc = &Services{}
	}
	p.init()
	return &Adapter{svc: svc, p: p}
}

// EndCall ends the current hook call: the database session, if one was
// opened, is closed and an open transaction rolled back. The runtime calls it
// after every call, including calls that trapped or timed out, and after
// instantiation (a guest may use host functions from _initialize).
func (a *Adapter) EndCall() error {
	if !a.open.Load() {
		return nil
	}
	a.mu.Lock()
	s := a.sess
	a.sess = nil
	a.open.Store(false)
	a.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}

// InTransaction reports whether the current call has a transaction open.
func (a *Adapter) InTransaction() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess != nil && a.sess.InTransaction()
}

func (a *Adapter) session() sqldb.Conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess == nil {
		a.sess = a.svc.SQL.Open(a.p.ID, a.p.SQL)
		a.open.Store(true)
	}
	return a.sess
}

func (a *Adapter) denied(ctx context.Context, fn, why string) {
	a.p.dbg.DebugContext(ctx, "host-api: refused", "func", fn, "reason", why)
}

// Log implements host-api log.
func (a *Adapter) Log(ctx context.Context, level, msg string) {
	a.p.log.Log(ctx, level, msg)
}

// GetConfig implements host-api get-config.
func (a *Adapter) GetConfig(ctx context.Context, key string) (string, bool) {
	if a.p.Config == nil {
		return "", false
	}
	return a.p.Config.Get(key)
}

// HTTPGet implements host-api http-get.
func (a *Adapter) HTTPGet(ctx context.Context, url string) (string, bool) {
	if a.p.HTTP == nil {
		a.denied(ctx, "http-get", "no HTTP access")
		return "", false
	}
	return a.p.HTTP.Get(ctx, url)
}

// HTTPPost implements host-api http-post.
func (a *Adapter) HTTPPost(ctx context.Context, url, body string) (string, bool) {
	if a.p.HTTP == nil {
		a.denied(ctx, "http-post", "no HTTP access")
		return "", false
	}
	return a.p.HTTP.Post(ctx, url, body)
}

// GetData implements host-api get-data.
func (a *Adapter) GetData(ctx context.Context, key string) (string, bool) {
	if a.svc.KV == nil {
		a.denied(ctx, "get-data", "no data store")
		return "", false
	}
	v, ok, err := a.svc.KV.Get(ctx, a.p.ID, key)
	if err != nil {
		a.p.dbg.DebugContext(ctx, "host-api: get-data failed", "key", key, "err", err)
		return "", false
	}
	return v, ok
}

// SetData implements host-api set-data.
func (a *Adapter) SetData(ctx context.Context, key, value string) bool {
	if a.svc.KV == nil {
		a.denied(ctx, "set-data", "no data store")
		return false
	}
	if err := a.svc.KV.Set(ctx, a.p.ID, key, value); err != nil {
		a.p.dbg.DebugContext(ctx, "host-api: set-data failed", "key", key, "err", err)
		return false
	}
	return true
}

// GetPost implements host-api get-post.
func (a *Adapter) GetPost(ctx context.Context, slug string) (string, bool) {
	if a.svc.Posts == nil {
		a.denied(ctx, "get-post", "no post store")
		return "", false
	}
	return posts.GetPost(ctx, a.svc.Posts, a.p.dbg, slug)
}

// unavailable is the JSON error of a db-* function without a database.
func (a *Adapter) dbUnavailable(ctx context.Context, fn string) (string, bool) {
	if a.svc.SQL != nil {
		return "", false
	}
	a.denied(ctx, fn, "no database")
	b, _ := json.Marshal(struct {
		Error string     `json:"error"`
		Code  sqldb.Code `json:"code"`
	}{"the host offers no database", sqldb.CodeUnsupported})
	return string(b), true
}

// DBQuery implements host-api db-query.
func (a *Adapter) DBQuery(ctx context.Context, sql string, params *string) string {
	if js, ok := a.dbUnavailable(ctx, "db-query"); ok {
		return js
	}
	return sqldb.QueryJSON(ctx, a.session(), a.svc.SQL.Config(), a.p.dbg, sql, params)
}

// DBExecute implements host-api db-execute.
func (a *Adapter) DBExecute(ctx context.Context, sql string, params *string) string {
	if js, ok := a.dbUnavailable(ctx, "db-execute"); ok {
		return js
	}
	return sqldb.ExecuteJSON(ctx, a.session(), a.svc.SQL.Config(), a.p.dbg, sql, params)
}

// DBBegin implements host-api db-begin.
func (a *Adapter) DBBegin(ctx context.Context) string {
	if js, ok := a.dbUnavailable(ctx, "db-begin"); ok {
		return js
	}
	return sqldb.TxJSON(a.session().Begin(ctx))
}

// DBCommit implements host-api db-commit.
func (a *Adapter) DBCommit(ctx context.Context) string {
	if js, ok := a.dbUnavailable(ctx, "db-commit"); ok {
		return js
	}
	return sqldb.TxJSON(a.session().Commit(ctx))
}

// DBRollback implements host-api db-rollback.
func (a *Adapter) DBRollback(ctx context.Context) string {
	if js, ok := a.dbUnavailable(ctx, "db-rollback"); ok {
		return js
	}
	return sqldb.TxJSON(a.session().Rollback(ctx))
}

// VFSRead implements host-api vfs-read.
func (a *Adapter) VFSRead(ctx context.Context, path string) (string, bool) {
	if a.p.VFS == nil {
		a.denied(ctx, "vfs-read", "no sandbox")
		return "", false
	}
	return a.p.VFS.Read(path)
}

// VFSWrite implements host-api vfs-write.
func (a *Adapter) VFSWrite(ctx context.Context, path, content string) bool {
	if a.p.VFS == nil {
		a.denied(ctx, "vfs-write", "no sandbox")
		return false
	}
	return a.p.VFS.Write(path, content)
}

// VFSDelete implements host-api vfs-delete.
func (a *Adapter) VFSDelete(ctx context.Context, path string) bool {
	if a.p.VFS == nil {
		a.denied(ctx, "vfs-delete", "no sandbox")
		return false
	}
	return a.p.VFS.Delete(path)
}

// VFSExists implements host-api vfs-exists.
func (a *Adapter) VFSExists(ctx context.Context, path string) bool {
	if a.p.VFS == nil {
		a.denied(ctx, "vfs-exists", "no sandbox")
		return false
	}
	return a.p.VFS.Exists(path)
}

// VFSList implements host-api vfs-list.
func (a *Adapter) VFSList(ctx context.Context, path string) (string, bool) {
	if a.p.VFS == nil {
		a.denied(ctx, "vfs-list", "no sandbox")
		return "", false
	}
	return a.p.VFS.List(path)
}

// VFSStat implements host-api vfs-stat.
func (a *Adapter) VFSStat(ctx context.Context, path string) (string, bool) {
	if a.p.VFS == nil {
		a.denied(ctx, "vfs-stat", "no sandbox")
		return "", false
	}
	return a.p.VFS.Stat(path)
}

// EmitEvent implements host-api emit-event: the new event's id, or "" when
// the event is refused.
func (a *Adapter) EmitEvent(ctx context.Context, eventType, data string) string {
	if a.svc.Events == nil {
		a.denied(ctx, "emit-event", "no event bus")
		return ""
	}
	return a.svc.Events.EmitEvent(ctx, a.p.ID, eventType, data)
}
