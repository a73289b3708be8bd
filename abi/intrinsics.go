package abi

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// The host functions of the canonical ABI's resource intrinsics, for the
// Host table of a World whose instances are served by an I: k is the
// resource's handle-table type tag, wit the intrinsic's name for traps
// ("[export]ns:pkg/iface#[resource-new]r"). A bad handle traps the guest
// with a *HandleError.

// ResourceNew is [resource-new] of a resource the guest defines: it makes
// an owning handle of the rep the guest passes.
func ResourceNew[I any](k uint32, wit string) api.GoModuleFunc {
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		n, err := Host[I](ctx, wit).g.Handles.New(k, uint32(stack[0]), nil)
		TrapOn(wit, err)
		stack[0] = uint64(n)
	}
}

// ResourceRep is [resource-rep] of a resource the guest defines: the rep
// of a handle.
func ResourceRep[I any](k uint32, wit string) api.GoModuleFunc {
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		e, err := Host[I](ctx, wit).g.Handles.Get("rep", k, uint32(stack[0]))
		TrapOn(wit, err)
		stack[0] = uint64(e.Rep)
	}
}

// ResourceDrop is [resource-drop] of a resource the guest defines: dropping
// an owning handle runs the guest's destructor (see Instance.Destroy).
func ResourceDrop[I any](k uint32, wit string) api.GoModuleFunc {
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		i := Host[I](ctx, wit)
		e, err := i.g.Handles.Drop(k, uint32(stack[0]))
		TrapOn(wit, err)
		if e.Own {
			TrapOn(wit, i.Destroy(ctx, k, e.Rep))
		}
	}
}

// HostResourceDrop is [resource-drop] of a resource the host implements:
// dropping an owning handle calls the value's Drop.
func HostResourceDrop[I any](k uint32, wit string) api.GoModuleFunc {
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		e, err := Host[I](ctx, wit).g.Handles.Drop(k, uint32(stack[0]))
		TrapOn(wit, err)
		if d, ok := e.Val.(interface{ Drop(context.Context) }); ok && e.Own {
			d.Drop(ctx)
		}
	}
}
