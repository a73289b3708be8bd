package pool_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/raisfast/wasmplug/pool"
)

// session stands for an instance of a compiled module: stateful and not safe
// for concurrent use.
type session struct {
	id    int
	calls int
}

func Example() {
	ctx := context.Background()
	created := 0
	newSession := func(context.Context) (*session, error) {
		created++
		return &session{id: created}, nil
	}
	closeSession := func(_ context.Context, s *session) error {
		fmt.Printf("closed session %d after %d calls\n", s.id, s.calls)
		return nil
	}
	p, err := pool.New(ctx, 2, newSession, closeSession)
	if err != nil {
		panic(err)
	}
	for range 3 {
		_ = p.Do(ctx, func(_ context.Context, s *session) error {
			s.calls++ // state stays with the instance between calls
			fmt.Printf("session %d, call %d\n", s.id, s.calls)
			return nil
		})
	}
	if err := p.Close(ctx); err != nil {
		panic(err)
	}
	// Output:
	// session 1, call 1
	// session 2, call 1
	// session 1, call 2
	// closed session 1 after 2 calls
	// closed session 2 after 1 calls
}

func ExampleDiscard() {
	ctx := context.Background()
	n := 0
	p, _ := pool.New(ctx, 1, func(context.Context) (*session, error) { n++; return &session{id: n}, nil }, nil)
	defer p.Close(ctx)

	errTrap := errors.New("wasm trap: out of bounds memory access")
	err := p.Do(ctx, func(_ context.Context, s *session) error {
		return pool.Discard(fmt.Errorf("session %d: %w", s.id, errTrap)) // broken: replace it
	})
	fmt.Println(err, errors.Is(err, errTrap), errors.Is(err, pool.ErrDiscard))

	// The next call gets the fresh instance (waiting for it if need be).
	_ = p.Do(ctx, func(_ context.Context, s *session) error {
		fmt.Println("now using session", s.id)
		return nil
	})
	// Output:
	// session 1: wasm trap: out of bounds memory access true true
	// now using session 2
}
