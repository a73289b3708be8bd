// Package genguest emits Go guest bindings for standard Go
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) from a resolved WIT world
// (see internal/witmodel). It mirrors internal/genhost: the same type
// mapping and Go names, so host and guest code read alike.
//
// The output is a tree of small packages, because //go:wasmexport is
// static: a function is exported by the module exactly when the package
// declaring it is linked in. So each exported function gets its own
// package, and a module exports a function exactly when the author imports
// (and, Go's unused-import rule makes sure, uses) its package:
//
//	OUT/                       the world's types (package -pkg)
//	OUT/<iface>/               one package per imported interface: a typed
//	                           function per WIT function (hostapi.Log(…))
//	OUT/<world>/               the world-level imports, if any
//	OUT/<iface>/<func>/        one package per exported function: Export(fn)
//	OUT/<world>/<func>/        and the //go:wasmexport shims
//	OUT/internal/wire/         lift/lower helpers shared by the packages above
//
// See RATIONALE.md for why, and guest/cabi for the memory lifetime rules.
package genguest

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"path"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/raisfast/wasmplug/internal/gengo"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// Options controls generation.
type Options struct {
	Package    string // Go package name of the root package (the world's types)
	ImportPath string // Go import path of the output directory
	Command    string // the command line, for the generated-code header
}

// File names of the generated packages.
const (
	bindingsFile = "bindings.go"
	wasmFile     = "wasmimport.go"       // //go:build wasip1: the //go:wasmimport declarations
	otherFile    = "wasmimport_other.go" // //go:build !wasip1: stubs that panic
	wireDir      = "internal/wire"
)

// Generate returns the guest bindings of w as gofmt'd Go files keyed by
// slash-separated paths relative to the output directory.
func Generate(w *m.World, opts Options) (map[string][]byte, error) {
	if err := w.Unsupported(); err != nil {
		return nil, fmt.Errorf("genguest: %w", err)
	}
	if opts.ImportPath == "" || opts.Package == "" {
		return nil, errors.New("genguest: Options.ImportPath and Options.Package are required")
	}
	g := &gen{w: w, opts: opts, out: map[string][]byte{}}
	g.layout()
	wirePath := opts.ImportPath + "/" + wireDir
	wf := g.newFile(wirePath, "wire")
	wf.PackageComment(lc(fmt.Sprintf("Package wire holds the canonical-ABI lift and lower helpers of the guest bindings of %s/%s,\nshared by the import and export packages. Helpers a module does not use are\nremoved by the linker.", w.Package, w.Name)))
	g.c = newCodec(opts.ImportPath, wirePath, wf)

	if err := g.rootPackage(); err != nil {
		return nil, err
	}
	if err := g.resources(); err != nil {
		return nil, err
	}
	for _, ip := range g.imports {
		if err := g.importPackage(ip); err != nil {
			return nil, err
		}
	}
	for _, ep := range g.exports {
		if err := g.exportPackage(ep); err != nil {
			return nil, err
		}
	}
	g.c.flush()
	if err := g.render(wf, path.Join(wireDir, bindingsFile), ""); err != nil {
		return nil, err
	}
	return g.out, nil
}

type gen struct {
	w       *m.World
	opts    Options
	c       *codec
	out     map[string][]byte
	imports []*importPkg
	exports []*exportPkg
}

// importPkg is the package of one imported interface (or of the world-level
// imports).
type importPkg struct {
	iface      *m.Interface
	dir, name  string
	importPath string
}

// exportPkg is the package of one exported function.
type exportPkg struct {
	fn         *m.Func
	dir, name  string
	importPath string
}

// PackageName turns a WIT name into a Go package name: lower-case letters
// and digits only ("host-api" → "hostapi"), never a keyword, "main" or a
// name the generated code reserves.
func PackageName(wit string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimPrefix(wit, "%")) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	s := b.String()
	switch {
	case s == "" || s[0] >= '0' && s[0] <= '9':
		s = "x" + s
	case token.IsKeyword(s) || s == "main" || s == "internal" || s == "wire" || s == "cabi" || s == "unsafe":
		s += "x"
	}
	return s
}

