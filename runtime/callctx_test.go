package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

type ctxKey struct{}

// after returns the deadline d from now on w's clock.
func after(w *watchdog, d time.Duration) int64 { return w.now() + int64(d) }

func TestCallCtx(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	defer cancel()
	c := newCallCtx(w)
	at := after(w, time.Hour)
	c.begin(parent, at)
	if d, ok := c.Deadline(); !ok || !d.Equal(w.at(at)) || c.Value(ctxKey{}) != "v" || c.Err() != nil {
		t.Fatalf("fresh call: deadline %v %v, value %v, err %v", d, ok, c.Value(ctxKey{}), c.Err())
	}
	if d, _ := c.Deadline(); d.Sub(time.Now().Add(time.Hour)).Abs() > time.Second {
		t.Fatalf("deadline %v is not an hour from now", d)
	}
	done := c.Done()
	select {
	case <-done:
		t.Fatal("done before the call ended")
	default:
	}
	c.expire(endedDeadline)
	<-done
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("after expire: %v", c.Err())
	}
	c.end()
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("the first reason wins: %v", c.Err())
	}

	// Reused: a new call starts clean, with a new channel; Done after the
	// end is closed.
	c.begin(parent, after(w, time.Hour))
	if c.Err() != nil {
		t.Fatalf("reused: %v", c.Err())
	}
	if d2 := c.Done(); d2 == done {
		t.Fatal("the new call got the last call's closed channel")
	}
	c.end()
	<-c.Done()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("ended call: %v", c.Err())
	}

	// The caller's cancellation and an earlier caller deadline show through.
	early, cancelEarly := context.WithTimeout(parent, time.Minute)
	defer cancelEarly()
	c.begin(early, after(w, time.Hour))
	if d, _ := c.Deadline(); d.After(time.Now().Add(2 * time.Minute)) {
		t.Errorf("deadline %v ignores the caller's earlier one", d)
	}
	cancel()
	if !errors.Is(c.Err(), context.Canceled) || !c.callerCancelled() {
		t.Errorf("cancelled caller: %v", c.Err())
	}
	c.end()
	if allocs := testing.AllocsPerRun(100, func() {
		c.begin(context.Background(), after(w, time.Second))
		_ = c.Err()
		c.end()
	}); allocs != 0 {
		t.Errorf("a call without Done allocates %.0f times", allocs)
	}
}

// TestCallCtxDeadlinePasses: the deadline on the watchdog's clock expires
// Err by itself.
func TestCallCtxDeadlinePasses(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	c := newCallCtx(w)
	c.begin(context.Background(), after(w, 50*time.Millisecond))
	if c.Err() != nil {
		t.Fatalf("err before the deadline: %v", c.Err())
	}
	time.Sleep(60 * time.Millisecond)
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("err after the deadline: %v", c.Err())
	}
	c.end()
}

// TestCallCtxDoneRacesExpire: a done channel asked for while the call
// expires is always closed (run with -race).
func TestCallCtxDoneRacesExpire(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	c := newCallCtx(w)
	for i := range 2000 {
		c.begin(context.Background(), after(w, time.Hour))
		var wg sync.WaitGroup
		var ch <-chan struct{}
		wg.Add(2)
		go func() { defer wg.Done(); ch = c.Done() }()
		go func() { defer wg.Done(); c.expire(endedDeadline) }()
		wg.Wait()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the done channel was never closed", i)
		}
		c.end()
	}
}

// TestCallCtxValueWhileSwapped: goroutines reading the caller's values
// while calls begin and end see a whole context each time (the seqlock;
// run with -race).
func TestCallCtxValueWhileSwapped(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	c := newCallCtx(w)
	a := context.WithValue(context.Background(), ctxKey{}, "a")
	b := context.WithValue(context.Background(), ctxKey{}, "b")
	stop := make(chan struct{})
	done := make(chan error, 2)
	for range 2 {
		go func() {
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				switch v := c.Value(ctxKey{}); v {
				case nil, "a", "b":
				default:
					done <- fmt.Errorf("value %v", v)
					return
				}
			}
		}()
	}
	for i := range 20000 {
		if i%2 == 0 {
			c.begin(a, after(w, time.Second))
		} else {
			c.begin(b, after(w, time.Second))
		}
		c.end()
	}
	close(stop)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = c.Value(ctxKey{}) }); allocs != 0 {
		t.Errorf("Value allocates %.0f times", allocs)
	}
}
