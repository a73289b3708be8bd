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
	parent   seqContext
	clock    *watchdog // the deadline's clock; nil: the wall clock (deadline)
	at       int64     // the call deadline, ns since clock's epoch
	deadline time.Time // the call deadline, when clock is nil

	mu   sync.Mutex
	done chan struct{} // nil until Done is called
	err  error
}

// closedChan is what Done returns once the context has ended before
// anyone asked for a channel.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// begin starts a call under parent, ending at deadline.
func (c *callCtx) begin(parent context.Context, deadline time.Time) {
	c.mu.Lock()
	c.clock, c.deadline, c.done, c.err = nil, deadline, nil, nil
	c.mu.Unlock()
	c.parent.store(parent)
}

// beginAt starts a call under parent, ending at at on w's clock: no wall
// clock read.
func (c *callCtx) beginAt(parent context.Context, w *watchdog, at int64) {
	c.mu.Lock()
	c.clock, c.at, c.done, c.err = w, at, nil, nil
	c.mu.Unlock()
	c.parent.store(parent)
}

// expire ends the call's context with err (the first reason wins).
func (c *callCtx) expire(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
		if c.done != nil {
			close(c.done)
		}
	}
	c.mu.Unlock()
}

// end ends the call's context as its cancel function would. It keeps the
// caller's context, whose values a goroutine that outlived the call may
// still ask for, until the instance's next call from another context: a
// store per call would cost as much as the rest of the bookkeeping.
func (c *callCtx) end() { c.expire(context.Canceled) }

// callerCancelled reports whether the current call's caller is done (the
// watchdog's poll).
func (c *callCtx) callerCancelled() bool { return c.parent.load().Err() != nil }

// callDeadline is the call's own deadline.
func (c *callCtx) callDeadline() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clock != nil {
		return c.clock.at(c.at)
	}
	return c.deadline
}

// pastDeadline reports whether the call's own deadline has passed.
func (c *callCtx) pastDeadline() bool {
	c.mu.Lock()
	clock, at, deadline := c.clock, c.at, c.deadline
	c.mu.Unlock()
	if clock != nil {
		return clock.now() >= at
	}
	return !time.Now().Before(deadline)
}

func (c *callCtx) Deadline() (time.Time, bool) {
	deadline := c.callDeadline()
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
		if c.err != nil {
			return closedChan
		}
		c.done = make(chan struct{})
	}
	return c.done
}

func (c *callCtx) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.parent.load().Err(); err != nil {
		return err
	}
	if c.pastDeadline() {
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