// layout assigns a directory and package name to every import and export
// package.
func (g *gen) layout() {
	owner := map[string]string{} // dir → qualified name of the interface using it
	ifaceDir := func(i *m.Interface) string {
		name, qual := g.w.Name, g.w.Package+"/"+g.w.Name
		if i.Name != "" {
			name, qual = i.Name, i.Qualified
		}
		dir := PackageName(name)
		if o, ok := owner[dir]; ok && o != qual {
			dir = PackageName(strings.ReplaceAll(i.Package, ":", "-") + "-" + name)
			for base, n := dir, 2; owner[dir] != "" && owner[dir] != qual; n++ {
				dir = fmt.Sprintf("%s%d", base, n)
			}
		}
		owner[dir] = qual
		return dir
	}
	for _, i := range g.w.Imports {
		dir := ifaceDir(i)
		g.imports = append(g.imports, &importPkg{iface: i, dir: dir, name: dir, importPath: g.opts.ImportPath + "/" + dir})
	}
	for _, i := range g.w.Exports {
		base := ifaceDir(i)
		for _, fn := range i.Funcs {
			name := PackageName(fn.Name)
			dir := base + "/" + name
			g.exports = append(g.exports, &exportPkg{fn: fn, dir: dir, name: name, importPath: g.opts.ImportPath + "/" + dir})
		}
	}
}

func (g *gen) newFile(importPath, name string) *jen.File {
	f := jen.NewFilePathName(importPath, name)
	f.ImportName(g.opts.ImportPath, g.opts.Package)
	f.ImportName(g.opts.ImportPath+"/"+wireDir, "wire")
	f.ImportName(pkgCABI, "cabi")
	return f
}

// render gofmts f into g.out[name], with an optional build constraint.
func (g *gen) render(f *jen.File, name, build string) error {
	header := fmt.Sprintf("// Code generated by %s. DO NOT EDIT.", g.opts.Command)
	if build != "" {
		header += "\n\n//go:build " + build
	}
	f.HeaderComment(header)
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return fmt.Errorf("genguest: render %s: %w", name, err)
	}
	src, err := gengo.Format(buf.Bytes())
	if err != nil {
		return fmt.Errorf("genguest: %s: %w", name, err)
	}
	g.out[name] = src
	return nil
}

func (g *gen) typ(t *m.Type) jen.Code { return GoType(g.opts.ImportPath, t) }

// rootPackage declares the world's types and documents the tree.
func (g *gen) rootPackage() error {
	f := g.newFile(g.opts.ImportPath, g.opts.Package)
	f.PackageComment(lc(g.packageDoc()))
	g.genTypeDecls(f)
	return g.render(f, bindingsFile, "")
}

func (g *gen) packageDoc() string {
	w := g.w
	var b strings.Builder
	fmt.Fprintf(&b, "Package %s holds the Go guest bindings of the WIT world %s/%s, for\nstandard Go built as a WASI reactor:\n\n", g.opts.Package, w.Package, w.Name)
	b.WriteString("\tGOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .\n\n")
	if d := docLines(w.Doc); d != "" {
		b.WriteString(d + "\n\n")
	}
	b.WriteString(`This package declares the world's types. Imports are typed functions in
one package per imported interface. Each exported function has a package
of its own: importing it makes the module export the function, and its
Export sets the implementation (call it from an init function: a reactor's
main is never run). A module therefore exports exactly the functions whose
packages it imports; the host links modules that omit some exports.

`)
	if len(g.imports) > 0 {
		b.WriteString("Imports (call them from exports or init):\n\n")
		for _, ip := range g.imports {
			name := ip.iface.Qualified
			if name == "" {
				name = "world-level imports of " + w.Name
			}
			fmt.Fprintf(&b, "\t%s\t%s\n", ip.importPath, name)
		}
		b.WriteString("\n")
	}
	if len(g.exports) > 0 {
		b.WriteString("Exports (import the ones the guest implements):\n\n")
		for _, ep := range g.exports {
			fmt.Fprintf(&b, "\t%s\t%s\n", ep.importPath, ep.fn.QualifiedName())
		}
		b.WriteString("\n")
	}
	b.WriteString(`Type mapping (as in the host bindings): bool, s8…s64, u8…u64, f32, f64,
char and string map to Go's bool, int8…int64, uint8…uint64, float32,
float64, rune and string; list<T> to []T (list<u8> to []byte); option<T> to
*T (nil is none), except that an imported function returning option<T>
returns (T, bool); result<T, E> held in a value to cwitval.Result[T, E], and
returned by a function to (T, error) whose error is a *witval.ResultError[E]
for the error case (an export may return any error when E is string or
absent; other errors trap); tuples to witval.TupleN; records to structs;
enums and flags to named integers with constants; variants to a sealed
interface with one struct per case.

Values the host passes in (export arguments, import results) are the
guest's to keep: strings and byte lists point into memory the host wrote,
without a copy, and live as long as any Go value refers to them. Values
the guest passes out are read by the host in place and must not change
during the call. See package github.com/raisfast/wasmplug/guest/cabi for
the memory rules.`)
	b.WriteString(g.resourceDoc())
	return b.String()
}

