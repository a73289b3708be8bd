package abi

import (
	"errors"
	"fmt"
)

// ErrBadHandle is matched by every *HandleError: a guest (or the host)
// used a resource handle the instance's table does not hold as asked.
var ErrBadHandle = errors.New("bad resource handle")

// HandleError says why a handle was refused; the canonical ABI traps the
// guest in each case.
type HandleError struct {
	Op     string // "lift own", "lift borrow", "drop", "rep", ...
	Handle uint32
	Want   string // the resource type asked for
	Why    string // "unknown handle", "wrong resource type (a blob)", "is a borrow", "lent out"
}

func (e *HandleError) Error() string {
	return fmt.Sprintf("abi: %v: %s of %s handle %d: %s", ErrBadHandle, e.Op, e.Want, e.Handle, e.Why)
}
func (e *HandleError) Unwrap() error { return ErrBadHandle }

// Handle is one entry of a handle table.
type Handle struct {
	Type uint32 // the resource's type tag (1-based; 0 marks a free slot)
	Own  bool   // an owning handle; false for a borrow
	Rep  uint32 // the representation of a guest-defined resource
	Val  any    // the host value of a host-defined resource
}

// Handles is the handle table of one guest instance (the canonical ABI's
// per-instance table): index 0 is never used, indexes of live handles are
// never reused, freed ones are (most recent first, as the spec's free list).
// Borrows lent to the guest for one export call are removed when that call
// ends (EndCall), so a borrow kept past its call is an unknown handle.
// Names maps type tags to resource names for messages. Owner is the
// generated Instance the table belongs to. A Handles is used by one
// goroutine at a time, like its instance.
type Handles struct {
	Owner   any
	Names   []string // Names[tag] names the resource with that tag
	ents    []Handle
	free    []uint32
	live    int
	borrows int // live borrow handles
}

func (t *Handles) name(typ uint32) string {
	if int(typ) < len(t.Names) && t.Names[typ] != "" {
		return t.Names[typ]
	}
	return fmt.Sprintf("resource#%d", typ)
}

// MaxHandles is the most live handles one instance's table holds; a guest
// that asks for more traps (the canonical ABI's limit is 2^28; this host's
// is lower so a guest cannot make it allocate gigabytes).
const MaxHandles = 1 << 20

func (t *Handles) insert(h Handle) (uint32, error) {
	if h.Type == 0 {
		panic("abi: Handles.insert: type tag 0") // generated code never passes 0
	}
	if t.live >= MaxHandles {
		return 0, &HandleError{Op: "new", Want: t.name(h.Type), Why: fmt.Sprintf("the table is full (%d live handles)", t.live)}
	}
	t.live++
	if !h.Own {
		t.borrows++
	}
	if n := len(t.free); n > 0 {
		i := t.free[n-1]
		t.free = t.free[:n-1]
		t.ents[i] = h
		return i, nil
	}
	if len(t.ents) == 0 {
		t.ents = append(t.ents, Handle{}) // index 0 is never a handle
	}
	t.ents = append(t.ents, h)
	return uint32(len(t.ents) - 1), nil
}

// New inserts an owning handle (resource.new, lower own) and returns its
// index; it fails when the table holds MaxHandles.
func (t *Handles) New(typ, rep uint32, val any) (uint32, error) {
	return t.insert(Handle{Type: typ, Own: true, Rep: rep, Val: val})
}

// Lend inserts a borrow handle that lives until EndCall (lowering a borrow
// of a host-defined resource into an export call).
func (t *Handles) Lend(typ, rep uint32, val any) (uint32, error) {
	return t.insert(Handle{Type: typ, Rep: rep, Val: val})
}

func (t *Handles) lookup(op string, typ, i uint32) (*Handle, error) {
	if i == 0 || int(i) >= len(t.ents) || t.ents[i].Type == 0 {
		return nil, &HandleError{Op: op, Handle: i, Want: t.name(typ), Why: "unknown handle (never made, dropped, moved, or a borrow past its call)"}
	}
	h := &t.ents[i]
	if h.Type != typ {
		return nil, &HandleError{Op: op, Handle: i, Want: t.name(typ), Why: "wrong resource type: it is a " + t.name(h.Type)}
	}
	return h, nil
}

func (t *Handles) remove(i uint32) Handle {
	h := t.ents[i]
	t.ents[i] = Handle{}
	t.free = append(t.free, i)
	t.live--
	if !h.Own {
		t.borrows--
	}
	return h
}

// Get returns handle i of type typ (lift borrow, resource.rep).
func (t *Handles) Get(op string, typ, i uint32) (Handle, error) {
	h, err := t.lookup(op, typ, i)
	if err != nil {
		return Handle{}, err
	}
	return *h, nil
}

// Take removes the owning handle i of type typ and returns it (lift own:
// ownership moves to the receiver). A borrow cannot be moved.
func (t *Handles) Take(typ, i uint32) (Handle, error) {
	h, err := t.lookup("lift own", typ, i)
	if err != nil {
		return Handle{}, err
	}
	if !h.Own {
		return Handle{}, &HandleError{Op: "lift own", Handle: i, Want: t.name(typ), Why: "is a borrow, not an owning handle"}
	}
	return t.remove(i), nil
}

// Drop removes handle i of type typ (resource.drop) and returns it; the
// caller runs the destructor when it was an owning handle.
func (t *Handles) Drop(typ, i uint32) (Handle, error) {
	if _, err := t.lookup("drop", typ, i); err != nil {
		return Handle{}, err
	}
	return t.remove(i), nil
}

// EndCall removes the borrow handles lent for the export call that ends.
func (t *Handles) EndCall() {
	if t.borrows == 0 {
		return
	}
	for i := range t.ents {
		if t.ents[i].Type != 0 && !t.ents[i].Own {
			t.remove(uint32(i))
		}
	}
}

// Len returns the number of live handles.
func (t *Handles) Len() int { return t.live }

// Clear removes every handle, calling drop (if not nil) for each owning
// one in index order: what discarding the instance does.
func (t *Handles) Clear(drop func(Handle)) {
	ents := t.ents
	t.ents, t.free, t.live, t.borrows = nil, nil, 0, 0
	for _, h := range ents {
		if h.Type != 0 && h.Own && drop != nil {
			drop(h)
		}
	}
}
