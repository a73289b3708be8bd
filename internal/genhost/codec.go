package genhost

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/raisfast/wasmplug/internal/gengo"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// codec emits the lift/lower helpers of the types a world uses, on demand:
// load/store move a value between Go and guest memory, lift/lower between
// Go and flat core values, readList/writeList handle list bodies.
type codec struct {
	f       *jen.File
	helpers *gengo.Helpers
	shared  gengo.Codec
}

func newCodec(f *jen.File) *codec {
	c := &codec{f: f}
	c.helpers = gengo.NewHelpers(c.emit)
	c.shared = gengo.Codec{
		Type:  GoType,
		Named: func(goName string) jen.Code { return jen.Id(goName) },
		CaseValue: func(cs *m.Case, x jen.Code) jen.Code {
			if x == nil {
				return jen.Id(cs.GoName).Values()
			}
			return jen.Id(cs.GoName).Values(x)
		},
		NilVariant: nilVariant,
		Write:      write,
		Store: func(v jen.Code, t *m.Type, p jen.Code, off uint32) []jen.Code {
			return c.storeFrom(v, t, p, off, ret)
		},
		Lower: func(v jen.Code, t *m.Type, f jen.Code, i int) []jen.Code {
			return c.lowerFrom(v, t, f, i, ret)
		},
	}
	return c
}

// need returns the name of helper op for t and schedules its emission.
func (c *codec) need(op string, t *m.Type) string { return c.helpers.Need(op, t) }

// flush emits every scheduled helper (emitting may schedule more).
func (c *codec) flush() { c.helpers.Flush() }

func le(bits int, b jen.Code, off uint32) jen.Code {
	return jen.Qual(pkgBin, "LittleEndian").Dot(fmt.Sprintf("Uint%d", bits)).Call(jen.Add(b).Index(jen.Lit(int(off)), jen.Empty()))
}

// load reads an unsigned integer of the given width at offset off of b.
func load(b jen.Code) func(bits int, off uint32) jen.Code {
	return func(bits int, off uint32) jen.Code {
		if bits == 8 {
			return jen.Add(b).Index(jen.Lit(int(off)))
		}
		return le(bits, b, off)
	}
}

// write stores the low bits of integer x in guest memory at address at.
func write(bits int, at, x jen.Code) jen.Code {
	switch bits {
	case 8:
		return memCall("WriteByte", at, jen.Byte().Call(x))
	case 16:
		return memCall("WriteUint16Le", at, jen.Uint16().Call(x))
	}
	return memCall("WriteUint32Le", at, jen.Uint32().Call(x))
}

func errCheck(onErr jen.Code) jen.Code {
	return jen.If(jen.Err().Op("!=").Nil()).Block(onErr)
}

// loadInto assigns to dst the value of type t stored in b at off.
func (c *codec) loadInto(dst jen.Code, t *m.Type, b jen.Code, off uint32, onErr jen.Code) []jen.Code {
	at := func() *jen.Statement { return jen.Add(b).Index(jen.Lit(int(off))) }
	set := func(v jen.Code) []jen.Code { return []jen.Code{jen.Add(dst).Op("=").Add(v)} }
	switch t.Kind {
	case m.Bool:
		return set(at().Op("!=").Lit(0))
	case m.S8:
		return set(jen.Int8().Call(at()))
	case m.U8:
		return set(at())
	case m.S16:
		return set(jen.Int16().Call(le(16, b, off)))
	case m.U16:
		return set(le(16, b, off))
	case m.S32:
		return set(jen.Int32().Call(le(32, b, off)))
	case m.U32:
		return set(le(32, b, off))
	case m.S64:
		return set(jen.Int64().Call(le(64, b, off)))
	case m.U64:
		return set(le(64, b, off))
	case m.F32:
		return set(jen.Qual(pkgMath, "Float32frombits").Call(le(32, b, off)))
	case m.F64:
		return set(jen.Qual(pkgMath, "Float64frombits").Call(le(64, b, off)))
	case m.Char:
		return []jen.Code{jen.List(dst, jen.Err()).Op("=").Qual(pkgABI, "Char").Call(le(32, b, off)), errCheck(onErr)}
	case m.String:
		return []jen.Code{jen.List(dst, jen.Err()).Op("=").Qual(pkgABI, "LoadString").Call(jen.Id("mem"), le(32, b, off), le(32, b, off+4)), errCheck(onErr)}
	case m.List:
		return []jen.Code{jen.List(dst, jen.Err()).Op("=").Id(c.need("readList", t)).Call(memArg(t), le(32, b, off), le(32, b, off+4)), errCheck(onErr)}
	case m.Own, m.Borrow:
		return liftHandle(dst, t, le(32, b, off), onErr)
	}
	return []jen.Code{jen.List(dst, jen.Err()).Op("=").Id(c.need("load", t)).Call(memArg(t), jen.Add(b).Index(jen.Lit(int(off)), jen.Empty())), errCheck(onErr)}
}

