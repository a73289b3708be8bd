package runtime

import (
	"context"
	"errors"
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
