package interrupt

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Version names the rewriter's output format: a cache of rewritten modules
// keys its entries by it (with the input's hash and the Options), so a
// change to what Rewrite emits must change Version.
const Version = "interrupt/2"

// GlobalPrefix starts the export names that Options.Image gives the
// module's mutable globals: GlobalPrefix + the global's index.
const GlobalPrefix = "wasmplug:global:"

// InitExport is the export that Options.Image points at its init function
// when the module exports no _initialize (nor cm32p2_initialize) of its own.
const InitExport = "_initialize"

// initNames are the reactor initialisers the contract knows (abi.Link).
var initNames = []string{"_initialize", "cm32p2_initialize"}

// Result is what Rewrite produced.
type Result struct {
	// Wasm is the rewritten module.
	Wasm []byte
	// Image reports that Wasm was prepared for images (Options.Image).
	Image bool
	// ImageRefused says why Options.Image could not be honoured (nil when
	// Image is true or was not asked for).
	ImageRefused error
	// Globals are the export names of the module's mutable globals (the
	// interrupt flag excepted), in index order: with the linear memory, the
	// state an image holds. Empty unless Image.
	Globals []string
}

// Rewrite is InstrumentWith that also reports what it did. With
// Options.Image it prepares the instrumented module to be started from an
// image of an initialised instance, so that a host can take the image of
// the first instance after its initialiser ran and start the next ones
// from it without running the initialiser again:
//
//   - every active data segment becomes passive (wazero applies active
//     segments at every instantiation, which for a standard Go guest is
//     most of the cost of an instance);
//
//   - a new function, the module's initialiser from now on (the export of
//     _initialize or cm32p2_initialize is pointed at it; InitExport is
//     added when the module has none), runs once per instance:
//
//     global.get $inited; if; return; end
//     i32.const 1; global.set $inited
//     (for each former active segment i) offset; i32.const 0; i32.const len; memory.init i; data.drop i
//     call $original_initialiser (if any)
//
//     so it does on a fresh instance what instantiation and the original
//     initialiser did, and nothing on an instance whose memory and
//     globals were restored from an image ($inited is 1 there);
//
//   - every mutable global but the interrupt flag ($inited and the yield
//     countdown included) is exported as GlobalPrefix + its index, so the
//     host can read and write it (Result.Globals).
//
// Images need all of an instance's state to be in memory 0 and the
// globals: a module that imports its memory or a mutable global, has
// several memories or a 64-bit one, a start function, a mutable global
// that is not a number, or code that changes tables or segment state
// (table.set/grow/fill/init/copy, elem.drop, memory.init, data.drop) is
// instrumented without images and Result.ImageRefused says why.
func Rewrite(wasm []byte, opts Options) (*Result, error) {
	out, m, err := instrument(wasm, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Wasm: out}
	if !opts.Image {
		return res, nil
	}
	if err := m.imageable(); err != nil {
		res.ImageRefused = err
		return res, nil
	}
	img, globals, err := prepareImage(out, m.globals)
	if err != nil {
		res.ImageRefused = err
		return res, nil
	}
	res.Wasm, res.Image, res.Globals = img, true, globals
	return res, nil
}

// imageable says why the input's instances could not be imaged, or nil.
func (m *module) imageable() error {
	refuse := func(at int, why string) error {
		return &Error{Kind: ErrUnsupported, Offset: at, Reason: "no image: " + why}
	}
	switch {
	case m.importedMemory:
		return refuse(8, "the module imports its memory")
	case m.importedMutable:
		return refuse(8, "the module imports a mutable global")
	case m.memories != 1:
		return refuse(8, fmt.Sprintf("the module has %d memories, not 1", m.memories))
	case m.mem64:
		return refuse(8, "memory 0 is 64-bit")
	case m.stateOp >= 0:
		return refuse(m.stateOp, "the code changes tables or segment state, which an image does not hold")
	}
	for _, s := range m.sections {
		if s.id == 8 {
			return refuse(s.start, "the module has a start function")
		}
	}
	return nil
}

// segment is a former active data segment: its offset expression (without
// its end) and its length.
type segment struct {
	index  uint32
	offset []byte
	init   []byte
}

// maxGap is the longest run of zeros merging two data segments may add.
const maxGap = 4096

