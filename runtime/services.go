package runtime

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/hostapi"
	"github.com/raisfast/wasmplug/runtime/manifest"
	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/httpc"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/vfs"
)

// knownHooks are the contract's hook names, from the generated hook table;
// manifests are validated against them.
var knownHooks = func() []string {
	names := make([]string, len(plugin.HookList))
	for i, h := range plugin.HookList {
		names[i] = h.Name
	}
	return names
}()

// hostPlugin maps a manifest's [config] and [permissions] onto the services
// behind host-api:
//
//	[config]                    → get-config (config.New, host overrides first)
//	http_allow                  → httpc.Policy.Allow; an entry without a port
//	                              allows every port, as the manifest documents
//	http_allow_private          → httpc.Policy.AllowPrivate
//	db = "read"                 → sqldb.Permissions{Read}
//	db = "write"                → sqldb.Permissions{Read, Write} (no Schema)
//	db_tables                   → sqldb.Permissions.Tables
//	vfs_max_bytes               → vfs.Limits.MaxTotalSize; 0 = no sandbox
//
// The returned release func gives back the sandbox.
func (rt *Runtime) hostPlugin(m *manifest.Manifest) (_ *hostapi.Plugin, release func(), err error) {
	cfg := make(map[string]any, len(m.Config))
	for k, v := range m.Config {
		cfg[k] = v
	}
	hp := &hostapi.Plugin{
		ID:     m.ID,
		Logger: rt.log,
		Config: config.New(m.ID, cfg, rt.cfg.ConfigOverrides...),
	}
	perm := m.Permissions
	switch perm.DB {
	case manifest.DBRead:
		hp.SQL = sqldb.Permissions{Read: true, Tables: perm.DBTables}
	case manifest.DBWrite:
		hp.SQL = sqldb.Permissions{Read: true, Write: true, Tables: perm.DBTables}
	}
	if len(perm.HTTPAllow) > 0 {
		pol := rt.cfg.HTTP
		pol.Allow = httpRules(perm.HTTPAllow)
		pol.AllowPrivate = pol.AllowPrivate || perm.HTTPAllowPrivate
		if hp.HTTP, err = httpc.New(pol, rt.log.With("plugin", m.ID)); err != nil {
			return nil, nil, fmt.Errorf("%s: permissions.http_allow: %w", m.File, err)
		}
	}
	release = func() {}
	if rt.cfg.DataDir != "" && perm.VFSMaxBytes > 0 {
		lim := rt.cfg.VFS
		lim.MaxTotalSize = perm.VFSMaxBytes
		hp.VFS, release, err = rt.sandboxes.acquire(rt.cfg.DataDir, m.ID, lim, rt.log)
		if err != nil {
			return nil, nil, err
		}
	}
	return hp, release, nil
}

// httpRules turns manifest host patterns into httpc allow-list entries: the
// manifest's "host" (any port) is httpc's "host:*".
func httpRules(pats []string) []string {
	out := make([]string, 0, len(pats))
	for _, p := range pats {
		hasPort := strings.HasPrefix(p, "[") && strings.Contains(p, "]:") ||
			!strings.HasPrefix(p, "[") && strings.Count(p, ":") == 1
		if !hasPort {
			p += ":*"
		}
		out = append(out, p)
	}
	return out
}

// sandboxes shares one vfs.Sandbox per plugin id (and limits) between the
// versions of a plugin, so a reload keeps the usage count; a version whose
// limits changed gets its own.
type sandboxes struct {
	mu sync.Mutex
	m  map[string]*sandboxRef
}

type sandboxRef struct {
	sb   *vfs.Sandbox
	lim  vfs.Limits
	refs int
}

func (s *sandboxes) acquire(base, id string, lim vfs.Limits, log *slog.Logger) (*vfs.Sandbox, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*sandboxRef{}
	}
	ref := s.m[id]
	if ref == nil || ref.lim != lim {
		sb, err := vfs.Open(filepath.Join(base, id), lim, log.With("plugin", id))
		if err != nil {
			return nil, nil, err
		}
		ref = &sandboxRef{sb: sb, lim: lim}
		s.m[id] = ref
	}
	ref.refs++
	var once sync.Once
	return ref.sb, func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if ref.refs--; ref.refs == 0 {
				ref.sb.Close()
				if s.m[id] == ref {
					delete(s.m, id)
				}
			}
		})
	}, nil
}
