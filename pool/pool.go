// Package pool keeps a fixed number of instances of one expensive, stateful,
// non-goroutine-safe thing (in this project: instances of one compiled wasm
// module) and lends them to callers one call at a time.
//
// The pool knows nothing about what it pools. A [Pool] is built from a factory
// that creates an instance and a closer that destroys one:
//
//	p, err := pool.New(ctx, 4, newInstance, closeInstance)
//	…
//	err = p.Do(ctx, func(ctx context.Context, inst *Instance) error {
//		out, err := inst.OnPostCreating(ctx, in)
//		if isTrap(err) {
//			return pool.Discard(err) // the instance is broken: replace it
//		}
//		…
//	})
//
// # Semantics
//
//   - Size: exactly N slots, each holding at most one instance.
//   - Dispatch: a call takes the next free instance in round-robin order
//     (the scan starts just after the instance the previous call took), so
//     load and per-instance state spread evenly. An instance serves one call
//     at a time.
//   - Waiting: when every instance is busy (or being replaced) a call waits,
//     first come first served (a call arriving just as an instance is
//     released may take it first), until one is free or its context is done; then
//     it fails with an error wrapping both [ErrPoolExhausted] and the
//     context's error.
//   - Discard: a callback that returns an error wrapping [ErrDiscard] (see
//     [Discard]) declares its instance broken (a trap, a timeout, a panic).
//     Do returns that error; the pool closes the instance and creates a fresh
//     one in a background goroutine, so neither the failing caller nor anyone
//     else waits for the factory — other calls use the remaining instances,
//     or wait for the replacement when none is free. A callback that panics
//     discards its instance too, and the panic propagates.
//   - Replacement failures: a failing factory is retried with exponential
//     backoff ([WithBackoff]) until it succeeds or the pool closes. Meanwhile
//     the pool runs with fewer instances; [Pool.Stats] and [Pool.Health]
//     report it.
//   - Close: [Pool.Close] stops new calls ([ErrClosed]), wakes waiters with
//     ErrClosed, waits (bounded by its context) for calls in flight and for
//     replacements in progress, then closes every instance. If its context
//     ends first, Close returns an error and each still-busy instance is
//     closed by its caller when that call returns.
//   - Filling: by default New creates all N instances before returning and
//     fails if any creation fails. With [WithBackgroundFill] it creates the
//     first synchronously (so a module that cannot be instantiated at all
//     fails New) and the rest in the background: the pool is usable at once
//     with one instance, and grows to N as they are created. Use it where
//     start-up latency matters, such as hot reload.
//
// # Cost
//
// Do allocates nothing in steady state (see TestDoDoesNotAllocate and
// BenchmarkDo): free instances are counted by an atomic counter (a channel
// hands them to waiting callers) and claimed by compare-and-swap on a slot
// array; there are no maps and no locks on the call path.
package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrClosed is returned by Do after Close has begun, and by Health after
	// Close.
	ErrClosed = errors.New("pool: closed")
	// ErrPoolExhausted is wrapped (together with the context's error) by Do
	// when its context ends while it waits for a free instance.
	ErrPoolExhausted = errors.New("pool: no free instance")
	// ErrDiscard marks a callback error meaning "this instance is broken". Wrap
	// it with [Discard], or implement Is(ErrDiscard) on your own error type.
	ErrDiscard = errors.New("pool: instance discarded")
	// ErrUnhealthy is wrapped by Health while instances cannot be created.
	ErrUnhealthy = errors.New("pool: unhealthy")
)

// Discard wraps err so that Do discards the instance the callback was given.
// The result satisfies errors.Is(_, ErrDiscard) and errors.Is(_, err).
// Discard(nil) returns ErrDiscard itself.
func Discard(err error) error {
	if err == nil {
		return ErrDiscard
	}
	return &discardError{err: err}
}

type discardError struct{ err error }

func (e *discardError) Error() string        { return e.err.Error() }
func (e *discardError) Unwrap() error        { return e.err }
func (e *discardError) Is(target error) bool { return target == ErrDiscard }

// errPanicked is the cause logged when a callback panics.
var errPanicked = errors.New("callback panicked")

// Slot states.
const (
	stateEmpty  int32 = iota // no instance: being created, replaced, or retried
	stateIdle                // holds an instance, free (and counted by a token)
	stateBusy                // holds an instance lent to a call
	stateClosed              // its instance was closed by Close
)

