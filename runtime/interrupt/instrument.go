package interrupt

import (
	"fmt"
	"math"
)

// ExportName is the export under which an instrumented module exposes its
// interrupt flag, a mutable i32 global.
const ExportName = "wasmplug:interrupt"

// Section ids.
const (
	secCustom    = 0
	secImport    = 2
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secCode      = 10
	secDataCount = 12
	secTag       = 13
)

// order ranks the known sections in the order the binary format requires
// (the tag section sits between memory and global); 0 is a custom section,
// which may appear anywhere, and -1 an unknown id.
func order(id byte) int {
	switch {
	case id == secCustom:
		return 0
	case id >= 1 && id <= 5: // type, import, function, table, memory
		return int(id)
	case id == secTag:
		return 6
	case id >= secGlobal && id <= 9: // global, export, start, element
		return int(id) + 1
	case id == secDataCount:
		return 11
	case id == secCode || id == 11: // code, data
		return int(id) + 2
	}
	return -1
}

// section is where one section lies in the input.
type section struct {
	id    byte
	start int // offset of the id byte
	body  int // offset of the contents
	end   int
}

// module is what Instrument learns of its input before rewriting it.
type module struct {
	wasm     []byte
	sections []section
	funcs    uint32 // imported functions
	globals  uint32 // imported and defined globals: the new one's index
	memories uint32 // imported and defined memories
	types    uint32 // entries of the type section
	mem64    bool   // memory 0 is a 64-bit memory
	global   int    // index in sections of the global section, -1 if none
	export   int    // likewise for the export section
	// globalEntries and exportEntries are the offsets just past the counts
	// of the global and export sections, whose entries are copied as they
	// are; globalCount and exportCount are those counts.
	globalEntries, exportEntries int
	globalCount, exportCount     uint32
	// importedMemory and importedMutable: the module imports a memory, a
	// mutable global (state an image of the instance would not own).
	importedMemory, importedMutable bool
	instrumented                    bool // scanning Instrument's output (scanModule)
	// stateOp is the offset of the first instruction of the code section
	// that changes table or segment state (see scanner.stateOp), -1 if none.
	stateOp int
}

// Options are the choices of InstrumentWith.
type Options struct {
	// YieldEvery, if not 0, also makes the guest return to Go once every
	// YieldEvery checks. See the package documentation for why a runtime
	// needs this: code compiled by wazero cannot be preempted, so without
	// it a runaway guest keeps the Go scheduler and garbage collector from
	// ever running the goroutine that would set its flag. It adds a
	// second, unexported mutable i32 global (a countdown, index one past
	// the flag's) and, after each flag check,
	//
	//	global.get $countdown; i32.const 1; i32.sub; global.set $countdown
	//	global.get $countdown; i32.eqz
	//	if
	//	  i32.const YieldEvery; global.set $countdown
	//	  i32.const 0; memory.grow; drop
	//	end
	//
	// memory.grow by 0 pages changes nothing but is carried out in Go by
	// wazero, which gives the scheduler its preemption point. The module
	// must have a 32-bit memory; at most math.MaxInt32.
	YieldEvery uint32
	// Image also prepares the module to be started from an image of an
	// initialised instance (see Rewrite); a module that cannot be is
	// instrumented without it, and Result.ImageRefused says why.
	Image bool
	// Fuel also gives the module a deterministic budget: a mutable i64
	// global, exported as FuelExport and initially math.MaxInt64, that
	// every check (every function entry and every loop iteration) takes
	// one unit from, trapping once it goes below zero:
	//
	//	global.get $fuel; i64.const 1; i64.sub; global.set $fuel
	//	global.get $fuel; i64.const 0; i64.lt_s
	//	if
	//	  unreachable
	//	end
	//
	// A host sets the global to a budget before a call; a guest that traps
	// with the global at -1 ran out of it (its own traps leave it at 0 or
	// more). The count depends only on what the guest executes, never on
	// the machine or its load: the same call on the same state uses the
	// same fuel. Between two checks a guest executes at most one function
	// body's straight-line code, so fuel bounds the instructions executed
	// too. It adds a global after the flag (and the countdown).
	Fuel bool
}

// FuelExport is the export under which a module instrumented with
// Options.Fuel exposes its fuel, a mutable i64 global.
const FuelExport = "wasmplug:fuel"

// Instrument rewrites a core WebAssembly module so that it can be
// interrupted: it adds a mutable i32 global, initially 0 and exported as
// ExportName, and makes every function body and every loop body begin with
//
//	global.get $interrupt
//	if
//	  unreachable
//	end
//
// so that once the host sets the global to a non-zero value the guest traps
// at its next function entry or loop iteration. Every other byte of the
// module is kept: sections, custom sections included, are copied verbatim
// except the global, export and code sections, whose sizes (and the code
// section's body sizes) are re-encoded. The new global takes the next free
// index, so no existing index moves; code offsets do, so DWARF sections
// and source maps, which address code by offset, go stale.
//
// The input is untrusted: a malformed or unknown input is refused with an
// *Error (see ErrMalformed, ErrUnsupported) naming the offset, never a
// panic. A module that already exports ExportName is refused with
// ErrInstrumented rather than passed through. Instrument validates only
// what it must to rewrite safely (the structure, every instruction's
// encoding, global indices); the rest of validation is left to the engine,
// which accepts the output exactly when it accepts the input.
//
// Instrument is InstrumentWith with zero Options: no yield points, which
// makes it unsafe on its own in a Go process (see the package
// documentation).
func Instrument(wasm []byte) ([]byte, error) {
	return InstrumentWith(wasm, Options{})
}