func memCall(method string, args ...jen.Code) jen.Code {
	return jen.Id("g").Dot("Mem").Dot(method).Call(args...)
}

// storeFrom writes v of type t at p+off (a region already checked).
func (c *codec) storeFrom(v jen.Code, t *m.Type, p jen.Code, off uint32, onErr jen.Code) []jen.Code {
	at := gengo.Plus(p, off)
	switch t.Kind {
	case m.Bool:
		return []jen.Code{memCall("WriteByte", at, jen.Byte().Call(jen.Qual(pkgABI, "Bool").Call(v)))}
	case m.S8:
		return []jen.Code{memCall("WriteByte", at, jen.Byte().Call(v))}
	case m.U8:
		return []jen.Code{memCall("WriteByte", at, v)}
	case m.S16, m.U16:
		return []jen.Code{memCall("WriteUint16Le", at, jen.Uint16().Call(v))}
	case m.S32, m.U32:
		return []jen.Code{memCall("WriteUint32Le", at, jen.Uint32().Call(v))}
	case m.S64, m.U64:
		return []jen.Code{memCall("WriteUint64Le", at, jen.Uint64().Call(v))}
	case m.F32:
		return []jen.Code{memCall("WriteFloat32Le", at, v)}
	case m.F64:
		return []jen.Code{memCall("WriteFloat64Le", at, v)}
	case m.Char:
		return []jen.Code{
			jen.If(jen.Err().Op("=").Qual(pkgABI, "CheckChar").Call(v), jen.Err().Op("!=").Nil()).Block(onErr),
			memCall("WriteUint32Le", at, jen.Uint32().Call(v)),
		}
	case m.String:
		return []jen.Code{jen.Block(
			jen.Var().List(jen.Id("sp"), jen.Id("sl")).Uint32(),
			jen.List(jen.Id("sp"), jen.Id("sl"), jen.Err()).Op("=").Id("g").Dot("StoreString").Call(jen.Id("ctx"), v),
			errCheck(onErr),
			memCall("WriteUint32Le", at, jen.Id("sp")),
			memCall("WriteUint32Le", gengo.Plus(p, off+4), jen.Id("sl")),
		)}
	case m.List:
		return []jen.Code{jen.Block(
			jen.Var().Id("lq").Uint32(),
			jen.List(jen.Id("lq"), jen.Err()).Op("=").Id(c.need("writeList", t)).Call(jen.Id("ctx"), jen.Id("g"), v),
			errCheck(onErr),
			memCall("WriteUint32Le", at, jen.Id("lq")),
			memCall("WriteUint32Le", gengo.Plus(p, off+4), jen.Uint32().Call(jen.Len(v))),
		)}
	case m.Own, m.Borrow:
		return lowerHandle(v, t, onErr, func(idx jen.Code) jen.Code { return memCall("WriteUint32Le", at, idx) })
	}
	return []jen.Code{jen.If(jen.Err().Op("=").Id(c.need("store", t)).Call(jen.Id("ctx"), jen.Id("g"), at, v), jen.Err().Op("!=").Nil()).Block(onErr)}
}