// ---- imports ----

// wrapperResults is the Go result list of an import's wrapper: the host
// interface method's mapping.
func (g *gen) wrapperResults(t *m.Type) []jen.Code {
	switch {
	case t == nil:
		return nil
	case t.Kind == m.Option:
		return []jen.Code{g.typ(t.Elem), jen.Bool()}
	case t.Kind == m.Result:
		if t.OK == nil {
			return []jen.Code{jen.Error()}
		}
		return []jen.Code{g.typ(t.OK), jen.Error()}
	}
	return []jen.Code{g.typ(t)}
}

// coreGoType is the Go type of a core value in //go:wasmimport and
// //go:wasmexport signatures.
func coreGoType(c m.CoreType) jen.Code {
	switch c {
	case m.I64:
		return jen.Uint64()
	case m.CF32:
		return jen.Float32()
	case m.CF64:
		return jen.Float64()
	}
	return jen.Uint32()
}

// toCore converts flat slot x (a uint64 holding the bits) to core type c.
func toCore(c m.CoreType, x jen.Code) jen.Code {
	switch c {
	case m.I64:
		return x
	case m.CF32:
		return cabi("F32").Call(x)
	case m.CF64:
		return cabi("F64").Call(x)
	}
	return jen.Uint32().Call(x)
}

// fromCore converts core value x of type c to a flat slot.
func fromCore(c m.CoreType, x jen.Code) jen.Code {
	switch c {
	case m.I64:
		return x
	case m.CF32:
		return cabi("FromF32").Call(x)
	case m.CF64:
		return cabi("FromF64").Call(x)
	}
	return jen.Uint64().Call(x)
}

func areaType(size uint32) jen.Code { return jen.Index(jen.Lit(int(max(1, (size+7)/8)))).Uint64() }

func addrOf(v string) jen.Code {
	return cabi("Addr").Call(jen.Qual(pkgUnsafe, "Pointer").Call(jen.Op("&").Id(v)))
}

func lowerFirst(s string) string {
	r := []rune(s)
	i := 0
	for i < len(r) && r[i] >= 'A' && r[i] <= 'Z' {
		i++
	}
	if i > 1 && i < len(r) {
		i-- // "HTTPGet" → "httpGet"
	}
	for j := 0; j < i; j++ {
		r[j] += 'a' - 'A'
	}
	return string(r)
}

// localNames are identifiers the generated function bodies use; parameters
// named like them get the suffix Arg (and a number if that is taken).
var localNames = map[string]bool{"stack": true, "rp": true, "pa": true, "mark": true, "rv": true, "r0": true,
	"sp": true, "sl": true, "cabi": true, "wire": true, "unsafe": true, "errors": true, "zero": true, "impl": true}

func (g *gen) paramNames(fn *m.Func) []string {
	var out []string
	used := map[string]bool{}
	for _, p := range fn.Params {
		n := p.GoName
		if localNames[n] || n == g.opts.Package {
			n += "Arg"
		}
		n = m.Unique(n, func(n string) bool { return localNames[n] || n == g.opts.Package || used[n] })
		used[n] = true
		out = append(out, n)
	}
	return out
}

func funcDoc(fn *m.Func) string {
	if d := docLines(fn.Doc); d != "" {
		return "\n\n" + d
	}
	return ""
}

