package genguest

import (
	"fmt"
	"path"

	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// Resources in the guest bindings. Handle types live in the root package
// (records and lists of the world's types hold them):
//
//   - a resource of an imported interface is a handle struct R with
//     Handle, Drop ([resource-drop]) and RFromHandle; its constructor,
//     methods and static functions are functions of the interface's
//     package (NewR, RMethod(self, …), RStatic).
//   - a resource of an exported interface is implemented by a Go value of
//     the guest's (RImpl: an interface of the resource's methods). NewR(impl)
//     makes an owned handle ([resource-new]); R.Impl returns the
//     implementation behind a handle or borrow; the destructor export forgets
//     it and calls its Drop method if it has one. The method exports call
//     the implementation by default; constructors and static functions are
//     exported (Export) like other functions.

// resourceDoc is the root package doc's paragraph on resources.
func (g *gen) resourceDoc() string {
	if len(g.w.Resources) == 0 {
		return ""
	}
	return `

Resources: a resource of an imported interface is a handle struct R in this
package (Handle, Drop); its constructor, methods and static functions are
functions of the interface's package. A resource of an exported interface
is implemented by the guest's own value (RImpl); NewR(impl) makes an owned
handle, R.Impl returns the implementation behind a handle or borrow, and
the destructor calls the implementation's Drop method if it has one. Import
the method packages (blank imports do): by default they call the
implementation.`
}

const resFile, resWasmFile, resOtherFile = "resources.go", "resources_wasm.go", "resources_other.go"

func (g *gen) rootType(r *m.Resource) jen.Code { return jen.Qual(g.opts.ImportPath, r.GoName) }

// liftHandle is the Go value of the handle with index (or, for a borrow of
// the guest's own resource, rep) x.
func (c *codec) liftHandle(t *m.Type, x jen.Code) jen.Code {
	r := t.Resource
	if r.Export && t.Kind == m.Borrow {
		return jen.Qual(c.root, r.GoName+"FromRep").Call(x) // lower_borrow of the guest's own resource passes the rep
	}
	return jen.Qual(c.root, r.GoName+"FromHandle").Call(x)
}

// resourceImportName is the Go name of a resource function in its
// interface's package.
func resourceImportName(fn *m.Func) string {
	if fn.Kind == m.Constructor {
		return "New" + fn.Resource.GoName
	}
	return fn.Resource.GoName + fn.MethodName
}

// implInterface is the interface an exported resource's implementation has.
func (g *gen) implMethods(r *m.Resource) []jen.Code {
	var ms []jen.Code
	for _, fn := range r.Methods {
		names := g.paramNames(fn)
		var ps []jen.Code
		for k, p := range fn.Params[1:] {
			ps = append(ps, jen.Id(names[k+1]).Add(g.typ(p.Type)))
		}
		ms = append(ms, jen.Comment(lc(fmt.Sprintf("%s implements %s.%s", fn.MethodName, fn.QualifiedName(), funcDoc(fn)))))
		ms = append(ms, jen.Id(fn.MethodName).Params(ps...).Params(g.implResults(fn.Result)...))
	}
	return ms
}

// defaultImpl is the body of a resource method's export that calls the
// implementation behind self.
func (g *gen) defaultImpl(fn *m.Func) jen.Code {
	if fn.Kind != m.Method || !fn.Resource.Export {
		return nil
	}
	names := g.paramNames(fn)
	var ps, args []jen.Code
	for k, p := range fn.Params {
		ps = append(ps, jen.Id(names[k]).Add(g.typ(p.Type)))
		if k > 0 {
			args = append(args, jen.Id(names[k]))
		}
	}
	call := jen.Id(names[0]).Dot("Impl").Call().Dot(fn.MethodName).Call(args...)
	var body jen.Code = call
	if fn.Result != nil {
		body = jen.Return(call)
	}
	return jen.Func().Id("init").Params().Block(
		jen.Comment(lc("By default the method calls the implementation behind self; Export replaces it.")),
		jen.Id("impl").Op("=").Func().Params(ps...).Params(g.implResults(fn.Result)...).Block(body))
}

// resources renders the root package's resource files.
func (g *gen) resources() error {
	if len(g.w.Resources) == 0 {
		return nil
	}
	root := g.opts.ImportPath
	f := g.newFile(root, g.opts.Package)
	wasm := g.newFile(root, g.opts.Package)
	other := g.newFile(root, g.opts.Package)
	stub := func(name, module, field string, params int, result bool) {
		var ps []jen.Code
		for k := range params {
			ps = append(ps, jen.Id(fmt.Sprintf("p%d", k)).Uint32())
		}
		var rs []jen.Code
		if result {
			rs = []jen.Code{jen.Uint32()}
		}
		wasm.Comment(lc(fmt.Sprintf("//go:wasmimport %s %s", module, field)))
		wasm.Func().Id(name).Params(ps...).Params(rs...)
		other.Func().Id(name).Params(ps...).Params(rs...).Block(
			jen.Panic(jen.Lit(module + "#" + field + " is only available in a wasm guest (GOOS=wasip1 GOARCH=wasm)")))
	}
	for _, r := range g.w.Resources {
		T := r.GoName
		handleCheck := jen.If(jen.Id("v").Dot("handle").Op("==").Lit(0)).Block(cabi("Unreachable").Call(jen.Lit(r.Name + ": no handle (a zero value, or a borrow lent to the guest's own implementation)")))
		if !r.Export {
			module := r.Iface.ImportModules()[0]
			drop := "wasmimport" + T + "Drop"
			stub(drop, module, r.DropName(), 1, false)
			doc := fmt.Sprintf("%s is a handle of the host's resource %s of %s. Its constructor,\nmethods and static functions are in that interface's package. Passing it\nto a function that takes an owned %s gives it away.", T, r.Name, r.Owner, r.Name)
			if d := docLines(r.Doc); d != "" {
				doc += "\n\n" + d
			}
			f.Comment(lc(doc))
			f.Type().Id(T).Struct(jen.Id("handle").Uint32())
			f.Comment(lc(fmt.Sprintf("%sFromHandle makes a %s of a raw handle (the canonical ABI's i32).", T, T)))
			f.Func().Id(T + "FromHandle").Params(jen.Id("h").Uint32()).Id(T).Block(jen.Return(jen.Id(T).Values(jen.Dict{jen.Id("handle"): jen.Id("h")})))
			f.Comment(lc("Handle returns the raw handle."))
			f.Func().Params(jen.Id("v").Id(T)).Id("Handle").Params().Uint32().Block(handleCheck, jen.Return(jen.Id("v").Dot("handle")))
			f.Comment(lc(fmt.Sprintf("Drop drops the owned handle ([resource-drop]%s): the host releases the %s.", r.Name, r.Name)))
			f.Func().Params(jen.Id("v").Id(T)).Id("Drop").Params().Block(jen.Id(drop).Call(jen.Id("v").Dot("Handle").Call()))
			continue
		}
		module := r.Iface.ExportModules()[0]
		newS, repS, dropS := "wasmimport"+T+"New", "wasmimport"+T+"Rep", "wasmimport"+T+"Drop"
		stub(newS, module, r.NewName(), 1, true)
		stub(repS, module, r.RepName(), 1, true)
		stub(dropS, module, r.DropName(), 1, false)
		reps := lowerFirst(T) + "Reps"
		impl := T + "Impl"
		f.Comment(lc(fmt.Sprintf("%s is what the guest implements for each %s of %s. If the\nimplementation has a Drop() method, it runs when the %s is destroyed.", impl, r.Name, r.Owner, r.Name)))
		f.Type().Id(impl).Interface(g.implMethods(r)...)
		doc := fmt.Sprintf("%s is a handle of the guest's own resource %s of %s: an owned handle\n(from New%s, or passed in owned) or a borrow lent to the implementation.", T, r.Name, r.Owner, T)
		if d := docLines(r.Doc); d != "" {
			doc += "\n\n" + d
		}
		f.Comment(lc(doc))
		f.Type().Id(T).Struct(jen.List(jen.Id("handle"), jen.Id("rep")).Uint32())
		f.Var().Id(reps).Qual(pkgCABI, "Reps").Types(jen.Id(impl))
		f.Comment(lc(fmt.Sprintf("New%s makes an owned %s implemented by impl ([resource-new]%s).", T, r.Name, r.Name)))
		f.Func().Id("New"+T).Params(jen.Id("impl").Id(impl)).Id(T).Block(
			jen.Id("rep").Op(":=").Id(reps).Dot("Add").Call(jen.Id("impl")),
			jen.Return(jen.Id(T).Values(jen.Dict{jen.Id("handle"): jen.Id(newS).Call(jen.Id("rep")), jen.Id("rep"): jen.Id("rep")})))
		f.Comment(lc(fmt.Sprintf("%sFromHandle makes a %s of a raw owned handle.", T, T)))
		f.Func().Id(T + "FromHandle").Params(jen.Id("h").Uint32()).Id(T).Block(jen.Return(jen.Id(T).Values(jen.Dict{jen.Id("handle"): jen.Id("h")})))
		f.Comment(lc(fmt.Sprintf("%sFromRep makes a %s of a rep (a borrow of the guest's own %s).", T, T, r.Name)))
		f.Func().Id(T + "FromRep").Params(jen.Id("rep").Uint32()).Id(T).Block(jen.Return(jen.Id(T).Values(jen.Dict{jen.Id("rep"): jen.Id("rep")})))
		f.Comment(lc("Handle returns the raw owned handle; a borrow has none (it traps)."))
		f.Func().Params(jen.Id("v").Id(T)).Id("Handle").Params().Uint32().Block(handleCheck, jen.Return(jen.Id("v").Dot("handle")))
		f.Comment(lc("Impl returns the implementation behind the handle or borrow."))
		f.Func().Params(jen.Id("v").Id(T)).Id("Impl").Params().Id(impl).Block(
			jen.Id("rep").Op(":=").Id("v").Dot("rep"),
			jen.If(jen.Id("rep").Op("==").Lit(0)).Block(jen.Id("rep").Op("=").Id(repS).Call(jen.Id("v").Dot("Handle").Call())),
			jen.Return(jen.Id(reps).Dot("Get").Call(jen.Id("rep"))))
		f.Comment(lc(fmt.Sprintf("Drop drops the owned handle ([resource-drop]%s): the destructor runs.", r.Name)))
		f.Func().Params(jen.Id("v").Id(T)).Id("Drop").Params().Block(jen.Id(dropS).Call(jen.Id("v").Dot("Handle").Call()))
		f.Comment(lc(fmt.Sprintf("Live%s returns the number of %s implementations not yet destroyed.", T, r.Name)))
		f.Func().Id("Live" + T).Params().Int().Block(jen.Return(jen.Id(reps).Dot("Len").Call()))
		dtor := r.DtorNames()[0]
		wasm.Comment(lc(fmt.Sprintf("wasmexport%sDtor is the destructor %q: the host dropped the last handle.", T, dtor)))
		wasm.Comment(lc(""))
		wasm.Comment("//go:wasmexport " + dtor)
		wasm.Func().Id("wasmexport" + T + "Dtor").Params(jen.Id("rep").Uint32()).Block(
			jen.If(jen.List(jen.Id("d"), jen.Id("ok")).Op(":=").Id(reps).Dot("Remove").Call(jen.Id("rep")).Op(".").Parens(jen.Interface(jen.Id("Drop").Params())), jen.Id("ok")).Block(
				jen.Id("d").Dot("Drop").Call()))
	}
	if err := g.render(f, resFile, ""); err != nil {
		return err
	}
	if err := g.render(wasm, path.Join(".", resWasmFile), "wasip1"); err != nil {
		return err
	}
	return g.render(other, resOtherFile, "!wasip1")
}
