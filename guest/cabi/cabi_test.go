package cabi

import (
	"errors"
	"testing"
	"unsafe"
)

func TestPins(t *testing.T) {
	Release(0)
	a, b := new(int), new(int)
	Pin(unsafe.Pointer(a))
	m := Mark()
	Pin(unsafe.Pointer(b))
	Pin(unsafe.Pointer(b))
	if Pinned() != 3 {
		t.Fatalf("pinned %d, want 3", Pinned())
	}
	Release(m) // an import releases only its own pins
	if Pinned() != 1 || pins[0] != unsafe.Pointer(a) {
		t.Fatalf("after Release(mark): %d pins", Pinned())
	}
	Release(m + 5) // releasing above the top is a no-op
	Release(0)
	if Pinned() != 0 || cap(pins) == 0 {
		t.Fatalf("after Release(0): %d pins, cap %d", Pinned(), cap(pins))
	}
	for range maxKeptPins + 1 {
		Pin(unsafe.Pointer(a))
	}
	Release(0)
	if cap(pins) != 0 {
		t.Errorf("a huge pin list is kept (cap %d)", cap(pins))
	}
}

func TestResultError(t *testing.T) {
	err := error(NewResultError(uint32(7)))
	if v, ok := AsResultError[uint32](err); !ok || v != 7 {
		t.Errorf("AsResultError = %v, %v", v, ok)
	}
	if _, ok := AsResultError[string](err); ok {
		t.Error("AsResultError matched the wrong E")
	}
	if got := NewResultError("boom").Error(); got != `result error: "boom"` {
		t.Errorf("Error() = %s", got)
	}
	if _, ok := AsResultError[uint32](errors.New("plain")); ok {
		t.Error("a plain error matched")
	}
}