// liftInto assigns to dst the value of type t flattened in f starting at i.
func (c *codec) liftInto(dst jen.Code, t *m.Type, f jen.Code, i int, onErr jen.Code) []jen.Code {
	set := func(v jen.Code) []jen.Code { return []jen.Code{jen.Add(dst).Op("=").Add(v)} }
	u32 := func(i int) *jen.Statement { return jen.Uint32().Call(gengo.Flat(f, i)) }
	switch t.Kind {
	case m.Bool:
		return set(u32(i).Op("!=").Lit(0))
	case m.S8:
		return set(jen.Int8().Call(u32(i)))
	case m.U8:
		return set(jen.Uint8().Call(gengo.Flat(f, i)))
	case m.S16:
		return set(jen.Int16().Call(u32(i)))
	case m.U16:
		return set(jen.Uint16().Call(gengo.Flat(f, i)))
	case m.S32:
		return set(jen.Int32().Call(u32(i)))
	case m.U32:
		return set(u32(i))
	case m.S64:
		return set(jen.Int64().Call(gengo.Flat(f, i)))
	case m.U64:
		return set(gengo.Flat(f, i))
	case m.F32:
		return set(jen.Qual(pkgMath, "Float32frombits").Call(u32(i)))
	case m.F64:
		return set(jen.Qual(pkgMath, "Float64frombits").Call(gengo.Flat(f, i)))
	case m.Char:
		return []jen.Code{jen.List(dst, jen.Err()).Op("=").Qual(pkgABI, "Char").Call(u32(i)), errCheck(onErr)}
	case m.String:
		return []jen.Code{jen.List(dst, jen.Err()).Op("=").Qual(pkgABI, "LoadString").Call(jen.Id("mem"), u32(i), u32(i+1)), errCheck(onErr)}
	case m.List:
		return []jen.Code{jen.List(dst, jen.Err()).Op("=").Id(c.need("readList", t)).Call(memArg(t), u32(i), u32(i+1)), errCheck(onErr)}
	case m.Own, m.Borrow:
		return liftHandle(dst, t, u32(i), onErr)
	}
	return []jen.Code{jen.List(dst, jen.Err()).Op("=").Id(c.need("lift", t)).Call(memArg(t), jen.Add(f).Index(jen.Lit(i), jen.Empty())), errCheck(onErr)}
}

// lowerFrom flattens v of type t into f starting at i.
func (c *codec) lowerFrom(v jen.Code, t *m.Type, f jen.Code, i int, onErr jen.Code) []jen.Code {
	set := func(x jen.Code) []jen.Code { return []jen.Code{gengo.Flat(f, i).Op("=").Add(x)} }
	switch t.Kind {
	case m.Bool:
		return set(jen.Qual(pkgABI, "Bool").Call(v))
	case m.S8, m.S16, m.S32:
		return set(jen.Uint64().Call(jen.Uint32().Call(jen.Int32().Call(v))))
	case m.U8, m.U16, m.U32:
		return set(jen.Uint64().Call(v))
	case m.S64:
		return set(jen.Uint64().Call(v))
	case m.U64:
		return set(v)
	case m.F32:
		return set(jen.Uint64().Call(jen.Qual(pkgMath, "Float32bits").Call(v)))
	case m.F64:
		return set(jen.Qual(pkgMath, "Float64bits").Call(v))
	case m.Char:
		return []jen.Code{
			jen.If(jen.Err().Op("=").Qual(pkgABI, "CheckChar").Call(v), jen.Err().Op("!=").Nil()).Block(onErr),
			gengo.Flat(f, i).Op("=").Uint64().Call(jen.Uint32().Call(v)),
		}
	case m.String:
		return []jen.Code{jen.Block(
			jen.Var().List(jen.Id("sp"), jen.Id("sl")).Uint32(),
			jen.List(jen.Id("sp"), jen.Id("sl"), jen.Err()).Op("=").Id("g").Dot("StoreString").Call(jen.Id("ctx"), v),
			errCheck(onErr),
			jen.List(gengo.Flat(f, i), gengo.Flat(f, i+1)).Op("=").List(jen.Uint64().Call(jen.Id("sp")), jen.Uint64().Call(jen.Id("sl"))),
		)}
	case m.List:
		return []jen.Code{jen.Block(
			jen.Var().Id("lq").Uint32(),
			jen.List(jen.Id("lq"), jen.Err()).Op("=").Id(c.need("writeList", t)).Call(jen.Id("ctx"), jen.Id("g"), v),
			errCheck(onErr),
			jen.List(gengo.Flat(f, i), gengo.Flat(f, i+1)).Op("=").List(jen.Uint64().Call(jen.Id("lq")), jen.Uint64().Call(jen.Len(v))),
		)}
	case m.Own, m.Borrow:
		return lowerHandle(v, t, onErr, func(idx jen.Code) jen.Code { return gengo.Flat(f, i).Op("=").Uint64().Call(idx) })
	}
	return []jen.Code{jen.If(jen.Err().Op("=").Id(c.need("lower", t)).Call(jen.Id("ctx"), jen.Id("g"), v, jen.Add(f).Index(jen.Lit(i), jen.Empty())), jen.Err().Op("!=").Nil()).Block(onErr)}
}

