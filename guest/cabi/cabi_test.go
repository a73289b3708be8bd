package cabi

import (
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

// TestEarlyRealloc checks the pre-init arena's bookkeeping (addresses
// relative to the arena: natively they are truncated to 32 bits, so nothing
// is read or written through them here; interop's TestJCO runs the real
// thing under the component adapter).
func TestEarlyRealloc(t *testing.T) {
	defer func(used uint32) { earlyUsed = used }(earlyUsed)
	earlyUsed = 0
	base := Addr(unsafe.Pointer(&earlyArena))
	if base%8 != 0 {
		t.Fatalf("arena at %#x, not 8-aligned", base)
	}
	if got := earlyRealloc(0, 0, 8, 0); got != Addr(unsafe.Pointer(&zeroArea)) {
		t.Errorf("zero-size request: %#x", got)
	}
	if got := earlyRealloc(0, 0, 1, 3); got != base {
		t.Errorf("first request at %#x, want the arena's start %#x", got, base)
	}
	if got := earlyRealloc(0, 0, 8, 64<<10); got != base+8 {
		t.Errorf("aligned request at %#x, want %#x", got, base+8)
	}
	if got := earlyRealloc(0, 0, 64, 1); got%64 != 0 || got-base < 8+64<<10 {
		t.Errorf("64-aligned request at %#x", got)
	}
	rest := earlyArenaSize - earlyUsed
	if got := earlyRealloc(0, 0, 1, rest); got != base+earlyArenaSize-rest || earlyUsed != earlyArenaSize {
		t.Errorf("request filling the arena at %#x (used %d)", got, earlyUsed)
	}
	for _, c := range []struct{ align, size uint32 }{{1, 1}, {8, 1 << 31}, {3, 1}, {0, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("align %d size %d: no trap", c.align, c.size)
				}
			}()
			earlyRealloc(0, 0, c.align, c.size)
		}()
	}
}

// TestAllocChunks checks Alloc's bookkeeping: small requests are carved
// from one chunk (8-aligned, never handed out twice) without a pin, a
// replaced chunk is pinned once, large requests get their own pinned block,
// and allocNeedsHeap tells which requests allocate.
func TestAllocChunks(t *testing.T) {
	defer Release(0)
	Release(0)
	chunk, chunkUsed = nil, 0
	if !allocNeedsHeap(1) || allocNeedsHeap(0) {
		t.Fatal("allocNeedsHeap without a chunk")
	}
	if got := Alloc(0); got != Addr(unsafe.Pointer(&zeroArea)) || Pinned() != 0 {
		t.Errorf("zero-size request: %#x, %d pins", got, Pinned())
	}
	a := Alloc(3)
	c := chunk
	if a != Addr(unsafe.Pointer(c)) || chunkUsed != 8 {
		t.Fatalf("first request at %#x (chunk %#x), used %d", a, Addr(unsafe.Pointer(c)), chunkUsed)
	}
	if b := Alloc(16); b != a+8 || chunkUsed != 24 {
		t.Errorf("second request at %#x, want %#x", b, a+8)
	}
	if Pinned() != 0 {
		t.Errorf("requests from the current chunk pinned %d", Pinned())
	}
	for range 64 { // give the pin list spare capacity, so only the chunk matters
		Pin(nil)
	}
	Release(0)
	if allocNeedsHeap(chunkMax) {
		t.Error("a request that fits needs the heap")
	}
	if big := Alloc(chunkMax + 1); chunk != c || chunkUsed != 24 || big >= a && big < a+chunkSize || Pinned() != 1 {
		t.Errorf("large request at %#x came from the chunk, or is not pinned (%d pins)", big, Pinned())
	}
	Release(0)
	for chunkUsed+chunkMax <= chunkSize {
		Alloc(chunkMax)
	}
	if !allocNeedsHeap(chunkMax) || allocNeedsHeap(chunkSize-chunkUsed) {
		t.Errorf("allocNeedsHeap at %d used", chunkUsed)
	}
	if Pinned() != 0 {
		t.Errorf("filling the chunk pinned %d", Pinned())
	}
	Alloc(chunkMax)
	if chunk == c || chunkUsed != chunkMax {
		t.Errorf("full chunk not replaced (used %d)", chunkUsed)
	}
	if Pinned() != 1 || pins[0] != unsafe.Pointer(c) {
		t.Errorf("the replaced chunk is not pinned (%d pins)", Pinned())
	}
}

func TestReps(t *testing.T) {
	var r Reps[string]
	a, b := r.Add("a"), r.Add("b")
	if a == 0 || b == 0 || a == b {
		t.Fatalf("reps %d %d", a, b)
	}
	if r.Get(a) != "a" || r.Get(b) != "b" {
		t.Fatal("Get")
	}
	if r.Remove(a) != "a" || r.Len() != 1 {
		t.Fatal("Remove")
	}
	if c := r.Add("c"); c != a || r.Get(c) != "c" {
		t.Fatalf("freed rep not reused: %d", c)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Get of a removed rep did not trap")
		}
	}()
	r.Remove(b)
	r.Get(b)
}