// mergeSegments merges the active data segments into as few as it may:
// wazero creates a data instance for every segment of every instance, which
// for a standard Go guest's 35,000 segments costs more than the rest of
// instantiation. When every offset is a constant and no two segments
// overlap, the order of the writes does not matter: the segments are
// sorted by offset and neighbours at most maxGap bytes apart become one
// (the gap is zeros, as the memory was). Otherwise only neighbours in
// module order are merged, and only while each starts at or after the end
// of every segment before it, so no write moves past another.
func mergeSegments(segs []segment) []segment {
	type seg struct {
		off  uint64
		init []byte
	}
	consts := make([]seg, 0, len(segs))
	for _, s := range segs {
		o, ok := constOffset(s.offset)
		if !ok {
			consts = nil
			break
		}
		consts = append(consts, seg{o, s.init})
	}
	if consts != nil && !slices.IsSortedFunc(consts, func(a, b seg) int { return cmp.Compare(a.off, b.off) }) {
		slices.SortStableFunc(consts, func(a, b seg) int { return cmp.Compare(a.off, b.off) })
		for i := 1; i < len(consts); i++ {
			if consts[i-1].off+uint64(len(consts[i-1].init)) > consts[i].off {
				return mergeInOrder(segs) // overlaps: the order of writes matters
			}
		}
		out := make([]segment, 0, len(segs))
		for _, c := range consts {
			out = append(out, segment{offset: appendS32([]byte{0x41}, int32(uint32(c.off))), init: c.init})
		}
		return mergeInOrder(out)
	}
	return mergeInOrder(segs)
}

// mergeInOrder merges neighbours in order: a segment with a constant
// offset joins the run before it when it starts at or after the end of
// every segment so far, the run ends there, and the gap is at most maxGap.
func mergeInOrder(segs []segment) []segment {
	var (
		out    []segment
		run    []byte
		start  uint64
		maxEnd uint64
	)
	flush := func() {
		if run != nil {
			out = append(out, segment{offset: appendS32([]byte{0x41}, int32(uint32(start))), init: run})
			run = nil
		}
	}
	for _, s := range segs {
		o, ok := constOffset(s.offset)
		if !ok {
			flush()
			out = append(out, s)
			maxEnd = math.MaxUint64 // unknown until instantiation
			continue
		}
		end := o + uint64(len(s.init))
		if run != nil {
			rend := start + uint64(len(run))
			if rend == maxEnd && o >= rend && o-rend <= maxGap && end-start <= math.MaxInt32 {
				run = append(run, make([]byte, o-rend)...)
				run = append(run, s.init...)
				maxEnd = end
				continue
			}
		}
		flush()
		run, start = append([]byte(nil), s.init...), o
		maxEnd = max(maxEnd, end)
	}
	flush()
	return out
}

// constOffset decodes an offset expression that is one i32.const.
func constOffset(e []byte) (uint64, bool) {
	if len(e) < 2 || e[0] != 0x41 {
		return 0, false
	}
	r := &reader{b: e, pos: 1, end: len(e)}
	v := r.signed(32, "offset")
	if r.err != nil || r.pos != len(e) {
		return 0, false
	}
	return uint64(uint32(int32(v))), true
}

// appendPassive appends a passive data segment.
func appendPassive(b, init []byte) []byte {
	b = append(b, 1)
	b = appendU32(b, uint32(len(init)))
	return append(b, init...)
}

