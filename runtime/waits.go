package runtime

import (
	"context"
	"time"

	"github.com/tetratelabs/wazero/sys"
)

// callWaits bounds the waits of one instance by the context of the call it
// is serving. wazero's WASI poll_oneoff (Go's time.Sleep, C's nanosleep,
// Rust's thread::sleep) waits through the module's sys.Nanosleep, which has
// no context: with time.Sleep a guest sleeping 60 s held its call, its pool
// slot and any transaction it opened for 60 s, whatever the call deadline.
// sleep waits on a timer and on the current call's done channel, so a wait
// ends at the deadline, and then it ends the guest with the exit error
// wazero's close-on-context-done gives a guest stopped at its deadline:
// returning instead would tell the guest that the time had passed and let
// it finish the call after its deadline.
//
// An instance serves one call at a time and the pool hands it from call to
// call with a happens-before edge, so done needs no lock: bind sets it on
// the calling goroutine before the guest runs, and sleep reads it on the
// same goroutine (host functions run on the caller's goroutine).
//
// stop is the plugin's: forceClose closes it, so a wait also ends when the
// runtime interrupts the plugin's calls (Close with an expired context).
type callWaits struct {
	call context.Context // nil between calls
	stop <-chan struct{}
}

// bind makes later waits end when the call's context ends; bind(nil)
// after the call. Its done channel is asked for only when a wait starts.
func (w *callWaits) bind(call context.Context) { w.call = call }

// sleep is the instance's sys.Nanosleep.
func (w *callWaits) sleep(ns int64) {
	if ns <= 0 {
		return
	}
	var done <-chan struct{} // nil (no call bound) never fires
	if w.call != nil {
		done = w.call.Done()
	}
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	select {
	case <-t.C:
	case <-done:
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	case <-w.stop:
		panic(sys.NewExitError(sys.ExitCodeContextCanceled))
	}
}
