package abi

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Instance is the world-independent state of one instantiated guest whose
// imports are served by an I (a generated Imports struct): its exports, its
// call stack, its handle table, whether it is in a call, and the failure
// that made it unusable. A generated Instance holds one (its zero value,
// made ready by Instantiate) and calls its methods from the typed export
// methods; host functions find it with Host. It is not safe for concurrent
// use.
type Instance[I any] struct {
	mod     api.Module
	g       Guest
	imports I
	w       *World
	linked  *Linked        // the export names funcs and posts resolve
	funcs   []api.Function // by export index, nil until first entered
	posts   []api.Function // post-return functions, by export index
	dtors   []api.Function // destructors of exported resources, by type tag
	stack   []uint64
	busy    bool
	last    *callContext[I]
	err     error
}

// Instantiate makes i, a zero Instance, an instance of m whose imports are
// served by imports; owner (the generated instance holding i) is what
// i's handle table records as its Owner. cfg may be nil; whatever it says,
// the instance is anonymous, has no start function, and uses the system
// clocks. _initialize runs once if exported, after the function
// WithInstantiated put in ctx (if any) has seen the module.
func (i *Instance[I]) Instantiate(ctx context.Context, m *Module, imports I, cfg wazero.ModuleConfig, owner any) error {
	if cfg == nil {
		cfg = wazero.NewModuleConfig()
	}
	// Anonymous, so a pool can hold many; no start function (the reactor's
	// _initialize runs below with the instance in context); real clocks, without
	// which a standard Go guest's GC stalls and its memory grows without bound.
	cfg = cfg.WithName("").WithStartFunctions().WithSysNanotime().WithSysWalltime()
	w := m.world
	depth := 1
	for _, fn := range w.Exports {
		depth = max(depth, len(fn.Params), len(fn.Results))
	}
	i.imports, i.w = imports, w
	i.funcs = make([]api.Function, len(w.Exports))
	i.posts = make([]api.Function, len(w.Exports))
	i.stack = make([]uint64, depth)
	mod, err := m.r.InstantiateModule(ctx, m.compiled, cfg)
	if err != nil {
		return fmt.Errorf("instantiate: %w", err)
	}
	i.mod = mod
	if f := Instantiated(ctx); f != nil {
		f(mod)
	}
	i.lookUp(m.linked, owner)
	if init := m.linked.Init; init != "" {
		_, err := mod.ExportedFunction(init).Call(i.enter(ctx))
		i.Leave()
		if err != nil {
			_ = mod.Close(ctx) // the _initialize failure is what the caller needs
			return fmt.Errorf("instantiate: %s: %w", init, err)
		}
	}
	return nil
}

// lookUp finds the functions of l in the instantiated module and sets up
// the handle table.
func (i *Instance[I]) lookUp(l *Linked, owner any) {
	mod := i.mod
	var realloc api.Function
	if l.Realloc != "" {
		realloc = mod.ExportedFunction(l.Realloc)
	}
	i.g = NewGuest(mod.ExportedMemory(l.Memory), realloc)
	if m := mod.ExportedFunction(CarvableExport); realloc != nil && m != nil &&
		len(m.Definition().ParamTypes()) == 0 && len(m.Definition().ResultTypes()) == 0 {
		i.g.SetCarvable(true)
	}
	i.g.Handles.Owner = owner
	i.g.Handles.Names = i.w.Resources
	// Exports are resolved at their first call (resolve): wazero makes a
	// function with its own call engine and stack for each, and a plugin
	// calls few of the world's exports, so resolving all of them here was
	// a quarter of a Rust instance's start.
	i.linked = l
	if len(i.w.Dtors) == 0 {
		return
	}
	i.dtors = make([]api.Function, len(i.w.Dtors))
	for k, names := range i.w.Dtors {
		for _, n := range names {
			if fn := mod.ExportedFunction(n); fn != nil {
				i.dtors[k] = fn
				break
			}
		}
	}
}

