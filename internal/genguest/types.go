package genguest

import (
	"github.com/dave/jennifer/jen"
	"github.com/raisfast/wasmplug/internal/gengo"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

const (
	pkgCABI   = "github.com/raisfast/wasmplug/guest/cabi"
	pkgWitval = "github.com/raisfast/wasmplug/witval"
	pkgUnsafe = "unsafe"
)

// GoType returns the Go type expression of t in the guest bindings (the
// same mapping as the host's, see internal/gengo); root is the import path
// of the package declaring the world's named types.
func GoType(root string, t *m.Type) jen.Code {
	return gengo.GoType(t, func(t *m.Type) jen.Code { return jen.Qual(root, t.GoName) })
}

func unitOr(root string, t *m.Type) jen.Code {
	return gengo.UnitOr(t, func(t *m.Type) jen.Code { return jen.Qual(root, t.GoName) })
}

func isBytes(t *m.Type) bool { return gengo.IsBytes(t) }

func docLines(doc string) string { return gengo.DocLines(doc) }

func flagsBits(t *m.Type) uint32 { return gengo.FlagsBits(t) }

func lc(text string) string { return gengo.LineComment(text) }

// genTypeDecls declares every named type of the world, as genhost does
// (gated types document their gate).
func (g *gen) genTypeDecls(f *jen.File) {
	gengo.DeclareTypes(f, m.WithGateDocs(g.w.Types), func(t *m.Type) jen.Code { return jen.Qual(g.opts.ImportPath, t.GoName) })
}
