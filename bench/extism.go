package bench

import (
	"context"
	"encoding/json"
	"fmt"

	extism "github.com/extism/go-sdk"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/tetratelabs/wazero"
)

// Extism is the alternative: the same slug filter as an Extism plugin
// (guests/go-extism, go-pdk), called through Extism's go-sdk with the post
// as JSON, which is how Extism passes structured values.
type Extism struct {
	compiled *extism.CompiledPlugin
	p        *extism.Plugin
}

// extismModuleConfig gives Extism's instances the real clocks the
// generated bindings use (a standard Go guest's GC needs them; see
// DESIGN.md §6).
func extismModuleConfig() wazero.ModuleConfig {
	return wazero.NewModuleConfig().WithSysNanotime().WithSysWalltime()
}

// NewExtism compiles wasm with WASI enabled and creates one instance. rc
// may be nil (wazero's default).
func NewExtism(ctx context.Context, wasm []byte, rc wazero.RuntimeConfig) (*Extism, error) {
	manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: wasm, Name: "main"}}}
	c, err := extism.NewCompiledPlugin(ctx, manifest, extism.PluginConfig{
		RuntimeConfig: rc,
		EnableWasi:    true,
		ModuleConfig:  extismModuleConfig(),
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("extism: compile: %w", err)
	}
	p, err := c.Instance(ctx, extism.PluginInstanceConfig{ModuleConfig: extismModuleConfig()})
	if err != nil {
		_ = c.Close(ctx)
		return nil, fmt.Errorf("extism: instance: %w", err)
	}
	return &Extism{compiled: c, p: p}, nil
}

// Close closes the instance and the compiled plugin.
func (e *Extism) Close(ctx context.Context) error {
	err := e.p.Close(ctx)
	if cerr := e.compiled.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// OnPostCreating calls the plugin's on_post_creating with the post as JSON:
// nil means none.
func (e *Extism) OnPostCreating(ctx context.Context, in *plugin.PostInput) (*plugin.PostInput, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	rc, out, err := e.p.CallWithContext(ctx, "on_post_creating", data)
	if err != nil {
		return nil, err
	}
	if rc != 0 {
		return nil, fmt.Errorf("extism: on_post_creating returned %d", rc)
	}
	if len(out) == 0 {
		return nil, nil
	}
	res := new(plugin.PostInput)
	if err := json.Unmarshal(out, res); err != nil {
		return nil, err
	}
	return res, nil
}