// Close closes the wasm instance, first dropping the host resources the
// guest still holds (handle values with a Drop(context.Context) method).
func (i *Instance[I]) Close(ctx context.Context) error {
	if i.g.Handles.Len() > 0 {
		i.g.Handles.Clear(func(h Handle) {
			if d, ok := h.Val.(interface{ Drop(context.Context) }); ok {
				d.Drop(ctx)
			}
		})
	}
	return i.mod.Close(ctx)
}

// Err returns the failure that made the instance unusable, or nil.
func (i *Instance[I]) Err() error { return i.err }

// Has reports whether the guest exports the function with index k.
func (i *Instance[I]) Has(k int) bool {
	return k >= 0 && k < len(i.funcs) && i.linked != nil && i.linked.Exports[k] != ""
}

// resolve looks export k and its post-return function up, at the first
// call of export k; it returns nil when the guest does not export it.
func (i *Instance[I]) resolve(k int) api.Function {
	if i.funcs[k] == nil && i.linked != nil && i.linked.Exports[k] != "" {
		i.funcs[k] = i.mod.ExportedFunction(i.linked.Exports[k])
		if p := i.linked.Posts[k]; p != "" {
			i.posts[k] = i.mod.ExportedFunction(p)
		}
	}
	return i.funcs[k]
}

// Module returns the underlying wazero module.
func (i *Instance[I]) Module() api.Module { return i.mod }

// Guest returns the instance's lowering state (its memory and realloc).
func (i *Instance[I]) Guest() *Guest { return &i.g }

// Stack returns the stack export calls pass their core values in.
func (i *Instance[I]) Stack() []uint64 { return i.stack }

// Imports returns the host's implementations of the world's imports.
func (i *Instance[I]) Imports() I { return i.imports }

// Enter starts a call of export k: it returns the export and the context
// the call runs under (the caller's, carrying the instance to host
// functions), or why the call cannot be made (not exported, the instance
// unusable or already in a call). After a nil error the caller must call
// Leave. The common case (the caller's context is the last call's) is
// inlined into the generated export methods.
func (i *Instance[I]) Enter(ctx context.Context, k int) (api.Function, context.Context, error) {
	fn, c := i.funcs[k], i.last
	if fn != nil && i.err == nil && !i.busy && c != nil && c.safe && c.Context == ctx {
		i.busy = true
		i.g.newLowering()
		return fn, c, nil
	}
	return i.enterSlow(ctx, k)
}

func (i *Instance[I]) enterSlow(ctx context.Context, k int) (api.Function, context.Context, error) {
	fn := i.resolve(k)
	if fn == nil || i.err != nil || i.busy {
		return nil, ctx, i.unavailable(k)
	}
	i.g.newLowering()
	return fn, i.enter(ctx), nil
}

// Leave ends the call Enter started.
func (i *Instance[I]) Leave() { i.busy = false }

// Return runs export k's post-return function, if the guest has one, on
// the results the call left on the stack; a failure is a trap.
func (i *Instance[I]) Return(ctx context.Context, k int) error {
	if i.posts[k] == nil {
		return nil
	}
	return i.callPost(ctx, k)
}

func (i *Instance[I]) callPost(ctx context.Context, k int) error {
	if err := i.posts[k].CallWithStack(ctx, i.stack); err != nil {
		return i.Trapped(k, err)
	}
	return nil
}

// Trapped records that export k failed with err (a trap, or results the
// host could not lift) and returns the error; the instance refuses further
// calls.
func (i *Instance[I]) Trapped(k int, err error) error {
	i.err = &CallError{Err: err, Func: i.w.Exports[k].WIT}
	return i.err
}

// LowerFailed reports arguments of export k the host could not lower; only
// a failed cabi_realloc makes the instance unusable.
func (i *Instance[I]) LowerFailed(k int, err error) error {
	if errors.Is(err, ErrRealloc) {
		return i.Trapped(k, err)
	}
	return fmt.Errorf("call %s: arguments: %w", i.w.Exports[k].WIT, err)
}

func (i *Instance[I]) unavailable(k int) error {
	name := i.w.Exports[k].WIT
	switch {
	case i.err != nil:
		return fmt.Errorf("call %s: instance unusable after an earlier failure: %w", name, i.err)
	case i.busy:
		return fmt.Errorf("call %s: instance is already in a call (reentrant calls are not allowed)", name)
	}
	return fmt.Errorf("call %s: %w", name, ErrNotExported)
}

