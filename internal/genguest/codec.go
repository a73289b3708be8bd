package genguest

import (
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
	root  string // import path of the package declaring the world's types
	wire  string // import path of the helpers' package
	f     *jen.File
	done  map[string]bool // helper names emitted or scheduled
	names map[helperKey]string
	todo  []func()
}

func (c *codec) typ(t *m.Type) jen.Code { return GoType(c.root, t) }

func cabi(name string) *jen.Statement { return jen.Qual(pkgCABI, name) }

// helperName names helper op of t: op and the type's key ("storePostInput",
// "loadOptionString"). Keys are built from WIT names, so two types may share
// one (a record named option-string and option<string>): the later type's
// helpers take a number, and every type keeps the names it got first.
func (c *codec) helperName(op string, t *m.Type) string {
	k := helperKey{op, t}
	if name, ok := c.names[k]; ok {
		return name
	}
	name := m.Unique(op+t.Key, func(n string) bool { return c.done[n] })
	c.names[k] = name
	return name
}

// helperKey is a helper of one type.
type helperKey struct {
	op string
	t  *m.Type
}

// need returns helper op of t and schedules its emission.
func (c *codec) need(op string, t *m.Type) *jen.Statement {
	name := c.helperName(op, t)
	if !c.done[name] {
		c.done[name] = true
		c.todo = append(c.todo, func() { c.emit(op, t, name) })
	}
	return jen.Qual(c.wire, name)
}

// flush emits every scheduled helper (emitting may schedule more).
func (c *codec) flush() {
	for len(c.todo) > 0 {
		next := c.todo[0]
		c.todo = c.todo[1:]
		next()
	}
}

// plus spells a+off for a uint32 address expression.
func plus(a jen.Code, off uint32) jen.Code {
	if off == 0 {
		return a
	}
	return jen.Add(a).Op("+").Lit(int(off))
}

func set(dst, v jen.Code) []jen.Code { return []jen.Code{jen.Add(dst).Op("=").Add(v)} }

// loadInto assigns to dst the value of type t stored at address a+off.
func (c *codec) loadInto(dst jen.Code, t *m.Type, a jen.Code, off uint32) []jen.Code {
	at := plus(a, off)
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
		return set(dst, cabi("String").Call(cabi("Load32").Call(at), cabi("Load32").Call(plus(a, off+4))))
	case m.List:
		if isBytes(t) {
			return set(dst, cabi("Bytes").Call(cabi("Load32").Call(at), cabi("Load32").Call(plus(a, off+4))))
		}
		return set(dst, c.need("ReadList", t).Call(cabi("Load32").Call(at), cabi("Load32").Call(plus(a, off+4))))
	case m.Own, m.Borrow:
		return set(dst, c.liftHandle(t, cabi("Load32").Call(at)))
	}
	return set(dst, c.need("Load", t).Call(at))
}

// storeFrom writes v of type t at address a+off.
func (c *codec) storeFrom(v jen.Code, t *m.Type, a jen.Code, off uint32) []jen.Code {
	at := plus(a, off)
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
		var lower jen.Code
		switch {
		case t.Kind == m.String:
			lower = cabi("StringData").Call(v)
		case isBytes(t):
			lower = cabi("BytesData").Call(v)
		default:
			lower = jen.List(c.need("WriteList", t).Call(v), jen.Uint32().Call(jen.Len(v)))
		}
		return []jen.Code{jen.Block(
			jen.List(jen.Id("sp"), jen.Id("sl")).Op(":=").Add(lower),
			cabi("Store32").Call(at, jen.Id("sp")),
			cabi("Store32").Call(plus(a, off+4), jen.Id("sl")),
		)}
	case m.Own, m.Borrow:
		return store("Store32", jen.Parens(v).Dot("Handle").Call())
	}
	return []jen.Code{c.need("Store", t).Call(at, v)}
}

func flat(f jen.Code, i int) *jen.Statement { return jen.Add(f).Index(jen.Lit(i)) }

