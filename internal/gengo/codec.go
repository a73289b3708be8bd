package gengo

import (
	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// Helpers names the lift/lower helpers a codec emits on demand and
// schedules their emission: a helper is emitted once, after the code that
// first needs it, and emitting one may need more.
type Helpers struct {
	emit  func(op string, t *m.Type, name string)
	done  map[string]bool // helper names emitted or scheduled
	names map[helperKey]string
	todo  []func()
}

// helperKey is a helper of one type.
type helperKey struct {
	op string
	t  *m.Type
}

// NewHelpers returns a scheduler that writes helper op of t, named name,
// by calling emit.
func NewHelpers(emit func(op string, t *m.Type, name string)) *Helpers {
	return &Helpers{emit: emit, done: map[string]bool{}, names: map[helperKey]string{}}
}

// name names helper op of t: op and the type's key ("storePostInput",
// "loadOptionString"). Keys are built from WIT names, so two types may share
// one (a record named option-string and option<string>): the later type's
// helpers take a number, and every type keeps the names it got first.
func (h *Helpers) name(op string, t *m.Type) string {
	k := helperKey{op, t}
	if name, ok := h.names[k]; ok {
		return name
	}
	name := m.Unique(op+t.Key, func(n string) bool { return h.done[n] })
	h.names[k] = name
	return name
}

// Need returns the name of helper op for t and schedules its emission.
func (h *Helpers) Need(op string, t *m.Type) string {
	name := h.name(op, t)
	if !h.done[name] {
		h.done[name] = true
		h.todo = append(h.todo, func() { h.emit(op, t, name) })
	}
	return name
}

// Flush emits every scheduled helper (emitting may schedule more).
func (h *Helpers) Flush() {
	for len(h.todo) > 0 {
		next := h.todo[0]
		h.todo = h.todo[1:]
		next()
	}
}

// Plus spells a+off for a uint32 address expression.
func Plus(a jen.Code, off uint32) jen.Code {
	if off == 0 {
		return a
	}
	return jen.Add(a).Op("+").Lit(int(off))
}

// Flat spells slot i of the flat values f.
func Flat(f jen.Code, i int) *jen.Statement { return jen.Add(f).Index(jen.Lit(i)) }

// FlagsMask is the bits flags type t uses.
func FlagsMask(t *m.Type) uint64 {
	if len(t.Flags) == 64 {
		return ^uint64(0)
	}
	return 1<<uint(len(t.Flags)) - 1
}

// ClearRest zeroes the flat slots (in f) of variant-like t that a case
// with payload type payload does not use.
func ClearRest(t *m.Type, payload *m.Type) jen.Code {
	from := 1
	if payload != nil {
		from += len(payload.Flat)
	}
	if from >= len(t.Flat) {
		return jen.Null()
	}
	return jen.Clear(jen.Id("f").Index(jen.Lit(from), jen.Lit(len(t.Flat))))
}

// VariantSwitch is the guard of a type switch over a variant value v: it
// binds x only when a case has a payload to read from it.
func VariantSwitch(t *m.Type) jen.Code {
	for _, cs := range t.Cases {
		if cs.Type != nil {
			return jen.Id("x").Op(":=").Id("v").Assert(jen.Type())
		}
	}
	return jen.Id("v").Assert(jen.Type())
}

// ReadDisc spells the discriminant of t as a uint32; load(bits) reads an
// unsigned integer of that width where the discriminant is.
func ReadDisc(t *m.Type, load func(bits int) jen.Code) jen.Code {
	switch t.DiscSize {
	case 1:
		return jen.Uint32().Call(load(8))
	case 2:
		return jen.Uint32().Call(load(16))
	}
	return load(32)
}

// FlagsFromMem spells the raw bits (a uint64) of flags type t stored in
// memory; load(bits, off) reads an unsigned integer of that width at offset
// off of the value.
func FlagsFromMem(t *m.Type, load func(bits int, off uint32) jen.Code) jen.Code {
	switch {
	case len(t.Flags) <= 8:
		return jen.Uint64().Call(load(8, 0))
	case len(t.Flags) <= 16:
		return jen.Uint64().Call(load(16, 0))
	case len(t.Flags) <= 32:
		return jen.Uint64().Call(load(32, 0))
	}
	return jen.Uint64().Call(load(32, 0)).Op("|").Uint64().Call(load(32, 4)).Op("<<").Lit(32)
}

// FlagsFromFlat spells the raw bits (a uint64) of flags type t flattened in
// f.
func FlagsFromFlat(t *m.Type) jen.Code {
	raw := jen.Id("f").Index(jen.Lit(0)).Op("&").Lit(0xffffffff)
	if len(t.Flags) > 32 {
		raw = jen.Parens(raw).Op("|").Id("f").Index(jen.Lit(1)).Op("<<").Lit(32)
	}
	return raw
}

// Codec holds the parts of the host's and the guest's codec that have the
// same shape in both: the bodies of the helpers that store and lower
// records, tuples, flags, enums, options, results and variants, and the
// case analysis of the helpers that load and lift them. A direction's
// codec supplies the hooks: how it spells types, cases and memory writes,
// and how it moves the values these are made of.
type Codec struct {
	// Type is the Go type of t.
	Type func(t *m.Type) jen.Code
	// Named refers to the world's named type or variant case goName.
	Named func(goName string) jen.Code
	// CaseValue builds variant case cs with payload x (nil if cs has none).
	CaseValue func(cs *m.Case, x jen.Code) jen.Code
	// NilVariant is what storing or lowering a nil variant v does.
	NilVariant func(t *m.Type) jen.Code
	// Write stores the low bits (8, 16 or 32) of integer x at address at.
	Write func(bits int, at, x jen.Code) jen.Code
	// Store writes v of type t at address p+off, returning on error.
	Store func(v jen.Code, t *m.Type, p jen.Code, off uint32) []jen.Code
	// Lower flattens v of type t into f from slot i, returning on error.
	Lower func(v jen.Code, t *m.Type, f jen.Code, i int) []jen.Code
}

// WriteDisc stores discriminant k of t at address p.
func (c *Codec) WriteDisc(t *m.Type, p jen.Code, k jen.Code) jen.Code {
	return c.Write(int(t.DiscSize)*8, p, k)
}

// FlagsValue converts raw bits (a uint64) to flags type t, masked to its
// flags.
func (c *Codec) FlagsValue(t *m.Type, raw jen.Code) jen.Code {
	return jen.Add(c.Named(t.GoName)).Call(jen.Parens(raw).Op("&").Lit(FlagsMask(t)))
}

// EnumBody sets out to enum t from its discriminant disc (a uint32); bad
// is what a discriminant out of range does.
func (c *Codec) EnumBody(t *m.Type, disc jen.Code, bad ...jen.Code) []jen.Code {
	return []jen.Code{
		jen.Id("d").Op(":=").Add(disc),
		jen.If(jen.Id("d").Op(">=").Lit(len(t.Cases))).Block(bad...),
		jen.Id("out").Op("=").Add(c.Named(t.GoName)).Call(jen.Id("d")),
	}
}

// CasesBody sets out to the case of option, result or variant t that the
// switch head selects (its cases are 0, 1, …): payload moves a case's
// payload of type pt into x; def is the default case.
func (c *Codec) CasesBody(t *m.Type, head []jen.Code, payload func(x jen.Code, pt *m.Type) []jen.Code, def jen.Code) []jen.Code {
	var cases []jen.Code
	for k, cs := range t.Cases {
		var stmts []jen.Code
		if cs.Type != nil {
			stmts = append(stmts, jen.Var().Id("x").Add(c.Type(cs.Type)))
			stmts = append(stmts, payload(jen.Id("x"), cs.Type)...)
		}
		stmts = append(stmts, c.assignCase(t, k, cs)...)
		cases = append(cases, jen.Case(jen.Lit(k)).Block(stmts...))
	}
	cases = append(cases, jen.Default().Block(def))
	return []jen.Code{jen.Switch(head...).Block(cases...)}
}

// assignCase sets out to case k whose payload (if any) is in x.
func (c *Codec) assignCase(t *m.Type, k int, cs *m.Case) []jen.Code {
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
	var x jen.Code
	if cs.Type != nil {
		x = jen.Id("x")
	}
	return []jen.Code{jen.Id("out").Op("=").Add(c.CaseValue(cs, x))}
}

// StoreBody is the body of the helper storing v of type t (not an enum's
// range check) at address p.
func (c *Codec) StoreBody(t *m.Type, p jen.Code) []jen.Code {
	ret := jen.Return()
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.Store(jen.Id("v").Dot(fl.GoName), fl.Type, p, fl.Offset)...)
		}
		return body
	case m.Flags:
		x := jen.Uint64().Call(jen.Id("v")).Op("&").Lit(FlagsMask(t))
		switch {
		case len(t.Flags) <= 8:
			return []jen.Code{c.Write(8, p, x)}
		case len(t.Flags) <= 16:
			return []jen.Code{c.Write(16, p, x)}
		case len(t.Flags) <= 32:
			return []jen.Code{c.Write(32, p, x)}
		}
		return []jen.Code{
			c.Write(32, p, x),
			c.Write(32, Plus(p, 4), jen.Parens(x).Op(">>").Lit(32)),
		}
	case m.Enum:
		return []jen.Code{c.WriteDisc(t, p, jen.Id("v"))}
	case m.Option:
		some := []jen.Code{c.WriteDisc(t, p, jen.Lit(1))}
		some = append(some, c.Store(jen.Op("*").Id("v"), t.Elem, p, t.PayloadOffset)...)
		return append([]jen.Code{jen.If(jen.Id("v").Op("==").Nil()).Block(c.WriteDisc(t, p, jen.Lit(0)), ret)}, some...)
	case m.Result:
		okS := []jen.Code{c.WriteDisc(t, p, jen.Lit(0))}
		if t.OK != nil {
			okS = append(okS, c.Store(jen.Id("v").Dot("OK"), t.OK, p, t.PayloadOffset)...)
		}
		errS := []jen.Code{c.WriteDisc(t, p, jen.Lit(1))}
		if t.Err != nil {
			errS = append(errS, c.Store(jen.Id("v").Dot("Err"), t.Err, p, t.PayloadOffset)...)
		}
		return []jen.Code{jen.If(jen.Id("v").Dot("IsErr")).Block(errS...).Else().Block(okS...)}
	}
	// variant
	var cases []jen.Code
	for k, cs := range t.Cases {
		s := []jen.Code{c.WriteDisc(t, p, jen.Lit(k))}
		if cs.Type != nil {
			s = append(s, c.Store(jen.Id("x").Dot("Value"), cs.Type, p, t.PayloadOffset)...)
		}
		cases = append(cases, jen.Case(c.Named(cs.GoName)).Block(s...))
	}
	cases = append(cases, jen.Default().Block(c.NilVariant(t)))
	return []jen.Code{jen.Switch(VariantSwitch(t)).Block(cases...)}
}

