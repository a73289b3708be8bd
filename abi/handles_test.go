package abi

import (
	"errors"
	"testing"
)

// newH is New for tests: a full table is a test failure.
func newH(t *testing.T, h *Handles, typ, rep uint32, val any) uint32 {
	t.Helper()
	k, err := h.New(typ, rep, val)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestHandlesFull(t *testing.T) {
	var h Handles
	for i := 0; i < MaxHandles; i++ {
		if _, err := h.New(1, 0, nil); err != nil {
			t.Fatalf("handle %d: %v", i, err)
		}
	}
	_, err := h.New(1, 0, nil)
	wantBad(t, "past MaxHandles", err, "table is full")
	_, err = h.Lend(1, 0, nil)
	wantBad(t, "lend past MaxHandles", err, "table is full")
	if _, err := h.Drop(1, 1); err != nil {
		t.Fatal(err)
	}
	if k := newH(t, &h, 1, 0, nil); k != 1 {
		t.Fatalf("after a drop the freed index is reused: got %d", k)
	}
}

func wantBad(t *testing.T, what string, err error, why string) {
	t.Helper()
	var he *HandleError
	if !errors.As(err, &he) || !errors.Is(err, ErrBadHandle) {
		t.Fatalf("%s: got %v, want a *HandleError", what, err)
	}
	if why != "" && !contains(he.Why, why) {
		t.Fatalf("%s: reason %q, want it to mention %q", what, he.Why, why)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestHandlesLiveIndexesNeverReused(t *testing.T) {
	var h Handles
	seen := map[uint32]bool{}
	var live []uint32
	for i := range 100 {
		k := newH(t, &h, 1, uint32(i), nil)
		if k == 0 || seen[k] {
			t.Fatalf("handle %d reused or zero while live", k)
		}
		seen[k] = true
		live = append(live, k)
	}
	// free every other one; new handles take only freed indexes
	for i := 0; i < len(live); i += 2 {
		if _, err := h.Drop(1, live[i]); err != nil {
			t.Fatal(err)
		}
		delete(seen, live[i])
	}
	for range 50 {
		k := newH(t, &h, 1, 0, nil)
		if seen[k] {
			t.Fatalf("live handle %d reused", k)
		}
		seen[k] = true
	}
	if h.Len() != 100 {
		t.Fatalf("Len %d, want 100", h.Len())
	}
}

func TestHandlesErrors(t *testing.T) {
	h := Handles{Names: []string{"", "blob", "counter"}}
	own := newH(t, &h, 1, 7, "v")
	_, err := h.Get("lift borrow", 2, own)
	wantBad(t, "wrong type", err, "it is a blob")
	_, err = h.Get("lift borrow", 1, 99)
	wantBad(t, "unknown", err, "unknown handle")
	_, err = h.Get("lift borrow", 1, 0)
	wantBad(t, "handle 0", err, "unknown handle")
	got, err := h.Take(1, own)
	if err != nil || got.Rep != 7 || got.Val != "v" || !got.Own {
		t.Fatalf("take: %+v %v", got, err)
	}
	_, err = h.Take(1, own)
	wantBad(t, "take twice", err, "unknown handle")
	_, err = h.Drop(1, own)
	wantBad(t, "drop a moved handle", err, "unknown handle")

	b, err := h.Lend(2, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Take(2, b)
	wantBad(t, "take a borrow", err, "borrow")
	if _, err := h.Get("lift borrow", 2, b); err != nil {
		t.Fatal(err)
	}
	h.EndCall()
	_, err = h.Get("lift borrow", 2, b)
	wantBad(t, "borrow past its call", err, "unknown handle")
	if h.Len() != 0 {
		t.Fatalf("Len %d after EndCall", h.Len())
	}
}

func TestHandlesDropAndClear(t *testing.T) {
	var h Handles
	a := newH(t, &h, 1, 1, nil)
	if _, err := h.Lend(1, 2, nil); err != nil {
		t.Fatal(err)
	}
	c := newH(t, &h, 2, 3, nil)
	d, err := h.Drop(1, a)
	if err != nil || !d.Own || d.Rep != 1 {
		t.Fatalf("drop: %+v %v", d, err)
	}
	newH(t, &h, 1, 4, nil) // takes a's index
	var order []uint32
	h.Clear(func(e Handle) { order = append(order, e.Rep) })
	if len(order) != 2 || order[0] != 4 || order[1] != 3 {
		t.Fatalf("Clear dropped reps %v, want owned ones in index order [4 3]", order)
	}
	if h.Len() != 0 {
		t.Fatal("Clear left handles")
	}
	_, err = h.Get("rep", 2, c)
	wantBad(t, "after Clear", err, "unknown")
}