// InstrumentWith is Instrument with options; with Options.Image it is
// Rewrite's module, whether or not it could be prepared for images.
func InstrumentWith(wasm []byte, opts Options) ([]byte, error) {
	res, err := Rewrite(wasm, opts)
	if err != nil {
		return nil, err
	}
	return res.Wasm, nil
}

// instrument is InstrumentWith without images; it also returns what it
// learnt of the input.
func instrument(wasm []byte, opts Options) ([]byte, *module, error) {
	m, err := scan(wasm)
	if err != nil {
		return nil, nil, err
	}
	added := uint32(1)
	if opts.YieldEvery != 0 {
		switch {
		case opts.YieldEvery > math.MaxInt32:
			return nil, nil, fmt.Errorf("interrupt: YieldEvery %d exceeds %d", opts.YieldEvery, math.MaxInt32)
		case m.memories == 0:
			return nil, nil, &Error{Kind: ErrUnsupported, Offset: 8, Reason: "yield points need a memory and the module has none"}
		case m.mem64:
			return nil, nil, &Error{Kind: ErrUnsupported, Offset: 8, Reason: "yield points need a 32-bit memory 0"}
		}
		added = 2
	}
	if opts.Fuel {
		added++
	}
	if uint64(m.globals)+uint64(added) > math.MaxUint32 {
		return nil, nil, &Error{Kind: ErrUnsupported, Offset: 8, Reason: "no global index left for the interrupt flag"}
	}
	check := appendCheck(nil, m.globals)
	globals := append([]byte(nil), newGlobal...)
	if opts.YieldEvery != 0 {
		check = appendYield(check, m.globals+1, int32(opts.YieldEvery))
		globals = append(globals, 0x7f, 0x01, 0x41)
		globals = appendS32(globals, int32(opts.YieldEvery))
		globals = append(globals, 0x0b)
	}
	fuel := m.globals + added - 1 // the last added global, with Fuel
	if opts.Fuel {
		check = appendFuel(check, fuel)
		globals = append(globals, 0x7e, 0x01, 0x42) // (mut i64) i64.const MaxInt64
		globals = appendS64(globals, math.MaxInt64)
		globals = append(globals, 0x0b)
	}
	flagIndex := appendU32(nil, m.globals)
	exports, exportCount := append([]byte(nil), newExport...), uint32(1)
	exports = append(exports, flagIndex...)
	if opts.Fuel {
		exports = appendExport(exports, FuelExport, 3, fuel)
		exportCount++
	}

	out := make([]byte, 0, len(wasm)+len(wasm)/16+64)
	out = append(out, wasm[:8]...)
	// Sections the input lacks are emitted before the first section that
	// must follow them.
	missingGlobal, missingExport := m.global < 0, m.export < 0
	flush := func(rank int) {
		if missingGlobal && rank > order(secGlobal) {
			out = appendSection(out, secGlobal, appendU32(nil, added), globals)
			missingGlobal = false
		}
		if missingExport && rank > order(secExport) {
			out = appendSection(out, secExport, appendU32(nil, exportCount), exports)
			missingExport = false
		}
	}
	for _, s := range m.sections {
		if s.id != secCustom {
			flush(order(s.id))
		}
		switch s.id {
		case secGlobal:
			out = appendSection(out, secGlobal, appendU32(nil, m.globalCount+added), wasm[m.globalEntries:s.end], globals)
		case secExport:
			out = appendSection(out, secExport, appendU32(nil, m.exportCount+exportCount), wasm[m.exportEntries:s.end], exports)
		case secCode:
			if out, err = m.appendCode(out, s, check); err != nil {
				return nil, nil, err
			}
		default:
			out = append(out, wasm[s.start:s.end]...)
		}
	}
	flush(math.MaxInt)
	return out, m, nil
}

// newGlobal is the flag's definition: (mut i32) initialised by i32.const 0.
var newGlobal = []byte{0x7f, 0x01, 0x41, 0x00, 0x0b}

// newExport is the flag's export entry without its index: the name and the
// kind (global).
var newExport = append(appendU32(nil, uint32(len(ExportName))), ExportName+"\x03"...)

// appendCheck appends the check of global g: global.get g; if (empty);
// unreachable; end.
func appendCheck(b []byte, g uint32) []byte {
	b = append(b, 0x23)
	b = appendU32(b, g)
	return append(b, 0x04, 0x40, 0x00, 0x0b)
}