// gateDoc is the paragraphs documenting a feature gate (see m.Gate.Doc),
// each preceded by a blank line; "" for an ungated item.
func gateDoc(g m.Gate) string {
	if d := g.Doc(); d != "" {
		return "\n\n" + d
	}
	return ""
}

func (g *gen) importPackage(ip *importPkg) error {
	f := g.newFile(ip.importPath, ip.name)
	wasm := g.newFile(ip.importPath, ip.name)
	other := g.newFile(ip.importPath, ip.name)
	i := ip.iface
	module := i.ImportModules()[0]
	if i.Name == "" {
		f.PackageComment(lc(fmt.Sprintf("Package %s calls the world-level imports of %s/%s.", ip.name, g.w.Package, g.w.Name)))
	} else {
		doc := fmt.Sprintf("Package %s calls the host's %s.", ip.name, i.Qualified)
		if d := docLines(i.Doc); d != "" {
			doc += "\n\n" + d
		}
		f.PackageComment(lc(doc + gateDoc(i.Gate)))
	}
	for _, fn := range i.Funcs {
		stub := "wasmimport" + importName(fn)
		var coreParams []jen.Code
		for k, ct := range fn.CoreParams {
			coreParams = append(coreParams, jen.Id(fmt.Sprintf("p%d", k)).Add(coreGoType(ct)))
		}
		var coreResults []jen.Code
		for _, ct := range fn.CoreResults {
			coreResults = append(coreResults, coreGoType(ct))
		}
		wasm.Comment(lc(fmt.Sprintf("//go:wasmimport %s %s", module, fn.Name)))
		wasm.Func().Id(stub).Params(coreParams...).Params(coreResults...)
		other.Func().Id(stub).Params(coreParams...).Params(coreResults...).Block(
			jen.Panic(jen.Lit(fn.QualifiedName() + " is only available in a wasm guest (GOOS=wasip1 GOARCH=wasm)")))
		g.importWrapper(f, fn, stub)
	}
	dir := ip.dir
	if err := g.render(f, path.Join(dir, bindingsFile), ""); err != nil {
		return err
	}
	if err := g.render(wasm, path.Join(dir, wasmFile), "wasip1"); err != nil {
		return err
	}
	return g.render(other, path.Join(dir, otherFile), "!wasip1")
}

