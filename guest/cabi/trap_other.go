//go:build !wasm

package cabi

// earlyTrap stands in for the wasm trap in native builds (tests).
func earlyTrap() { panic("cabi: early cabi_realloc arena exhausted") }
