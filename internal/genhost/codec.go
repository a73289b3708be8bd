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
	f     *jen.File
	done  map[string]bool // helper names emitted or scheduled
	names map[helperKey]string
	todo  []func()
}

func newCodec(f *jen.File) *codec {
	return &codec{f: f, done: map[string]bool{}, names: map[helperKey]string{}}
}

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

// need returns the name of helper op for t and schedules its emission.
func (c *codec) need(op string, t *m.Type) string {
	name := c.helperName(op, t)
	if !c.done[name] {
		c.done[name] = true
		c.todo = append(c.todo, func() { c.emit(op, t, name) })
	}
	return name
}

// flush emits every scheduled helper (emitting may schedule more).
func (c *codec) flush() {
	for len(c.todo) > 0 {
		next := c.todo[0]
		c.todo = c.todo[1:]
		next()
	}
}

func le(bits int, b jen.Code, off uint32) jen.Code {
	return jen.Qual(pkgBin, "LittleEndian").Dot(fmt.Sprintf("Uint%d", bits)).Call(jen.Add(b).Index(jen.Lit(int(off)), jen.Empty()))
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

func plus(p jen.Code, off uint32) jen.Code {
	if off == 0 {
		return p
	}
	return jen.Add(p).Op("+").Lit(int(off))
}

// storeFrom writes v of type t at p+off (a region already checked).
func (c *codec) storeFrom(v jen.Code, t *m.Type, p jen.Code, off uint32, onErr jen.Code) []jen.Code {
	at := plus(p, off)
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
			memCall("WriteUint32Le", plus(p, off+4), jen.Id("sl")),
		)}
	case m.List:
		return []jen.Code{jen.Block(
			jen.Var().Id("lq").Uint32(),
			jen.List(jen.Id("lq"), jen.Err()).Op("=").Id(c.need("writeList", t)).Call(jen.Id("ctx"), jen.Id("g"), v),
			errCheck(onErr),
			memCall("WriteUint32Le", at, jen.Id("lq")),
			memCall("WriteUint32Le", plus(p, off+4), jen.Uint32().Call(jen.Len(v))),
		)}
	case m.Own, m.Borrow:
		return lowerHandle(v, t, onErr, func(idx jen.Code) jen.Code { return memCall("WriteUint32Le", at, idx) })
	}
	return []jen.Code{jen.If(jen.Err().Op("=").Id(c.need("store", t)).Call(jen.Id("ctx"), jen.Id("g"), at, v), jen.Err().Op("!=").Nil()).Block(onErr)}
}

func flat(f jen.Code, i int) *jen.Statement { return jen.Add(f).Index(jen.Lit(i)) }

