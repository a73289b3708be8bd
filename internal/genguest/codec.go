package genguest

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/raisfast/wasmplug/internal/gengo"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// codec emits the guest's lift/lower code. Primitives, strings and lists
// of bytes are handled inline; every other type gets helpers in the
// bindings' internal wire package, emitted on demand (like genhost's codec):
// Load/Store move a value between Go and linear memory at an address,
// Lift/Lower between Go and flat core values (a []uint64 holding each core
// value's bits), ReadList/WriteList handle list bodies.
//
// The guest trusts its host, so nothing here returns errors: a
// discriminant out of range or a nil variant traps (cabi.Unreachable).
type codec struct {
	root    string // import path of the package declaring the world's types
	wire    string // import path of the helpers' package
	f       *jen.File
	helpers *gengo.Helpers
	shared  gengo.Codec
}

// newCodec returns the codec of bindings whose types root declares,
// writing its helpers into f, the file of package wire.
func newCodec(root, wire string, f *jen.File) *codec {
	c := &codec{root: root, wire: wire, f: f}
	c.helpers = gengo.NewHelpers(c.emit)
	c.shared = gengo.Codec{
		Type:  c.typ,
		Named: func(goName string) jen.Code { return jen.Qual(root, goName) },
		CaseValue: func(cs *m.Case, x jen.Code) jen.Code {
			if x == nil {
				return jen.Qual(root, cs.GoName).Values()
			}
			return jen.Qual(root, cs.GoName).Values(jen.Dict{jen.Id("Value"): x})
		},
		NilVariant: func(t *m.Type) jen.Code { return unreachable("cannot lower a nil " + t.WIT) },
		Write: func(bits int, at, x jen.Code) jen.Code {
			return cabi(fmt.Sprintf("Store%d", bits)).Call(at, jen.Id(fmt.Sprintf("uint%d", bits)).Call(x))
		},
		Store: c.storeFrom,
		Lower: c.lowerFrom,
	}
	return c
}

func (c *codec) typ(t *m.Type) jen.Code { return GoType(c.root, t) }

func cabi(name string) *jen.Statement { return jen.Qual(pkgCABI, name) }

// need returns helper op of t and schedules its emission.
func (c *codec) need(op string, t *m.Type) *jen.Statement {
	return jen.Qual(c.wire, c.helpers.Need(op, t))
}

// flush emits every scheduled helper (emitting may schedule more).
func (c *codec) flush() { c.helpers.Flush() }

// load reads an unsigned integer of the given width at address a+off.
func load(a jen.Code) func(bits int, off uint32) jen.Code {
	return func(bits int, off uint32) jen.Code {
		return cabi(fmt.Sprintf("Load%d", bits)).Call(gengo.Plus(a, off))
	}
}

func set(dst, v jen.Code) []jen.Code { return []jen.Code{jen.Add(dst).Op("=").Add(v)} }

// loadInto assigns to dst the value of type t stored at address a+off.
func (c *codec) loadInto(dst jen.Code, t *m.Type, a jen.Code, off uint32) []jen.Code {
	at := gengo.Plus(a, off)
	switch t.Kind {
	case m.Bool:
		return set(dst, cabi("Load8").Call(at).Op("!=").Lit(0))
	case m.S8:
		return set(dst, jen.Int8().Call(cabi("Load8").Call(at)))
	case m.U8:
		return set(dst, cabi("Load8").Call(at))
	case m.S16:
		return set(dst, jen.Int16().Call(cabi("Load16").Call(at)))
	case m.U16:
		return set(dst, cabi("Load16").Call(at))
	case m.S32:
		return set(dst, jen.Int32().Call(cabi("Load32").Call(at)))
	case m.U32:
		return set(dst, cabi("Load32").Call(at))
	case m.S64:
		return set(dst, jen.Int64().Call(cabi("Load64").Call(at)))
	case m.U64:
		return set(dst, cabi("Load64").Call(at))
	case m.F32:
		return set(dst, cabi("LoadF32").Call(at))
	case m.F64:
		return set(dst, cabi("LoadF64").Call(at))
	case m.Char:
		return set(dst, jen.Rune().Call(cabi("Load32").Call(at)))
	case m.String:
		return set(dst, cabi("String").Call(cabi("Load32").Call(at), cabi("Load32").Call(gengo.Plus(a, off+4))))
	case m.List:
		if isBytes(t) {
			return set(dst, cabi("Bytes").Call(cabi("Load32").Call(at), cabi("Load32").Call(gengo.Plus(a, off+4))))
		}
		return set(dst, c.need("ReadList", t).Call(cabi("Load32").Call(at), cabi("Load32").Call(gengo.Plus(a, off+4))))
	case m.Own, m.Borrow:
		return set(dst, c.liftHandle(t, cabi("Load32").Call(at)))
	}
	return set(dst, c.need("Load", t).Call(at))
}

