package cabi

import "unsafe"

// Allocation before the Go runtime is up.
//
// A Go wasip1 reactor becomes a component by linking the WASI preview1
// component adapter (wit-component's `--adapt`, jco's `--wasi-reactor`),
// which translates the module's WASI calls to component imports. The
// adapter allocates its own state and stack lazily, on its first WASI call,
// with the module's cabi_realloc. Go makes that first call inside
// _initialize, in runtime.schedinit (clock_time_get, from ticks.init, before
// mallocinit), long before the heap, the scheduler or any goroutine exist. Go's export
// wrapper does let cabi_realloc run then (it only refuses calls before
// _initialize has set up the stack pointer), but it runs on the runtime's
// bootstrap stack with no heap behind it: heap allocation, stack growth or a
// panic would crash.
//
// So, until this package's init has run (package initializers run on the
// main goroutine after the runtime is initialized), cabi_realloc bump-
// allocates from earlyArena, a zeroed array in the module's data (bss), with
// nosplit code that calls nothing. Nothing there is ever freed: the adapter
// keeps its state for the life of the instance. The adapter (the one jco
// 1.35 ships) asks for exactly two 64 KiB blocks, align 8: first its stack
// (wit-component's allocate_stack), then its state (State::new, a page); the
// arena holds those plus a little slack for alignment, and traps if a
// future adapter wants more (interop's TestJCO would then fail in
// earlyRealloc). A host running the core module directly (our runtime on
// wazero) never calls cabi_realloc before _initialize has finished, so there
// the arena is never touched: it only enlarges the initial linear memory by
// its size rounded to 64 KiB pages (measured: +64 KiB for the conformance
// plugin, +128 KiB for the alltypes guest).

// heapReady is set by init: from then on cabi_realloc allocates on the Go
// heap (heapRealloc).
var heapReady bool

func init() { heapReady = true }

// earlyArenaSize is the size of earlyArena in bytes: the adapter's 2 x 64 KiB
// and 4 KiB of slack.
const earlyArenaSize = 132 << 10

var (
	earlyArena [earlyArenaSize / 8]uint64 // 8-aligned, pointer-free
	earlyUsed  uint32                     // bytes of earlyArena handed out (with alignment padding)
)

// earlyRealloc serves cabi_realloc before init. It is nosplit and calls
// nothing that could need the runtime; when the arena is exhausted it traps
// (earlyTrap) rather than return memory it does not own.
//
//go:nosplit
func earlyRealloc(oldPtr, oldSize, align, newSize uint32) uint32 {
	if newSize == 0 {
		return Addr(unsafe.Pointer(&zeroArea))
	}
	if align == 0 || align&(align-1) != 0 || align > 4096 {
		earlyTrap()
	}
	base := Addr(unsafe.Pointer(&earlyArena))
	start := (base + earlyUsed + align - 1) &^ (align - 1)
	if start-base > earlyArenaSize || newSize > earlyArenaSize-(start-base) {
		earlyTrap()
	}
	earlyUsed = start - base + newSize
	if oldPtr != 0 && oldSize != 0 {
		n := min(oldSize, newSize)
		for i := uint32(0); i < n; i++ {
			*(*byte)(Ptr(start + i)) = *(*byte)(Ptr(oldPtr + i))
		}
	}
	return start
}
