package interrupt

import "fmt"

// reader decodes the binary format of an untrusted module. Positions are
// offsets in the whole module, reads never go past end (the end of the
// section or body being read), and the first failure sticks: it is kept in
// err, the position jumps to end, and every later read returns zero, so
// callers check err once per loop iteration instead of after every read.
type reader struct {
	b   []byte
	pos int
	end int
	err *Error
}

// fail records the first error, at offset at.
func (r *reader) fail(kind error, at int, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Kind: kind, Offset: at, Reason: fmt.Sprintf(format, args...)}
	}
	r.pos = r.end
}

// eof fails with an unexpected end of what.
func (r *reader) eof(what string) {
	r.fail(ErrMalformed, r.pos, "unexpected end of %s", what)
}

func (r *reader) remaining() int { return r.end - r.pos }

func (r *reader) byte(what string) byte {
	if r.pos >= r.end {
		r.eof(what)
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

// skip advances n bytes.
func (r *reader) skip(n uint64, what string) {
	if n > uint64(r.remaining()) {
		r.eof(what)
		return
	}
	r.pos += int(n)
}

// u32 reads an unsigned LEB128 of at most 32 bits. Encodings are held to
// the specification's limits (at most 5 bytes, no bits set past bit 31), as
// validators hold them, because some values read here are re-encoded: a
// lenient reader could turn an invalid count into a valid one.
func (r *reader) u32(what string) uint32 {
	if r.pos < r.end && r.b[r.pos] < 0x80 { // the common one-byte case
		v := uint32(r.b[r.pos])
		r.pos++
		return v
	}
	start := r.pos
	var v uint32
	for shift := uint(0); ; shift += 7 {
		if r.pos >= r.end {
			r.eof(what)
			return 0
		}
		c := r.b[r.pos]
		r.pos++
		if shift == 28 && c&0xf0 != 0 { // a fifth byte: 4 value bits, no continuation
			r.fail(ErrMalformed, start, "invalid LEB128 u32 in %s", what)
			return 0
		}
		v |= uint32(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

// u64 reads an unsigned LEB128 of at most 64 bits (memory64 limits and
// offsets).
func (r *reader) u64(what string) uint64 {
	start := r.pos
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if r.pos >= r.end {
			r.eof(what)
			return 0
		}
		c := r.b[r.pos]
		r.pos++
		if shift == 63 && c&0xfe != 0 { // a tenth byte: 1 value bit
			r.fail(ErrMalformed, start, "invalid LEB128 u64 in %s", what)
			return 0
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

// signed reads a signed LEB128 of bits bits (32, 33 or 64); the unused
// bits of the last byte must repeat the sign.
func (r *reader) signed(bits uint, what string) int64 {
	start := r.pos
	var v int64
	for shift := uint(0); ; shift += 7 {
		if r.pos >= r.end {
			r.eof(what)
			return 0
		}
		c := r.b[r.pos]
		r.pos++
		if shift+7 >= bits { // the last byte the width allows
			if c&0x80 != 0 {
				r.fail(ErrMalformed, start, "invalid LEB128 s%d in %s", bits, what)
				return 0
			}
			// Bits from bits-1 (the sign) up to bit 6 of this byte must agree.
			used := bits - shift // value bits in this byte, the sign included
			ext := int8(c<<1) >> 1 >> (used - 1)
			if ext != 0 && ext != -1 {
				r.fail(ErrMalformed, start, "invalid LEB128 s%d in %s", bits, what)
				return 0
			}
		}
		v |= int64(c&0x7f) << shift
		if c < 0x80 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return v
		}
	}
}

// count reads a vector length; every element takes at least one byte, so a
// length beyond what is left is refused before anything loops over it.
func (r *reader) count(what string) uint32 {
	at := r.pos
	n := r.u32(what)
	if int64(n) > int64(r.remaining()) {
		r.fail(ErrMalformed, at, "%s count %d exceeds the %d bytes left", what, n, r.remaining())
		return 0
	}
	return n
}

// name reads a length-prefixed name and returns its bytes (a sub-slice of
// the module).
func (r *reader) name(what string) []byte {
	n := r.u32(what)
	start := r.pos
	r.skip(uint64(n), what)
	if r.err != nil {
		return nil
	}
	return r.b[start:r.pos]
}

// valType reads a value type: a number, vector or reference type, the
// last as a shorthand byte or as ref/ref null with a heap type.
func (r *reader) valType(what string) {
	at := r.pos
	c := r.byte(what)
	switch {
	case c >= 0x7b && c <= 0x7f: // v128, f64, f32, i64, i32
	case isAbstractHeap(c): // funcref, externref, exnref and the GC shorthands
	case c == 0x63 || c == 0x64: // ref null ht, ref ht
		r.heapType(what)
	default:
		if r.err == nil {
			r.fail(ErrMalformed, at, "unknown value type %#x in %s", c, what)
		}
	}
}

// heapType reads a heap type: an abstract one (one byte) or a type index
// (a non-negative s33).
func (r *reader) heapType(what string) {
	if r.pos < r.end && isAbstractHeap(r.b[r.pos]) {
		r.pos++
		return
	}
	at := r.pos
	if v := r.signed(33, what); v < 0 && r.err == nil {
		r.fail(ErrMalformed, at, "unknown heap type %d in %s", v, what)
	}
}

// isAbstractHeap reports whether c encodes an abstract heap type: exn
// (0x69), array … any (0x6a–0x6e), extern (0x6f), func (0x70) and the
// bottom types of the GC proposal (0x71–0x74).
func isAbstractHeap(c byte) bool { return c >= 0x69 && c <= 0x74 }

// blockType reads the type of a block, loop, if, try or try_table: empty
// (0x40), one value type, or a type index (a non-negative s33).
func (r *reader) blockType() {
	if r.pos >= r.end {
		r.eof("block type")
		return
	}
	c := r.b[r.pos]
	switch {
	case c == 0x40:
		r.pos++
	case c >= 0x40 && c < 0x80: // a one-byte negative s33: must be a value type
		r.valType("block type")
	default:
		at := r.pos
		if v := r.signed(33, "block type"); v < 0 && r.err == nil {
			r.fail(ErrMalformed, at, "invalid block type %d", v)
		}
	}
}

// limits reads the limits of a table or memory: flags (bit 0: a maximum
// follows; bit 1: shared; bit 2: 64-bit; bit 3: a custom page size
// follows), the minimum and the optional maximum and page size.
func (r *reader) limits(what string) {
	at := r.pos
	flags := r.u32(what)
	if flags > 0x0f {
		r.fail(ErrMalformed, at, "invalid limits flags %#x in %s", flags, what)
		return
	}
	r.u64(what)
	if flags&1 != 0 {
		r.u64(what)
	}
	if flags&8 != 0 {
		r.u32(what)
	}
}
