package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

type ctxKey struct{}

func TestCallCtx(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	defer cancel()
	var c callCtx
	deadline := time.Now().Add(time.Hour)
	c.begin(parent, deadline)
	if d, ok := c.Deadline(); !ok || !d.Equal(deadline) || c.Value(ctxKey{}) != "v" || c.Err() != nil {
		t.Fatalf("fresh call: deadline %v %v, value %v, err %v", d, ok, c.Value(ctxKey{}), c.Err())
	}
	done := c.Done()
	select {
	case <-done:
		t.Fatal("done before the call ended")
	default:
	}
	c.expire(context.DeadlineExceeded)
	<-done
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("after expire: %v", c.Err())
	}
	c.end()
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("the first reason wins: %v", c.Err())
	}

	// Reused: a new call starts clean; Done after the end is closed.
	c.begin(parent, time.Now().Add(time.Hour))
	if c.Err() != nil {
		t.Fatalf("reused: %v", c.Err())
	}
	c.end()
	<-c.Done()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("ended call: %v", c.Err())
	}

	// The caller's cancellation and an earlier caller deadline show through.
	early, cancelEarly := context.WithTimeout(parent, time.Minute)
	defer cancelEarly()
	c.begin(early, time.Now().Add(time.Hour))
	if d, _ := c.Deadline(); d.After(time.Now().Add(2 * time.Minute)) {
		t.Errorf("deadline %v ignores the caller's earlier one", d)
	}
	cancel()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("cancelled caller: %v", c.Err())
	}
	c.end()
	if allocs := testing.AllocsPerRun(100, func() {
		c.begin(context.Background(), time.Now().Add(time.Second))
		_ = c.Err()
		c.end()
	}); allocs != 0 {
		t.Errorf("a call without Done allocates %.0f times", allocs)
	}
}

// TestCallCtxOnWatchdogClock: a deadline on the watchdog's clock reads
// back as wall-clock time and expires Err.
func TestCallCtxOnWatchdogClock(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	var c callCtx
	at := w.now() + int64(50*time.Millisecond)
	c.beginAt(context.Background(), w, at)
	d, ok := c.Deadline()
	if want := time.Now().Add(50 * time.Millisecond); !ok || d.Sub(want).Abs() > 20*time.Millisecond {
		t.Fatalf("deadline %v, want about %v", d, want)
	}
	if c.Err() != nil {
		t.Fatalf("err before the deadline: %v", c.Err())
	}
	time.Sleep(60 * time.Millisecond)
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("err after the deadline: %v", c.Err())
	}
	c.end()
}

// TestCallCtxValueWhileSwapped: goroutines reading the caller's values
// while calls begin and end see a whole context each time (the seqlock;
// run with -race).
func TestCallCtxValueWhileSwapped(t *testing.T) {
	var c callCtx
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
			c.begin(a, time.Now().Add(time.Second))
		} else {
			c.begin(b, time.Now().Add(time.Second))
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
