package runtime

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/internal/hostapi"
	"github.com/raisfast/wasmplug/runtime/manifest"
	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/httpc"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	"github.com/raisfast/wasmplug/runtime/services/vfs"
)

// knownHooks are the contract's hook names, from the generated hook table;
// manifests are validated against them.
var knownHooks = plugin.HookNames()

// hostPlugin maps a manifest's [config] and [permissions] onto the services
// behind host-api:
//
//	[config]                    → get-config (config.New, host overrides first)
//	http_allow                  → httpc.Policy.Allow; an entry without a port
//	                              allows every port, as the manifest documents;
//	                              "*" any host
//	http_allow_private          → httpc.Policy.AllowPrivate
//	db = "read"                 → sqldb.Permissions{Read}: db-query only
//	db = "write"                → sqldb.Permissions{Read, Write}: also
//	                              db-execute and transactions (no Schema)
//	db_tables                   → sqldb.Permissions.Tables
//	db_schema (with db="write") → sqldb.Permissions.Schema, SchemaTables;
//	                              the tables join Tables (the plugin
//	                              creates, alters, drops its own tables)
//	vfs_max_bytes               → vfs.Limits.MaxTotalSize of this version's
//	                              handle on DataDir/<id> (the other limits:
//	                              Config.VFS); 0 = no sandbox
//
// The returned release func closes the sandbox handle.
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
		if len(perm.DBSchema) > 0 {
			hp.SQL.Schema = true
			hp.SQL.SchemaTables = perm.DBSchema
			hp.SQL.Tables = append(slices.Clip(perm.DBTables), perm.DBSchema...)
		}
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
	if rt.vfs != nil && perm.VFSMaxBytes > 0 {
		// A handle of its own, with this version's quota, on the usage count
		// the plugin's other versions share.
		sb, err := rt.vfs.Sandbox(m.ID, vfs.Limits{MaxTotalSize: perm.VFSMaxBytes})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: sandbox: %w", m.File, err)
		}
		hp.VFS = sb
		release = func() {
			if err := sb.Close(); err != nil {
				rt.log.Warn("runtime: closing sandbox", "plugin", m.ID, "err", err)
			}
		}
	}
	return hp, release, nil
}

// httpRules turns manifest host patterns into httpc allow-list entries: the
// manifest's "host" (any port) is httpc's "host:*", and "*" (any host, any
// port) is "*:*".
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
