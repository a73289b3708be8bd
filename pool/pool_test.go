package pool_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/pool"
)

// inst is a stateful, non-goroutine-safe instance.
type inst struct {
	id     int
	calls  int         // plain int: the race detector flags concurrent use
	inUse  atomic.Bool // and this catches it without -race
	closed atomic.Int32
}

// fixture builds instances with ids 0, 1, 2, … and records closes.
type fixture struct {
	mu      sync.Mutex
	made    []*inst
	closed  chan *inst
	factory func(ctx context.Context) (*inst, error)
}

func newFixture() *fixture {
	f := &fixture{closed: make(chan *inst, 100)}
	f.factory = func(context.Context) (*inst, error) { return f.make(), nil }
	return f
}

func (f *fixture) make() *inst {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := &inst{id: len(f.made)}
	f.made = append(f.made, in)
	return in
}

func (f *fixture) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.made)
}

func (f *fixture) close(_ context.Context, in *inst) error {
	if in.inUse.Load() {
		panic(fmt.Sprintf("instance %d closed while in use", in.id))
	}
	in.closed.Add(1)
	f.closed <- in
	return nil
}

var quiet = pool.WithLogger(slog.New(slog.DiscardHandler))

func newPool(t testing.TB, f *fixture, size int, opts ...pool.Option) *pool.Pool[*inst] {
	t.Helper()
	opts = append([]pool.Option{quiet}, opts...)
	p, err := pool.New(context.Background(), size, func(ctx context.Context) (*inst, error) { return f.factory(ctx) }, f.close, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Bounded, so a test that failed while holding an instance still ends.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

// use is a callback that checks exclusive use and records the instance id.
func use(got *int) func(context.Context, *inst) error {
	return func(_ context.Context, in *inst) error {
		if !in.inUse.CompareAndSwap(false, true) {
			return fmt.Errorf("instance %d used concurrently", in.id)
		}
		in.calls++
		*got = in.id
		in.inUse.Store(false)
		return nil
	}
}

// hold lends an instance to a goroutine until release is closed. It returns
// the instance's id once the call has it.
func hold(t *testing.T, p *pool.Pool[*inst], release <-chan struct{}) (id int, done <-chan error) {
	t.Helper()
	got := make(chan int, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- p.Do(context.Background(), func(_ context.Context, in *inst) error {
			in.inUse.Store(true)
			got <- in.id
			<-release
			in.inUse.Store(false)
			return nil
		})
	}()
	select {
	case id = <-got:
	case err := <-errc:
		t.Fatalf("hold: %v", err)
	}
	return id, errc
}

// eventually polls a condition another goroutine will make true; it asserts
// nothing about how long that takes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for a value")
		panic("unreachable")
	}
}

func TestNewValidates(t *testing.T) {
	f := newFixture()
	if _, err := pool.New(context.Background(), 0, f.factory, f.close); err == nil {
		t.Error("size 0 accepted")
	}
	if _, err := pool.New[*inst](context.Background(), 1, nil, f.close); err == nil {
		t.Error("nil factory accepted")
	}
}

func TestNewFailsAndCleansUp(t *testing.T) {
	f := newFixture()
	boom := errors.New("boom")
	factory := func(ctx context.Context) (*inst, error) {
		if f.count() == 2 {
			return nil, boom
		}
		return f.make(), nil
	}
	_, err := pool.New(context.Background(), 4, factory, f.close, quiet)
	if !errors.Is(err, boom) {
		t.Fatalf("New error = %v, want boom", err)
	}
	for range 2 {
		recv(t, f.closed)
	}
	if f.made[0].closed.Load() != 1 || f.made[1].closed.Load() != 1 {
		t.Fatal("instances created before the failure were not closed")
	}
}

