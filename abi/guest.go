package abi

import (
	"context"
	"unsafe"

	"github.com/tetratelabs/wazero/api"
)

// Guest is one guest instance as lowering code sees it: its memory and its
// cabi_realloc. It keeps its own call stack so an allocation allocates
// nothing on the host. A Guest is used by one goroutine at a time, like the
// wasm instance it belongs to.
type Guest struct {
	Mem     api.Memory
	realloc api.Function
	stack   [4]uint64
	// Handles is the instance's resource handle table (worlds with resources).
	Handles Handles

	carve carver
}

// CarvableExport is the export by which a guest declares its cabi_realloc
// carvable: it never frees an allocation on its own, so the host may ask
// it for one block and carve several allocations out of it (a guest of
// `witgen guest` does: guest/cabi). The lowering of a hook's arguments
// then costs one guest call instead of one per string and list. Guests
// without it (wit-bindgen's C and Rust guests free each string they are
// given) get one cabi_realloc call per allocation, as the canonical ABI
// describes; hosts that do not know the export do the same for all.
const CarvableExport = "wasmplug_carvable_realloc"

// carver carves the allocations of one lowering (an export's arguments, or
// a host function's results) from blocks the guest allocated. Blocks never
// outlive their lowering: once the guest runs again it may let go of
// whatever it did not lift, so newLowering forgets the rest of the block.
type carver struct {
	on        bool
	next, end uint32 // the rest of the current block
	used      uint32 // bytes carved in this lowering
	want      uint32 // block size to ask for: what the last lowering used
}

// maxCarveBlock bounds the blocks asked for, and so what one lowering may
// waste at the end of its block: larger requests are allocated as they are.
const maxCarveBlock = 8 << 10

// NewGuest returns the lowering state of an instance. realloc may be nil for
// modules that never need it; lowering that needs it then fails with
// ErrMissingFunctions.
func NewGuest(mem api.Memory, realloc api.Function) Guest {
	return Guest{Mem: mem, realloc: realloc}
}

// SetCarvable makes g carve allocations (see CarvableExport).
func (g *Guest) SetCarvable(on bool) { g.carve = carver{on: on} }

// newLowering starts a lowering: the host is about to call an export or
// to return from a host function, so no carved block may be reused.
func (g *Guest) newLowering() {
	if g.carve.used != 0 {
		g.carve.want = min(g.carve.used, maxCarveBlock)
	}
	g.carve.next, g.carve.end, g.carve.used = 0, 0, 0
}

// Alloc calls cabi_realloc(0, 0, align, size) and checks that the result is
// aligned and that the whole region lies inside memory. From a carvable
// guest it carves the region from a block allocated earlier in the same
// lowering when it fits.
func (g *Guest) Alloc(ctx context.Context, align, size uint32) (uint32, error) {
	if !g.carve.on || align > 8 || size > maxCarveBlock {
		return g.alloc(ctx, align, size)
	}
	c := &g.carve
	if c.end != 0 {
		p := (c.next + align - 1) &^ (align - 1)
		if uint64(p)+uint64(size) <= uint64(c.end) {
			c.used += p + size - c.next
			c.next = p + size
			return p, nil
		}
	}
	block := max((size+7)&^7, c.want)
	p, err := g.alloc(ctx, 8, block)
	if err != nil {
		return 0, err
	}
	c.next, c.end = p+size, p+block
	c.used += (size + 7) &^ 7
	return p, nil
}

func (g *Guest) alloc(ctx context.Context, align, size uint32) (uint32, error) {
	if g.realloc == nil {
		return 0, &ReallocError{Align: align, Size: size, Err: ErrMissingFunctions}
	}
	g.stack[0], g.stack[1], g.stack[2], g.stack[3] = 0, 0, uint64(align), uint64(size)
	if err := g.realloc.CallWithStack(ctx, g.stack[:]); err != nil {
		return 0, &ReallocError{Align: align, Size: size, Err: err}
	}
	ptr := uint32(g.stack[0])
	if align > 1 && ptr&(align-1) != 0 {
		return 0, &ReallocError{Align: align, Size: size, Ptr: ptr, Err: &AlignmentError{Ptr: ptr, Align: align}}
	}
	if uint64(ptr)+uint64(size) > uint64(g.Mem.Size()) {
		return 0, &ReallocError{Align: align, Size: size, Ptr: ptr,
			Err: &BoundsError{Ptr: uint64(ptr), Len: uint64(size), MemSize: uint64(g.Mem.Size())}}
	}
	return ptr, nil
}

// StoreString allocates len(s) bytes in the guest and copies s there.
func (g *Guest) StoreString(ctx context.Context, s string) (ptr, length uint32, err error) {
	if uint64(len(s)) > 1<<32-1 {
		return 0, 0, &SizeError{Count: uint64(len(s)), ElemSize: 1}
	}
	ptr, err = g.Alloc(ctx, 1, uint32(len(s)))
	if err != nil {
		return 0, 0, err
	}
	g.Mem.WriteString(ptr, s)
	return ptr, uint32(len(s)), nil
}

// StoreBytes allocates len(b) bytes in the guest and copies b there.
func (g *Guest) StoreBytes(ctx context.Context, b []byte) (ptr, length uint32, err error) {
	return g.StoreString(ctx, unsafe.String(unsafe.SliceData(b), len(b)))
}

// AllocList allocates count elements of elemSize bytes aligned to align.
// Like [Guest.Alloc] (and cabi_realloc) it takes the alignment before the size.
func (g *Guest) AllocList(ctx context.Context, count int, align, elemSize uint32) (uint32, error) {
	size, err := ListSize(count, elemSize)
	if err != nil {
		return 0, err
	}
	return g.Alloc(ctx, align, size)
}

type instantiatedKey struct{}

// WithInstantiated returns a context under which a generated Instantiate
// calls f with the new wazero module right after instantiating it and
// before running its _initialize: a host that interrupts guests through
// the module (its exports, such as an interrupt flag) can then bound
// _initialize too.
func WithInstantiated(ctx context.Context, f func(api.Module)) context.Context {
	return context.WithValue(ctx, instantiatedKey{}, f)
}

// Instantiated returns the function WithInstantiated put in ctx, or nil.
func Instantiated(ctx context.Context) func(api.Module) {
	f, _ := ctx.Value(instantiatedKey{}).(func(api.Module))
	return f
}