var ret = jen.Return()

// emit writes helper op of t.
func (c *codec) emit(op string, t *m.Type, name string) {
	T := GoType(t)
	memParam := jen.Id("mem").Qual(pkgAPI, "Memory")
	gParams := []jen.Code{jen.Id("ctx").Qual("context", "Context"), jen.Id("g").Op("*").Qual(pkgABI, "Guest")}
	var body []jen.Code
	if t.HasHandles() && (op == "load" || op == "lift" || op == "readList") {
		// handles need the table: take g, and read memory through it
		memParam = jen.Id("g").Op("*").Qual(pkgABI, "Guest")
		body = []jen.Code{jen.Id("mem").Op(":=").Id("g").Dot("Mem"), jen.Id("_").Op("=").Id("mem")}
	}
	switch op {
	case "load":
		body = append(body, c.loadBody(t)...)
		c.f.Func().Id(name).Params(memParam, jen.Id("b").Index().Byte()).Params(jen.Id("out").Add(T), jen.Err().Error()).Block(append(body, ret)...)
	case "store":
		body = c.storeBody(t)
		c.f.Func().Id(name).Params(append(gParams, jen.Id("ptr").Uint32(), jen.Id("v").Add(T))...).Params(jen.Err().Error()).Block(append(body, ret)...)
	case "lift":
		body = append(body, c.liftBody(t)...)
		c.f.Func().Id(name).Params(memParam, jen.Id("f").Index().Uint64()).Params(jen.Id("out").Add(T), jen.Err().Error()).Block(append(body, ret)...)
	case "lower":
		body = c.lowerBody(t)
		c.f.Func().Id(name).Params(append(gParams, jen.Id("v").Add(T), jen.Id("f").Index().Uint64())...).Params(jen.Err().Error()).Block(append(body, ret)...)
	case "readList":
		body = append(body, c.readListBody(t)...)
		c.f.Func().Id(name).Params(memParam, jen.Id("p"), jen.Id("n").Uint32()).Params(jen.Id("out").Add(T), jen.Err().Error()).Block(append(body, ret)...)
	case "writeList":
		body = c.writeListBody(t)
		c.f.Func().Id(name).Params(append(gParams, jen.Id("v").Add(T))...).Params(jen.Id("lp").Uint32(), jen.Err().Error()).Block(append(body, ret)...)
	}
}

func discErr(t *m.Type, d jen.Code) jen.Code {
	return jen.Err().Op("=").Op("&").Qual(pkgABI, "DiscriminantError").Values(jen.Dict{
		jen.Id("Type"): jen.Lit(t.WIT), jen.Id("Value"): jen.Uint32().Call(d), jen.Id("Cases"): jen.Lit(len(t.Cases)),
	})
}

func readDisc(t *m.Type, b jen.Code) jen.Code {
	return gengo.ReadDisc(t, func(bits int) jen.Code { return load(b)(bits, 0) })
}

// loadBody is the body of helper load of t, reading b.
func (c *codec) loadBody(t *m.Type) []jen.Code {
	b := jen.Id("b")
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.loadInto(jen.Id("out").Dot(fl.GoName), fl.Type, b, fl.Offset, ret)...)
		}
		return body
	case m.Flags:
		return []jen.Code{jen.Id("out").Op("=").Add(c.shared.FlagsValue(t, gengo.FlagsFromMem(t, load(b))))}
	case m.Enum:
		return c.shared.EnumBody(t, readDisc(t, b), discErr(t, jen.Id("d")), ret)
	}
	// option, result, variant
	return c.shared.CasesBody(t, []jen.Code{jen.Id("d").Op(":=").Add(readDisc(t, b)), jen.Id("d")},
		func(x jen.Code, pt *m.Type) []jen.Code { return c.loadInto(x, pt, b, t.PayloadOffset, ret) },
		discErr(t, jen.Id("d")))
}

// storeBody is the body of helper store of t, writing at ptr.
func (c *codec) storeBody(t *m.Type) []jen.Code {
	body := c.shared.StoreBody(t, jen.Id("ptr"))
	if t.Kind == m.Enum {
		return append([]jen.Code{enumCheck(t)}, body...)
	}
	return body
}