func TestRoundRobinOrderAndPerInstanceState(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 4)
	var order []int
	for range 12 {
		var id int
		if err := p.Do(context.Background(), use(&id)); err != nil {
			t.Fatal(err)
		}
		order = append(order, id)
	}
	if got, want := fmt.Sprint(order), "[0 1 2 3 0 1 2 3 0 1 2 3]"; got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
	for _, in := range f.made {
		if in.calls != 3 {
			t.Errorf("instance %d kept %d calls, want 3", in.id, in.calls)
		}
	}
	if st := p.Stats(); st.Calls != 12 || st.Waits != 0 || st.Size != 4 || st.Ready != 4 || st.Busy != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestRoundRobinSkipsBusyInstance(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 4)
	release := make(chan struct{})
	held, done := hold(t, p, release)
	if held != 0 {
		t.Fatalf("first call took instance %d", held)
	}
	var order []int
	for range 6 {
		var id int
		if err := p.Do(context.Background(), use(&id)); err != nil {
			t.Fatal(err)
		}
		order = append(order, id)
	}
	if got, want := fmt.Sprint(order), "[1 2 3 1 2 3]"; got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
	if st := p.Stats(); st.Busy != 1 {
		t.Fatalf("Busy = %d", st.Busy)
	}
	close(release)
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestMoreCallersThanInstances(t *testing.T) {
	f := newFixture()
	const size, callers, each = 4, 32, 200
	p := newPool(t, f, size)
	var cur, peak atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			for range each {
				err := p.Do(context.Background(), func(_ context.Context, in *inst) error {
					n := cur.Add(1)
					defer cur.Add(-1)
					for {
						m := peak.Load()
						if n <= m || peak.CompareAndSwap(m, n) {
							break
						}
					}
					if !in.inUse.CompareAndSwap(false, true) {
						return fmt.Errorf("instance %d used concurrently", in.id)
					}
					in.calls++
					in.inUse.Store(false)
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if peak.Load() > size {
		t.Fatalf("%d concurrent calls on a pool of %d", peak.Load(), size)
	}
	total := 0
	for _, in := range f.made {
		total += in.calls
	}
	if total != callers*each || f.count() != size {
		t.Fatalf("calls %d on %d instances", total, f.count())
	}
	if st := p.Stats(); st.Calls != callers*each || st.Busy != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestWaitBoundedByContext(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 1)
	release := make(chan struct{})
	_, done := hold(t, p, release)

	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	called := false
	err := p.Do(ctx, func(context.Context, *inst) error { called = true; return nil })
	if !errors.Is(err, pool.ErrPoolExhausted) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v, want ErrPoolExhausted and DeadlineExceeded", err)
	}
	if called {
		t.Fatal("callback ran")
	}

	// Cancelled (rather than timed out) while waiting.
	ctx2, cancel2 := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	waits := p.Stats().Waits // 1, or 0 if the first ctx expired before Do began
	go func() { errc <- p.Do(ctx2, func(context.Context, *inst) error { return nil }) }()
	eventually(t, "second waiter waiting", func() bool { return p.Stats().Waits == waits+1 })
	cancel2()
	if err := recv(t, errc); !errors.Is(err, pool.ErrPoolExhausted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v", err)
	}

	// A context that is already done fails at once, even with a free instance.
	close(release)
	recv(t, done)
	if err := p.Do(ctx, func(context.Context, *inst) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do with done ctx = %v", err)
	}
}

func TestWaiterGetsReleasedInstance(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 1)
	release := make(chan struct{})
	_, done := hold(t, p, release)
	got := make(chan int, 1)
	go func() {
		var id int
		if err := p.Do(context.Background(), use(&id)); err != nil {
			t.Error(err)
		}
		got <- id
	}()
	eventually(t, "waiter waiting", func() bool { return p.Stats().Waits == 1 })
	close(release)
	recv(t, done)
	if id := recv(t, got); id != 0 {
		t.Fatalf("waiter got instance %d", id)
	}
	if f.made[0].calls != 1 {
		t.Fatalf("calls = %d", f.made[0].calls)
	}
}

var errTrap = errors.New("wasm trap: unreachable")

func TestDiscardReplacesInstance(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 2)
	err := p.Do(context.Background(), func(_ context.Context, in *inst) error {
		in.calls = 42
		return pool.Discard(fmt.Errorf("instance %d: %w", in.id, errTrap))
	})
	if !errors.Is(err, pool.ErrDiscard) || !errors.Is(err, errTrap) {
		t.Fatalf("Do = %v, want ErrDiscard wrapping the trap", err)
	}
	if old := recv(t, f.closed); old.id != 0 {
		t.Fatalf("closed instance %d, want 0", old.id)
	}
	eventually(t, "replacement ready", func() bool { return p.Stats().Ready == 2 })
	seen := map[int]int{}
	for range 4 {
		var id int
		if err := p.Do(context.Background(), use(&id)); err != nil {
			t.Fatal(err)
		}
		seen[id]++
	}
	if seen[0] != 0 || seen[1] != 2 || seen[2] != 2 {
		t.Fatalf("calls per instance after replacement: %v", seen)
	}
	if f.made[2].calls != 2 {
		t.Fatal("the replacement did not start with fresh state")
	}
	if st := p.Stats(); st.Discards != 1 || st.Created != 3 || st.Creating != 0 {
		t.Fatalf("Stats = %+v", st)
	}
	// Discard(nil) and custom error types work too.
	if err := p.Do(context.Background(), func(context.Context, *inst) error { return pool.Discard(nil) }); err != pool.ErrDiscard {
		t.Fatalf("Discard(nil) = %v", err)
	}
}