// Destroy runs the guest's destructor of the exported resource with type
// tag k (if the guest has one) for rep, inside the running export call or
// as a call of its own. A trap in it makes the instance unusable.
func (i *Instance[I]) Destroy(ctx context.Context, k, rep uint32) error {
	if i.err != nil {
		return fmt.Errorf("drop %s: instance unusable after an earlier failure: %w", i.w.Resources[k], i.err)
	}
	if int(k) >= len(i.dtors) || i.dtors[k] == nil {
		return nil
	}
	fn := i.dtors[k]
	if !i.busy {
		ctx = i.enter(ctx)
		defer i.Leave()
	}
	if _, err := fn.Call(ctx, uint64(rep)); err != nil {
		i.err = &CallError{Err: err, Func: i.w.Dtors[k][0]}
		return i.err
	}
	return nil
}

// A callContext is never changed once made: with wazero's
// WithCloseOnContextDone a watcher goroutine reads the call's context
// concurrently and may outlive the call, so rewriting a shared one would be
// a data race. The last one is reused when the caller passes the same
// context again (no allocation); otherwise a new one is made.
func (i *Instance[I]) enter(ctx context.Context) context.Context {
	i.busy = true
	if c := i.last; c != nil && (c.safe && c.Context == ctx || !c.safe && sameContext(c.Context, ctx)) {
		return c
	}
	i.last = &callContext[I]{Context: ctx, inst: i, safe: ctx != nil && comparesSafely(reflect.TypeOf(ctx))}
	return i.last
}

// callContext carries the instance into host functions (one small
// allocation per new caller context). safe says whether comparing the
// caller's context with == can never panic (see comparesSafely).
type callContext[I any] struct {
	context.Context
	inst *Instance[I]
	safe bool
}

type instanceKey[I any] struct{}

func (c *callContext[I]) Value(key any) any {
	switch key.(type) {
	case instanceKey[I]:
		return c.inst
	}
	if snapshotProbe != nil && key == snapshotProbe {
		return nil // see snapshotProbe
	}
	return c.Context.Value(key)
}

// comparesSafely reports whether == on two values of type t never panics:
// t holds no interface (whose dynamic value may not be comparable) and
// nothing incomparable. Comparing an interface holding such a t with any
// other interface never panics either: different dynamic types are
// unequal without comparing values.
func comparesSafely(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface, reflect.Func, reflect.Map, reflect.Slice:
		return false
	case reflect.Array:
		return comparesSafely(t.Elem())
	case reflect.Struct:
		for f := range t.Fields() {
			if !comparesSafely(f.Type) {
				return false
			}
		}
	}
	return true
}

// sameContext reports a == b; a Context of a non-comparable type counts as
// different.
func sameContext(a, b context.Context) (same bool) {
	defer func() {
		_ = recover() // comparing non-comparable dynamic types panics
	}()
	return a == b
}

// Host returns the instance whose export call ctx belongs to, for the
// host function fn (a WIT name, for the trap); outside an export call it
// traps the guest with ErrNoInstance.
func Host[I any](ctx context.Context, fn string) *Instance[I] {
	var inst *Instance[I]
	if c, ok := ctx.(*callContext[I]); ok {
		inst = c.inst
	} else {
		inst = hostFromValue[I](ctx, fn)
	}
	inst.g.newLowering() // the guest ran since the last lowering
	return inst
}

// hostFromValue is Host for a context derived from the call's.
func hostFromValue[I any](ctx context.Context, fn string) *Instance[I] {
	if inst, ok := ctx.Value(instanceKey[I]{}).(*Instance[I]); ok {
		return inst
	}
	panic(&TrapError{Err: ErrNoInstance, Func: fn})
}

// TrapOn traps the calling guest (by panicking with a *TrapError, which
// wazero turns into a trap of the guest call) if err is not nil: what a
// host function does when it cannot lift its arguments or lower its
// results.
func TrapOn(fn string, err error) {
	if err != nil {
		panic(&TrapError{Err: err, Func: fn})
	}
}
