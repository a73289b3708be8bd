package wasmtools

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Kinds of FuncSig.
const (
	KindFunc   = "func"
	KindMemory = "memory"
	KindGlobal = "global"
	KindTable  = "table"
)

// FuncSig is one import or export of a core module. Functions carry their
// core signature; memories, globals and tables carry only their kind and name
// (and a global its value type).
type FuncSig struct {
	Kind    string   // KindFunc, KindMemory, KindGlobal or KindTable
	Module  string   // import module; "" for exports
	Name    string   // import field or export name
	Params  []string // function parameters: "i32", "i64", "f32", "f64", …
	Results []string // function results; for a global, its value type
	Mutable bool     // a mutable global
}

// Signature formats a function's core signature as "(i32 i32) -> (i32)"; for
// a global it gives its type ("i32" or "mut i32"), otherwise "".
func (s FuncSig) Signature() string {
	switch s.Kind {
	case KindFunc:
		return "(" + strings.Join(s.Params, " ") + ") -> (" + strings.Join(s.Results, " ") + ")"
	case KindGlobal:
		t := strings.Join(s.Results, " ")
		if s.Mutable {
			t = "mut " + t
		}
		return t
	}
	return ""
}

// String formats s as one line: `import func "module" "name" (i32) -> ()` or
// `export memory "memory"`.
func (s FuncSig) String() string {
	var b strings.Builder
	if s.Module != "" {
		b.WriteString("import ")
	} else {
		b.WriteString("export ")
	}
	b.WriteString(s.Kind)
	if s.Module != "" {
		b.WriteString(" " + strconv.Quote(s.Module))
	}
	b.WriteString(" " + strconv.Quote(s.Name))
	if sig := s.Signature(); sig != "" {
		b.WriteString(" " + sig)
	}
	return b.String()
}

// CoreSignatures compiles a core module with wazero (which validates it) and
// lists its imports and exports in the order the module declares them:
// functions with their core signatures, and memories, globals and tables by
// name.
func CoreSignatures(ctx context.Context, wasm []byte) (imports, exports []FuncSig, err error) {
	entries, err := parseImportsExports(wasm)
	if err != nil {
		return nil, nil, err
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	compiled, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, nil, fmt.Errorf("wasmtools: %w", err)
	}
	importedFuncs := compiled.ImportedFunctions()
	exportedFuncs := compiled.ExportedFunctions()
	nextFunc := 0
	for _, e := range entries {
		s := FuncSig{Kind: e.kind, Module: e.module, Name: e.name}
		switch {
		case e.kind == KindFunc && e.isImport:
			if nextFunc >= len(importedFuncs) {
				return nil, nil, errors.New("wasmtools: wazero lists fewer imported functions than the module")
			}
			def := importedFuncs[nextFunc]
			nextFunc++
			if mod, name, _ := def.Import(); mod != e.module || name != e.name {
				return nil, nil, fmt.Errorf("wasmtools: import %q %q out of step with wazero's %q %q", e.module, e.name, mod, name)
			}
			s.Params, s.Results = typeNames(def.ParamTypes()), typeNames(def.ResultTypes())
		case e.kind == KindFunc:
			def, ok := exportedFuncs[e.name]
			if !ok {
				return nil, nil, fmt.Errorf("wasmtools: wazero does not list exported function %q", e.name)
			}
			s.Params, s.Results = typeNames(def.ParamTypes()), typeNames(def.ResultTypes())
		case e.kind == KindGlobal:
			s.Results, s.Mutable = []string{e.globalType}, e.mutable
		}
		if e.isImport {
			imports = append(imports, s)
		} else {
			exports = append(exports, s)
		}
	}
	return imports, exports, nil
}

func typeNames(ts []api.ValueType) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = api.ValueTypeName(t)
	}
	return names
}

// A minimal reader of the import, global and export sections: wazero's
// CompiledModule does not list globals and tables, nor exports in order.

type entry struct {
	isImport     bool
	kind         string
	module, name string
	globalType   string
	mutable      bool
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("wasmtools: malformed module: "+format, args...)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil || uint64(len(r.b)) < n {
		r.fail("unexpected end")
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) uleb() uint64 {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail("LEB128 too long")
	return 0
}

func (r *reader) name() string { return string(r.bytes(r.uleb())) }

func (r *reader) limits() {
	flags := r.byte()
	r.uleb()
	if flags&1 != 0 {
		r.uleb()
	}
}

var valTypes = map[byte]string{
	0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128",
	0x70: "funcref", 0x6f: "externref",
}

func (r *reader) globalType() (string, bool) {
	t, ok := valTypes[r.byte()]
	if !ok {
		t = "?"
	}
	return t, r.byte()&1 != 0
}

// constExpr skips a constant expression up to and including its end opcode.
func (r *reader) constExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case 0x0b: // end
			return
		case 0x41, 0x42, 0x23, 0xd2: // i32.const, i64.const, global.get, ref.func
			r.uleb() // signed values skip the same way
		case 0x43:
			r.bytes(4)
		case 0x44:
			r.bytes(8)
		case 0xd0: // ref.null t
			r.byte()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended-const arithmetic
		default:
			r.fail("unsupported opcode 0x%02x in a constant expression", op)
		}
	}
}

func parseImportsExports(wasm []byte) ([]entry, error) {
	r := &reader{b: wasm}
	if magic := r.bytes(8); r.err != nil || string(magic[:4]) != "\x00asm" {
		return nil, errors.New("wasmtools: not a wasm binary")
	} else if magic[4] != 1 || magic[5] != 0 || magic[6] != 0 || magic[7] != 0 {
		return nil, errors.New("wasmtools: not a core module (a component?)")
	}
	var entries []entry
	var globals []entry // types of all globals, imported first
	for len(r.b) > 0 && r.err == nil {
		id := r.byte()
		s := &reader{b: r.bytes(r.uleb())}
		switch id {
		case 2: // imports
			for n := s.uleb(); n > 0 && s.err == nil; n-- {
				e := entry{isImport: true, module: s.name(), name: s.name()}
				switch kind := s.byte(); kind {
				case 0:
					e.kind = KindFunc
					s.uleb()
				case 1:
					e.kind = KindTable
					s.byte()
					s.limits()
				case 2:
					e.kind = KindMemory
					s.limits()
				case 3:
					e.kind = KindGlobal
					e.globalType, e.mutable = s.globalType()
					globals = append(globals, e)
				case 4:
					e.kind = "tag"
					s.byte()
					s.uleb()
				default:
					s.fail("import kind %d", kind)
				}
				entries = append(entries, e)
			}
		case 6: // globals
			for n := s.uleb(); n > 0 && s.err == nil; n-- {
				var g entry
				g.globalType, g.mutable = s.globalType()
				s.constExpr()
				globals = append(globals, g)
			}
		case 7: // exports
			for n := s.uleb(); n > 0 && s.err == nil; n-- {
				e := entry{name: s.name()}
				kind, index := s.byte(), s.uleb()
				switch kind {
				case 0:
					e.kind = KindFunc
				case 1:
					e.kind = KindTable
				case 2:
					e.kind = KindMemory
				case 3:
					e.kind = KindGlobal
					if index < uint64(len(globals)) {
						e.globalType, e.mutable = globals[index].globalType, globals[index].mutable
					} else {
						s.fail("global index %d out of range", index)
					}
				case 4:
					e.kind = "tag"
				default:
					s.fail("export kind %d", kind)
				}
				entries = append(entries, e)
			}
		}
		if s.err != nil {
			return nil, s.err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return entries, nil
}
