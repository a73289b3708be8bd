package cabi

// Reps holds the implementations of a resource the guest exports, by rep:
// the i32 the guest hands to [resource-new] and gets back in method calls
// and the destructor. Reps are never 0 and are reused only after Remove.
// Generated bindings keep one per exported resource.
type Reps[T any] struct {
	vals []T
	used []bool
	free []uint32
}

// Add stores v and returns its rep.
func (r *Reps[T]) Add(v T) uint32 {
	if n := len(r.free); n > 0 {
		rep := r.free[n-1]
		r.free = r.free[:n-1]
		r.vals[rep], r.used[rep] = v, true
		return rep
	}
	if len(r.vals) == 0 {
		var zero T
		r.vals, r.used = append(r.vals, zero), append(r.used, false) // rep 0 is never used
	}
	r.vals, r.used = append(r.vals, v), append(r.used, true)
	return uint32(len(r.vals) - 1)
}

// Get returns the implementation of rep; an unknown rep traps (the host
// passed a rep the guest never made or has destroyed).
func (r *Reps[T]) Get(rep uint32) T {
	if int(rep) >= len(r.used) || !r.used[rep] {
		Unreachable("unknown resource rep")
	}
	return r.vals[rep]
}

// Remove forgets rep and returns its implementation (the destructor).
func (r *Reps[T]) Remove(rep uint32) T {
	v := r.Get(rep)
	var zero T
	r.vals[rep], r.used[rep] = zero, false
	r.free = append(r.free, rep)
	return v
}

// Len returns the number of live reps.
func (r *Reps[T]) Len() int {
	n := 0
	for _, u := range r.used {
		if u {
			n++
		}
	}
	return n
}