// liftInto assigns to dst the value of type t flattened in f starting at i.
func (c *codec) liftInto(dst jen.Code, t *m.Type, f jen.Code, i int) []jen.Code {
	u32 := func(i int) *jen.Statement { return jen.Uint32().Call(flat(f, i)) }
	switch t.Kind {
	case m.Bool:
		return set(dst, u32(i).Op("!=").Lit(0))
	case m.S8:
		return set(dst, jen.Int8().Call(u32(i)))
	case m.U8:
		return set(dst, jen.Uint8().Call(flat(f, i)))
	case m.S16:
		return set(dst, jen.Int16().Call(u32(i)))
	case m.U16:
		return set(dst, jen.Uint16().Call(flat(f, i)))
	case m.S32:
		return set(dst, jen.Int32().Call(u32(i)))
	case m.U32:
		return set(dst, u32(i))
	case m.S64:
		return set(dst, jen.Int64().Call(flat(f, i)))
	case m.U64:
		return set(dst, flat(f, i))
	case m.F32:
		return set(dst, cabi("F32").Call(flat(f, i)))
	case m.F64:
		return set(dst, cabi("F64").Call(flat(f, i)))
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
	to := func(x jen.Code) []jen.Code { return set(flat(f, i), x) }
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
		var lower jen.Code
		switch {
		case t.Kind == m.String:
			lower = cabi("StringData").Call(v)
		case isBytes(t):
			lower = cabi("BytesData").Call(v)
		default:
			lower = jen.List(c.need("WriteList", t).Call(v), jen.Uint32().Call(jen.Len(v)))
		}
		return []jen.Code{jen.Block(
			jen.List(jen.Id("sp"), jen.Id("sl")).Op(":=").Add(lower),
			jen.List(flat(f, i), flat(f, i+1)).Op("=").List(jen.Uint64().Call(jen.Id("sp")), jen.Uint64().Call(jen.Id("sl"))),
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
	switch t.DiscSize {
	case 1:
		return jen.Uint32().Call(cabi("Load8").Call(a))
	case 2:
		return jen.Uint32().Call(cabi("Load16").Call(a))
	}
	return cabi("Load32").Call(a)
}

func writeDisc(t *m.Type, a jen.Code, k jen.Code) jen.Code {
	switch t.DiscSize {
	case 1:
		return cabi("Store8").Call(a, jen.Uint8().Call(k))
	case 2:
		return cabi("Store16").Call(a, jen.Uint16().Call(k))
	}
	return cabi("Store32").Call(a, jen.Uint32().Call(k))
}

func flagsMask(t *m.Type) uint64 {
	if len(t.Flags) == 64 {
		return ^uint64(0)
	}
	return 1<<uint(len(t.Flags)) - 1
}

func (c *codec) loadBody(t *m.Type) []jen.Code {
	p := jen.Id("p")
	switch t.Kind {
	case m.Record, m.Tuple:
		return c.fieldsBody(t, func(dst jen.Code, fl *m.Field) []jen.Code {
			return c.loadInto(dst, fl.Type, p, fl.Offset)
		}, func(fl *m.Field) jen.Code {
			return readDisc(fl.Type, plus(p, fl.Offset))
		}, func(dst jen.Code, fl *m.Field) []jen.Code {
			return c.loadInto(dst, fl.Type.Elem, p, fl.Offset+fl.Type.PayloadOffset)
		}, func(fl *m.Field) (jen.Code, jen.Code) {
			at := fl.Offset + fl.Type.PayloadOffset
			return cabi("Load32").Call(plus(p, at)), cabi("Load32").Call(plus(p, at+4))
		})
	case m.Flags:
		var raw jen.Code
		switch {
		case len(t.Flags) <= 8:
			raw = jen.Uint64().Call(cabi("Load8").Call(p))
		case len(t.Flags) <= 16:
			raw = jen.Uint64().Call(cabi("Load16").Call(p))
		case len(t.Flags) <= 32:
			raw = jen.Uint64().Call(cabi("Load32").Call(p))
		default:
			raw = jen.Uint64().Call(cabi("Load32").Call(p)).Op("|").Uint64().Call(cabi("Load32").Call(plus(p, 4))).Op("<<").Lit(32)
		}
		return []jen.Code{jen.Id("out").Op("=").Qual(c.root, t.GoName).Call(jen.Parens(raw).Op("&").Lit(flagsMask(t)))}
	case m.Enum:
		return []jen.Code{
			jen.Id("d").Op(":=").Add(readDisc(t, p)),
			jen.If(jen.Id("d").Op(">=").Lit(len(t.Cases))).Block(discOutOfRange(t)),
			jen.Id("out").Op("=").Qual(c.root, t.GoName).Call(jen.Id("d")),
		}
	}
	// option, result, variant
	var cases []jen.Code
	for k, cs := range t.Cases {
		var stmts []jen.Code
		if cs.Type != nil {
			stmts = append(stmts, jen.Var().Id("x").Add(c.typ(cs.Type)))
			stmts = append(stmts, c.loadInto(jen.Id("x"), cs.Type, p, t.PayloadOffset)...)
		}
		stmts = append(stmts, c.assignCase(t, k, cs)...)
		cases = append(cases, jen.Case(jen.Lit(k)).Block(stmts...))
	}
	cases = append(cases, jen.Default().Block(discOutOfRange(t)))
	return []jen.Code{jen.Switch(readDisc(t, p)).Block(cases...)}
}

// assignCase sets out to case k whose payload (if any) is in x.
func (c *codec) assignCase(t *m.Type, k int, cs *m.Case) []jen.Code {
	switch t.Kind {
	case m.Option:
		if k == 0 {
			return nil
		}
		return []jen.Code{jen.Id("out").Op("=").Op("&").Id("x")}
	case m.Result:
		var s []jen.Code
		if k == 1 {
			s = append(s, jen.Id("out").Dot("IsErr").Op("=").True())
		}
		if cs.Type != nil {
			field := "OK"
			if k == 1 {
				field = "Err"
			}
			s = append(s, jen.Id("out").Dot(field).Op("=").Id("x"))
		}
		return s
	}
	if cs.Type != nil {
		return []jen.Code{jen.Id("out").Op("=").Qual(c.root, cs.GoName).Values(jen.Dict{jen.Id("Value"): jen.Id("x")})}
	}
	return []jen.Code{jen.Id("out").Op("=").Qual(c.root, cs.GoName).Values()}
}

func (c *codec) storeBody(t *m.Type) []jen.Code {
	p := jen.Id("p")
	ret := jen.Return()
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.storeFrom(jen.Id("v").Dot(fl.GoName), fl.Type, p, fl.Offset)...)
		}
		return body
	case m.Flags:
		x := jen.Uint64().Call(jen.Id("v")).Op("&").Lit(flagsMask(t))
		switch {
		case len(t.Flags) <= 8:
			return []jen.Code{cabi("Store8").Call(p, jen.Uint8().Call(x))}
		case len(t.Flags) <= 16:
			return []jen.Code{cabi("Store16").Call(p, jen.Uint16().Call(x))}
		case len(t.Flags) <= 32:
			return []jen.Code{cabi("Store32").Call(p, jen.Uint32().Call(x))}
		}
		return []jen.Code{
			cabi("Store32").Call(p, jen.Uint32().Call(x)),
			cabi("Store32").Call(plus(p, 4), jen.Uint32().Call(jen.Parens(x).Op(">>").Lit(32))),
		}
	case m.Enum:
		return []jen.Code{writeDisc(t, p, jen.Id("v"))}
	case m.Option:
		some := []jen.Code{writeDisc(t, p, jen.Lit(1))}
		some = append(some, c.storeFrom(jen.Op("*").Id("v"), t.Elem, p, t.PayloadOffset)...)
		return append([]jen.Code{jen.If(jen.Id("v").Op("==").Nil()).Block(writeDisc(t, p, jen.Lit(0)), ret)}, some...)
	case m.Result:
		okS := []jen.Code{writeDisc(t, p, jen.Lit(0))}
		if t.OK != nil {
			okS = append(okS, c.storeFrom(jen.Id("v").Dot("OK"), t.OK, p, t.PayloadOffset)...)
		}
		errS := []jen.Code{writeDisc(t, p, jen.Lit(1))}
		if t.Err != nil {
			errS = append(errS, c.storeFrom(jen.Id("v").Dot("Err"), t.Err, p, t.PayloadOffset)...)
		}
		return []jen.Code{jen.If(jen.Id("v").Dot("IsErr")).Block(errS...).Else().Block(okS...)}
	}
	// variant
	var cases []jen.Code
	for k, cs := range t.Cases {
		s := []jen.Code{writeDisc(t, p, jen.Lit(k))}
		if cs.Type != nil {
			s = append(s, c.storeFrom(jen.Id("x").Dot("Value"), cs.Type, p, t.PayloadOffset)...)
		}
		cases = append(cases, jen.Case(jen.Qual(c.root, cs.GoName)).Block(s...))
	}
	cases = append(cases, jen.Default().Block(unreachable("cannot lower a nil "+t.WIT)))
	return []jen.Code{jen.Switch(c.caseSwitch(t)).Block(cases...)}
}