// liftInto assigns to dst the value of type t flattened in f starting at i.
func (c *codec) liftInto(dst jen.Code, t *m.Type, f jen.Code, i int, onErr jen.Code) []jen.Code {
	set := func(v jen.Code) []jen.Code { return []jen.Code{jen.Add(dst).Op("=").Add(v)} }
	u32 := func(i int) *jen.Statement { return jen.Uint32().Call(flat(f, i)) }
	switch t.Kind {
	case m.Bool:
		return set(u32(i).Op("!=").Lit(0))
	case m.S8:
		return set(jen.Int8().Call(u32(i)))
	case m.U8:
		return set(jen.Uint8().Call(flat(f, i)))
	case m.S16:
		return set(jen.Int16().Call(u32(i)))
	case m.U16:
		return set(jen.Uint16().Call(flat(f, i)))
	case m.S32:
		return set(jen.Int32().Call(u32(i)))
	case m.U32:
		return set(u32(i))
	case m.S64:
		return set(jen.Int64().Call(flat(f, i)))
	case m.U64:
		return set(flat(f, i))
	case m.F32:
		return set(jen.Qual(pkgMath, "Float32frombits").Call(u32(i)))
	case m.F64:
		return set(jen.Qual(pkgMath, "Float64frombits").Call(flat(f, i)))
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
	set := func(x jen.Code) []jen.Code { return []jen.Code{flat(f, i).Op("=").Add(x)} }
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
			flat(f, i).Op("=").Uint64().Call(jen.Uint32().Call(v)),
		}
	case m.String:
		return []jen.Code{jen.Block(
			jen.Var().List(jen.Id("sp"), jen.Id("sl")).Uint32(),
			jen.List(jen.Id("sp"), jen.Id("sl"), jen.Err()).Op("=").Id("g").Dot("StoreString").Call(jen.Id("ctx"), v),
			errCheck(onErr),
			jen.List(flat(f, i), flat(f, i+1)).Op("=").List(jen.Uint64().Call(jen.Id("sp")), jen.Uint64().Call(jen.Id("sl"))),
		)}
	case m.List:
		return []jen.Code{jen.Block(
			jen.Var().Id("lq").Uint32(),
			jen.List(jen.Id("lq"), jen.Err()).Op("=").Id(c.need("writeList", t)).Call(jen.Id("ctx"), jen.Id("g"), v),
			errCheck(onErr),
			jen.List(flat(f, i), flat(f, i+1)).Op("=").List(jen.Uint64().Call(jen.Id("lq")), jen.Uint64().Call(jen.Len(v))),
		)}
	case m.Own, m.Borrow:
		return lowerHandle(v, t, onErr, func(idx jen.Code) jen.Code { return flat(f, i).Op("=").Uint64().Call(idx) })
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
	switch t.DiscSize {
	case 1:
		return jen.Uint32().Call(jen.Add(b).Index(jen.Lit(0)))
	case 2:
		return jen.Uint32().Call(le(16, b, 0))
	}
	return le(32, b, 0)
}

func writeDisc(t *m.Type, p jen.Code, k jen.Code) jen.Code {
	switch t.DiscSize {
	case 1:
		return memCall("WriteByte", p, jen.Byte().Call(k))
	case 2:
		return memCall("WriteUint16Le", p, jen.Uint16().Call(k))
	}
	return memCall("WriteUint32Le", p, jen.Uint32().Call(k))
}

// caseTarget returns, for case k of a variant-like type, a Go expression
// building the case value from payload v.
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
		return []jen.Code{jen.Id("out").Op("=").Add(flagsFromMem(t))}
	case m.Enum:
		return []jen.Code{
			jen.Id("d").Op(":=").Add(readDisc(t, b)),
			jen.If(jen.Id("d").Op(">=").Lit(len(t.Cases))).Block(discErr(t, jen.Id("d")), ret),
			jen.Id("out").Op("=").Id(t.GoName).Call(jen.Id("d")),
		}
	}
	// option, result, variant
	var cases []jen.Code
	for k, cs := range t.Cases {
		var stmts []jen.Code
		if cs.Type != nil {
			stmts = append(stmts, jen.Var().Id("x").Add(GoType(cs.Type)))
			stmts = append(stmts, c.loadInto(jen.Id("x"), cs.Type, b, t.PayloadOffset, ret)...)
		}
		stmts = append(stmts, c.assignCase(t, k, cs)...)
		cases = append(cases, jen.Case(jen.Lit(k)).Block(stmts...))
	}
	cases = append(cases, jen.Default().Block(discErr(t, jen.Id("d"))))
	return []jen.Code{jen.Switch(jen.Id("d").Op(":=").Add(readDisc(t, b)), jen.Id("d")).Block(cases...)}
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
		return []jen.Code{jen.Id("out").Op("=").Id(cs.GoName).Values(jen.Id("x"))}
	}
	return []jen.Code{jen.Id("out").Op("=").Id(cs.GoName).Values()}
}

func flagsMask(t *m.Type) uint64 {
	if len(t.Flags) == 64 {
		return ^uint64(0)
	}
	return 1<<uint(len(t.Flags)) - 1
}