type slot[T any] struct {
	state atomic.Int32
	val   T
	idx   int
	_     [64]byte // keep neighbouring slots' states on different cache lines
}

// Option configures a Pool.
type Option func(*config)

type config struct {
	log        *slog.Logger
	name       string
	background bool
	backoffMin time.Duration
	backoffMax time.Duration
}

// WithLogger sets the logger for discards, closer errors and factory retries
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithName names the pool in its log records (for example a plugin id).
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithBackgroundFill makes New create only the first instance before
// returning and the others in the background (see the package doc).
func WithBackgroundFill() Option { return func(c *config) { c.background = true } }

// WithBackoff sets the delay before retrying a failed creation: it starts at
// initial and doubles up to max (defaults 100ms and 30s).
func WithBackoff(initial, max time.Duration) Option {
	return func(c *config) { c.backoffMin, c.backoffMax = initial, max }
}

// Pool lends instances of T to callers one call at a time. Create it with
// [New]; it is safe for concurrent use.
type Pool[T any] struct {
	slots   []slot[T]
	tokens  *tokens       // one token per idle instance
	next    atomic.Uint32 // where the next scan starts, modulo the size
	closed  atomic.Bool   // Close has begun
	gaveUp  atomic.Bool   // Close's context ended before the pool drained
	done    chan struct{} // closed when Close begins
	factory func(context.Context) (T, error)
	closer  func(context.Context, T) error

	bgCtx    context.Context // for background factory calls; cancelled by Close
	bgCancel context.CancelFunc
	cleanCtx context.Context // for closers run in the background; never cancelled

	log                    *slog.Logger
	warns                  *repeats // warnings about instances, repeats counted
	backoffMin, backoffMax time.Duration

	calls, waits, discards atomic.Uint64
	created, failures      atomic.Uint64
	failing                atomic.Int32 // slots whose last creation attempt failed

	mu          sync.Mutex
	lastErr     error
	lastErrAt   time.Time
	closeOnce   sync.Once
	closeDone   chan struct{}
	closeResult error
}

// New creates a pool of size instances made by factory and destroyed by
// closer (closer may be nil). ctx bounds the instances New creates itself;
// its values, but not its cancellation, also reach background creations.
func New[T any](ctx context.Context, size int, factory func(context.Context) (T, error), closer func(context.Context, T) error, opts ...Option) (*Pool[T], error) {
	if size <= 0 {
		return nil, fmt.Errorf("pool: size must be positive, got %d", size)
	}
	if factory == nil {
		return nil, errors.New("pool: nil factory")
	}
	cfg := config{log: slog.Default(), backoffMin: 100 * time.Millisecond, backoffMax: 30 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.backoffMin <= 0 {
		cfg.backoffMin = time.Millisecond
	}
	cfg.backoffMax = max(cfg.backoffMax, cfg.backoffMin)
	if closer == nil {
		closer = func(context.Context, T) error { return nil }
	}
	log := cfg.log
	if cfg.name != "" {
		log = log.With(slog.String("pool", cfg.name))
	}
	p := &Pool[T]{
		slots:      make([]slot[T], size),
		tokens:     newTokens(size),
		done:       make(chan struct{}),
		closeDone:  make(chan struct{}),
		factory:    factory,
		closer:     closer,
		cleanCtx:   context.WithoutCancel(ctx),
		log:        log,
		warns:      &repeats{log: log, now: time.Now},
		backoffMin: cfg.backoffMin,
		backoffMax: cfg.backoffMax,
	}
	p.bgCtx, p.bgCancel = context.WithCancel(p.cleanCtx)
	for i := range p.slots {
		p.slots[i].idx = i
	}

	eager := size
	if cfg.background {
		eager = 1
	}
	for i := range eager {
		v, err := factory(ctx)
		if err != nil {
			for j := range i {
				if cerr := closer(p.cleanCtx, p.slots[j].val); cerr != nil {
					log.WarnContext(ctx, "pool: closing instance after failed New", slog.Int("instance", j), slog.Any("err", cerr))
				}
			}
			p.bgCancel()
			return nil, fmt.Errorf("pool: creating instance %d of %d: %w", i+1, size, err)
		}
		p.created.Add(1)
		p.slots[i].val = v
		p.slots[i].state.Store(stateIdle)
		p.tokens.put()
	}
	if eager < size {
		go func() {
			for i := eager; i < size; i++ {
				p.fill(&p.slots[i])
			}
		}()
	}
	return p, nil
}

// Size returns the number of instances the pool keeps.
func (p *Pool[T]) Size() int { return len(p.slots) }

// Do runs fn with a free instance, waiting (bounded by ctx) for one if
// necessary. It returns fn's error. If that error wraps ErrDiscard, or fn
// panics, the instance is closed and replaced in the background.
//
// Errors of its own: ErrClosed once Close has begun; an error wrapping
// ErrPoolExhausted and the context's error if ctx ends before an instance is
// free (or had already ended).
func (p *Pool[T]) Do(ctx context.Context, fn func(context.Context, T) error) (err error) {
	if p.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrPoolExhausted, err)
	}
	if !p.tokens.tryTake() {
		if err := p.wait(ctx); err != nil {
			return err
		}
	}
	if p.closed.Load() {
		p.tokens.put() // Close is counting tokens: hand it back
		return ErrClosed
	}
	s := p.acquire()
	p.calls.Add(1)
	returned := false
	defer func() {
		if !returned { // fn panicked
			p.discard(s, errPanicked)
		}
	}()
	err = fn(ctx, s.val)
	returned = true
	if err != nil && errors.Is(err, ErrDiscard) {
		p.discard(s, err)
	} else {
		p.release(s)
	}
	return err
}