// caseSwitch is the type switch over a variant value v, binding x when a
// case uses its payload.
func (c *codec) caseSwitch(t *m.Type) jen.Code {
	for _, cs := range t.Cases {
		if cs.Type != nil {
			return jen.Id("x").Op(":=").Id("v").Assert(jen.Type())
		}
	}
	return jen.Id("v").Assert(jen.Type())
}

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
			return jen.Uint32().Call(flat(f, fl.FlatAt+1)), jen.Uint32().Call(flat(f, fl.FlatAt+2))
		})
	case m.Flags:
		raw := jen.Id("f").Index(jen.Lit(0)).Op("&").Lit(0xffffffff)
		if len(t.Flags) > 32 {
			raw = jen.Parens(raw).Op("|").Id("f").Index(jen.Lit(1)).Op("<<").Lit(32)
		}
		return []jen.Code{jen.Id("out").Op("=").Qual(c.root, t.GoName).Call(jen.Parens(raw).Op("&").Lit(flagsMask(t)))}
	case m.Enum:
		return []jen.Code{
			jen.Id("d").Op(":=").Uint32().Call(jen.Id("f").Index(jen.Lit(0))),
			jen.If(jen.Id("d").Op(">=").Lit(len(t.Cases))).Block(discOutOfRange(t)),
			jen.Id("out").Op("=").Qual(c.root, t.GoName).Call(jen.Id("d")),
		}
	}
	var cases []jen.Code
	for k, cs := range t.Cases {
		var stmts []jen.Code
		if cs.Type != nil {
			stmts = append(stmts, jen.Var().Id("x").Add(c.typ(cs.Type)))
			stmts = append(stmts, c.liftInto(jen.Id("x"), cs.Type, f, 1)...)
		}
		stmts = append(stmts, c.assignCase(t, k, cs)...)
		cases = append(cases, jen.Case(jen.Lit(k)).Block(stmts...))
	}
	cases = append(cases, jen.Default().Block(discOutOfRange(t)))
	return []jen.Code{jen.Switch(jen.Uint32().Call(jen.Id("f").Index(jen.Lit(0)))).Block(cases...)}
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

