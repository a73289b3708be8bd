package abi

import "fmt"

// Result is a WIT result<T, E> held in a value (a record field, a list
// element, an option payload). A function that returns a result maps it to
// Go's (T, error) instead; see the generated code's package doc.
type Result[T, E any] struct {
	OK    T
	Err   E
	IsErr bool
}

// OK returns a successful result.
func OK[T, E any](v T) Result[T, E] { return Result[T, E]{OK: v} }

// Err returns a failed result.
func Err[T, E any](e E) Result[T, E] { return Result[T, E]{Err: e, IsErr: true} }

// Unit stands for the absent `_` of result<_, E> and result<T>.
type Unit = struct{}

// Bool converts a Go bool to a core value.
func Bool(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// ResultError is the error a function returning result<T, E> gives (or, on
// the host side of an import, returns) for the error case: Value is E.
type ResultError[E any] struct{ Value E }

func (e *ResultError[E]) Error() string { return fmt.Sprintf("result error: %v", e.Value) }

// NewResultError wraps E as an error.
func NewResultError[E any](v E) error { return &ResultError[E]{Value: v} }