// appendYield appends the countdown of global c that yields to Go every
// n checks (see Options.YieldEvery).
func appendYield(b []byte, c uint32, n int32) []byte {
	get := appendU32([]byte{0x23}, c)
	set := appendU32([]byte{0x24}, c)
	b = append(b, get...)
	b = append(b, 0x41, 0x01, 0x6b) // i32.const 1; i32.sub
	b = append(b, set...)
	b = append(b, get...)
	b = append(b, 0x45, 0x04, 0x40, 0x41) // i32.eqz; if; i32.const n
	b = appendS32(b, n)
	b = append(b, set...)
	return append(b, 0x41, 0x00, 0x40, 0x00, 0x1a, 0x0b) // i32.const 0; memory.grow 0; drop; end
}

// appendFuel appends the charge of one unit of fuel global f, trapping
// when it goes below zero (see Options.Fuel).
func appendFuel(b []byte, f uint32) []byte {
	get := appendU32([]byte{0x23}, f)
	b = append(b, get...)
	b = append(b, 0x42, 0x01, 0x7d, 0x24) // i64.const 1; i64.sub; global.set
	b = appendU32(b, f)
	b = append(b, get...)
	return append(b, 0x42, 0x00, 0x53, 0x04, 0x40, 0x00, 0x0b) // i64.const 0; i64.lt_s; if; unreachable; end
}

// appendS64 appends v as a signed LEB128 of the fewest bytes.
func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// appendS32 appends v as a signed LEB128 of the fewest bytes (the
// encoding of a 32-bit value is that of its 64-bit sign extension).
func appendS32(b []byte, v int32) []byte { return appendS64(b, int64(v)) }

// appendU32 appends v as an unsigned LEB128 of the fewest bytes.
func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendSection appends a section with the given id whose contents are the
// concatenation of parts.
func appendSection(b []byte, id byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b = append(b, id)
	b = appendU32(b, uint32(n))
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// appendCode appends the code section s with check inserted at the start of
// every function body and of every loop body.
func (m *module) appendCode(out []byte, s section, check []byte) ([]byte, error) {
	wasm := m.wasm
	r := &reader{b: wasm, pos: s.body, end: s.end}
	// The section's size is known only at the end: reserve the longest
	// LEB128 and move the contents down over the unused bytes at the end.
	head := len(out)
	out = append(out, secCode, 0, 0, 0, 0, 0)
	contents := len(out)
	n := r.count("function bodies")
	out = append(out, wasm[s.body:r.pos]...)
	sc := scanner{r: r, globals: m.globals, stateOp: -1}
	defer func() { m.stateOp = sc.stateOp }()
	var total uint64 // locals of all functions
	maxTotal := max(uint64(minModuleLocals), localsPerByte*uint64(len(wasm)))
	for i := uint32(0); i < n && r.err == nil; i++ {
		size := r.u32("function body size")
		start := r.pos
		r.skip(uint64(size), "function body")
		if r.err != nil {
			break
		}
		end := r.pos
		r.pos, r.end = start, end
		groups := r.count("local declarations")
		var locals uint64
		for j := uint32(0); j < groups && r.err == nil; j++ {
			at := r.pos
			locals += uint64(r.u32("local count"))
			r.valType("local type")
			if locals > maxFuncLocals && r.err == nil {
				r.fail(ErrUnsupported, at, "more than %d locals", maxFuncLocals)
			}
		}
		if total += locals; total > maxTotal && r.err == nil {
			r.fail(ErrUnsupported, start, "more than %d locals in all (%d per byte of the module)", maxTotal, localsPerByte)
		}
		entry := r.pos
		sc.loops = sc.loops[:0]
		sc.expr()
		done(r, "function body")
		if r.err != nil {
			r.err.Reason = fmt.Sprintf("function %d: %s", uint64(m.funcs)+uint64(i), r.err.Reason)
			break
		}
		r.end = s.end
		grown := uint64(size) + uint64(len(check))*uint64(1+len(sc.loops))
		if grown > math.MaxUint32 {
			r.fail(ErrUnsupported, start, "function %d would outgrow 4 GiB", uint64(m.funcs)+uint64(i))
			break
		}
		out = appendU32(out, uint32(grown))
		out = append(out, wasm[start:entry]...)
		out = append(out, check...)
		prev := entry
		for _, p := range sc.loops {
			out = append(out, wasm[prev:p]...)
			out = append(out, check...)
			prev = p
		}
		out = append(out, wasm[prev:end]...)
	}
	done(r, "code section")
	if r.err != nil {
		return nil, r.err
	}
	size := len(out) - contents
	if uint64(size) > math.MaxUint32 {
		return nil, &Error{Kind: ErrUnsupported, Offset: s.start, Reason: "the code section would outgrow 4 GiB"}
	}
	leb := appendU32(make([]byte, 0, 5), uint32(size))
	copy(out[head+1:], leb)
	copy(out[head+1+len(leb):], out[contents:])
	return out[:head+1+len(leb)+size], nil
}
