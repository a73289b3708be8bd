package interrupt

// What follows an opcode byte. The rewriter copies instructions verbatim; it
// decodes them only to find where each one ends, where a loop's body
// begins, and which globals the code names.
const (
	immInvalid  uint8 = iota // not an opcode this rewriter knows
	immNone                  // no immediate
	immBlock                 // block type; opens a block (block, if, try)
	immLoop                  // block type; opens a loop: a check goes after it
	immEnd                   // closes a block, or the function
	immIndex                 // one u32 (a label, function, local, table, type or tag index)
	immIndex2                // two u32 (call_indirect, return_call_indirect)
	immGlobal                // a global index, checked against the module's globals
	immBrTable               // a vector of labels and a default label
	immSelectT               // a vector of value types
	immMemarg                // align (with a memory index when bit 6 is set) and offset
	immI32                   // s32
	immI64                   // s64
	immF32                   // 4 bytes
	immF64                   // 8 bytes
	immHeapType              // ref.null's heap type
	immTryTable              // block type and a vector of catch clauses; opens a block
	immDelegate              // a label; closes a legacy try
	immPrefixFC              // 0xfc: saturating truncation, bulk memory and tables
	immPrefixFD              // 0xfd: SIMD
	immPrefixFE              // 0xfe: threads (atomics)
)

// immediates gives the immediate of every one-byte opcode of the MVP and of
// the proposals Go, Rust, C and wit-bindgen modules use (sign extension,
// multi-value, reference types, bulk memory, non-trapping conversions,
// SIMD, tail calls) plus those wazero 1.12 implements behind experimental
// flags (exceptions, legacy and final; typed function references;
// threads). GC (0xfb) and anything else is immInvalid.
var immediates = func() (t [256]uint8) {
	set := func(kind uint8, ops ...byte) {
		for _, op := range ops {
			t[op] = kind
		}
	}
	set(immNone,
		0x00, // unreachable
		0x01, // nop
		0x05, // else
		0x0a, // throw_ref
		0x0f, // return
		0x19, // catch_all (legacy)
		0x1a, // drop
		0x1b, // select
		0xd1, // ref.is_null
		0xd3, // ref.eq
		0xd4, // ref.as_non_null
	)
	set(immBlock, 0x02, 0x04, 0x06) // block, if, try (legacy)
	set(immLoop, 0x03)
	set(immEnd, 0x0b)
	set(immIndex,
		0x07,       // catch tag (legacy)
		0x08,       // throw tag
		0x09,       // rethrow label (legacy)
		0x0c,       // br
		0x0d,       // br_if
		0x10,       // call
		0x12,       // return_call
		0x14,       // call_ref type
		0x15,       // return_call_ref type
		0x20,       // local.get
		0x21,       // local.set
		0x22,       // local.tee
		0x25,       // table.get
		0x26,       // table.set
		0x3f,       // memory.size memidx
		0x40,       // memory.grow memidx
		0xd2,       // ref.func
		0xd5, 0xd6, // br_on_null, br_on_non_null
	)
	set(immIndex2, 0x11, 0x13) // call_indirect, return_call_indirect: type, table
	set(immGlobal, 0x23, 0x24) // global.get, global.set
	set(immBrTable, 0x0e)
	set(immSelectT, 0x1c)
	for op := 0x28; op <= 0x3e; op++ { // loads and stores
		t[op] = immMemarg
	}
	set(immI32, 0x41)
	set(immI64, 0x42)
	set(immF32, 0x43)
	set(immF64, 0x44)
	for op := 0x45; op <= 0xc4; op++ { // numeric instructions, sign extension included
		t[op] = immNone
	}
	set(immHeapType, 0xd0) // ref.null
	set(immTryTable, 0x1f)
	set(immDelegate, 0x18)
	set(immPrefixFC, 0xfc)
	set(immPrefixFD, 0xfd)
	set(immPrefixFE, 0xfe)
	return t
}()

// simdUnused lists the opcodes below 0x100 that the SIMD proposal leaves
// unassigned (they are the gaps in wazero's own table).
var simdUnused = func() (t [256]bool) {
	for _, op := range []byte{0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb,
		0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee} {
		t[op] = true
	}
	return t
}()

// scanner walks the instructions of function bodies and constant
// expressions.
type scanner struct {
	r       *reader
	globals uint32 // the module's globals before the new one: valid global indices are below
	loops   []int  // offsets just after each loop's block type, in order
	// stateOp is the offset of the first instruction that changes a
	// table or a segment's state (table.set/grow/fill/init/copy,
	// elem.drop, memory.init, data.drop), -1 while there is none: such
	// state is outside linear memory and globals, so an image taken after
	// _initialize could not reproduce it.
	stateOp int
}

// noteState records at as an instruction that changes state an image
// does not hold.
func (s *scanner) noteState(at int) {
	if s.stateOp < 0 {
		s.stateOp = at
	}
}

