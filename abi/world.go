package abi

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	wasi "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// World is what generated bindings tell this package about their WIT
// world: its core-function tables and the host functions that serve its
// imports. Everything a world does that does not depend on its types
// (defining host modules, compiling, linking, instantiating) is here, so
// generated files hold only what is particular to their world. A World is
// read-only once declared.
type World struct {
	// Package and Version name the world's own package
	// ("raisfast:plugin-wit", "0.1.1").
	Package, Version string
	// Imports lists the core functions the host provides, Host the Go
	// function serving each (by the same index).
	Imports []CoreFunc
	Host    []api.GoModuleFunc
	// Exports lists the core functions a guest exports, by export index.
	Exports []CoreFunc
	// Modules lists the import module names Define registers, with the
	// interface each serves.
	Modules []ModuleRef
	// NeedMemory and NeedRealloc say whether the world's functions move
	// values through memory in the directions that need them.
	NeedMemory, NeedRealloc bool
	// Resources names the world's resources by handle-table type tag
	// (Resources[0] is unused); Dtors lists, by the same tag, the export
	// names of an exported resource's destructor (nil for a resource the
	// host implements). Both are empty in a world without resources.
	Resources []string
	Dtors     [][]string
}

// LinkOption changes what Link requires of a module.
type LinkOption func(*LinkOptions)

// DefineModule instantiates the host functions of the world interface
// iface ("" for world-level functions) as the host module name, unless r
// has a module of that name already. Two concurrent calls for one name are
// fine: the loser finds the winner's module.
func (w *World) DefineModule(ctx context.Context, r wazero.Runtime, name, iface string) error {
	if r.Module(name) != nil {
		return nil
	}
	b := r.NewHostModuleBuilder(name)
	found := false
	for k, fn := range w.Imports {
		if fn.Interface != iface {
			continue
		}
		found = true
		b.NewFunctionBuilder().WithGoModuleFunction(w.Host[k], fn.Params, fn.Results).WithName(fn.Name).Export(fn.Name)
	}
	if !found {
		return fmt.Errorf("define host module %s: the world imports no interface %q", name, iface)
	}
	if _, err := b.Instantiate(ctx); err != nil && r.Module(name) == nil {
		return fmt.Errorf("define host module %s: %w", name, err)
	}
	return nil
}

// Define registers the host side of every imported interface on r under
// each name in w.Modules, and WASI preview1 for guests that import it.
// Calling it again is a no-op.
func (w *World) Define(ctx context.Context, r wazero.Runtime) error {
	for _, ref := range w.Modules {
		if err := w.DefineModule(ctx, r, ref.Name, ref.Interface); err != nil {
			return err
		}
	}
	return defineWASI(ctx, r)
}

// defineWASI instantiates WASI preview1 on r unless it is there already.
func defineWASI(ctx context.Context, r wazero.Runtime) error {
	if r.Module(wasi.ModuleName) != nil {
		return nil
	}
	b := r.NewHostModuleBuilder(wasi.ModuleName)
	wasi.NewFunctionExporter().ExportFunctions(b)
	// Guests of wit-bindgen's Go generator import this function of the preview1
	// component adapter (it pauses the adapter's clock during GC); without the
	// adapter there is no clock to pause.
	b.NewFunctionBuilder().WithGoFunction(api.GoFunc(func(context.Context, []uint64) {}), []api.ValueType{api.ValueTypeI32}, nil).Export("adapter_monotonic_clock_set_paused")
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("define WASI preview1: %w", err)
	}
	return nil
}

// Module is a guest module compiled and checked against a World.
type Module struct {
	world    *World
	r        wazero.Runtime
	compiled wazero.CompiledModule
	linked   *Linked
}

// Compile compiles wasm on r (which Define has prepared) and links it (see
// Link).
func (w *World) Compile(ctx context.Context, r wazero.Runtime, wasm []byte, opts ...LinkOption) (*Module, error) {
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	mod, err := w.Link(ctx, r, cm, opts...)
	if err != nil {
		_ = cm.Close(ctx) // the link error is what the caller needs
		return nil, err
	}
	return mod, nil
}

// Link checks a compiled module against the world (every import a function
// of the world with the same core signature, exports with theirs, memory
// and cabi_realloc where the world needs them; all problems in one
// *LinkError) and defines on r the host modules it imports under names
// Define did not cover (another version on the world's track).
func (w *World) Link(ctx context.Context, r wazero.Runtime, cm wazero.CompiledModule, opts ...LinkOption) (*Module, error) {
	o := LinkOptions{
		NeedMemory:  w.NeedMemory,
		NeedRealloc: w.NeedRealloc,
		Package:     w.Package,
		Version:     w.Version,
	}
	for _, opt := range opts {
		opt(&o)
	}
	l, err := Link(cm, w.Imports, w.Exports, o)
	if err != nil {
		return nil, err
	}
	for _, ref := range l.Modules {
		if err := w.DefineModule(ctx, r, ref.Name, ref.Interface); err != nil {
			return nil, err
		}
	}
	return &Module{world: w, r: r, compiled: cm, linked: l}, nil
}

// Contract says which contract version the module was built for and how
// the world's bindings take it.
func (m *Module) Contract() Contract { return m.linked.Contract }

// HasExport reports whether the module exports the function with index k.
func (m *Module) HasExport(k int) bool {
	return k >= 0 && k < len(m.linked.Exports) && m.linked.Exports[k] != ""
}

// ImportsInterface reports whether the module imports any function of the
// world interface iface (see Linked.ImportsInterface).
func (m *Module) ImportsInterface(iface string) bool { return m.linked.ImportsInterface(iface) }

// Linked returns what the module provides of the world's exports.
func (m *Module) Linked() *Linked { return m.linked }

// Compiled returns the underlying wazero module.
func (m *Module) Compiled() wazero.CompiledModule { return m.compiled }

// Close releases the compiled module.
func (m *Module) Close(ctx context.Context) error { return m.compiled.Close(ctx) }