func flagsFromMem(t *m.Type) jen.Code {
	b := jen.Id("b")
	var raw jen.Code
	switch {
	case len(t.Flags) <= 8:
		raw = jen.Uint64().Call(b.Clone().Index(jen.Lit(0)))
	case len(t.Flags) <= 16:
		raw = jen.Uint64().Call(le(16, b, 0))
	case len(t.Flags) <= 32:
		raw = jen.Uint64().Call(le(32, b, 0))
	default:
		raw = jen.Uint64().Call(le(32, b, 0)).Op("|").Uint64().Call(le(32, b, 4)).Op("<<").Lit(32)
	}
	return jen.Id(t.GoName).Call(jen.Parens(raw).Op("&").Lit(flagsMask(t)))
}

func (c *codec) storeBody(t *m.Type) []jen.Code {
	p := jen.Id("ptr")
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.storeFrom(jen.Id("v").Dot(fl.GoName), fl.Type, p, fl.Offset, ret)...)
		}
		return body
	case m.Flags:
		x := jen.Uint64().Call(jen.Id("v")).Op("&").Lit(flagsMask(t))
		switch {
		case len(t.Flags) <= 8:
			return []jen.Code{memCall("WriteByte", p, jen.Byte().Call(x))}
		case len(t.Flags) <= 16:
			return []jen.Code{memCall("WriteUint16Le", p, jen.Uint16().Call(x))}
		case len(t.Flags) <= 32:
			return []jen.Code{memCall("WriteUint32Le", p, jen.Uint32().Call(x))}
		}
		return []jen.Code{
			memCall("WriteUint32Le", p, jen.Uint32().Call(x)),
			memCall("WriteUint32Le", plus(p, 4), jen.Uint32().Call(jen.Parens(x).Op(">>").Lit(32))),
		}
	case m.Enum:
		return []jen.Code{
			jen.If(jen.Uint32().Call(jen.Id("v")).Op(">=").Lit(len(t.Cases))).Block(discErr(t, jen.Id("v")), ret),
			writeDisc(t, p, jen.Id("v")),
		}
	case m.Option:
		some := []jen.Code{writeDisc(t, p, jen.Lit(1))}
		some = append(some, c.storeFrom(jen.Op("*").Id("v"), t.Elem, p, t.PayloadOffset, ret)...)
		return append([]jen.Code{jen.If(jen.Id("v").Op("==").Nil()).Block(writeDisc(t, p, jen.Lit(0)), ret)}, some...)
	case m.Result:
		okS := []jen.Code{writeDisc(t, p, jen.Lit(0))}
		if t.OK != nil {
			okS = append(okS, c.storeFrom(jen.Id("v").Dot("OK"), t.OK, p, t.PayloadOffset, ret)...)
		}
		errS := []jen.Code{writeDisc(t, p, jen.Lit(1))}
		if t.Err != nil {
			errS = append(errS, c.storeFrom(jen.Id("v").Dot("Err"), t.Err, p, t.PayloadOffset, ret)...)
		}
		return []jen.Code{jen.If(jen.Id("v").Dot("IsErr")).Block(errS...).Else().Block(okS...)}
	}
	// variant
	var cases []jen.Code
	for k, cs := range t.Cases {
		s := []jen.Code{writeDisc(t, p, jen.Lit(k))}
		if cs.Type != nil {
			s = append(s, c.storeFrom(jen.Id("x").Dot("Value"), cs.Type, p, t.PayloadOffset, ret)...)
		}
		cases = append(cases, jen.Case(jen.Id(cs.GoName)).Block(s...))
	}
	cases = append(cases, jen.Default().Block(nilVariant(t)))
	return []jen.Code{jen.Switch(typeSwitch(t)).Block(cases...)}
}

// typeSwitch is the guard of a type switch over a variant value v: it
// binds x only when a case has a payload to read from it.
func typeSwitch(t *m.Type) jen.Code {
	for _, cs := range t.Cases {
		if cs.Type != nil {
			return jen.Id("x").Op(":=").Id("v").Assert(jen.Type())
		}
	}
	return jen.Id("v").Assert(jen.Type())
}