func (g *gen) importWrapper(f *jen.File, fn *m.Func, stub string) {
	c := g.c
	names := g.paramNames(fn)
	var params []jen.Code
	for k, p := range fn.Params {
		params = append(params, jen.Id(names[k]).Add(g.typ(p.Type)))
	}
	base := lowerFirst(importName(fn))
	body := []jen.Code{jen.Id("mark").Op(":=").Add(cabi("Mark")).Call()}
	var args []jen.Code
	if fn.ParamsInMemory {
		tt := fn.ParamTuple
		area := base + "Params"
		f.Comment(lc(fmt.Sprintf("%s holds the parameters of %s (more than %d flat values; %s).", area, fn.Name, m.MaxFlatParams, gengo.AlignSize(tt))))
		f.Var().Id(area).Add(areaType(tt.Size))
		body = append(body, jen.Id("pa").Op(":=").Add(addrOf(area)))
		for k, p := range fn.Params {
			body = append(body, c.storeFrom(jen.Id(names[k]), p.Type, jen.Id("pa"), tt.Fields[k].Offset)...)
		}
		args = append(args, jen.Id("pa"))
	} else if len(fn.FlatArgs) > 0 {
		body = append(body, jen.Var().Id("stack").Index(jen.Lit(len(fn.FlatArgs))).Uint64())
		at := 0
		for k, p := range fn.Params {
			body = append(body, c.lowerFrom(jen.Id(names[k]), p.Type, jen.Id("stack"), at)...)
			at += len(p.Type.Flat)
		}
		for k, ct := range fn.FlatArgs {
			args = append(args, toCore(ct, jen.Id("stack").Index(jen.Lit(k))))
		}
	}
	t := fn.Result
	switch {
	case t == nil:
		body = append(body, jen.Id(stub).Call(args...))
	case fn.ResultInMemory:
		area := base + "Ret"
		f.Comment(lc(fmt.Sprintf("%s is where the host writes the result of %s (%s).", area, fn.Name, gengo.Layout(t.WIT, t))))
		f.Var().Id(area).Add(areaType(t.Size))
		body = append(body, jen.Id("rp").Op(":=").Add(addrOf(area)))
		args = append(args, jen.Id("rp"))
		body = append(body, jen.Id(stub).Call(args...), jen.Var().Id("rv").Add(g.typ(t)))
		body = append(body, c.loadInto(jen.Id("rv"), t, jen.Id("rp"), 0)...)
	default:
		body = append(body,
			jen.Id("r0").Op(":=").Index(jen.Lit(1)).Uint64().Values(fromCore(fn.CoreResults[0], jen.Id(stub).Call(args...))),
			jen.Var().Id("rv").Add(g.typ(t)))
		body = append(body, c.liftInto(jen.Id("rv"), t, jen.Id("r0"), 0)...)
	}
	body = append(body, keepParamsAlive(fn, names)...)
	body = append(body, cabi("Release").Call(jen.Id("mark")))
	switch {
	case t == nil:
	case t.Kind == m.Option:
		body = append(body,
			jen.If(jen.Id("rv").Op("==").Nil()).Block(jen.Var().Id("zero").Add(g.typ(t.Elem)), jen.Return(jen.Id("zero"), jen.False())),
			jen.Return(jen.Op("*").Id("rv"), jen.True()))
	case t.Kind == m.Result:
		errVal := jen.Op("&").Qual(pkgWitval, "ResultError").Types(unitOr(g.opts.ImportPath, t.Err)).Values()
		if t.Err != nil {
			errVal = jen.Op("&").Qual(pkgWitval, "ResultError").Types(g.typ(t.Err)).Values(jen.Dict{jen.Id("Value"): jen.Id("rv").Dot("Err")})
		}
		if t.OK == nil {
			body = append(body, jen.If(jen.Id("rv").Dot("IsErr")).Block(jen.Return(errVal)), jen.Return(jen.Nil()))
		} else {
			body = append(body, jen.If(jen.Id("rv").Dot("IsErr")).Block(jen.Return(jen.Id("rv").Dot("OK"), errVal)), jen.Return(jen.Id("rv").Dot("OK"), jen.Nil()))
		}
	default:
		body = append(body, jen.Return(jen.Id("rv")))
	}
	f.Comment(lc(fmt.Sprintf("%s calls %s.%s%s", importName(fn), fn.QualifiedName(), funcDoc(fn), gateDoc(fn.Gate))))
	f.Func().Id(importName(fn)).Params(params...).Params(g.wrapperResults(t)...).Block(body...)
}

// resultKeep is the package variable of an export's package that holds its
// last result until the post-return function (see exportPackage).
const resultKeep = "retKeep"

// keepParamsAlive keeps an import's parameters that point to memory
// reachable until the host has returned: the guest lowers their strings and
// byte lists by address without pinning them (cabi.StringData), and the
// host may run cabi_realloc, so Go code, before it reads them.
func keepParamsAlive(fn *m.Func, names []string) []jen.Code {
	var out []jen.Code
	for k, p := range fn.Params {
		if p.Type.HasPointers() {
			out = append(out, jen.Qual("runtime", "KeepAlive").Call(jen.Id(names[k])))
		}
	}
	return out
}

// importName is the Go name of an import's wrapper. Each interface has its
// own package, so it needs no prefix when interfaces share function names
// (the model's GoName has one for the host, whose methods share a
// namespace).
func importName(fn *m.Func) string {
	if fn.Resource != nil {
		return resourceImportName(fn)
	}
	return m.GoName(fn.Name)
}

// ---- exports ----

// implResults is the Go result list of an export's implementation: the
// host's Instance method mapping without its error.
func (g *gen) implResults(t *m.Type) []jen.Code {
	switch {
	case t == nil:
		return nil
	case t.Kind == m.Result:
		if t.OK == nil {
			return []jen.Code{jen.Error()}
		}
		return []jen.Code{g.typ(t.OK), jen.Error()}
	}
	return []jen.Code{g.typ(t)}
}