// expr reads instructions up to and including the end that closes the
// expression (a function body or a constant expression), appending to
// s.loops where every loop's body begins.
func (s *scanner) expr() {
	r := s.r
	depth := 1
	for r.err == nil {
		at := r.pos
		if at >= r.end {
			r.eof("expression (missing end)")
			return
		}
		op := r.b[at]
		r.pos++
		switch immediates[op] {
		case immNone:
		case immEnd:
			if depth--; depth == 0 {
				return
			}
		case immIndex:
			if op == 0x26 { // table.set
				s.noteState(at)
			}
			r.u32("index")
		case immBlock:
			r.blockType()
			depth++
		case immLoop:
			r.blockType()
			depth++
			s.loops = append(s.loops, r.pos)
		case immGlobal:
			if g := r.u32("global index"); g >= s.globals && r.err == nil {
				r.fail(ErrMalformed, at, "global index %d out of range (%d globals)", g, s.globals)
			}
		case immMemarg:
			s.memarg()
		case immI32:
			r.signed(32, "i32.const")
		case immI64:
			r.signed(64, "i64.const")
		case immIndex2:
			r.u32("type index")
			r.u32("table index")
		case immBrTable:
			n := r.count("br_table")
			for i := uint32(0); i <= n && r.err == nil; i++ { // n labels and the default
				r.u32("br_table label")
			}
		case immF32:
			r.skip(4, "f32.const")
		case immF64:
			r.skip(8, "f64.const")
		case immPrefixFC:
			s.prefixFC(at)
		case immPrefixFD:
			s.prefixFD(at)
		case immPrefixFE:
			s.prefixFE(at)
		case immSelectT:
			n := r.count("select types")
			for i := uint32(0); i < n && r.err == nil; i++ {
				r.valType("select type")
			}
		case immHeapType:
			r.heapType("ref.null")
		case immTryTable:
			r.blockType()
			n := r.count("try_table catches")
			for i := uint32(0); i < n && r.err == nil; i++ {
				cat := r.pos
				switch kind := r.byte("catch clause"); kind {
				case 0, 1: // catch, catch_ref: tag and label
					r.u32("tag index")
					r.u32("label")
				case 2, 3: // catch_all, catch_all_ref: label
					r.u32("label")
				default:
					r.fail(ErrMalformed, cat, "unknown catch clause kind %#x", kind)
				}
			}
			depth++
		case immDelegate:
			r.u32("label")
			if depth--; depth == 0 {
				r.fail(ErrMalformed, at, "delegate outside a try block")
			}
		default:
			r.fail(ErrUnsupported, at, "unknown opcode %#x", op)
		}
	}
}

// memarg reads a memory argument: the alignment exponent, a memory index
// when its bit 6 is set (multi-memory), and the offset (u64 for memory64).
func (s *scanner) memarg() {
	if align := s.r.u32("memarg"); align&0x40 != 0 {
		s.r.u32("memarg memory index")
	}
	s.r.u64("memarg offset")
}

// prefixFC reads an instruction of the 0xfc family.
func (s *scanner) prefixFC(at int) {
	r := s.r
	sub := r.u32("0xfc opcode")
	if sub == 8 || sub == 9 || (sub >= 12 && sub <= 15) || sub == 17 {
		s.noteState(at)
	}
	switch {
	case sub <= 7: // i32/i64.trunc_sat_f32/f64_s/u
	case sub == 9, sub == 11, sub == 13, sub == 15, sub == 16, sub == 17:
		r.u32("index") // data.drop, memory.fill, elem.drop, table.grow/size/fill
	case sub == 8, sub == 10, sub == 12, sub == 14:
		r.u32("index") // memory.init, memory.copy, table.init, table.copy
		r.u32("index")
	default:
		if r.err == nil {
			r.fail(ErrUnsupported, at, "unknown opcode 0xfc %d", sub)
		}
	}
}

// prefixFD reads a SIMD instruction.
func (s *scanner) prefixFD(at int) {
	r := s.r
	sub := r.u32("0xfd opcode")
	switch {
	case r.err != nil:
	case sub <= 0x0b, sub == 0x5c, sub == 0x5d: // v128.load*, v128.store, load32/64_zero
		s.memarg()
	case sub == 0x0c, sub == 0x0d: // v128.const, i8x16.shuffle
		r.skip(16, "v128 immediate")
	case sub >= 0x15 && sub <= 0x22: // extract_lane, replace_lane
		r.byte("lane index")
	case sub >= 0x54 && sub <= 0x5b: // load/store lane
		s.memarg()
		r.byte("lane index")
	case sub < 0x100 && !simdUnused[sub]: // no immediate
	case sub >= 0x100 && sub <= 0x113: // relaxed SIMD, no immediate
	default:
		r.fail(ErrUnsupported, at, "unknown opcode 0xfd %#x", sub)
	}
}

// prefixFE reads an atomic instruction.
func (s *scanner) prefixFE(at int) {
	r := s.r
	sub := r.u32("0xfe opcode")
	switch {
	case r.err != nil:
	case sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e): // notify, wait32/64, loads, stores, rmw
		s.memarg()
	case sub == 0x03: // atomic.fence
		if c := r.byte("atomic.fence"); c != 0 && r.err == nil {
			r.fail(ErrMalformed, at, "atomic.fence flags %#x", c)
		}
	default:
		r.fail(ErrUnsupported, at, "unknown opcode 0xfe %#x", sub)
	}
}