// storeFrom writes v of type t at address a+off.
func (c *codec) storeFrom(v jen.Code, t *m.Type, a jen.Code, off uint32) []jen.Code {
	at := gengo.Plus(a, off)
	store := func(fn string, x jen.Code) []jen.Code { return []jen.Code{cabi(fn).Call(at, x)} }
	switch t.Kind {
	case m.Bool:
		return store("Store8", jen.Uint8().Call(cabi("Bool").Call(v)))
	case m.S8:
		return store("Store8", jen.Uint8().Call(v))
	case m.U8:
		return store("Store8", v)
	case m.S16:
		return store("Store16", jen.Uint16().Call(v))
	case m.U16:
		return store("Store16", v)
	case m.S32, m.Char:
		return store("Store32", jen.Uint32().Call(v))
	case m.U32:
		return store("Store32", v)
	case m.S64:
		return store("Store64", jen.Uint64().Call(v))
	case m.U64:
		return store("Store64", v)
	case m.F32:
		return store("StoreF32", v)
	case m.F64:
		return store("StoreF64", v)
	case m.String, m.List:
		return []jen.Code{jen.Block(
			c.lowerSlice(v, t),
			cabi("Store32").Call(at, jen.Id("sp")),
			cabi("Store32").Call(gengo.Plus(a, off+4), jen.Id("sl")),
		)}
	case m.Own, m.Borrow:
		return store("Store32", jen.Parens(v).Dot("Handle").Call())
	}
	return []jen.Code{c.need("Store", t).Call(at, v)}
}

// lowerSlice lowers string or list v of type t to its address sp and
// length sl.
func (c *codec) lowerSlice(v jen.Code, t *m.Type) jen.Code {
	var lower jen.Code
	switch {
	case t.Kind == m.String:
		lower = cabi("StringData").Call(v)
	case isBytes(t):
		lower = cabi("BytesData").Call(v)
	default:
		lower = jen.List(c.need("WriteList", t).Call(v), jen.Uint32().Call(jen.Len(v)))
	}
	return jen.List(jen.Id("sp"), jen.Id("sl")).Op(":=").Add(lower)
}

// liftInto assigns to dst the value of type t flattened in f starting at i.
func (c *codec) liftInto(dst jen.Code, t *m.Type, f jen.Code, i int) []jen.Code {
	u32 := func(i int) *jen.Statement { return jen.Uint32().Call(gengo.Flat(f, i)) }
	switch t.Kind {
	case m.Bool:
		return set(dst, u32(i).Op("!=").Lit(0))
	case m.S8:
		return set(dst, jen.Int8().Call(u32(i)))
	case m.U8:
		return set(dst, jen.Uint8().Call(gengo.Flat(f, i)))
	case m.S16:
		return set(dst, jen.Int16().Call(u32(i)))
	case m.U16:
		return set(dst, jen.Uint16().Call(gengo.Flat(f, i)))
	case m.S32:
		return set(dst, jen.Int32().Call(u32(i)))
	case m.U32:
		return set(dst, u32(i))
	case m.S64:
		return set(dst, jen.Int64().Call(gengo.Flat(f, i)))
	case m.U64:
		return set(dst, gengo.Flat(f, i))
	case m.F32:
		return set(dst, cabi("F32").Call(gengo.Flat(f, i)))
	case m.F64:
		return set(dst, cabi("F64").Call(gengo.Flat(f, i)))
	case m.Char:
		return set(dst, jen.Rune().Call(u32(i)))
	case m.String:
		return set(dst, cabi("String").Call(u32(i), u32(i+1)))
	case m.List:
		if isBytes(t) {
			return set(dst, cabi("Bytes").Call(u32(i), u32(i+1)))
		}
		return set(dst, c.need("ReadList", t).Call(u32(i), u32(i+1)))
	case m.Own, m.Borrow:
		return set(dst, c.liftHandle(t, u32(i)))
	}
	return set(dst, c.need("Lift", t).Call(jen.Add(f).Index(jen.Lit(i), jen.Empty())))
}