func nilVariant(t *m.Type) jen.Code {
	return jen.Err().Op("=").Qual("fmt", "Errorf").Call(jen.Lit(t.WIT+" value %T: %w"), jen.Id("v"), jen.Qual(pkgABI, "ErrNilVariant"))
}

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
		raw := jen.Id("f").Index(jen.Lit(0)).Op("&").Lit(0xffffffff)
		if len(t.Flags) > 32 {
			raw = jen.Parens(raw).Op("|").Id("f").Index(jen.Lit(1)).Op("<<").Lit(32)
		}
		return []jen.Code{jen.Id("out").Op("=").Id(t.GoName).Call(jen.Parens(raw).Op("&").Lit(flagsMask(t)))}
	case m.Enum:
		return []jen.Code{
			jen.Id("d").Op(":=").Uint32().Call(jen.Id("f").Index(jen.Lit(0))),
			jen.If(jen.Id("d").Op(">=").Lit(len(t.Cases))).Block(discErr(t, jen.Id("d")), ret),
			jen.Id("out").Op("=").Id(t.GoName).Call(jen.Id("d")),
		}
	}
	var cases []jen.Code
	for k, cs := range t.Cases {
		var stmts []jen.Code
		if cs.Type != nil {
			stmts = append(stmts, jen.Var().Id("x").Add(GoType(cs.Type)))
			stmts = append(stmts, c.liftInto(jen.Id("x"), cs.Type, f, 1, ret)...)
		}
		stmts = append(stmts, c.assignCase(t, k, cs)...)
		cases = append(cases, jen.Case(jen.Lit(k)).Block(stmts...))
	}
	cases = append(cases, jen.Default().Block(discErr(t, jen.Id("d"))))
	return []jen.Code{jen.Switch(jen.Id("d").Op(":=").Uint32().Call(jen.Id("f").Index(jen.Lit(0))), jen.Id("d")).Block(cases...)}
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
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.lowerFrom(jen.Id("v").Dot(fl.GoName), fl.Type, f, fl.FlatAt, ret)...)
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
		return []jen.Code{
			jen.If(jen.Uint32().Call(jen.Id("v")).Op(">=").Lit(len(t.Cases))).Block(discErr(t, jen.Id("v")), ret),
			jen.Id("f").Index(jen.Lit(0)).Op("=").Uint64().Call(jen.Id("v")),
		}
	case m.Option:
		some := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(1)}
		some = append(some, c.lowerFrom(jen.Op("*").Id("v"), t.Elem, f, 1, ret)...)
		return append([]jen.Code{jen.If(jen.Id("v").Op("==").Nil()).Block(jen.Clear(jen.Id("f").Index(jen.Empty(), jen.Lit(len(t.Flat)))), ret)}, some...)
	case m.Result:
		okS := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(0)}
		if t.OK != nil {
			okS = append(okS, c.lowerFrom(jen.Id("v").Dot("OK"), t.OK, f, 1, ret)...)
		}
		okS = append(okS, clearRest(t, t.OK))
		errS := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(1)}
		if t.Err != nil {
			errS = append(errS, c.lowerFrom(jen.Id("v").Dot("Err"), t.Err, f, 1, ret)...)
		}
		errS = append(errS, clearRest(t, t.Err))
		return []jen.Code{jen.If(jen.Id("v").Dot("IsErr")).Block(errS...).Else().Block(okS...)}
	}
	var cases []jen.Code
	for k, cs := range t.Cases {
		s := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(k)}
		if cs.Type != nil {
			s = append(s, c.lowerFrom(jen.Id("x").Dot("Value"), cs.Type, f, 1, ret)...)
		}
		s = append(s, clearRest(t, cs.Type))
		cases = append(cases, jen.Case(jen.Id(cs.GoName)).Block(s...))
	}
	cases = append(cases, jen.Default().Block(nilVariant(t)))
	return []jen.Code{jen.Switch(typeSwitch(t)).Block(cases...)}
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