// clearRest zeroes the flat slots a case does not use.
func clearRest(t *m.Type, payload *m.Type) jen.Code {
	from := 1
	if payload != nil {
		from += len(payload.Flat)
	}
	if from >= len(t.Flat) {
		return jen.Null()
	}
	return jen.Clear(jen.Id("f").Index(jen.Lit(from), jen.Lit(len(t.Flat))))
}

func (c *codec) lowerBody(t *m.Type) []jen.Code {
	f := jen.Id("f")
	ret := jen.Return()
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.lowerFrom(jen.Id("v").Dot(fl.GoName), fl.Type, f, fl.FlatAt)...)
		}
		return body
	case m.Flags:
		x := jen.Uint64().Call(jen.Id("v")).Op("&").Lit(flagsMask(t))
		s := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Parens(x.Clone()).Op("&").Lit(0xffffffff)}
		if len(t.Flags) > 32 {
			s = append(s, jen.Id("f").Index(jen.Lit(1)).Op("=").Parens(x).Op(">>").Lit(32))
		}
		return s
	case m.Enum:
		return []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Uint64().Call(jen.Id("v"))}
	case m.Option:
		some := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(1)}
		some = append(some, c.lowerFrom(jen.Op("*").Id("v"), t.Elem, f, 1)...)
		return append([]jen.Code{jen.If(jen.Id("v").Op("==").Nil()).Block(jen.Clear(jen.Id("f").Index(jen.Empty(), jen.Lit(len(t.Flat)))), ret)}, some...)
	case m.Result:
		okS := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(0)}
		if t.OK != nil {
			okS = append(okS, c.lowerFrom(jen.Id("v").Dot("OK"), t.OK, f, 1)...)
		}
		okS = append(okS, clearRest(t, t.OK))
		errS := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(1)}
		if t.Err != nil {
			errS = append(errS, c.lowerFrom(jen.Id("v").Dot("Err"), t.Err, f, 1)...)
		}
		errS = append(errS, clearRest(t, t.Err))
		return []jen.Code{jen.If(jen.Id("v").Dot("IsErr")).Block(errS...).Else().Block(okS...)}
	}
	var cases []jen.Code
	for k, cs := range t.Cases {
		s := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(k)}
		if cs.Type != nil {
			s = append(s, c.lowerFrom(jen.Id("x").Dot("Value"), cs.Type, f, 1)...)
		}
		s = append(s, clearRest(t, cs.Type))
		cases = append(cases, jen.Case(jen.Qual(c.root, cs.GoName)).Block(s...))
	}
	cases = append(cases, jen.Default().Block(unreachable("cannot lower a nil "+t.WIT)))
	return []jen.Code{jen.Switch(c.caseSwitch(t)).Block(cases...)}
}