// wait blocks until a token is available, ctx ends, or the pool closes.
func (p *Pool[T]) wait(ctx context.Context) error {
	p.waits.Add(1)
	switch err := p.tokens.take(ctx, p.done); err {
	case nil, ErrClosed:
		return err
	default:
		return fmt.Errorf("%w: %w", ErrPoolExhausted, err)
	}
}

// acquire claims an idle slot. The caller holds a token, and every token
// stands for an idle slot not yet claimed by another token holder, so the
// scan succeeds; it may need another round when claims race. Each call
// takes its start with one atomic add, so concurrent callers start their
// scans at different slots instead of racing for the same one; a call
// that had to skip busy slots moves the next start after the slot it took.
func (p *Pool[T]) acquire() *slot[T] {
	n := uint32(len(p.slots))
	start := (p.next.Add(1) - 1) % n
	i := start
	for {
		for range n {
			s := &p.slots[i]
			if s.state.Load() == stateIdle && s.state.CompareAndSwap(stateIdle, stateBusy) {
				if i != start {
					p.next.Store(i + 1) // skipped busy slots: the next call starts after this one
				}
				return s
			}
			if i++; i == n {
				i = 0
			}
		}
		runtime.Gosched()
	}
}

func (p *Pool[T]) release(s *slot[T]) {
	s.state.Store(stateIdle)
	p.tokens.put()
	if p.gaveUp.Load() {
		p.closeIdle(p.cleanCtx, s) // Close stopped waiting for us: close it ourselves
	}
}

func (p *Pool[T]) discard(s *slot[T], cause error) {
	p.discards.Add(1)
	old := s.val
	var zero T
	s.val = zero
	s.state.Store(stateEmpty)
	p.warns.warn("pool: discarding instance", cause, slog.Int("instance", s.idx))
	go func() {
		if err := p.closer(p.cleanCtx, old); err != nil {
			p.log.Warn("pool: closing discarded instance", slog.Int("instance", s.idx), slog.Any("err", err))
		}
		p.fill(s)
	}()
}

// fill creates an instance for the empty slot s, retrying with backoff, and
// makes it available. If the pool closes first it leaves s empty. Either way
// it ends by adding s's token, which Close counts.
func (p *Pool[T]) fill(s *slot[T]) {
	delay := p.backoffMin
	failed := false
	defer func() {
		if failed {
			p.failing.Add(-1)
		}
	}()
	for !p.closed.Load() {
		v, err := p.factory(p.bgCtx)
		if err == nil {
			p.created.Add(1)
			s.val = v
			s.state.Store(stateIdle)
			p.tokens.put()
			if p.gaveUp.Load() {
				p.closeIdle(p.cleanCtx, s)
			}
			return
		}
		p.failures.Add(1)
		if !failed {
			failed = true
			p.failing.Add(1)
		}
		p.mu.Lock()
		p.lastErr, p.lastErrAt = err, time.Now()
		p.mu.Unlock()
		if p.closed.Load() {
			break
		}
		p.warns.warn("pool: creating instance failed; retrying", err, slog.Int("instance", s.idx),
			slog.Duration("retry_in", delay))
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-p.done:
			t.Stop()
		}
		delay = min(delay*2, p.backoffMax)
	}
	p.tokens.put()
}

