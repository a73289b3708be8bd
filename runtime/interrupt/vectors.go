package interrupt

// Limits on what a module may declare, which a validating engine would
// otherwise allocate for before reading what the declaration promises.
//
// wazero 1.12 sizes slices by the counts it decodes (tables, types,
// element and data segments, locals, name maps…) before it reads their
// elements, so a module of a few bytes declaring four billion tables makes
// it allocate hundreds of gigabytes and kills the process: an untrusted
// plugin could take the host down at load. Since Instrument reads every
// plugin before wazero does, it also holds every vector length of the
// sections it would otherwise copy unread to what is left of its section
// (each element takes at least a byte), and caps locals, which are counted
// by run length and so are the one declaration that is legitimately large
// for its size.
const (
	// maxFuncLocals is the most locals one function may declare: the
	// limit of the JavaScript embedding, which browsers enforce.
	maxFuncLocals = 50000
	// minModuleLocals and localsPerByte bound the locals of all the
	// functions together: the larger of minModuleLocals and localsPerByte
	// for each byte of the module (the guests of this repository, C, Rust
	// and Go, declare at most one local per 100 bytes).
	minModuleLocals = 1 << 20
	localsPerByte   = 4
)

// vectors reads a section that Instrument copies verbatim but whose
// vectors wazero would allocate for unread: the type, function, table,
// tag, element and data sections, and the "name" custom section.
func (m *module) vectors(r *reader, id byte) {
	switch id {
	case 1:
		m.typeSection(r)
	case 3: // function: type indices
		n := r.count("functions")
		for i := uint32(0); i < n && r.err == nil; i++ {
			m.typeIndex(r)
		}
	case 4:
		m.tableSection(r)
	case secTag:
		n := r.count("tags")
		for i := uint32(0); i < n && r.err == nil; i++ {
			at := r.pos
			if a := r.byte("tag"); a != 0 && r.err == nil {
				r.fail(ErrMalformed, at, "tag attribute %#x", a)
			}
			m.typeIndex(r)
		}
	case 9:
		m.elementSection(r)
	case 11:
		m.dataSection(r)
	case secCustom:
		if string(r.name("custom section name")) == "name" && r.err == nil {
			nameSection(r)
		}
		return // other custom sections are opaque
	default:
		return
	}
	done(r, "section")
}

// typeSection reads function types (the only kind wazero knows; the GC
// proposal's recursive, sub, struct and array types are refused).
func (m *module) typeSection(r *reader) {
	n := r.count("types")
	m.types = n
	for i := uint32(0); i < n && r.err == nil; i++ {
		at := r.pos
		if form := r.byte("type"); form != 0x60 && r.err == nil {
			r.fail(ErrUnsupported, at, "type form %#x (not a function type)", form)
			return
		}
		for range 2 { // parameters, results
			k := r.count("value types")
			for j := uint32(0); j < k && r.err == nil; j++ {
				r.valType("function type")
			}
		}
	}
}

// typeIndex reads the type index of a function or tag. wazero 1.12 checks
// these too late: a call to a function whose type index is out of range
// makes its validator index out of range and panic.
func (m *module) typeIndex(r *reader) {
	at := r.pos
	if t := r.u32("type index"); t >= m.types && r.err == nil {
		r.fail(ErrMalformed, at, "type index %d out of range (%d types)", t, m.types)
	}
}

// tableSection reads table types, with the initialiser of the typed
// function references proposal.
func (m *module) tableSection(r *reader) {
	n := r.count("tables")
	s := scanner{r: r, globals: m.globals}
	for i := uint32(0); i < n && r.err == nil; i++ {
		init := r.pos < r.end && r.b[r.pos] == 0x40
		if init {
			r.pos++
			at := r.pos
			if c := r.byte("table"); c != 0 && r.err == nil {
				r.fail(ErrMalformed, at, "table prefix %#x", c)
			}
		}
		r.valType("table")
		r.limits("table")
		if init {
			s.expr()
		}
	}
}

// elementSection reads element segments in their eight encodings.
func (m *module) elementSection(r *reader) {
	n := r.count("element segments")
	s := scanner{r: r, globals: m.globals}
	for i := uint32(0); i < n && r.err == nil; i++ {
		at := r.pos
		flags := r.u32("element segment flags")
		if flags > 7 {
			if r.err == nil {
				r.fail(ErrMalformed, at, "element segment flags %d", flags)
			}
			return
		}
		if flags&3 == 2 { // active with a table index
			r.u32("table index")
		}
		if flags&1 == 0 { // active: an offset
			s.expr()
		}
		if flags&3 != 0 { // an element kind or reference type
			if flags&4 == 0 {
				r.byte("element kind")
			} else {
				r.valType("element type")
			}
		}
		k := r.count("elements")
		for j := uint32(0); j < k && r.err == nil; j++ {
			if flags&4 == 0 {
				r.u32("function index")
			} else {
				s.expr()
			}
		}
	}
}

// dataSection reads data segments.
func (m *module) dataSection(r *reader) {
	n := r.count("data segments")
	s := scanner{r: r, globals: m.globals}
	for i := uint32(0); i < n && r.err == nil; i++ {
		at := r.pos
		switch flags := r.u32("data segment flags"); {
		case r.err != nil:
			return
		case flags == 2: // active with a memory index
			r.u32("memory index")
			s.expr()
		case flags == 0: // active
			s.expr()
		case flags == 1: // passive
		default:
			r.fail(ErrMalformed, at, "data segment flags %d", flags)
			return
		}
		r.skip(uint64(r.u32("data segment size")), "data segment")
	}
}

// nameSection reads the function and local names of the "name" custom
// section (wazero decodes those two, and fails the module if they are
// malformed); other subsections are skipped.
func nameSection(r *reader) {
	for r.pos < r.end && r.err == nil {
		id := r.byte("name subsection id")
		size := r.u32("name subsection size")
		if uint64(size) > uint64(r.remaining()) {
			r.eof("name subsection")
			return
		}
		end, outer := r.pos+int(size), r.end
		r.end = end
		switch id {
		case 1: // function names: a name map
			nameMap(r)
		case 2: // local names: an indirect name map
			n := r.count("local name functions")
			for i := uint32(0); i < n && r.err == nil; i++ {
				r.u32("function index")
				nameMap(r)
			}
		}
		if r.err != nil {
			return
		}
		r.pos, r.end = end, outer
	}
}

// nameMap reads a vector of index and name pairs.
func nameMap(r *reader) {
	n := r.count("names")
	for i := uint32(0); i < n && r.err == nil; i++ {
		r.u32("name index")
		r.name("name")
	}
}
