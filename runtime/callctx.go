package runtime

import (
	"context"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// callCtx is the context an instrumented instance's calls run under, one
// per instance, reused from call to call so that a hook call allocates no
// context, timer or channel: it carries the caller's values, reports the
// call deadline, and makes its done channel only when someone asks for it
// (a host function passing it to SQL or HTTP; most hook calls never do).
// The watchdog ends it at the deadline or when the caller is cancelled
// (through the instance's alarm), and end when the call returns, as cancel
// would.
//
// Reuse is safe because an instance serves one call at a time and nothing
// the call starts outlives it: host functions finish before the guest
// resumes, and a channel handed out is closed at the end of its call, so
// a goroutine still watching it (database/sql's transaction watcher) ends.
//
// Value is on the hot path: wazero asks the context of every guest call
// (each cabi_realloc too) for its snapshotter key. It reads the caller's
// context without a lock, from a sequence-locked copy of its two words.
type callCtx struct {
	parent seqContext
	clock  *watchdog    // the deadline's clock
	at     atomic.Int64 // the call deadline, ns since clock's epoch

	// ended is why the call's context ended (endedNot while it runs).
	// Begin and end are atomic stores unless someone asked for the done
	// channel (doneMade), which is made, closed and dropped under mu.
	ended    atomic.Int32
	doneMade atomic.Bool
	mu       sync.Mutex
	done     chan struct{} // nil until Done is called
	closed   bool          // done is closed
}

// Reasons a call's context ended.
const (
	endedNot int32 = iota
	endedDeadline
	endedCanceled
)

func endedErr(code int32) error {
	switch code {
	case endedDeadline:
		return context.DeadlineExceeded
	case endedCanceled:
		return context.Canceled
	}
	return nil
}

// newCallCtx returns a call context whose deadlines are on w's clock.
func newCallCtx(w *watchdog) *callCtx { return &callCtx{clock: w} }

// closedChan is what Done returns once the context has ended before
// anyone asked for a channel.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// begin starts a call under parent, ending at at on the clock.
func (c *callCtx) begin(parent context.Context, at int64) {
	if c.doneMade.Load() { // the last call handed out its (closed) channel
		c.mu.Lock()
		c.done, c.closed = nil, false
		c.doneMade.Store(false)
		c.mu.Unlock()
	}
	c.at.Store(at)
	c.parent.store(parent)
	c.ended.Store(endedNot)
}

// expire ends the call's context with the reason code (the first reason
// wins).
func (c *callCtx) expire(code int32) {
	if !c.ended.CompareAndSwap(endedNot, code) {
		return
	}
	// Done stores doneMade before it checks ended, this stored ended
	// before it checks doneMade: one of the two closes the channel.
	if c.doneMade.Load() {
		c.closeDone()
	}
}

// closeDone closes the done channel once.
func (c *callCtx) closeDone() {
	c.mu.Lock()
	if c.done != nil && !c.closed {
		close(c.done)
		c.closed = true
	}
	c.mu.Unlock()
}

// end ends the call's context as its cancel function would. It keeps the
// caller's context, whose values a goroutine that outlived the call may
// still ask for, until the instance's next call from another context: a
// store per call would cost as much as the rest of the bookkeeping.
func (c *callCtx) end() { c.expire(endedCanceled) }

// callerCancelled reports whether the current call's caller is done (the
// watchdog's poll).
func (c *callCtx) callerCancelled() bool { return c.parent.load().Err() != nil }

func (c *callCtx) Deadline() (time.Time, bool) {
	deadline := c.clock.at(c.at.Load())
	if d, ok := c.parent.load().Deadline(); ok && d.Before(deadline) {
		return d, true
	}
	return deadline, true
}

func (c *callCtx) Value(key any) any { return c.parent.load().Value(key) }

func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.ended.Load() != endedNot {
			return closedChan
		}
		c.done = make(chan struct{})
		c.doneMade.Store(true)
		if c.ended.Load() != endedNot { // expired meanwhile, before it could see the channel
			close(c.done)
			c.closed = true
		}
	}
	return c.done
}

func (c *callCtx) Err() error {
	if err := endedErr(c.ended.Load()); err != nil {
		return err
	}
	if err := c.parent.load().Err(); err != nil {
		return err
	}
	if c.clock.now() >= c.at.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

// seqContext holds a context.Context that one goroutine replaces while
// others read it, without a lock and without allocating: the interface's
// two words are stored atomically under a sequence counter, and a reader
// retries while a store is under way (a seqlock). Storing the words
// through unsafe.Pointer keeps them visible to the garbage collector.
type seqContext struct {
	seq  atomic.Uint64 // odd while a store is under way
	tab  unsafe.Pointer
	data unsafe.Pointer
}

// ifaceWords is the layout of a non-empty interface value.
type ifaceWords struct{ tab, data unsafe.Pointer }

// store replaces the context. Stores must not run concurrently with each
// other (one goroutine: the instance's caller). Storing the context already
// held writes nothing.
func (s *seqContext) store(ctx context.Context) {
	w := (*ifaceWords)(unsafe.Pointer(&ctx))
	if atomic.LoadPointer(&s.tab) == w.tab && atomic.LoadPointer(&s.data) == w.data {
		return
	}
	s.seq.Add(1)
	atomic.StorePointer(&s.tab, w.tab)
	atomic.StorePointer(&s.data, w.data)
	s.seq.Add(1)
}

// load returns the context last stored, or context.Background before any.
func (s *seqContext) load() context.Context {
	for {
		n := s.seq.Load()
		if n&1 != 0 {
			goruntime.Gosched() // the storer was descheduled mid-store
			continue
		}
		{
			var ctx context.Context
			w := (*ifaceWords)(unsafe.Pointer(&ctx))
			w.tab = atomic.LoadPointer(&s.tab)
			w.data = atomic.LoadPointer(&s.data)
			if s.seq.Load() == n {
				if ctx == nil {
					return context.Background()
				}
				return ctx
			}
		}
	}
}