// lowerFrom flattens v of type t into f starting at i.
func (c *codec) lowerFrom(v jen.Code, t *m.Type, f jen.Code, i int) []jen.Code {
	to := func(x jen.Code) []jen.Code { return set(gengo.Flat(f, i), x) }
	switch t.Kind {
	case m.Bool:
		return to(jen.Uint64().Call(cabi("Bool").Call(v)))
	case m.S8, m.S16, m.S32:
		return to(jen.Uint64().Call(jen.Uint32().Call(jen.Int32().Call(v))))
	case m.U8, m.U16, m.U32:
		return to(jen.Uint64().Call(v))
	case m.S64:
		return to(jen.Uint64().Call(v))
	case m.U64:
		return to(v)
	case m.F32:
		return to(cabi("FromF32").Call(v))
	case m.F64:
		return to(cabi("FromF64").Call(v))
	case m.Char:
		return to(jen.Uint64().Call(jen.Uint32().Call(v)))
	case m.String, m.List:
		return []jen.Code{jen.Block(
			c.lowerSlice(v, t),
			jen.List(gengo.Flat(f, i), gengo.Flat(f, i+1)).Op("=").List(jen.Uint64().Call(jen.Id("sp")), jen.Uint64().Call(jen.Id("sl"))),
		)}
	case m.Own, m.Borrow:
		return to(jen.Uint64().Call(jen.Parens(v).Dot("Handle").Call()))
	}
	return []jen.Code{c.need("Lower", t).Call(v, jen.Add(f).Index(jen.Lit(i), jen.Empty()))}
}

// emit writes helper op of t into the wire package.
func (c *codec) emit(op string, t *m.Type, name string) {
	defer c.f.Line()
	T := c.typ(t)
	var body []jen.Code
	ret := jen.Return()
	switch op {
	case "Load":
		body = c.loadBody(t)
		c.f.Func().Id(name).Params(jen.Id("p").Uint32()).Params(jen.Id("out").Add(T)).Block(append(body, ret)...)
	case "Store":
		body = c.storeBody(t)
		c.f.Func().Id(name).Params(jen.Id("p").Uint32(), jen.Id("v").Add(T)).Block(body...)
	case "Lift":
		body = c.liftBody(t)
		c.f.Func().Id(name).Params(jen.Id("f").Index().Uint64()).Params(jen.Id("out").Add(T)).Block(append(body, ret)...)
	case "Lower":
		body = c.lowerBody(t)
		c.f.Func().Id(name).Params(jen.Id("v").Add(T), jen.Id("f").Index().Uint64()).Block(body...)
	case "ReadList":
		e := t.Elem
		loop := c.loadInto(jen.Id("out").Index(jen.Id("i")), e, jen.Parens(jen.Id("p").Op("+").Uint32().Call(jen.Id("i")).Op("*").Lit(int(e.Size))), 0)
		c.f.Func().Id(name).Params(jen.Id("p"), jen.Id("n").Uint32()).Params(jen.Id("out").Add(T)).Block(
			jen.Id("out").Op("=").Make(T, jen.Id("n")),
			jen.Comment(gengo.Layout("elements of "+t.WIT, e)),
			jen.For(jen.Id("i").Op(":=").Range().Id("out")).Block(loop...),
			ret,
		)
	case "FillList":
		e := t.Elem
		loop := c.loadInto(jen.Id("out").Index(jen.Id("i")), e, jen.Parens(jen.Id("p").Op("+").Uint32().Call(jen.Id("i")).Op("*").Lit(int(e.Size))), 0)
		c.f.Func().Id(name).Params(jen.Id("out").Add(T), jen.Id("p").Uint32()).Block(
			jen.Comment(gengo.Layout("elements of "+t.WIT, e)),
			jen.For(jen.Id("i").Op(":=").Range().Id("out")).Block(loop...),
		)
	case "WriteList":
		e := t.Elem
		loop := c.storeFrom(jen.Id("v").Index(jen.Id("i")), e, jen.Parens(jen.Id("lp").Op("+").Uint32().Call(jen.Id("i")).Op("*").Lit(int(e.Size))), 0)
		c.f.Func().Id(name).Params(jen.Id("v").Add(T)).Params(jen.Id("lp").Uint32()).Block(
			jen.Id("lp").Op("=").Add(cabi("Alloc")).Call(cabi("ListSize").Call(jen.Len(jen.Id("v")), jen.Lit(int(e.Size)))).Comment(gengo.Layout("elements of "+t.WIT, e)),
			jen.For(jen.Id("i").Op(":=").Range().Id("v")).Block(loop...),
			ret,
		)
	}
}