// prepareImage rewrites out, the instrumented module, as Rewrite
// describes. flag is the interrupt flag's index.
func prepareImage(out []byte, flag uint32) ([]byte, []string, error) {
	m, err := scanModule(out, true)
	if err != nil {
		return nil, nil, err
	}
	var (
		funcSec, codeSec, dataSec, typeSec = -1, -1, -1, -1
		hasDataCount                       bool
	)
	for i, s := range m.sections {
		switch s.id {
		case 1:
			typeSec = i
		case 3:
			funcSec = i
		case secCode:
			codeSec = i
		case 11:
			dataSec = i
		case secDataCount:
			hasDataCount = true
		}
	}
	if funcSec < 0 || codeSec < 0 {
		return nil, nil, &Error{Kind: ErrUnsupported, Offset: 8, Reason: "no image: the module defines no functions"}
	}
	body := func(i int) *reader {
		s := m.sections[i]
		return &reader{b: out, pos: s.body, end: s.end}
	}

	// Functions: the new one is the last.
	fr := body(funcSec)
	defined := fr.count("functions")
	funcEntries := fr.pos
	if uint64(m.funcs)+uint64(defined) >= math.MaxUint32 {
		return nil, nil, &Error{Kind: ErrUnsupported, Offset: m.sections[funcSec].start, Reason: "no image: no function index left"}
	}
	newFunc := m.funcs + defined
	newType := m.types

	// Globals: the mutable ones are exported; $inited is added last.
	inited := m.globals
	var globals []string
	var exportGlobals []uint32
	imported := m.globals - m.globalCount
	if m.global >= 0 {
		gr := body(m.global)
		gr.count("globals")
		sc := scanner{r: gr, globals: m.globals, stateOp: -1}
		for i := uint32(0); i < m.globalCount && gr.err == nil; i++ {
			at := gr.pos
			t := byte(0)
			if gr.pos < gr.end {
				t = gr.b[gr.pos]
			}
			gr.valType("global type")
			mut := gr.byte("global mutability")
			sc.expr()
			idx := imported + i
			if gr.err != nil || mut == 0 || idx == flag {
				continue
			}
			if t < 0x7c || t > 0x7f {
				return nil, nil, &Error{Kind: ErrUnsupported, Offset: at, Reason: fmt.Sprintf("no image: mutable global %d is not a number", idx)}
			}
			exportGlobals = append(exportGlobals, idx)
		}
		if gr.err != nil {
			return nil, nil, gr.err
		}
	}
	exportGlobals = append(exportGlobals, inited)
	for _, g := range exportGlobals {
		globals = append(globals, GlobalPrefix+strconv.FormatUint(uint64(g), 10))
	}

	// Data: active segments become passive, merged where they may be.
	var (
		segs      []segment
		data      []byte // the new data section's segments
		dataCount uint32 // how many
		passive   [][]byte
	)
	if dataSec >= 0 {
		dr := body(dataSec)
		n := dr.count("data segments")
		sc := scanner{r: dr, globals: m.globals, stateOp: -1}
		for i := uint32(0); i < n && dr.err == nil; i++ {
			at := dr.pos
			flags := dr.u32("data segment flags")
			var offset []byte
			switch flags {
			case 2:
				if mi := dr.u32("memory index"); mi != 0 && dr.err == nil {
					return nil, nil, &Error{Kind: ErrUnsupported, Offset: at, Reason: "no image: a data segment of memory " + strconv.FormatUint(uint64(mi), 10)}
				}
				fallthrough
			case 0:
				start := dr.pos
				sc.expr()
				if dr.err == nil {
					offset = out[start : dr.pos-1] // without the end
				}
			}
			size := dr.u32("data segment size")
			init := dr.pos
			dr.skip(uint64(size), "data segment")
			if dr.err != nil {
				return nil, nil, dr.err
			}
			if flags == 1 {
				passive = append(passive, out[init:dr.pos])
				continue
			}
			segs = append(segs, segment{offset: offset, init: out[init:dr.pos]})
		}
		if dr.err != nil {
			return nil, nil, dr.err
		}
		segs = mergeSegments(segs)
		for i := range segs {
			segs[i].index = dataCount
			data = appendPassive(data, segs[i].init)
			dataCount++
		}
		for _, p := range passive {
			data = appendPassive(data, p)
			dataCount++
		}
		data = append(appendU32(nil, dataCount), data...)
	}

	// Exports: the initialiser points at the new function.
	var exports []byte
	var origInit int64 = -1
	exportCount := m.exportCount
	if m.export >= 0 {
		er := body(m.export)
		er.count("exports")
		for i := uint32(0); i < m.exportCount && er.err == nil; i++ {
			name := er.name("export name")
			kind := er.byte("export kind")
			idx := er.u32("export index")
			if er.err != nil {
				break
			}
			if n := string(name); (n == InitExport && kind != 0) || strings.HasPrefix(n, GlobalPrefix) {
				return nil, nil, &Error{Kind: ErrUnsupported, Offset: m.sections[m.export].start, Reason: fmt.Sprintf("no image: the module exports %q, a name images need", n)}
			}
			exports = appendU32(exports, uint32(len(name)))
			exports = append(exports, name...)
			exports = append(exports, kind)
			if kind == 0 && isInit(string(name)) {
				if origInit >= 0 && uint32(origInit) != idx {
					return nil, nil, &Error{Kind: ErrUnsupported, Offset: m.sections[m.export].start, Reason: "no image: two different initialisers are exported"}
				}
				origInit = int64(idx)
				idx = newFunc
			}
			exports = appendU32(exports, idx)
		}
		if er.err != nil {
			return nil, nil, er.err
		}
	}
	if origInit < 0 {
		exports = appendExport(exports, InitExport, 0, newFunc)
		exportCount++
	}
	for i, g := range exportGlobals {
		exports = appendExport(exports, globals[i], 3, g)
		exportCount++
	}

	// The new function's body.
	fn := []byte{0} // no locals
	fn = appendCheck(fn, flag)
	fn = append(fn, 0x23)
	fn = appendU32(fn, inited)
	fn = append(fn, 0x04, 0x40, 0x0f, 0x0b, 0x41, 0x01, 0x24) // if; return; end; i32.const 1; global.set
	fn = appendU32(fn, inited)
	for _, sg := range segs {
		fn = append(fn, sg.offset...)
		fn = append(fn, 0x41, 0x00, 0x41)
		fn = appendS32(fn, int32(uint32(len(sg.init))))
		fn = append(fn, 0xfc, 0x08)
		fn = appendU32(fn, sg.index)
		fn = append(fn, 0x00, 0xfc, 0x09)
		fn = appendU32(fn, sg.index)
	}
	if origInit >= 0 {
		fn = append(fn, 0x10)
		fn = appendU32(fn, uint32(origInit))
	}
	fn = append(fn, 0x0b)

	res := make([]byte, 0, len(out)+len(fn)+len(exports)+64)
	res = append(res, out[:8]...)
	missingType, missingDataCount := typeSec < 0, !hasDataCount && len(segs) > 0
	flush := func(rank int) {
		if missingType && rank > 1 {
			res = appendSection(res, 1, []byte{1}, []byte{0x60, 0, 0})
			missingType = false
		}
		if missingDataCount && rank > order(secDataCount) {
			res = appendSection(res, secDataCount, appendU32(nil, dataCount))
			missingDataCount = false
		}
	}
	for _, s := range m.sections {
		if s.id != secCustom {
			flush(order(s.id))
		}
		switch s.id {
		case 1:
			tr := body(typeSec)
			tr.count("types")
			res = appendSection(res, 1, appendU32(nil, m.types+1), out[tr.pos:s.end], []byte{0x60, 0, 0})
		case 3:
			res = appendSection(res, 3, appendU32(nil, defined+1), out[funcEntries:s.end], appendU32(nil, newType))
		case secGlobal:
			res = appendSection(res, secGlobal, appendU32(nil, m.globalCount+1), out[m.globalEntries:s.end], newGlobal)
		case secExport:
			res = appendSection(res, secExport, appendU32(nil, exportCount), exports)
		case secCode:
			cr := body(codeSec)
			n := cr.count("function bodies")
			res = appendSection(res, secCode, appendU32(nil, n+1), out[cr.pos:s.end], appendU32(nil, uint32(len(fn))), fn)
		case 11:
			res = appendSection(res, 11, data)
		case secDataCount:
			res = appendSection(res, secDataCount, appendU32(nil, dataCount))
		default:
			res = append(res, out[s.start:s.end]...)
		}
	}
	flush(math.MaxInt)
	if m.global < 0 || m.export < 0 {
		// Instrumentation always emits both.
		return nil, nil, &Error{Kind: ErrMalformed, Offset: 8, Reason: "no image: instrumented module without global or export section"}
	}
	return res, globals, nil
}

func isInit(name string) bool {
	for _, n := range initNames {
		if name == n {
			return true
		}
	}
	return false
}

// appendExport appends an export entry.
func appendExport(b []byte, name string, kind byte, idx uint32) []byte {
	b = appendU32(b, uint32(len(name)))
	b = append(b, name...)
	b = append(b, kind)
	return appendU32(b, idx)
}
