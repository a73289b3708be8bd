//go:build !wasip1

package cabi

// clockPaused is a no-op outside wasm (see pause_wasip1.go).
func clockPaused(bool) {}