func unreachable(msg string) jen.Code { return cabi("Unreachable").Call(jen.Lit(msg)) }

func discOutOfRange(t *m.Type) jen.Code { return unreachable("discriminant out of range for " + t.WIT) }

func readDisc(t *m.Type, a jen.Code) jen.Code {
	return gengo.ReadDisc(t, func(bits int) jen.Code { return load(a)(bits, 0) })
}

func (c *codec) loadBody(t *m.Type) []jen.Code {
	p := jen.Id("p")
	switch t.Kind {
	case m.Record, m.Tuple:
		return c.fieldsBody(t, func(dst jen.Code, fl *m.Field) []jen.Code {
			return c.loadInto(dst, fl.Type, p, fl.Offset)
		}, func(fl *m.Field) jen.Code {
			return readDisc(fl.Type, gengo.Plus(p, fl.Offset))
		}, func(dst jen.Code, fl *m.Field) []jen.Code {
			return c.loadInto(dst, fl.Type.Elem, p, fl.Offset+fl.Type.PayloadOffset)
		}, func(fl *m.Field) (jen.Code, jen.Code) {
			at := fl.Offset + fl.Type.PayloadOffset
			return cabi("Load32").Call(gengo.Plus(p, at)), cabi("Load32").Call(gengo.Plus(p, at+4))
		})
	case m.Flags:
		return []jen.Code{jen.Id("out").Op("=").Add(c.shared.FlagsValue(t, gengo.FlagsFromMem(t, load(p))))}
	case m.Enum:
		return c.shared.EnumBody(t, readDisc(t, p), discOutOfRange(t))
	}
	// option, result, variant
	return c.shared.CasesBody(t, []jen.Code{readDisc(t, p)},
		func(x jen.Code, pt *m.Type) []jen.Code { return c.loadInto(x, pt, p, t.PayloadOffset) },
		discOutOfRange(t))
}

// storeBody is the body of helper Store of t, writing at p.
func (c *codec) storeBody(t *m.Type) []jen.Code { return c.shared.StoreBody(t, jen.Id("p")) }

func (c *codec) liftBody(t *m.Type) []jen.Code {
	f := jen.Id("f")
	switch t.Kind {
	case m.Record, m.Tuple:
		return c.fieldsBody(t, func(dst jen.Code, fl *m.Field) []jen.Code {
			return c.liftInto(dst, fl.Type, f, fl.FlatAt)
		}, func(fl *m.Field) jen.Code {
			return jen.Uint32().Call(jen.Id("f").Index(jen.Lit(fl.FlatAt)))
		}, func(dst jen.Code, fl *m.Field) []jen.Code {
			return c.liftInto(dst, fl.Type.Elem, f, fl.FlatAt+1)
		}, func(fl *m.Field) (jen.Code, jen.Code) {
			return jen.Uint32().Call(gengo.Flat(f, fl.FlatAt+1)), jen.Uint32().Call(gengo.Flat(f, fl.FlatAt+2))
		})
	case m.Flags:
		return []jen.Code{jen.Id("out").Op("=").Add(c.shared.FlagsValue(t, gengo.FlagsFromFlat(t)))}
	case m.Enum:
		return c.shared.EnumBody(t, jen.Uint32().Call(jen.Id("f").Index(jen.Lit(0))), discOutOfRange(t))
	}
	return c.shared.CasesBody(t, []jen.Code{jen.Uint32().Call(jen.Id("f").Index(jen.Lit(0)))},
		func(x jen.Code, pt *m.Type) []jen.Code { return c.liftInto(x, pt, f, 1) },
		discOutOfRange(t))
}

