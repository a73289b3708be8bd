package genguest

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

const (
	pkgCABI    = "github.com/raisfast/wasmplug/guest/cabi"
	pkgUnsafe  = "unsafe"
	pkgErrors  = "errors"
	pkgStrconv = "strconv"
	pkgStrings = "strings"
)

// GoType returns the Go type expression of t in the guest bindings: the
// same mapping as the host's (internal/genhost), with the guest support
// package's Result and TupleN in place of package abi's. root is the import
// path of the package declaring the world's named types.
func GoType(root string, t *m.Type) jen.Code {
	if t.GoName != "" && !t.IsAlias() {
		return jen.Qual(root, t.GoName)
	}
	switch t.Kind {
	case m.Bool:
		return jen.Bool()
	case m.S8:
		return jen.Int8()
	case m.U8:
		return jen.Uint8()
	case m.S16:
		return jen.Int16()
	case m.U16:
		return jen.Uint16()
	case m.S32:
		return jen.Int32()
	case m.U32:
		return jen.Uint32()
	case m.S64:
		return jen.Int64()
	case m.U64:
		return jen.Uint64()
	case m.F32:
		return jen.Float32()
	case m.F64:
		return jen.Float64()
	case m.Char:
		return jen.Rune()
	case m.String:
		return jen.String()
	case m.List:
		if isBytes(t) {
			return jen.Index().Byte()
		}
		return jen.Index().Add(GoType(root, t.Elem))
	case m.Option:
		return jen.Op("*").Add(GoType(root, t.Elem))
	case m.Result:
		return jen.Qual(pkgCABI, "Result").Types(unitOr(root, t.OK), unitOr(root, t.Err))
	case m.Tuple:
		var elems []jen.Code
		for _, f := range t.Fields {
			elems = append(elems, GoType(root, f.Type))
		}
		return jen.Qual(pkgCABI, fmt.Sprintf("Tuple%d", len(t.Fields))).Types(elems...)
	}
	panic("genguest: no Go type for " + t.WIT)
}

func unitOr(root string, t *m.Type) jen.Code {
	if t == nil {
		return jen.Qual(pkgCABI, "Unit")
	}
	return GoType(root, t)
}

func isBytes(t *m.Type) bool { return t.Kind == m.List && t.Elem.Kind == m.U8 && t.Elem.GoName == "" }

func docLines(doc string) string { return strings.TrimSpace(doc) }

// genTypeDecls declares every named type of the world, as genhost does, so
// host and guest code read alike.
func (g *gen) genTypeDecls(f *jen.File) {
	for _, t := range g.w.Types {
		where := ""
		if t.Owner != "" {
			where = " of " + t.Owner
		}
		if t.IsAlias() {
			f.Comment(lc(fmt.Sprintf("%s is the WIT type alias %s%s.", t.GoName, t.Name, where)))
			if d := docLines(t.Doc); d != "" {
				f.Comment(lc("\n" + d))
			}
			f.Type().Id(t.GoName).Op("=").Add(g.typ(t.Elem))
			continue
		}
		head := fmt.Sprintf("%s is the WIT %s %s%s.", t.GoName, t.Kind, t.Name, where)
		if d := docLines(t.Doc); d != "" {
			head += "\n\n" + d
		}
		f.Comment(lc(head))
		switch t.Kind {
		case m.Record:
			var fields []jen.Code
			for _, fl := range t.Fields {
				tag := fl.JSONName
				if fl.Type.Kind == m.Option {
					tag += ",omitempty"
				}
				if d := docLines(fl.Doc); d != "" {
					fields = append(fields, jen.Comment(lc(d)))
				}
				fields = append(fields, jen.Id(fl.GoName).Add(g.typ(fl.Type)).Tag(map[string]string{"json": tag}))
			}
			f.Type().Id(t.GoName).Struct(fields...)
		case m.Enum:
			f.Type().Id(t.GoName).Add(uintType(t.DiscSize * 8))
			var consts []jen.Code
			for i, c := range t.Cases {
				if d := docLines(c.Doc); d != "" {
					consts = append(consts, jen.Comment(lc(d)))
				}
				if i == 0 {
					consts = append(consts, jen.Id(c.GoName).Id(t.GoName).Op("=").Iota())
				} else {
					consts = append(consts, jen.Id(c.GoName))
				}
			}
			f.Const().Defs(consts...)
			genEnumMethods(f, t)
		case m.Flags:
			f.Type().Id(t.GoName).Add(uintType(flagsBits(t)))
			var consts []jen.Code
			for i, fl := range t.Flags {
				if d := docLines(fl.Doc); d != "" {
					consts = append(consts, jen.Comment(lc(d)))
				}
				if i == 0 {
					consts = append(consts, jen.Id(fl.GoName).Id(t.GoName).Op("=").Lit(1).Op("<<").Iota())
				} else {
					consts = append(consts, jen.Id(fl.GoName))
				}
			}
			f.Const().Defs(consts...)
			genFlagsMethods(f, t)
		case m.Variant:
			marker := "is" + t.GoName
			f.Type().Id(t.GoName).Interface(jen.Id(marker).Params())
			for _, c := range t.Cases {
				f.Comment(lc(fmt.Sprintf("%s is case %s of %s.", c.GoName, c.Name, t.GoName)))
				if d := docLines(c.Doc); d != "" {
					f.Comment(lc("\n" + d))
				}
				if c.Type != nil {
					f.Type().Id(c.GoName).Struct(jen.Id("Value").Add(g.typ(c.Type)))
				} else {
					f.Type().Id(c.GoName).Struct()
				}
				f.Func().Params(jen.Id(c.GoName)).Id(marker).Params().Block()
			}
		}
	}
}

