package genhost

import (
	"github.com/dave/jennifer/jen"
	"github.com/raisfast/wasmplug/internal/gengo"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

const (
	pkgABI    = "github.com/raisfast/wasmplug/abi"
	pkgWitval = "github.com/raisfast/wasmplug/witval"
	pkgAPI    = "github.com/tetratelabs/wazero/api"
	pkgWazero = "github.com/tetratelabs/wazero"
	pkgWASI   = "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	pkgBin    = "encoding/binary"
	pkgMath   = "math"
)

// named refers to a named type: host bindings are one package that
// declares them all.
func named(t *m.Type) jen.Code {
	if t.Resource != nil {
		return handleGoType(t.Resource)
	}
	return jen.Id(t.GoName)
}

// GoType returns the Go type expression of t (see the mapping in the
// generated package doc).
func GoType(t *m.Type) jen.Code { return gengo.GoType(t, named) }

func unitOr(t *m.Type) jen.Code { return gengo.UnitOr(t, named) }

func isBytes(t *m.Type) bool { return gengo.IsBytes(t) }

func docLines(doc string) string { return gengo.DocLines(doc) }

// lineComment spells a comment as // lines. Every comment text that may
// span lines goes through it: jennifer writes a multi-line Comment as an
// indented /* */ block, which go/doc reads as preformatted text (and which
// hides a "Deprecated:" paragraph from the tools that look for one).
func lineComment(text string) string { return gengo.LineComment(text) }

// genTypeDecls declares the world's named types; gated ones document
// their gate.
func genTypeDecls(f *jen.File, w *m.World) { gengo.DeclareTypes(f, m.WithGateDocs(w.Types), named) }
