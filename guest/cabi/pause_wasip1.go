//go:build wasip1

package cabi

// clockPaused is the WASI preview1 component adapter's
// adapter_monotonic_clock_set_paused: while paused, the adapter answers
// clock_time_get on the monotonic clock with its last reading instead of
// calling the component import (which cabi_realloc may not do). It exists
// only in the adapter, not in WASI preview1, so a host that runs the core
// module directly must provide it; every `witgen host` Define provides it as
// a no-op (and so do hosts for wit-bindgen's Go guests, which import it too).
//
//go:wasmimport wasi_snapshot_preview1 adapter_monotonic_clock_set_paused
func clockPaused(paused bool)
