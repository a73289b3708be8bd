package gengo

import (
	"reflect"
	"testing"

	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// TestHelpers checks that a helper is scheduled once, emitted by Flush
// (also when emitting one needs another), and that two types sharing a key
// get distinct names that they keep.
func TestHelpers(t *testing.T) {
	a := &m.Type{Kind: m.Record, Key: "OptionString"}
	b := &m.Type{Kind: m.Option, Key: "OptionString"}
	var emitted []string
	var h *Helpers
	h = NewHelpers(func(op string, t *m.Type, name string) {
		emitted = append(emitted, name)
		if op == "store" {
			h.Need("load", t) // a helper needing another
		}
	})
	first := h.Need("store", a)
	second := h.Need("store", b)
	if first == second {
		t.Fatalf("two types share the helper name %q", first)
	}
	if again := h.Need("store", a); again != first {
		t.Errorf("Need named a's helper %q, then %q", first, again)
	}
	if len(emitted) != 0 {
		t.Fatalf("emitted %v before Flush", emitted)
	}
	h.Flush()
	want := []string{first, second, h.Need("load", a), h.Need("load", b)}
	if !reflect.DeepEqual(emitted, want) {
		t.Errorf("emitted %v, want %v", emitted, want)
	}
	h.Flush()
	if len(emitted) != 4 {
		t.Errorf("a second Flush emitted again: %v", emitted)
	}
}

func TestFlagsMask(t *testing.T) {
	for n, want := range map[int]uint64{1: 1, 3: 7, 32: 0xffffffff, 40: 1<<40 - 1, 64: ^uint64(0)} {
		ft := &m.Type{Kind: m.Flags, Flags: make([]*m.Flag, n)}
		if got := FlagsMask(ft); got != want {
			t.Errorf("FlagsMask(%d flags) = %#x, want %#x", n, got, want)
		}
	}
}