// fieldsBody lifts (or loads) the fields of record or tuple t into out.
// field moves one field into dst. When two or more fields are options, their
// payloads share one Go allocation (a local struct "opts" holding one payload
// of each, made when the first present option is met) instead of one each:
// disc reads an option field's discriminant, payload moves its payload into
// dst. The options' pointers point into that struct, so it lives as long as
// any of them. An option of a list (not list<u8>, whose lifted slice points
// into the host's memory) also gets room in opts for a short list's
// elements (inlineList), read there when the list fits; listAt gives the
// address and length of such a payload.
func (c *codec) fieldsBody(t *m.Type, field func(dst jen.Code, fl *m.Field) []jen.Code,
	disc func(fl *m.Field) jen.Code, payload func(dst jen.Code, fl *m.Field) []jen.Code,
	listAt func(fl *m.Field) (ptr, n jen.Code)) []jen.Code {
	var opts []jen.Code
	for _, fl := range t.Fields {
		if fl.Type.Kind == m.Option {
			opts = append(opts, jen.Id(fl.GoName).Add(c.typ(fl.Type.Elem)))
			if inlineList(fl.Type.Elem) {
				opts = append(opts, jen.Id("elems"+fl.GoName).Index(jen.Lit(inlineListLen)).Add(c.typ(fl.Type.Elem.Elem)))
			}
		}
	}
	var body []jen.Code
	if len(opts) >= 2 {
		body = append(body,
			jen.Type().Id("opts").Struct(opts...),
			jen.Var().Id("o").Op("*").Id("opts"),
		)
	}
	for _, fl := range t.Fields {
		dst := jen.Id("out").Dot(fl.GoName)
		if len(opts) < 2 || fl.Type.Kind != m.Option {
			body = append(body, field(dst, fl)...)
			continue
		}
		x := jen.Id("o").Dot(fl.GoName)
		some := []jen.Code{jen.If(jen.Id("o").Op("==").Nil()).Block(jen.Id("o").Op("=").New(jen.Id("opts")))}
		if lt := fl.Type.Elem; inlineList(lt) {
			ptr, n := listAt(fl)
			some = append(some, jen.If(jen.Id("n").Op(":=").Add(n), jen.Id("n").Op("<=").Lit(inlineListLen)).Block(
				jen.Add(x).Op("=").Id("o").Dot("elems"+fl.GoName).Index(jen.Empty(), jen.Id("n"), jen.Id("n")),
				c.need("FillList", lt).Call(x, ptr),
			).Else().Block(
				jen.Add(x).Op("=").Add(c.need("ReadList", lt)).Call(ptr, jen.Id("n")),
			))
		} else {
			some = append(some, payload(x, fl)...)
		}
		some = append(some, jen.Add(dst).Op("=").Op("&").Add(x))
		body = append(body, jen.Switch(disc(fl)).Block(
			jen.Case(jen.Lit(0)),
			jen.Case(jen.Lit(1)).Block(some...),
			jen.Default().Block(discOutOfRange(fl.Type)),
		))
	}
	return body
}

// inlineListLen is how many elements of an optional list fieldsBody keeps
// in the record's shared allocation (a list of up to this many elements
// costs no allocation of its own).
const inlineListLen = 4

// inlineList reports whether fieldsBody gives lists of type t room in its
// shared allocation: lists of small elements other than list<u8>.
func inlineList(t *m.Type) bool {
	return t.Kind == m.List && !isBytes(t) && t.Elem.Size <= 16
}

// lowerBody is the body of helper Lower of t, writing f.
func (c *codec) lowerBody(t *m.Type) []jen.Code { return c.shared.LowerBody(t) }
