package genhost

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

const (
	pkgABI    = "github.com/raisfast/wasmplug/abi"
	pkgAPI    = "github.com/tetratelabs/wazero/api"
	pkgWazero = "github.com/tetratelabs/wazero"
	pkgWASI   = "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	pkgBin    = "encoding/binary"
	pkgMath   = "math"
)

// GoType returns the Go type expression of t (see the mapping in the
// generated package doc).
func GoType(t *m.Type) jen.Code {
	if t.GoName != "" && !t.IsAlias() {
		return jen.Id(t.GoName)
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
		return jen.Index().Add(GoType(t.Elem))
	case m.Option:
		return jen.Op("*").Add(GoType(t.Elem))
	case m.Result:
		return jen.Qual(pkgABI, "Result").Types(unitOr(t.OK), unitOr(t.Err))
	case m.Tuple:
		var elems []jen.Code
		for _, f := range t.Fields {
			elems = append(elems, GoType(f.Type))
		}
		return jen.Qual(pkgABI, fmt.Sprintf("Tuple%d", len(t.Fields))).Types(elems...)
	}
	panic("genhost: no Go type for " + t.WIT)
}

func unitOr(t *m.Type) jen.Code {
	if t == nil {
		return jen.Qual(pkgABI, "Unit")
	}
	return GoType(t)
}

func isBytes(t *m.Type) bool { return t.Kind == m.List && t.Elem.Kind == m.U8 && t.Elem.GoName == "" }

func docLines(doc string) string { return strings.TrimSpace(doc) }

// genTypeDecls declares every named type of the world.
func genTypeDecls(f *jen.File, w *m.World) {
	for _, t := range w.Types {
		where := ""
		if t.Owner != "" {
			where = " of " + t.Owner
		}
		head := fmt.Sprintf("%s is the WIT %s %s%s.", t.GoName, kindWord(t), t.Name, where)
		if d := docLines(t.Doc); d != "" {
			head += "\n\n" + d
		}
		if t.IsAlias() {
			f.Comment(fmt.Sprintf("%s is the WIT type alias %s%s.", t.GoName, t.Name, where))
			if d := docLines(t.Doc); d != "" {
				f.Comment("\n" + d)
			}
			f.Type().Id(t.GoName).Op("=").Add(GoType(t.Elem))
			continue
		}
		f.Comment(head)
		switch t.Kind {
		case m.Record:
			var fields []jen.Code
			for _, fl := range t.Fields {
				tag := fl.JSONName
				if fl.Type.Kind == m.Option {
					tag += ",omitempty"
				}
				st := jen.Id(fl.GoName).Add(GoType(fl.Type)).Tag(map[string]string{"json": tag})
				if d := docLines(fl.Doc); d != "" {
					fields = append(fields, jen.Comment(d))
				}
				fields = append(fields, st)
			}
			f.Type().Id(t.GoName).Struct(fields...)
		case m.Enum:
			f.Type().Id(t.GoName).Add(uintType(t.DiscSize * 8))
			var consts []jen.Code
			for i, c := range t.Cases {
				if d := docLines(c.Doc); d != "" {
					consts = append(consts, jen.Comment(d))
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
			bits := uint32(8)
			switch n := len(t.Flags); {
			case n > 32:
				bits = 64
			case n > 16:
				bits = 32
			case n > 8:
				bits = 16
			}
			f.Type().Id(t.GoName).Add(uintType(bits))
			var consts []jen.Code
			for i, fl := range t.Flags {
				if d := docLines(fl.Doc); d != "" {
					consts = append(consts, jen.Comment(d))
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
				f.Comment(fmt.Sprintf("%s is case %s of %s.", c.GoName, c.Name, t.GoName))
				if d := docLines(c.Doc); d != "" {
					f.Comment("\n" + d)
				}
				if c.Type != nil {
					f.Type().Id(c.GoName).Struct(jen.Id("Value").Add(GoType(c.Type)))
				} else {
					f.Type().Id(c.GoName).Struct()
				}
				f.Func().Params(jen.Id(c.GoName)).Id(marker).Params().Block()
			}
		}
	}
}

func kindWord(t *m.Type) string { return t.Kind.String() }

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

func genEnumMethods(f *jen.File, t *m.Type) {
	var cases []jen.Code
	for _, c := range t.Cases {
		cases = append(cases, jen.Case(jen.Id(c.GoName)).Return(jen.Lit(c.Name)))
	}
	f.Comment("String returns the WIT name of the case.")
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("String").Params().String().Block(
		jen.Switch(jen.Id("v")).Block(cases...),
		jen.Return(jen.Lit(t.GoName+"(").Op("+").Qual("strconv", "Itoa").Call(jen.Int().Call(jen.Id("v"))).Op("+").Lit(")")),
	)
	f.Comment("MarshalText encodes the case by its WIT name.")
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("MarshalText").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.If(jen.Id("v").Op(">=").Lit(len(t.Cases))).Block(
			jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("invalid "+t.Name+" %d"), jen.Id("v"))),
		),
		jen.Return(jen.Index().Byte().Call(jen.Id("v").Dot("String").Call()), jen.Nil()),
	)
	var parse []jen.Code
	for _, c := range t.Cases {
		parse = append(parse, jen.Case(jen.Lit(c.Name)).Op("*").Id("v").Op("=").Id(c.GoName))
	}
	parse = append(parse, jen.Default().Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("unknown "+t.Name+" %q"), jen.Id("text"))))
	f.Comment("UnmarshalText decodes a case from its WIT name.")
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
	body = append(body, jen.Return(jen.Qual("strings", "Join").Call(jen.Id("names"), jen.Lit("|"))))
	f.Comment("String lists the WIT names of the set flags, separated by |.")
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("String").Params().String().Block(body...)
}
