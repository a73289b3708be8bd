package runtime

import (
	"context"
	"sync"
	"time"
)

// callCtx is the context an instrumented instance's calls run under, one
// per instance, reused from call to call so that a hook call allocates no
// context, timer or channel: it carries the caller's values, reports the
// call deadline, and makes its done channel only when someone asks for it
// (a host function passing it to SQL or HTTP; most hook calls never do).
// The watchdog ends it at the deadline, the caller's cancellation through
// the instance's alarm, and end when the call returns, as cancel would.
//
// Reuse is safe because an instance serves one call at a time and nothing
// the call starts outlives it: host functions finish before the guest
// resumes, and a channel handed out is closed at the end of its call, so
// a goroutine still watching it (database/sql's transaction watcher) ends.
type callCtx struct {
	context.Context // the caller's
	deadline        time.Time

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
	c.Context, c.deadline, c.done, c.err = parent, deadline, nil, nil
	c.mu.Unlock()
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

// end ends the call's context as its cancel function would, and lets go
// of the caller's context.
func (c *callCtx) end() {
	c.expire(context.Canceled)
	c.mu.Lock()
	c.Context = context.Background()
	c.mu.Unlock()
}

// parent returns the caller's context (a goroutine that outlived its call,
// such as database/sql's transaction watcher, may ask while end swaps it).
func (c *callCtx) parent() (context.Context, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Context, c.deadline
}

func (c *callCtx) Deadline() (time.Time, bool) {
	parent, deadline := c.parent()
	if d, ok := parent.Deadline(); ok && d.Before(deadline) {
		return d, true
	}
	return deadline, true
}

func (c *callCtx) Value(key any) any {
	parent, _ := c.parent()
	return parent.Value(key)
}

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
	parent, deadline := c.parent()
	if err := parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}