func TestDiscardDoesNotBlockOtherCallers(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 2)
	gate := make(chan struct{})
	attempts := make(chan struct{}, 10)
	f.factory = func(ctx context.Context) (*inst, error) {
		attempts <- struct{}{}
		select {
		case <-gate:
			return f.make(), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := p.Do(context.Background(), func(context.Context, *inst) error { return pool.Discard(errTrap) }); !errors.Is(err, errTrap) {
		t.Fatal(err)
	}
	recv(t, attempts) // the replacement is being created, and blocked

	// Calls go on with the other instance meanwhile.
	for range 5 {
		var id int
		if err := p.Do(context.Background(), use(&id)); err != nil || id != 1 {
			t.Fatalf("Do = instance %d, %v", id, err)
		}
	}
	if st := p.Stats(); st.Ready != 1 || st.Creating != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	// With the survivor busy, a caller waits for the replacement.
	release := make(chan struct{})
	_, done := hold(t, p, release)
	got := make(chan int, 1)
	go func() {
		var id int
		if err := p.Do(context.Background(), use(&id)); err != nil {
			t.Error(err)
		}
		got <- id
	}()
	eventually(t, "caller waiting", func() bool { return p.Stats().Waits >= 1 })
	close(gate)
	if id := recv(t, got); id != 2 {
		t.Fatalf("waiter got instance %d, want the replacement 2", id)
	}
	close(release)
	recv(t, done)
}

func TestPanicDiscardsInstance(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 1)
	func() {
		defer func() {
			if r := recover(); r != "guest bug" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = p.Do(context.Background(), func(context.Context, *inst) error { panic("guest bug") })
	}()
	recv(t, f.closed)
	var id int
	if err := p.Do(context.Background(), use(&id)); err != nil || id != 1 {
		t.Fatalf("after panic: instance %d, %v", id, err)
	}
	if p.Stats().Discards != 1 {
		t.Fatal("panic not counted as a discard")
	}
}

func TestReplacementRetriesWithBackoffAndReportsHealth(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 2, pool.WithBackoff(time.Microsecond, 10*time.Microsecond))
	var fail atomic.Bool
	fail.Store(true)
	attempts := make(chan int, 100)
	var n atomic.Int32
	bad := errors.New("compile cache corrupted")
	f.factory = func(context.Context) (*inst, error) {
		attempts <- int(n.Add(1))
		if fail.Load() {
			return nil, bad
		}
		return f.make(), nil
	}
	if err := p.Health(); err != nil {
		t.Fatalf("Health before = %v", err)
	}
	_ = p.Do(context.Background(), func(context.Context, *inst) error { return pool.Discard(errTrap) })
	recv(t, attempts)
	recv(t, attempts)
	recv(t, attempts) // attempts 1 and 2 have failed and been recorded
	err := p.Health()
	if !errors.Is(err, pool.ErrUnhealthy) || !errors.Is(err, bad) {
		t.Fatalf("Health = %v, want ErrUnhealthy wrapping the factory error", err)
	}
	st := p.Stats()
	if st.Failing != 1 || st.Failures < 2 || !errors.Is(st.LastError, bad) || st.LastErrorAt.IsZero() || st.Creating != 1 || st.Ready != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	// The degraded pool still serves calls.
	var id int
	if err := p.Do(context.Background(), use(&id)); err != nil || id != 1 {
		t.Fatalf("Do = instance %d, %v", id, err)
	}
	fail.Store(false)
	eventually(t, "healthy again", func() bool { return p.Health() == nil && p.Stats().Ready == 2 })
	if st := p.Stats(); st.Failing != 0 || st.Creating != 0 {
		t.Fatalf("Stats after recovery = %+v", st)
	}
}