// LowerBody is the body of the helper flattening v of type t (not an
// enum's range check) into f.
func (c *Codec) LowerBody(t *m.Type) []jen.Code {
	f := jen.Id("f")
	ret := jen.Return()
	switch t.Kind {
	case m.Record, m.Tuple:
		var body []jen.Code
		for _, fl := range t.Fields {
			body = append(body, c.Lower(jen.Id("v").Dot(fl.GoName), fl.Type, f, fl.FlatAt)...)
		}
		return body
	case m.Flags:
		x := jen.Uint64().Call(jen.Id("v")).Op("&").Lit(FlagsMask(t))
		s := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Parens(x.Clone()).Op("&").Lit(0xffffffff)}
		if len(t.Flags) > 32 {
			s = append(s, jen.Id("f").Index(jen.Lit(1)).Op("=").Parens(x).Op(">>").Lit(32))
		}
		return s
	case m.Enum:
		return []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Uint64().Call(jen.Id("v"))}
	case m.Option:
		some := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(1)}
		some = append(some, c.Lower(jen.Op("*").Id("v"), t.Elem, f, 1)...)
		return append([]jen.Code{jen.If(jen.Id("v").Op("==").Nil()).Block(jen.Clear(jen.Id("f").Index(jen.Empty(), jen.Lit(len(t.Flat)))), ret)}, some...)
	case m.Result:
		okS := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(0)}
		if t.OK != nil {
			okS = append(okS, c.Lower(jen.Id("v").Dot("OK"), t.OK, f, 1)...)
		}
		okS = append(okS, ClearRest(t, t.OK))
		errS := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(1)}
		if t.Err != nil {
			errS = append(errS, c.Lower(jen.Id("v").Dot("Err"), t.Err, f, 1)...)
		}
		errS = append(errS, ClearRest(t, t.Err))
		return []jen.Code{jen.If(jen.Id("v").Dot("IsErr")).Block(errS...).Else().Block(okS...)}
	}
	// variant
	var cases []jen.Code
	for k, cs := range t.Cases {
		s := []jen.Code{jen.Id("f").Index(jen.Lit(0)).Op("=").Lit(k)}
		if cs.Type != nil {
			s = append(s, c.Lower(jen.Id("x").Dot("Value"), cs.Type, f, 1)...)
		}
		s = append(s, ClearRest(t, cs.Type))
		cases = append(cases, jen.Case(c.Named(cs.GoName)).Block(s...))
	}
	cases = append(cases, jen.Default().Block(c.NilVariant(t)))
	return []jen.Code{jen.Switch(VariantSwitch(t)).Block(cases...)}
}
