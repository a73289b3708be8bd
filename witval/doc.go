// Package witval holds the Go values of WIT types that have no Go
// built-in: result<T, E> (Result, and ResultError for functions returning
// one), the `_` of results (Unit) and tuples (Tuple1 … Tuple16). Host
// bindings (witgen host) and guest bindings (witgen guest) share it, so a
// value means the same on both sides. It imports neither wazero nor fmt,
// so guests stay small.
package witval
