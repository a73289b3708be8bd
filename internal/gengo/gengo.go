// Package gengo holds what the host and guest emitters share: the mapping
// of WIT types to Go types, the declarations of a world's named types, and
// the lift/lower helper machinery whose shape does not depend on the
// direction (codec.go: helper naming and scheduling, the bodies of the
// store and lower helpers, the case analysis of load and lift).
package gengo

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strings"

	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

const (
	pkgWitval  = "github.com/raisfast/wasmplug/witval"
	pkgErrors  = "errors"
	pkgStrconv = "strconv"
	pkgStrings = "strings"
)

// LineComment turns text into // comment lines (jennifer would otherwise
// write a multi-line text as a /* */ block).
func LineComment(text string) string {
	if strings.HasPrefix(text, "//") {
		return text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = "//"
		} else {
			lines[i] = "// " + l
		}
	}
	return strings.Join(lines, "\n")
}

// GoType returns the Go type expression of t (the mapping is documented in
// the generated packages' doc). named spells a reference to a named type:
// a plain identifier in the package that declares it, a qualified one
// elsewhere.
func GoType(t *m.Type, named func(*m.Type) jen.Code) jen.Code {
	if t.GoName != "" && !t.IsAlias() {
		return named(t)
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
		if IsBytes(t) {
			return jen.Index().Byte()
		}
		return jen.Index().Add(GoType(t.Elem, named))
	case m.Option:
		return jen.Op("*").Add(GoType(t.Elem, named))
	case m.Result:
		return jen.Qual(pkgWitval, "Result").Types(UnitOr(t.OK, named), UnitOr(t.Err, named))
	case m.Tuple:
		var elems []jen.Code
		for _, f := range t.Fields {
			elems = append(elems, GoType(f.Type, named))
		}
		return jen.Qual(pkgWitval, fmt.Sprintf("Tuple%d", len(t.Fields))).Types(elems...)
	}
	panic("gengo: no Go type for " + t.WIT)
}

// UnitOr is GoType, or witval.Unit for the `_` (nil) of a result.
func UnitOr(t *m.Type, named func(*m.Type) jen.Code) jen.Code {
	if t == nil {
		return jen.Qual(pkgWitval, "Unit")
	}
	return GoType(t, named)
}

// IsBytes reports whether t is list<u8>, which maps to []byte.
func IsBytes(t *m.Type) bool { return t.Kind == m.List && t.Elem.Kind == m.U8 && t.Elem.GoName == "" }

// Layout says what a size and an alignment in generated code are:
// "the result, option<string>: align 4, size 12".
func Layout(what string, t *m.Type) string { return what + ": " + AlignSize(t) }

// AlignSize spells t's alignment and size in memory: "align 4, size 12".
func AlignSize(t *m.Type) string { return fmt.Sprintf("align %d, size %d", t.Align, t.Size) }

// DocLines trims a WIT doc comment.
func DocLines(doc string) string { return strings.TrimSpace(doc) }