func flagsBits(t *m.Type) uint32 {
	switch n := len(t.Flags); {
	case n > 32:
		return 64
	case n > 16:
		return 32
	case n > 8:
		return 16
	}
	return 8
}

func uintType(bits uint32) jen.Code {
	switch bits {
	case 8:
		return jen.Uint8()
	case 16:
		return jen.Uint16()
	case 64:
		return jen.Uint64()
	}
	return jen.Uint32()
}

// genEnumMethods emits String, MarshalText and UnmarshalText with the
// host's messages, without fmt (which would add hundreds of kilobytes to a
// guest).
func genEnumMethods(f *jen.File, t *m.Type) {
	var cases []jen.Code
	for _, c := range t.Cases {
		cases = append(cases, jen.Case(jen.Id(c.GoName)).Return(jen.Lit(c.Name)))
	}
	f.Comment(lc("String returns the WIT name of the case."))
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("String").Params().String().Block(
		jen.Switch(jen.Id("v")).Block(cases...),
		jen.Return(jen.Lit(t.GoName+"(").Op("+").Qual(pkgStrconv, "Itoa").Call(jen.Int().Call(jen.Id("v"))).Op("+").Lit(")")),
	)
	f.Comment(lc("MarshalText encodes the case by its WIT name."))
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("MarshalText").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.If(jen.Id("v").Op(">=").Lit(len(t.Cases))).Block(
			jen.Return(jen.Nil(), jen.Qual(pkgErrors, "New").Call(jen.Lit("invalid "+t.Name+" ").Op("+").Qual(pkgStrconv, "Itoa").Call(jen.Int().Call(jen.Id("v"))))),
		),
		jen.Return(jen.Index().Byte().Call(jen.Id("v").Dot("String").Call()), jen.Nil()),
	)
	var parse []jen.Code
	for _, c := range t.Cases {
		parse = append(parse, jen.Case(jen.Lit(c.Name)).Op("*").Id("v").Op("=").Id(c.GoName))
	}
	parse = append(parse, jen.Default().Return(jen.Qual(pkgErrors, "New").Call(jen.Lit("unknown "+t.Name+" ").Op("+").Qual(pkgStrconv, "Quote").Call(jen.String().Call(jen.Id("text"))))))
	f.Comment(lc("UnmarshalText decodes a case from its WIT name."))
	f.Func().Params(jen.Id("v").Op("*").Id(t.GoName)).Id("UnmarshalText").Params(jen.Id("text").Index().Byte()).Error().Block(
		jen.Switch(jen.String().Call(jen.Id("text"))).Block(parse...),
		jen.Return(jen.Nil()),
	)
}

func genFlagsMethods(f *jen.File, t *m.Type) {
	var body []jen.Code
	body = append(body, jen.Var().Id("names").Index().String())
	for _, fl := range t.Flags {
		body = append(body, jen.If(jen.Id("v").Op("&").Id(fl.GoName).Op("!=").Lit(0)).Block(
			jen.Id("names").Op("=").Append(jen.Id("names"), jen.Lit(fl.Name))))
	}
	body = append(body, jen.Return(jen.Qual(pkgStrings, "Join").Call(jen.Id("names"), jen.Lit("|"))))
	f.Comment(lc("String lists the WIT names of the set flags, separated by |."))
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("String").Params().String().Block(body...)
}