func TestCloseWaitsForBusyCalls(t *testing.T) {
	f := newFixture()
	p, err := pool.New(context.Background(), 3, f.factory, f.close, quiet)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	held, done := hold(t, p, release)
	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	eventually(t, "close began", func() bool { return p.Stats().Closed })

	if err := p.Do(context.Background(), func(context.Context, *inst) error { return nil }); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Do after Close = %v", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a call was in flight", err)
	default:
	}
	if f.made[held].closed.Load() != 0 {
		t.Fatal("busy instance closed")
	}
	close(release)
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, closed); err != nil {
		t.Fatalf("Close = %v", err)
	}
	for _, in := range f.made {
		if in.closed.Load() != 1 {
			t.Fatalf("instance %d closed %d times", in.id, in.closed.Load())
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := p.Health(); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Health = %v", err)
	}
}

func TestCloseWakesWaiters(t *testing.T) {
	f := newFixture()
	p := newPool(t, f, 1)
	release := make(chan struct{})
	_, done := hold(t, p, release)
	errc := make(chan error, 1)
	go func() { errc <- p.Do(context.Background(), func(context.Context, *inst) error { return nil }) }()
	eventually(t, "waiter waiting", func() bool { return p.Stats().Waits == 1 })
	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	if err := recv(t, errc); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("waiter got %v, want ErrClosed", err)
	}
	close(release)
	recv(t, done)
	if err := recv(t, closed); err != nil {
		t.Fatal(err)
	}
}

