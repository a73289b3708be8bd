//go:build wasm

package cabi

import "math"

// earlyTrap traps the instance without the Go runtime (see early.go): a
// store to the last byte of the 32-bit address space is out of bounds for
// any memory below 4 GiB (Go's runtime is far from that before init), so
// the engine traps ("memory access out of bounds") in earlyTrap.
//
//go:nosplit
func earlyTrap() {
	*(*byte)(Ptr(math.MaxUint32)) = 0
}