// DeclareTypes declares the world's named types in f: records as structs
// with snake_case JSON tags, enums and flags as named integers with
// constants and String (without fmt, so guests stay small), variants as a
// sealed interface with one struct per case, aliases as Go aliases. Host
// and guest bindings share it, so their types read alike.
func DeclareTypes(f *jen.File, types []*m.Type, named func(*m.Type) jen.Code) {
	for _, t := range types {
		where := ""
		if t.Owner != "" {
			where = " of " + t.Owner
		}
		if t.IsAlias() {
			f.Comment(LineComment(fmt.Sprintf("%s is the WIT type alias %s%s.", t.GoName, t.Name, where)))
			if d := DocLines(t.Doc); d != "" {
				f.Comment(LineComment("\n" + d))
			}
			f.Type().Id(t.GoName).Op("=").Add(GoType(t.Elem, named))
			continue
		}
		head := fmt.Sprintf("%s is the WIT %s %s%s.", t.GoName, t.Kind, t.Name, where)
		if d := DocLines(t.Doc); d != "" {
			head += "\n\n" + d
		}
		f.Comment(LineComment(head))
		switch t.Kind {
		case m.Record:
			var fields []jen.Code
			for _, fl := range t.Fields {
				tag := fl.JSONName
				if fl.Type.Kind == m.Option {
					tag += ",omitempty"
				}
				if d := DocLines(fl.Doc); d != "" {
					fields = append(fields, jen.Comment(LineComment(d)))
				}
				fields = append(fields, jen.Id(fl.GoName).Add(GoType(fl.Type, named)).Tag(map[string]string{"json": tag}))
			}
			f.Type().Id(t.GoName).Struct(fields...)
		case m.Enum:
			f.Type().Id(t.GoName).Add(UintType(t.DiscSize * 8))
			var consts []jen.Code
			for i, c := range t.Cases {
				if d := DocLines(c.Doc); d != "" {
					consts = append(consts, jen.Comment(LineComment(d)))
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
			f.Type().Id(t.GoName).Add(UintType(FlagsBits(t)))
			var consts []jen.Code
			for i, fl := range t.Flags {
				if d := DocLines(fl.Doc); d != "" {
					consts = append(consts, jen.Comment(LineComment(d)))
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
				f.Comment(LineComment(fmt.Sprintf("%s is case %s of %s.", c.GoName, c.Name, t.GoName)))
				if d := DocLines(c.Doc); d != "" {
					f.Comment(LineComment("\n" + d))
				}
				if c.Type != nil {
					f.Type().Id(c.GoName).Struct(jen.Id("Value").Add(GoType(c.Type, named)))
				} else {
					f.Type().Id(c.GoName).Struct()
				}
				f.Func().Params(jen.Id(c.GoName)).Id(marker).Params().Block()
			}
		}
	}
}

// FlagsBits is the width of the Go integer holding flags type t.
func FlagsBits(t *m.Type) uint32 {
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

// UintType is uint8, uint16, uint32 or uint64.
func UintType(bits uint32) jen.Code {
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
	f.Comment(LineComment("String returns the WIT name of the case."))
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("String").Params().String().Block(
		jen.Switch(jen.Id("v")).Block(cases...),
		jen.Return(jen.Lit(t.GoName+"(").Op("+").Qual(pkgStrconv, "Itoa").Call(jen.Int().Call(jen.Id("v"))).Op("+").Lit(")")),
	)
	f.Comment(LineComment("MarshalText encodes the case by its WIT name."))
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
	f.Comment(LineComment("UnmarshalText decodes a case from its WIT name."))
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
	f.Comment(LineComment("String lists the WIT names of the set flags, separated by |."))
	f.Func().Params(jen.Id("v").Id(t.GoName)).Id("String").Params().String().Block(body...)
}

// Format gofmts rendered source, puts a blank line between top-level
// declarations that jennifer wrote on consecutive lines (it separates a
// file's items by one newline only) and drops the `_ = x` lines a body does
// not need (pruneBlanks), so the generated code reads like hand-written Go.
func Format(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("gengo: parse: %w", err)
	}
	var at []int // offsets of the declarations to push down, in order
	for i := 1; i < len(f.Decls); i++ {
		start := declStart(f.Decls[i])
		if fset.Position(start).Line == fset.Position(f.Decls[i-1].End()).Line+1 {
			at = append(at, fset.Position(start).Offset)
		}
	}
	var out bytes.Buffer
	prev := 0
	for _, off := range at {
		out.Write(src[prev:off])
		out.WriteByte('\n')
		prev = off
	}
	out.Write(src[prev:])
	pruned, err := pruneBlanks(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gengo: parse: %w", err)
	}
	formatted, err := format.Source(pruned)
	if err != nil {
		return nil, fmt.Errorf("gengo: format: %w", err)
	}
	return formatted, nil
}

// declStart is where d begins: its doc comment, or its keyword.
func declStart(d ast.Decl) token.Pos {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Doc != nil {
			return d.Doc.Pos()
		}
	case *ast.GenDecl:
		if d.Doc != nil {
			return d.Doc.Pos()
		}
	}
	return d.Pos()
}
