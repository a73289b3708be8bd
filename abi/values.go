package abi

// Bool converts a Go bool to a core value.
func Bool(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