// enumCheck returns an error for an enum value v out of range.
func enumCheck(t *m.Type) jen.Code {
	return jen.If(jen.Uint32().Call(jen.Id("v")).Op(">=").Lit(len(t.Cases))).Block(discErr(t, jen.Id("v")), ret)
}

func nilVariant(t *m.Type) jen.Code {
	return jen.Err().Op("=").Qual("fmt", "Errorf").Call(jen.Lit(t.WIT+" value %T: %w"), jen.Id("v"), jen.Qual(pkgABI, "ErrNilVariant"))
}

// liftBody is the body of helper lift of t, reading f.
func (c *codec) liftBody(t *m.Type) []jen.Code {
	f := jen.Id("f")
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.liftInto(jen.Id("out").Dot(fl.GoName), fl.Type, f, fl.FlatAt, ret)...)
		}
		return body
	case m.Flags:
		return []jen.Code{jen.Id("out").Op("=").Add(c.shared.FlagsValue(t, gengo.FlagsFromFlat(t)))}
	case m.Enum:
		return c.shared.EnumBody(t, jen.Uint32().Call(jen.Id("f").Index(jen.Lit(0))), discErr(t, jen.Id("d")), ret)
	}
	return c.shared.CasesBody(t, []jen.Code{jen.Id("d").Op(":=").Uint32().Call(jen.Id("f").Index(jen.Lit(0))), jen.Id("d")},
		func(x jen.Code, pt *m.Type) []jen.Code { return c.liftInto(x, pt, f, 1, ret) },
		discErr(t, jen.Id("d")))
}

// lowerBody is the body of helper lower of t, writing f.
func (c *codec) lowerBody(t *m.Type) []jen.Code {
	body := c.shared.LowerBody(t)
	if t.Kind == m.Enum {
		return append([]jen.Code{enumCheck(t)}, body...)
	}
	return body
}

func (c *codec) readListBody(t *m.Type) []jen.Code {
	if isBytes(t) {
		return []jen.Code{jen.List(jen.Id("out"), jen.Err()).Op("=").Qual(pkgABI, "LoadBytes").Call(jen.Id("mem"), jen.Id("p"), jen.Id("n"))}
	}
	e := t.Elem
	loop := []jen.Code{jen.Id("e").Op(":=").Id("eb").Index(jen.Id("i").Op("*").Lit(int(e.Size)), jen.Empty())}
	loop = append(loop, c.loadInto(jen.Id("out").Index(jen.Id("i")), e, jen.Id("e"), 0, ret)...)
	return []jen.Code{
		jen.List(jen.Id("eb"), jen.Err()).Op(":=").Qual(pkgABI, "ReadList").Call(jen.Id("mem"), jen.Id("p"), jen.Id("n"), jen.Lit(int(e.Align)), jen.Lit(int(e.Size))).Comment(gengo.Layout("elements of "+t.WIT, e)),
		errCheck(ret),
		jen.Id("out").Op("=").Make(GoType(t), jen.Id("n")),
		jen.For(jen.Id("i").Op(":=").Range().Id("out")).Block(loop...),
	}
}

func (c *codec) writeListBody(t *m.Type) []jen.Code {
	if isBytes(t) {
		return []jen.Code{jen.List(jen.Id("lp"), jen.Id("_"), jen.Err()).Op("=").Id("g").Dot("StoreBytes").Call(jen.Id("ctx"), jen.Id("v"))}
	}
	e := t.Elem
	at := jen.Id("lp").Op("+").Uint32().Call(jen.Id("i")).Op("*").Lit(int(e.Size))
	loop := c.storeFrom(jen.Id("v").Index(jen.Id("i")), e, jen.Parens(at), 0, ret)
	return []jen.Code{
		jen.Comment(gengo.Layout("elements of "+t.WIT, e)),
		jen.If(jen.List(jen.Id("lp"), jen.Err()).Op("=").Id("g").Dot("AllocList").Call(jen.Id("ctx"), jen.Len(jen.Id("v")), jen.Lit(int(e.Align)), jen.Lit(int(e.Size))), jen.Err().Op("!=").Nil()).Block(ret),
		jen.For(jen.Id("i").Op(":=").Range().Id("v")).Block(loop...),
	}
}