func TestCloseBoundedByContext(t *testing.T) {
	f := newFixture()
	p, err := pool.New(context.Background(), 2, f.factory, f.close, quiet)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	held, done := hold(t, p, release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	// The idle instance was closed by Close …
	if in := recv(t, f.closed); in.id == held {
		t.Fatal("Close closed the busy instance")
	}
	// … and the busy one is closed when its call returns.
	close(release)
	recv(t, done)
	if in := recv(t, f.closed); in.id != held {
		t.Fatalf("closed %d, want %d", in.id, held)
	}
}

func TestCloseCancelsFailingReplacement(t *testing.T) {
	f := newFixture()
	p, err := pool.New(context.Background(), 1, func(ctx context.Context) (*inst, error) { return f.factory(ctx) }, f.close, quiet, pool.WithBackoff(time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	attempts := make(chan struct{}, 10)
	f.factory = func(context.Context) (*inst, error) {
		attempts <- struct{}{}
		return nil, errors.New("no")
	}
	_ = p.Do(context.Background(), func(context.Context, *inst) error { return pool.Discard(errTrap) })
	recv(t, attempts)
	eventually(t, "failure recorded", func() bool { return p.Stats().Failing == 1 })
	// The replacement now sleeps for an hour before retrying; Close must not wait for it.
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

func TestBackgroundFill(t *testing.T) {
	f := newFixture()
	gate := make(chan struct{})
	factory := func(ctx context.Context) (*inst, error) {
		if f.count() > 0 {
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return f.make(), nil
	}
	p, err := pool.New(context.Background(), 4, factory, f.close, quiet, pool.WithBackgroundFill())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	// Usable at once with its first instance.
	var id int
	if err := p.Do(context.Background(), use(&id)); err != nil || id != 0 {
		t.Fatalf("Do = %d, %v", id, err)
	}
	if st := p.Stats(); st.Ready != 1 || st.Creating != 3 {
		t.Fatalf("Stats = %+v", st)
	}
	close(gate)
	eventually(t, "filled", func() bool { return p.Stats().Ready == 4 })
	seen := map[int]bool{}
	for range 4 {
		if err := p.Do(context.Background(), use(&id)); err != nil {
			t.Fatal(err)
		}
		seen[id] = true
	}
	if len(seen) != 4 {
		t.Fatalf("instances used: %v", seen)
	}

	// The first instance is still created synchronously, so a broken module fails New.
	boom := errors.New("boom")
	if _, err := pool.New(context.Background(), 4, func(context.Context) (*inst, error) { return nil, boom }, nil, quiet, pool.WithBackgroundFill()); !errors.Is(err, boom) {
		t.Fatalf("New = %v", err)
	}
}

func TestCloseDuringBackgroundFill(t *testing.T) {
	f := newFixture()
	factory := func(ctx context.Context) (*inst, error) {
		if f.count() > 0 {
			<-ctx.Done() // instances 2..N never finish until cancelled
			return nil, ctx.Err()
		}
		return f.make(), nil
	}
	p, err := pool.New(context.Background(), 3, factory, f.close, quiet, pool.WithBackgroundFill())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if f.made[0].closed.Load() != 1 {
		t.Fatal("first instance not closed")
	}
}

// counter is a minimal instance for the allocation test and benchmarks.
type counter struct{ n int }

func (c *counter) bump(context.Context) error { c.n++; return nil }

func newCounterPool(tb testing.TB, size int) *pool.Pool[*counter] {
	tb.Helper()
	p, err := pool.New(context.Background(), size, func(context.Context) (*counter, error) { return &counter{}, nil }, nil, quiet)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

func TestDoDoesNotAllocate(t *testing.T) {
	p := newCounterPool(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	total := 0
	fn := func(_ context.Context, c *counter) error { c.n++; total++; return nil } // captures a local
	if a := testing.AllocsPerRun(1000, func() { _ = p.Do(ctx, fn) }); a != 0 {
		t.Errorf("Do with a closure: %v allocs per call, want 0", a)
	}
	if a := testing.AllocsPerRun(1000, func() {
		_ = p.Do(ctx, func(_ context.Context, c *counter) error { return c.bump(ctx) })
	}); a != 0 {
		t.Errorf("Do with an inline func literal: %v allocs per call, want 0", a)
	}
	if total < 1000 {
		t.Fatalf("callback ran %d times", total)
	}
}

func BenchmarkDo(b *testing.B) {
	p := newCounterPool(b, 4)
	ctx := context.Background()
	fn := func(_ context.Context, c *counter) error { c.n++; return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Do(ctx, fn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDoParallel has GOMAXPROCS goroutines share a pool of 4.
func BenchmarkDoParallel(b *testing.B) {
	p := newCounterPool(b, 4)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		fn := func(_ context.Context, c *counter) error { c.n++; return nil }
		for pb.Next() {
			if err := p.Do(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDoContended has 16 goroutines per CPU share a pool of 2, so most
// calls wait.
func BenchmarkDoContended(b *testing.B) {
	p := newCounterPool(b, 2)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		fn := func(_ context.Context, c *counter) error { c.n++; return nil }
		for pb.Next() {
			if err := p.Do(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestTokensNotLostUnderContention: many callers on a small pool, some
// giving up while they wait, never lose an instance: afterwards every
// token is back (the pool serves size callers at once again) and no call
// got an instance another call held.
func TestTokensNotLostUnderContention(t *testing.T) {
	f := newFixture()
	const size = 3
	p := newPool(t, f, size)
	var inUse [64]atomic.Int32
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if (g+i)%7 == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i%3)*time.Microsecond)
				}
				_ = p.Do(ctx, func(_ context.Context, in *inst) error {
					if inUse[in.id].Add(1) != 1 {
						t.Errorf("instance %d lent to two calls at once", in.id)
					}
					if i%5 == 0 {
						runtime.Gosched()
					}
					inUse[in.id].Add(-1)
					return nil
				})
				cancel()
			}
		}()
	}
	wg.Wait()
	// All size instances can be held at once again, without waiting.
	release := make(chan struct{})
	var held sync.WaitGroup
	for range size {
		held.Add(1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := p.Do(ctx, func(context.Context, *inst) error { held.Done(); <-release; return nil }); err != nil {
				t.Errorf("after the storm: %v", err)
				held.Done()
			}
		}()
	}
	held.Wait()
	close(release)
}
