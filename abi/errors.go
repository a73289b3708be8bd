package abi

import (
	"errors"
	"fmt"
)

// Sentinel kinds: every error of this package matches exactly one of them
// with errors.Is, so callers can branch on the kind of failure.
var (
	ErrOutOfBounds      = errors.New("out of bounds")
	ErrMisaligned       = errors.New("misaligned pointer")
	ErrInvalidUTF8      = errors.New("invalid UTF-8")
	ErrInvalidChar      = errors.New("invalid char")
	ErrBadDiscriminant  = errors.New("bad discriminant")
	ErrRealloc          = errors.New("cabi_realloc failed")
	ErrTooLarge         = errors.New("value too large")
	ErrNilVariant       = errors.New("nil variant")
	ErrNoInstance       = errors.New("host function called outside a guest call")
	ErrMissingFunctions = errors.New("guest lacks a function the call needs")
)

// BoundsError reports an access outside guest memory.
type BoundsError struct {
	Ptr, Len uint64 // the region asked for
	MemSize  uint64 // memory size at the time
}

func (e *BoundsError) Error() string {
	return fmt.Sprintf("abi: %v: [%#x, %#x+%d) exceeds memory of %d bytes", ErrOutOfBounds, e.Ptr, e.Ptr, e.Len, e.MemSize)
}
func (e *BoundsError) Unwrap() error { return ErrOutOfBounds }

// AlignmentError reports a pointer not aligned to its value's alignment.
type AlignmentError struct{ Ptr, Align uint32 }

func (e *AlignmentError) Error() string {
	return fmt.Sprintf("abi: %v: %#x is not %d-aligned", ErrMisaligned, e.Ptr, e.Align)
}
func (e *AlignmentError) Unwrap() error { return ErrMisaligned }

// UTF8Error reports a string that is not valid UTF-8.
type UTF8Error struct{ Ptr, Len uint32 }

func (e *UTF8Error) Error() string {
	return fmt.Sprintf("abi: %v in string at %#x (%d bytes)", ErrInvalidUTF8, e.Ptr, e.Len)
}
func (e *UTF8Error) Unwrap() error { return ErrInvalidUTF8 }

// CharError reports a char that is not a Unicode scalar value.
type CharError struct{ Value uint32 }

func (e *CharError) Error() string {
	return fmt.Sprintf("abi: %v %#x (not a Unicode scalar value)", ErrInvalidChar, e.Value)
}
func (e *CharError) Unwrap() error { return ErrInvalidChar }

// DiscriminantError reports a variant, option, result or enum tag out of range.
type DiscriminantError struct {
	Type  string // WIT type, such as "option<string>" or "color"
	Value uint32
	Cases int
}

func (e *DiscriminantError) Error() string {
	return fmt.Sprintf("abi: %v %d for %s (%d cases)", ErrBadDiscriminant, e.Value, e.Type, e.Cases)
}
func (e *DiscriminantError) Unwrap() error { return ErrBadDiscriminant }

// ReallocError reports a failed or invalid cabi_realloc call.
type ReallocError struct {
	Align, Size uint32
	Ptr         uint32 // the returned pointer, if the call returned
	Err         error  // the trap, if the call trapped
}

func (e *ReallocError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("abi: %v: cabi_realloc(0, 0, %d, %d): %v", ErrRealloc, e.Align, e.Size, e.Err)
	}
	return fmt.Sprintf("abi: %v: cabi_realloc(0, 0, %d, %d) returned %#x", ErrRealloc, e.Align, e.Size, e.Ptr)
}
func (e *ReallocError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrRealloc, e.Err}
	}
	return []error{ErrRealloc}
}

// SizeError reports a list or string whose byte size overflows 32 bits.
type SizeError struct {
	Count    uint64
	ElemSize uint32
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("abi: %v: %d elements of %d bytes", ErrTooLarge, e.Count, e.ElemSize)
}
func (e *SizeError) Unwrap() error { return ErrTooLarge }

// TrapError is what a host function raises (by panicking, which wazero turns
// into a trap of the guest call) when it cannot lift its arguments or lower
// its results. Func names the WIT function.
type TrapError struct {
	Func string
	Err  error
}

func (e *TrapError) Error() string { return fmt.Sprintf("abi: host function %s: %v", e.Func, e.Err) }
func (e *TrapError) Unwrap() error { return e.Err }
