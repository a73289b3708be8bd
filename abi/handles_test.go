package abi

import (
	"errors"
	"testing"
)

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
		k := h.New(1, uint32(i), nil)
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
		k := h.New(1, 0, nil)
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
	own := h.New(1, 7, "v")
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

	b := h.Lend(2, 3, nil)
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
	a := h.New(1, 1, nil)
	h.Lend(1, 2, nil)
	c := h.New(2, 3, nil)
	d, err := h.Drop(1, a)
	if err != nil || !d.Own || d.Rep != 1 {
		t.Fatalf("drop: %+v %v", d, err)
	}
	h.New(1, 4, nil) // takes a's index
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
