package interrupt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// scan reads the header and the section table, decodes the import,
// memory, global and export sections, and reads the vectors of the others
// (see vectors.go).
func scan(wasm []byte) (*module, error) { return scanModule(wasm, false) }

// scanModule is scan; with instrumented, the input is Instrument's own
// output, whose interrupt flag export is not refused.
func scanModule(wasm []byte, instrumented bool) (*module, error) {
	if len(wasm) < 8 {
		return nil, &Error{Kind: ErrMalformed, Offset: len(wasm), Reason: "shorter than the 8-byte header"}
	}
	if !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, &Error{Kind: ErrMalformed, Offset: 0, Reason: "no \\0asm magic number"}
	}
	switch v := wasm[4:8]; {
	case bytes.Equal(v, []byte{1, 0, 0, 0}):
	case bytes.Equal(v, []byte{0x0d, 0, 1, 0}):
		return nil, &Error{Kind: ErrUnsupported, Offset: 4, Reason: "a component, not a core module"}
	default:
		return nil, &Error{Kind: ErrUnsupported, Offset: 4, Reason: fmt.Sprintf("binary format version %d, not 1", binary.LittleEndian.Uint32(v))}
	}
	m := &module{wasm: wasm, global: -1, export: -1, stateOp: -1, instrumented: instrumented}
	r := &reader{b: wasm, pos: 8, end: len(wasm)}
	last := 0
	for r.pos < len(wasm) && r.err == nil {
		start := r.pos
		id := r.byte("section id")
		size := r.u32("section size")
		body := r.pos
		r.skip(uint64(size), "section")
		if r.err != nil {
			return nil, r.err
		}
		rank := order(id)
		switch {
		case rank < 0:
			return nil, &Error{Kind: ErrUnsupported, Offset: start, Reason: fmt.Sprintf("unknown section id %d", id)}
		case rank > 0 && rank <= last:
			return nil, &Error{Kind: ErrMalformed, Offset: start, Reason: fmt.Sprintf("section id %d out of order or repeated", id)}
		case rank > 0:
			last = rank
		}
		s := section{id: id, start: start, body: body, end: r.pos}
		switch id {
		case secGlobal:
			m.global = len(m.sections)
		case secExport:
			m.export = len(m.sections)
		}
		m.sections = append(m.sections, s)
		sr := &reader{b: wasm, pos: body, end: s.end}
		switch id {
		case secImport:
			m.imports(sr)
		case secMemory:
			m.memorySection(sr)
		default:
			m.vectors(sr, id)
		case secGlobal:
			m.globalSection(sr)
		case secExport:
			m.exports(sr)
		}
		if sr.err != nil {
			return nil, sr.err
		}
	}
	return m, nil
}

// done fails unless r has read its section to the end.
func done(r *reader, what string) {
	if r.err == nil && r.pos != r.end {
		r.fail(ErrMalformed, r.pos, "%d bytes left over at the end of the %s", r.remaining(), what)
	}
}

// imports decodes the import section, counting the imported functions and
// globals.
func (m *module) imports(r *reader) {
	n := r.count("imports")
	for i := uint32(0); i < n && r.err == nil; i++ {
		r.name("import module name")
		r.name("import name")
		at := r.pos
		switch kind := r.byte("import kind"); kind {
		case 0: // function: type index
			m.typeIndex(r)
			m.funcs++
		case 1: // table: reference type, limits
			r.valType("table import")
			r.limits("table import")
		case 2: // memory: limits
			m.memory(r)
			m.importedMemory = true
		case 3: // global: value type, mutability
			r.valType("global import")
			if r.pos < r.end && r.b[r.pos] == 1 {
				m.importedMutable = true
			}
			mutability(r)
			m.globals++
		case 4: // tag: attribute, type index
			if a := r.byte("tag import"); a != 0 && r.err == nil {
				r.fail(ErrMalformed, at+1, "tag attribute %#x", a)
			}
			m.typeIndex(r)
		default:
			if r.err == nil {
				r.fail(ErrMalformed, at, "unknown import kind %#x", kind)
			}
		}
	}
	done(r, "import section")
}

// memorySection decodes the memory section.
func (m *module) memorySection(r *reader) {
	n := r.count("memories")
	for i := uint32(0); i < n && r.err == nil; i++ {
		m.memory(r)
	}
	done(r, "memory section")
}

// memory reads the limits of a memory, noting whether memory 0 is 64-bit.
func (m *module) memory(r *reader) {
	if m.memories == 0 && r.pos < r.end {
		m.mem64 = r.b[r.pos]&4 != 0
	}
	r.limits("memory")
	m.memories++
}

func mutability(r *reader) {
	at := r.pos
	if c := r.byte("global mutability"); c > 1 && r.err == nil {
		r.fail(ErrMalformed, at, "global mutability %#x", c)
	}
}

// globalSection decodes the global section: its count fixes the new
// global's index, and every entry is read to be sure the count is true.
func (m *module) globalSection(r *reader) {
	n := r.count("globals")
	m.globalCount, m.globalEntries = n, r.pos
	if uint64(m.globals)+uint64(n) >= math.MaxUint32 {
		r.fail(ErrUnsupported, r.pos, "too many globals")
		return
	}
	m.globals += n
	s := scanner{r: r, globals: m.globals}
	for i := uint32(0); i < n && r.err == nil; i++ {
		r.valType("global type")
		mutability(r)
		s.expr()
	}
	done(r, "global section")
}

// exports decodes the export section, refusing the flag's name and exports
// of globals that do not exist (which the new global would make valid).
func (m *module) exports(r *reader) {
	n := r.count("exports")
	m.exportCount, m.exportEntries = n, r.pos
	for i := uint32(0); i < n && r.err == nil; i++ {
		at := r.pos
		if name := r.name("export name"); r.err == nil && (string(name) == ExportName || string(name) == FuelExport) && !m.instrumented {
			r.fail(ErrInstrumented, at, "export %d is named %q", i, name)
			return
		}
		kat := r.pos
		kind := r.byte("export kind")
		idx := r.u32("export index")
		switch {
		case r.err != nil:
		case kind > 4:
			r.fail(ErrMalformed, kat, "unknown export kind %#x", kind)
		case kind == 3 && idx >= m.globals:
			r.fail(ErrMalformed, kat, "export of global %d out of range (%d globals)", idx, m.globals)
		}
	}
	done(r, "export section")
}
