package witval

import (
	"errors"
	"strconv"
)

// Result is a WIT result<T, E> held in a value (a record field, a list
// element, an option payload). A function that returns a result maps it to
// Go's (T, error) instead; see the generated package's doc.
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

// ResultError is the error a function returning result<T, E> gives for the
// error case (an import's wrapper returns it; an export's implementation
// returns it to produce the error case): Value is E.
type ResultError[E any] struct{ Value E }

func (e *ResultError[E]) Error() string { return "result error: " + format(e.Value) }

// NewResultError wraps E as an error.
func NewResultError[E any](v E) error { return &ResultError[E]{Value: v} }

// AsResultError returns the E carried by err if it is (or wraps) a
// *ResultError[E].
func AsResultError[E any](err error) (E, bool) {
	var re *ResultError[E]
	if errors.As(err, &re) {
		return re.Value, true
	}
	var zero E
	return zero, false
}

// format spells common values without fmt, which would add hundreds of
// kilobytes to a guest.
func format(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case interface{ String() string }:
		return v.String()
	case error:
		return v.Error()
	case bool:
		return strconv.FormatBool(v)
	case int8:
		return strconv.FormatInt(int64(v), 10)
	case int16:
		return strconv.FormatInt(int64(v), 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint8:
		return strconv.FormatUint(uint64(v), 10)
	case uint16:
		return strconv.FormatUint(uint64(v), 10)
	case uint32:
		return strconv.FormatUint(uint64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case struct{}:
		return "()"
	}
	return "(value)"
}