func (g *gen) implType(fn *m.Func) *jen.Statement {
	var params []jen.Code
	for k, p := range fn.Params {
		params = append(params, jen.Id(g.paramNames(fn)[k]).Add(g.typ(p.Type)))
	}
	return jen.Func().Params(params...).Params(g.implResults(fn.Result)...)
}

func (g *gen) exportPackage(ep *exportPkg) error {
	c := g.c
	fn := ep.fn
	f := g.newFile(ep.importPath, ep.name)
	t := fn.Result
	kind := "called"
	switch {
	case t == nil:
		kind = "an action: until Export is called, calls do nothing"
	case t.Kind == m.Option:
		kind = "until Export is called, calls return none"
	default:
		kind = "until Export is called, calls trap"
	}
	// A deprecated function's package is deprecated too: importing it is
	// what exports the function. The gate goes last, after the usage.
	f.PackageComment(lc(fmt.Sprintf("Package %s exports %s from the guest.%s\n\nImporting this package makes the module export the function (%s);\ncall Export from an init function to implement it.%s", ep.name, fn.QualifiedName(), funcDoc(fn), kind, gateDoc(fn.Gate))))

	f.Var().Id("impl").Add(g.implType(fn))
	if d := g.defaultImpl(fn); d != nil {
		f.Add(d)
	}
	f.Comment(lc(fmt.Sprintf("Export sets the implementation of %s. Call it from an init function\n(a reactor's main never runs); a later call replaces fn.%s", fn.QualifiedName(), gateDoc(fn.Gate))))
	f.Func().Id("Export").Params(jen.Id("fn").Add(g.implType(fn))).Block(jen.Id("impl").Op("=").Id("fn"))

	name := fn.ExportNames()[0]
	shim := "wasmexport" + fn.GoName
	var coreParams []jen.Code
	for k, ct := range fn.CoreParams {
		coreParams = append(coreParams, jen.Id(fmt.Sprintf("p%d", k)).Add(coreGoType(ct)))
	}
	var coreResults []jen.Code
	for _, ct := range fn.CoreResults {
		coreResults = append(coreResults, coreGoType(ct))
	}

	var body []jen.Code
	switch {
	case t == nil:
		body = append(body, jen.If(jen.Id("impl").Op("==").Nil()).Block(cabi("Release").Call(jen.Lit(0)), jen.Return()))
	case t.Kind != m.Option:
		body = append(body, jen.If(jen.Id("impl").Op("==").Nil()).Block(
			unreachable(fn.QualifiedName()+" is exported but not implemented: call Export from an init function")))
	}
	// lift the arguments into a0, a1, …
	var args []jen.Code
	for k, p := range fn.Params {
		a := fmt.Sprintf("a%d", k)
		body = append(body, jen.Var().Id(a).Add(g.typ(p.Type)))
		args = append(args, jen.Id(a))
	}
	if fn.ParamsInMemory {
		for k, p := range fn.Params {
			body = append(body, c.loadInto(jen.Id(fmt.Sprintf("a%d", k)), p.Type, jen.Id("p0"), fn.ParamTuple.Fields[k].Offset)...)
		}
	} else if len(fn.FlatArgs) > 0 {
		var vals []jen.Code
		for k, ct := range fn.FlatArgs {
			vals = append(vals, fromCore(ct, jen.Id(fmt.Sprintf("p%d", k))))
		}
		body = append(body, jen.Id("stack").Op(":=").Index(jen.Lit(len(fn.FlatArgs))).Uint64().Values(vals...))
		at := 0
		for k, p := range fn.Params {
			body = append(body, c.liftInto(jen.Id(fmt.Sprintf("a%d", k)), p.Type, jen.Id("stack"), at)...)
			at += len(p.Type.Flat)
		}
	}
	body = append(body,
		jen.Comment(lc("The arguments are lifted: release the host's allocations (lifted values")),
		jen.Comment(lc("keep what they use) and anything an earlier call left pinned.")),
		cabi("Release").Call(jen.Lit(0)))
	call := jen.Id("impl").Call(args...)
	switch {
	case t == nil:
		body = append(body, call)
	case t.Kind == m.Option:
		body = append(body, jen.Var().Id("rv").Add(g.typ(t)),
			jen.If(jen.Id("impl").Op("!=").Nil()).Block(jen.Id("rv").Op("=").Add(call)))
	default:
		if t.Kind == m.Result {
			lhs := []jen.Code{jen.Err()}
			if t.OK != nil {
				lhs = []jen.Code{jen.Id("hv"), jen.Err()}
			}
			body = append(body, jen.List(lhs...).Op(":=").Add(call), jen.Var().Id("rv").Add(g.typ(t)))
			errT := unitOr(g.opts.ImportPath, t.Err)
			var fallback []jen.Code
			switch {
			case t.Err == nil:
			case t.Err.Kind == m.String:
				fallback = []jen.Code{jen.Id("rv").Dot("Err").Op("=").Err().Dot("Error").Call()}
			default:
				fallback = []jen.Code{jen.Panic(jen.Lit(fn.QualifiedName() + ": the implementation returned an error that is not a *witval.ResultError: ").Op("+").Err().Dot("Error").Call())}
			}
			onErr := []jen.Code{jen.Id("rv").Dot("IsErr").Op("=").True()}
			if t.Err != nil {
				onErr = append(onErr, jen.If(jen.List(jen.Id("e"), jen.Id("ok")).Op(":=").Qual(pkgWitval, "AsResultError").Types(errT).Call(jen.Err()), jen.Id("ok")).Block(
					jen.Id("rv").Dot("Err").Op("=").Id("e")).Else().Block(fallback...))
			}
			ifErr := jen.If(jen.Err().Op("!=").Nil()).Block(onErr...)
			if t.OK != nil {
				ifErr = ifErr.Else().Block(jen.Id("rv").Dot("OK").Op("=").Id("hv"))
			}
			body = append(body, ifErr)
		} else {
			body = append(body, jen.Id("rv").Op(":=").Add(call))
		}
	}
	switch {
	case t == nil:
	case fn.ResultInMemory:
		area := "retArea"
		f.Comment(lc(fmt.Sprintf("%s holds the result (%s) until the host calls the post-return function.", area, gengo.Layout(t.WIT, t))))
		f.Var().Id(area).Add(areaType(t.Size))
		if t.HasPointers() {
			f.Comment(lc(resultKeep + " keeps the memory the result points to reachable until the post-return\nfunction: the host reads it by address, so nothing else may free it."))
			f.Var().Id(resultKeep).Add(g.typ(t))
			body = append(body, jen.Id(resultKeep).Op("=").Id("rv"))
		}
		body = append(body, jen.Id("rp").Op(":=").Add(addrOf(area)))
		body = append(body, c.storeFrom(jen.Id("rv"), t, jen.Id("rp"), 0)...)
		body = append(body, jen.Return(jen.Id("rp")))
	default:
		body = append(body, jen.Var().Id("r0").Index(jen.Lit(1)).Uint64())
		body = append(body, c.lowerFrom(jen.Id("rv"), t, jen.Id("r0"), 0)...)
		body = append(body, jen.Return(toCore(fn.CoreResults[0], jen.Id("r0").Index(jen.Lit(0)))))
	}
	f.Comment(lc(fmt.Sprintf("%s is the core export %q: it lifts the arguments, calls\nthe implementation and lowers its result.", shim, name)))
	f.Comment(lc(""))
	f.Comment("//go:wasmexport " + name)
	f.Func().Id(shim).Params(coreParams...).Params(coreResults...).Block(body...)

	if fn.ResultInMemory {
		post := fn.PostReturnNames()[0]
		f.Comment(lc(fmt.Sprintf("%s is the post-return of %s: the host has read the\nresult, so the memory it pointed to is released.", "wasmexportPost"+fn.GoName, fn.Name)))
		f.Comment(lc(""))
		f.Comment("//go:wasmexport " + post)
		var postBody []jen.Code
		if t.HasPointers() {
			postBody = append(postBody, jen.Var().Id("zero").Add(g.typ(t)), jen.Id(resultKeep).Op("=").Id("zero"))
		}
		postBody = append(postBody, cabi("Release").Call(jen.Lit(0)))
		f.Func().Id("wasmexportPost" + fn.GoName).Params(jen.Id("_").Uint32()).Block(postBody...)
	}
	return g.render(f, path.Join(ep.dir, bindingsFile), "")
}