// closeIdle closes s's instance if s is idle. The compare-and-swap makes
// exactly one of Close and a late releaser do it.
func (p *Pool[T]) closeIdle(ctx context.Context, s *slot[T]) error {
	if !s.state.CompareAndSwap(stateIdle, stateClosed) {
		return nil
	}
	v := s.val
	var zero T
	s.val = zero
	if err := p.closer(ctx, v); err != nil {
		p.log.Warn("pool: closing instance", slog.Int("instance", s.idx), slog.Any("err", err))
		return fmt.Errorf("pool: closing instance %d: %w", s.idx, err)
	}
	return nil
}

// Close stops the pool: later and waiting Do calls fail with ErrClosed,
// background creations are cancelled, and once every call in flight has
// returned (bounded by ctx) every instance is closed. If ctx ends first,
// Close closes the idle instances, returns an error wrapping ctx's error, and
// the remaining instances are closed as their calls return. Calling Close
// again waits for the first call (bounded by its own ctx) and returns its
// result.
func (p *Pool[T]) Close(ctx context.Context) error {
	first := false
	p.closeOnce.Do(func() {
		first = true
		p.closed.Store(true)
		close(p.done)
		p.bgCancel()
		p.closeResult = p.drain(ctx)
		p.warns.flush()
		close(p.closeDone)
	})
	if first {
		return p.closeResult
	}
	select {
	case <-p.closeDone:
		return p.closeResult
	case <-ctx.Done():
		return fmt.Errorf("pool: close: %w", ctx.Err())
	}
}

func (p *Pool[T]) drain(ctx context.Context) error {
	var errs []error
	n := len(p.slots)
	for got := 0; got < n; got++ {
		if p.tokens.take(ctx, nil) == nil {
			continue
		}
		p.gaveUp.Store(true)
		errs = append(errs, fmt.Errorf("pool: close: %d of %d instances still busy or being created: %w", n-got, n, ctx.Err()))
		break
	}
	// Closing must happen even if ctx has ended: closers get its values only.
	cctx := context.WithoutCancel(ctx)
	for i := range p.slots {
		if err := p.closeIdle(cctx, &p.slots[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Stats is a snapshot of a pool's state and counters.
type Stats struct {
	Size     int // instances the pool keeps
	Ready    int // instances that exist (idle or busy)
	Busy     int // instances lent to calls right now
	Creating int // slots without an instance: being created, replaced, or retried after a factory error

	Calls    uint64 // calls that got an instance
	Waits    uint64 // calls that found no free instance and had to wait
	Discards uint64 // instances discarded as broken
	Created  uint64 // instances created, including the initial ones
	Failures uint64 // factory errors

	// Failing is how many slots are retrying after a factory error; the pool
	// is degraded while it is non-zero. LastError is the most recent factory
	// error (kept after recovery, with its time, for diagnosis).
	Failing     int
	LastError   error
	LastErrorAt time.Time
	Closed      bool
}

// Stats returns a snapshot of the pool's state. It reads each slot once and
// may be slightly inconsistent under concurrent calls.
func (p *Pool[T]) Stats() Stats {
	st := Stats{
		Size:     len(p.slots),
		Calls:    p.calls.Load(),
		Waits:    p.waits.Load(),
		Discards: p.discards.Load(),
		Created:  p.created.Load(),
		Failures: p.failures.Load(),
		Failing:  int(p.failing.Load()),
		Closed:   p.closed.Load(),
	}
	for i := range p.slots {
		switch p.slots[i].state.Load() {
		case stateIdle:
			st.Ready++
		case stateBusy:
			st.Ready++
			st.Busy++
		case stateEmpty:
			st.Creating++
		}
	}
	p.mu.Lock()
	st.LastError, st.LastErrorAt = p.lastErr, p.lastErrAt
	p.mu.Unlock()
	return st
}

// Health returns nil while every slot has an instance or is getting one
// without errors; an error wrapping ErrUnhealthy and the last factory error
// while some slot's creation keeps failing; and ErrClosed once closed.
func (p *Pool[T]) Health() error {
	if p.closed.Load() {
		return ErrClosed
	}
	f := p.failing.Load()
	if f == 0 {
		return nil
	}
	p.mu.Lock()
	last := p.lastErr
	p.mu.Unlock()
	return fmt.Errorf("%w: %d of %d instances cannot be created: %w", ErrUnhealthy, f, len(p.slots), last)
}
