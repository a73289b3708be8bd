// Package adapt009 runs plugins built for the older major 0.0.9 of the
// contract (testdata/evolve/v0.0.9) on a host of the current one
// (gen/plugin): a plugin.Adapter, hand-written over the bindings witgen
// generates from the older contract (internal/evolve/host009). It is the
// worked example of docs/contract-evolution.md.
//
// What it maps, and the documented answers where the majors differ:
//   - on-post-creating: the current post-input goes in with only title,
//     content and slug (the fields 0.0.9 knows); the fields of the result
//     that 0.0.9 does not know are kept from the input;
//   - render-markdown and on-login pass through unchanged;
//   - every other hook of the current contract does not exist in 0.0.9:
//     the guest does not export it (abi.ErrNotExported; a manifest that
//     subscribes to one is refused at load);
//   - host functions: kv-get and kv-set are get-data and set-data under
//     their 0.1 names; site-name, removed in 0.1, answers the plugin's
//     "site_name" configuration value, or "" when it is unset.
package adapt009

import (
	"context"
	"fmt"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/evolve/host009"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Adapter is the plugin.Adapter for contract 0.0.9.
type Adapter struct{}

var _ plugin.Adapter = Adapter{}

// Version is the older contract's version.
func (Adapter) Version() string { return host009.WorldVersion }

// hookNames maps the current contract's hooks to the 0.0.9 export names
// that serve them.
var hookNames = map[string]string{
	"on-post-creating": "on-post-creating",
	"render-markdown":  "render-markdown",
	"on-login":         "on-login",
}

// Link checks cm against 0.0.9 with the current hooks in required mapped
// to their 0.0.9 names.
func (Adapter) Link(ctx context.Context, r wazero.Runtime, cm wazero.CompiledModule, required ...string) (plugin.GuestModule, error) {
	old := make([]string, 0, len(required))
	for _, name := range required {
		o, ok := hookNames[name]
		if !ok {
			return nil, fmt.Errorf("hook %s does not exist in contract %s", name, host009.WorldVersion)
		}
		old = append(old, o)
	}
	if err := host009.Define(ctx, r); err != nil {
		return nil, err
	}
	mod, err := host009.Link(ctx, r, cm, host009.OptionalExports(old...))
	if err != nil {
		return nil, err
	}
	m := &module{mod: mod, oldIndex: make([]int, len(plugin.HookList))}
	for k := range m.oldIndex {
		m.oldIndex[k] = -1
		if o, ok := hookNames[plugin.HookList[k].Name]; ok {
			m.oldIndex[k] = host009.ExportIndex(o)
		}
	}
	return m, nil
}

// module is a 0.0.9 module seen as a current plugin.GuestModule.
type module struct {
	mod      *host009.Module
	oldIndex []int // current export index → 0.0.9 index, -1 when absent
}

func (m *module) Contract() abi.Contract {
	c := m.mod.Contract()
	c.Take, c.Host = abi.TakeAdapted, plugin.WorldVersion
	c.Why = "through the adapter for " + host009.WorldPackage + "@" + host009.WorldVersion
	return c
}

func (m *module) HasExport(k int) bool {
	return k >= 0 && k < len(m.oldIndex) && m.oldIndex[k] >= 0 && m.mod.HasExport(m.oldIndex[k])
}

func (m *module) NewGuest(ctx context.Context, imports plugin.Imports, cfg wazero.ModuleConfig) (plugin.Guest, error) {
	if imports.HostAPI == nil {
		return nil, fmt.Errorf("adapt009: Imports.HostAPI is nil")
	}
	inst, err := m.mod.Instantiate(ctx, host009.Imports{HostAPI: hostAPI{imports.HostAPI}}, cfg)
	if err != nil {
		return nil, err
	}
	return &guest{inst: inst, m: m}, nil
}

func (m *module) Close(ctx context.Context) error { return m.mod.Close(ctx) }

// hostAPI serves 0.0.9's host functions with the current host API.
type hostAPI struct{ cur plugin.HostAPI }

func (h hostAPI) Log(ctx context.Context, level, msg string) { h.cur.Log(ctx, level, msg) }
func (h hostAPI) KVGet(ctx context.Context, key string) (string, bool) {
	return h.cur.GetData(ctx, key)
}
func (h hostAPI) KVSet(ctx context.Context, key, value string) bool {
	return h.cur.SetData(ctx, key, value)
}

// SiteName was removed in 0.1: it answers the "site_name" configuration
// value, or "".
func (h hostAPI) SiteName(ctx context.Context) string {
	v, _ := h.cur.GetConfig(ctx, "site_name")
	return v
}

// guest is a 0.0.9 instance seen as a current plugin.Guest.
type guest struct {
	inst *host009.Instance
	m    *module
}

func (g *guest) Has(k int) bool                  { return g.m.HasExport(k) && g.inst.Has(g.m.oldIndex[k]) }
func (g *guest) Err() error                      { return g.inst.Err() }
func (g *guest) Close(ctx context.Context) error { return g.inst.Close(ctx) }
func (g *guest) Module() api.Module              { return g.inst.Module() }

func (g *guest) OnPostCreating(ctx context.Context, in plugin.PostInput) (*plugin.PostInput, error) {
	out, err := g.inst.OnPostCreating(ctx, host009.PostInput{Title: in.Title, Content: in.Content, Slug: in.Slug})
	if err != nil || out == nil {
		return nil, err
	}
	res := in // fields 0.0.9 does not know are kept from the input
	res.Title, res.Content, res.Slug = out.Title, out.Content, out.Slug
	return &res, nil
}

func (g *guest) RenderMarkdown(ctx context.Context, in string) (*string, error) {
	return g.inst.RenderMarkdown(ctx, in)
}

func (g *guest) OnLogin(ctx context.Context, userID string) error {
	return g.inst.OnLogin(ctx, userID)
}

// absent is the answer of the hooks 0.0.9 does not have.
func absent(hook string) error {
	return fmt.Errorf("%s (contract %s has no such hook): %w", hook, host009.WorldVersion, abi.ErrNotExported)
}

func (g *guest) OnPostUpdating(context.Context, plugin.PostInput) (*plugin.PostInput, error) {
	return nil, absent("on-post-updating")
}
func (g *guest) OnCommentCreating(context.Context, plugin.CommentInput) (*plugin.CommentInput, error) {
	return nil, absent("on-comment-creating")
}
func (g *guest) OnContentCreating(context.Context, plugin.ContentEvent) (*plugin.ContentEvent, error) {
	return nil, absent("on-content-creating")
}
func (g *guest) OnContentUpdating(context.Context, plugin.ContentEvent) (*plugin.ContentEvent, error) {
	return nil, absent("on-content-updating")
}
func (g *guest) FilterHTML(context.Context, string) (*string, error) {
	return nil, absent("filter-html")
}
func (g *guest) OnPostCreated(context.Context, plugin.PostOutput) error {
	return absent("on-post-created")
}
func (g *guest) OnPostUpdated(context.Context, plugin.PostOutput) error {
	return absent("on-post-updated")
}
func (g *guest) OnPostDeleted(context.Context, string) error { return absent("on-post-deleted") }
func (g *guest) OnCommentCreated(context.Context, plugin.CommentInput) error {
	return absent("on-comment-created")
}
func (g *guest) OnContentCreated(context.Context, plugin.ContentEvent) error {
	return absent("on-content-created")
}
func (g *guest) OnContentUpdated(context.Context, plugin.ContentEvent) error {
	return absent("on-content-updated")
}
func (g *guest) OnContentDeleted(context.Context, string, string) error {
	return absent("on-content-deleted")
}
func (g *guest) OnCronTick(context.Context, *string) error { return absent("on-cron-tick") }
