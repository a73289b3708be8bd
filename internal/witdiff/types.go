package witdiff

import (
	"fmt"
	"strings"

	"go.bytecodealliance.org/wit"
)

// spell spells a type for comparison (full) or display (short). Named
// types are spelled by their identity (see typeID), never by structure:
// each named type is compared once, as a type of its own.
func (s *side) spell(t wit.Type, short bool) string {
	switch t := t.(type) {
	case nil:
		return "_"
	case *wit.TypeDef:
		if t.Name != nil && t.Owner != nil {
			if short {
				return t.TypeName()
			}
			return s.typeID(t)
		}
		return s.spellKind(t.Kind, short)
	case wit.Node:
		return t.WITKind()
	}
	return fmt.Sprintf("%T", t)
}

// spellKind spells a type definition's right-hand side.
func (s *side) spellKind(k wit.TypeDefKind, short bool) string {
	sp := func(t wit.Type) string { return s.spell(t, short) }
	switch k := k.(type) {
	case *wit.TypeDef:
		return sp(k)
	case *wit.Record:
		f := make([]string, len(k.Fields))
		for i, x := range k.Fields {
			f[i] = x.Name + ": " + sp(x.Type)
		}
		return "record {" + strings.Join(f, ", ") + "}"
	case *wit.Variant:
		c := make([]string, len(k.Cases))
		for i, x := range k.Cases {
			c[i] = x.Name
			if x.Type != nil {
				c[i] += "(" + sp(x.Type) + ")"
			}
		}
		return "variant {" + strings.Join(c, ", ") + "}"
	case *wit.Enum:
		c := make([]string, len(k.Cases))
		for i, x := range k.Cases {
			c[i] = x.Name
		}
		return "enum {" + strings.Join(c, ", ") + "}"
	case *wit.Flags:
		c := make([]string, len(k.Flags))
		for i, x := range k.Flags {
			c[i] = x.Name
		}
		return "flags {" + strings.Join(c, ", ") + "}"
	case *wit.Resource:
		return "resource"
	case *wit.List:
		return "list<" + sp(k.Type) + ">"
	case *wit.Option:
		return "option<" + sp(k.Type) + ">"
	case *wit.Result:
		switch {
		case k.OK == nil && k.Err == nil:
			return "result"
		case k.Err == nil:
			return "result<" + sp(k.OK) + ">"
		}
		return "result<" + sp(k.OK) + ", " + sp(k.Err) + ">"
	case *wit.Tuple:
		c := make([]string, len(k.Types))
		for i, t := range k.Types {
			c[i] = sp(t)
		}
		return "tuple<" + strings.Join(c, ", ") + ">"
	case *wit.Own:
		return sp(k.Type)
	case *wit.Borrow:
		return "borrow<" + sp(k.Type) + ">"
	case *wit.Future:
		if k.Type == nil {
			return "future"
		}
		return "future<" + sp(k.Type) + ">"
	case *wit.Stream:
		if k.Type == nil {
			return "stream"
		}
		return "stream<" + sp(k.Type) + ">"
	case wit.Type:
		return sp(k)
	}
	return fmt.Sprintf("%T", k)
}

// kindWord names what a type definition is, for the start of a line.
func kindWord(td *wit.TypeDef) string {
	switch td.Kind.(type) {
	case *wit.Record:
		return "record"
	case *wit.Variant:
		return "variant"
	case *wit.Enum:
		return "enum"
	case *wit.Flags:
		return "flags"
	case *wit.Resource:
		return "resource"
	}
	return "type"
}

// params spells a parameter list "(level: string, msg: string)".
func (s *side) params(ps []wit.Param, short, names bool) string {
	p := make([]string, len(ps))
	for i, x := range ps {
		p[i] = s.spell(x.Type, short)
		if names {
			p[i] = x.Name + ": " + p[i]
		}
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// results spells a result list: "-" for none, "option<string>" for one
// anonymous result, "(a: u32, b: u32)" for named ones.
func (s *side) results(rs []wit.Param, short, names bool) string {
	switch {
	case len(rs) == 0:
		return "-"
	case len(rs) == 1 && rs[0].Name == "":
		return s.spell(rs[0].Type, short)
	}
	return s.params(rs, short, names)
}

// coreSig is the core wasm signature of f as a plugin imports it (a host
// function) or exports it (a hook), by the canonical ABI's flattening:
// "(i32 i32) -> (i32)".
func coreSig(f *wit.Function, export bool) string {
	dir := wit.Imported
	if export {
		dir = wit.Exported
	}
	cf := f.CoreFunction(dir)
	list := func(ps []wit.Param) string {
		c := make([]string, len(ps))
		for i, p := range ps {
			c[i] = coreType(p.Type)
		}
		return strings.Join(c, " ")
	}
	return "(" + list(cf.Params) + ") -> (" + list(cf.Results) + ")"
}

// coreType is the core value type of one flat value (wit's flattening
// yields U32, U64, F32, F64 and pointers).
func coreType(t wit.Type) string {
	switch t.(type) {
	case wit.U64, wit.S64:
		return "i64"
	case wit.F32:
		return "f32"
	case wit.F64:
		return "f64"
	}
	return "i32"
}

// layout spells a type's canonical-ABI footprint: "88 bytes, align 4, 22
// flat values".
func layout(td *wit.TypeDef) string {
	return fmt.Sprintf("%d bytes, align %d, %d flat values", td.Size(), td.Align(), len(td.Flat()))
}
