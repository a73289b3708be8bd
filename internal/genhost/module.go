package genhost

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// module emits what links and runs a guest: the world table package abi
// works from, and the thin Define, Compile, Link, Module and Instance over
// abi.World, abi.Module and abi.Instance.
func (g *gen) module() {
	g.genWorld()
	g.genDefine()
	g.genCompileOptions()
	g.genExportIndex()
	g.genCompile()
	g.genModule()
	g.genInstance()
}

// coreFunc is the abi.CoreFunc literal of fn.
func coreFunc(fn *m.Func) jen.Code {
	d := jen.Dict{
		jen.Id("WIT"):     jen.Lit(fn.QualifiedName()),
		jen.Id("Name"):    jen.Lit(fn.Name),
		jen.Id("Params"):  valueTypes(fn.CoreParams),
		jen.Id("Results"): valueTypes(fn.CoreResults),
	}
	if fn.Iface.Name != "" {
		d[jen.Id("Interface")] = jen.Lit(ifaceBase(fn.Iface))
		if fn.Iface.Version != "" {
			d[jen.Id("Version")] = jen.Lit(fn.Iface.Version)
		}
	}
	return jen.Values(d)
}

// hostTable lists the core functions the host provides and, by the same
// index, the Go host function serving each.
func (g *gen) hostTable() (funcs, hosts []jen.Code) {
	for _, iface := range g.w.Imports {
		for _, fn := range iface.Funcs {
			funcs = append(funcs, coreFunc(fn))
			hosts = append(hosts, jen.Id("host"+iface.GoName+fn.GoName))
		}
	}
	rf, rh := g.resourceHostTable()
	return append(funcs, rf...), append(hosts, rh...)
}

// moduleRefs lists the host modules Define registers: every imported
// interface under each of its manglings, then the "[export]" modules of
// exported interfaces with resources.
func (g *gen) moduleRefs() []jen.Code {
	var refs []jen.Code
	ref := func(name, iface string) jen.Code {
		return jen.Values(jen.Id("Name").Op(":").Lit(name), jen.Id("Interface").Op(":").Lit(iface))
	}
	for _, iface := range g.w.Imports {
		for _, name := range iface.ImportModules() {
			refs = append(refs, ref(name, ifaceBase(iface)))
		}
	}
	for _, iface := range g.w.Exports {
		if len(iface.Resources) == 0 {
			continue
		}
		for _, name := range iface.ExportModules() {
			refs = append(refs, ref(name, iface.ExportModuleBase()))
		}
	}
	return refs
}

// oneALine is a composite literal's values, one a line.
func oneALine(items []jen.Code) jen.Code {
	return jen.ValuesFunc(func(g *jen.Group) {
		for _, it := range items {
			g.Line().Add(it)
		}
		g.Line()
	})
}

// genWorld emits WorldPackage, WorldVersion and the abi.World the rest
// works from.
func (g *gen) genWorld() {
	f := g.f
	pkgName, pkgVersion, _ := strings.Cut(g.w.Package, "@")
	f.Comment("WorldPackage and WorldVersion name the contract these bindings were generated from.")
	f.Const().Defs(
		jen.Id("WorldPackage").Op("=").Lit(pkgName),
		jen.Id("WorldVersion").Op("=").Lit(pkgVersion),
	)
	var exports []jen.Code
	for _, fn := range g.allExports() {
		exports = append(exports, coreFunc(fn))
	}
	imports, hosts := g.hostTable()
	field := func(name string, v jen.Code) jen.Code { return jen.Id(name).Op(":").Add(v) }
	fields := []jen.Code{
		field("Package", jen.Id("WorldPackage")),
		field("Version", jen.Id("WorldVersion")),
		field("Imports", jen.Index().Qual(pkgABI, "CoreFunc").Values(imports...)),
		field("Host", jen.Index().Qual(pkgAPI, "GoModuleFunc").Add(oneALine(hosts))),
		field("Exports", jen.Index().Qual(pkgABI, "CoreFunc").Values(exports...)),
		field("Modules", jen.Index().Qual(pkgABI, "ModuleRef").Add(oneALine(g.moduleRefs()))),
	}
	if mem, realloc := g.needs(); mem || realloc {
		fields = append(fields, field("NeedMemory", jen.Lit(mem)), field("NeedRealloc", jen.Lit(realloc)))
	}
	if names, dtors := g.resourceTables(); names != nil {
		fields = append(fields, field("Resources", names), field("Dtors", dtors))
	}
	f.Comment(lineComment(`world is what package abi knows of the world: the core functions the host
provides (Imports, served by Host), those a guest exports (by export
index), and the host modules Define registers.`))
	f.Var().Id("world").Op("=").Qual(pkgABI, "World").Add(oneALine(fields))
}

// genDefine emits Define.
func (g *gen) genDefine() {
	g.f.Comment(lineComment(`Define registers the host side of every imported interface on r, under
the legacy, unversioned and standard32 module names, and WASI preview1 for
guests that import it (standard Go guests do). Call it once per runtime
before Compile; calling it again is a no-op. Modules built for another
version on the world's semver track name other modules; Link defines
those as it meets them. The host functions find the calling Instance
through the context of the export call.`))
	g.f.Func().Id("Define").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime")).Error().Block(
		jen.Return(jen.Id("world").Dot("Define").Call(jen.Id("ctx"), jen.Id("r"))))
}

// genCompileOptions emits CompileOption and OptionalExports.
func (g *gen) genCompileOptions() {
	f := g.f
	f.Comment("CompileOption changes what Compile requires of a module.")
	f.Type().Id("CompileOption").Op("=").Qual(pkgABI, "LinkOption")
	f.Comment(lineComment(`OptionalExports accepts modules that lack some exports (calling a missing
one returns abi.ErrNotExported), except those named: plugins that implement
only some hooks. Without it every export is required.`))
	f.Func().Id("OptionalExports").Params(jen.Id("required").Op("...").String()).Id("CompileOption").Block(
		jen.Return(jen.Func().Params(jen.Id("o").Op("*").Qual(pkgABI, "LinkOptions")).Block(
			jen.Id("o").Dot("Required").Op("=").Index().Int().Values(),
			jen.For(jen.List(jen.Id("_"), jen.Id("name")).Op(":=").Range().Id("required")).Block(
				jen.If(jen.Id("k").Op(":=").Id("ExportIndex").Call(jen.Id("name")), jen.Id("k").Op(">=").Lit(0)).Block(
					jen.Id("o").Dot("Required").Op("=").Append(jen.Id("o").Dot("Required"), jen.Id("k")))),
		)))
}

// exportSpellings are the names ExportIndex finds fn by: its bare name, its
// interface-relative one ("plugin-hooks#on-login") and its qualified one.
func exportSpellings(fn *m.Func) []string {
	if fn.Iface.Name == "" {
		return []string{fn.Name}
	}
	return []string{fn.Name, fn.Iface.Name + "#" + fn.Name, fn.QualifiedName()}
}

// genExportIndex emits ExportIndex. A bare or interface-relative name two
// exports share is ambiguous: only the qualified names find them.
func (g *gen) genExportIndex() {
	exports := g.allExports()
	count := map[string]int{}
	for _, fn := range exports {
		for _, s := range exportSpellings(fn) {
			count[s]++
		}
	}
	var cases []jen.Code
	for _, fn := range exports {
		var names []jen.Code
		seen := map[string]bool{}
		for _, s := range exportSpellings(fn) {
			if !seen[s] && (count[s] == 1 || s == fn.QualifiedName()) {
				names = append(names, jen.Lit(s))
			}
			seen[s] = true
		}
		cases = append(cases, jen.Case(names...).Return(jen.Lit(fn.Index)))
	}
	g.f.Comment(lineComment(`ExportIndex returns the index of an export by WIT name ("on-login",
"plugin-hooks#on-login" or fully qualified), or -1.`))
	g.f.Func().Id("ExportIndex").Params(jen.Id("name").String()).Int().Block(
		jen.Switch(jen.Id("name")).Block(cases...), jen.Return(jen.Lit(-1)))
}

// wrapModule is the tail of Compile and Link: the *Module over the
// *abi.Module world.Compile or world.Link returned as am.
func wrapModule() []jen.Code {
	return []jen.Code{
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Return(jen.Op("&").Id("Module").Values(jen.Dict{jen.Id("m"): jen.Id("am")}), jen.Nil()),
	}
}

// genCompile emits Compile and Link.
func (g *gen) genCompile() {
	f := g.f
	opts := jen.Id("opts").Op("...").Id("CompileOption")
	f.Comment(lineComment(`Compile compiles wasm on r (which Define has prepared) and checks it
against the world: every import must be a function of the world with the
same core signature, exports must have theirs, and memory and cabi_realloc
must exist where the world needs them. All problems are reported in one
*abi.LinkError.`))
	f.Func().Id("Compile").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime"), jen.Id("wasm").Index().Byte(), opts).Params(jen.Op("*").Id("Module"), jen.Error()).Block(
		append([]jen.Code{jen.List(jen.Id("am"), jen.Err()).Op(":=").Id("world").Dot("Compile").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("wasm"), jen.Id("opts").Op("..."))}, wrapModule()...)...)
	f.Comment(lineComment(`Link checks an already compiled module against the world (see Compile)
and defines on r the host modules it imports under names Define did not
cover (another version on the world's track).`))
	f.Func().Id("Link").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime"), jen.Id("cm").Qual(pkgWazero, "CompiledModule"), opts).Params(jen.Op("*").Id("Module"), jen.Error()).Block(
		append([]jen.Code{jen.List(jen.Id("am"), jen.Err()).Op(":=").Id("world").Dot("Link").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("cm"), jen.Id("opts").Op("..."))}, wrapModule()...)...)
}

// forwarder is a generated type whose methods forward to one field.
type forwarder struct{ recv, typ, field string }

var (
	moduleFwd   = forwarder{"m", "Module", "m"}
	instanceFwd = forwarder{"i", "Instance", "core"}
)

// method emits a method of *fw.typ that returns what fw.field answers to
// the same call.
func (fw forwarder) method(f *jen.File, doc, name string, ps, args []jen.Code, results ...jen.Code) {
	f.Comment(doc)
	f.Func().Params(jen.Id(fw.recv).Op("*").Id(fw.typ)).Id(name).Params(ps...).Params(results...).Block(
		jen.Return(jen.Id(fw.recv).Dot(fw.field).Dot(name).Call(args...)))
}

// genModule emits Module and its methods.
func (g *gen) genModule() {
	f := g.f
	f.Comment("Module is a guest module compiled and checked against the world.")
	f.Type().Id("Module").Struct(jen.Id("m").Op("*").Qual(pkgABI, "Module"))
	k := []jen.Code{jen.Id("k").Int()}
	ctx := []jen.Code{ctxParam()}
	moduleFwd.method(f, "Contract says which contract version the module was built for and how these bindings take it.",
		"Contract", nil, nil, jen.Qual(pkgABI, "Contract"))
	moduleFwd.method(f, "HasExport reports whether the module exports the function with index k.",
		"HasExport", k, []jen.Code{jen.Id("k")}, jen.Bool())
	moduleFwd.method(f, "Compiled returns the underlying wazero module.",
		"Compiled", nil, nil, jen.Qual(pkgWazero, "CompiledModule"))
	moduleFwd.method(f, "Close releases the compiled module.",
		"Close", ctx, []jen.Code{jen.Id("ctx")}, jen.Error())
}

// importChecks are Instantiate's checks that imports implements every
// interface the module imports from: a host of a later minor version can
// leave out what its older plugins never call.
func (g *gen) importChecks() []jen.Code {
	var out []jen.Code
	for _, iface := range g.w.Imports {
		name := ifaceBase(iface)
		what := name
		if what == "" {
			what = "world-level functions"
		}
		out = append(out, jen.If(jen.Id("imports").Dot(iface.GoName).Op("==").Nil().Op("&&").Id("m").Dot("m").Dot("ImportsInterface").Call(jen.Lit(name))).Block(
			jen.Return(jen.Nil(), jen.Qual("errors", "New").Call(jen.Lit("instantiate: the module imports "+what+" but Imports."+iface.GoName+" is nil")))))
	}
	return out
}

// genInstance emits Instance, Module.Instantiate and Instance's
// world-independent methods.
func (g *gen) genInstance() {
	f := g.f
	f.Comment(lineComment(`Instance is one instantiated guest. It is not safe for concurrent use: a
pool hands each instance to one caller at a time. After a call fails with
an error matching abi.ErrTrap the instance refuses further calls; replace it.`))
	f.Type().Id("Instance").Struct(jen.Id("core").Qual(pkgABI, "Instance").Types(jen.Id("Imports")))
	body := append(g.importChecks(),
		jen.Id("i").Op(":=").Op("&").Id("Instance").Values(),
		jen.If(jen.Err().Op(":=").Id("i").Dot("core").Dot("Instantiate").Call(jen.Id("ctx"), jen.Id("m").Dot("m"), jen.Id("imports"), jen.Id("cfg"), jen.Id("i")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Err())),
		jen.Return(jen.Id("i"), jen.Nil()),
	)
	f.Comment(lineComment(`Instantiate creates an instance whose imports are served by imports. cfg
may be nil; whatever it says, the instance is anonymous, has no start
function, and uses the system clocks. _initialize runs once if exported,
after the function abi.WithInstantiated put in ctx (if any) has seen the
module.`))
	f.Func().Params(jen.Id("m").Op("*").Id("Module")).Id("Instantiate").Params(ctxParam(), jen.Id("imports").Id("Imports"), jen.Id("cfg").Qual(pkgWazero, "ModuleConfig")).Params(jen.Op("*").Id("Instance"), jen.Error()).Block(body...)
	closeDoc := "Close closes the wasm instance."
	if hasResources(g.w) {
		closeDoc = "Close closes the wasm instance, first dropping the host resources the guest still holds."
	}
	instanceFwd.method(f, closeDoc, "Close", []jen.Code{ctxParam()}, []jen.Code{jen.Id("ctx")}, jen.Error())
	instanceFwd.method(f, "Err returns the failure that made the instance unusable, or nil.",
		"Err", nil, nil, jen.Error())
	instanceFwd.method(f, "Has reports whether the guest exports the function with index k.",
		"Has", []jen.Code{jen.Id("k").Int()}, []jen.Code{jen.Id("k")}, jen.Bool())
	instanceFwd.method(f, "Module returns the underlying wazero module (its memory, for instance).",
		"Module", nil, nil, jen.Qual(pkgAPI, "Module"))
}

// hookKind classifies an export for generic dispatch.
func hookKind(fn *m.Func) string {
	switch {
	case fn.Result == nil:
		return "HookAction"
	case len(fn.Params) == 1 && fn.Result.Kind == m.Option && fn.Result.Elem == fn.Params[0].Type:
		return "HookFilter"
	}
	return "HookCall"
}

// argsType is the Go type an action's or call's arguments travel in.
func (g *gen) argsType(fn *m.Func) jen.Code {
	switch len(fn.Params) {
	case 0:
		return jen.Struct()
	case 1:
		return GoType(fn.Params[0].Type)
	}
	return jen.Id(fn.GoName + "Args")
}

// hooks emits the hook table.
func (g *gen) hooks() {
	f := g.f
	f.Comment("HookKind tells a runtime how to dispatch an export.")
	f.Type().Id("HookKind").Uint8()
	f.Const().Defs(
		jen.Comment("HookFilter is T -> option<T>: some replaces the value, none keeps it."),
		jen.Id("HookFilter").Id("HookKind").Op("=").Iota().Op("+").Lit(1),
		jen.Comment("HookAction has no result: a notification."),
		jen.Id("HookAction"),
		jen.Comment("HookCall is any other function."),
		jen.Id("HookCall"),
	)
	f.Comment(`String is the kind's name: "filter", "action" or "call".`)
	f.Func().Params(jen.Id("k").Id("HookKind")).Id("String").Params().String().Block(
		jen.Switch(jen.Id("k")).Block(
			jen.Case(jen.Id("HookFilter")).Block(jen.Return(jen.Lit("filter"))),
			jen.Case(jen.Id("HookAction")).Block(jen.Return(jen.Lit("action"))),
			jen.Case(jen.Id("HookCall")).Block(jen.Return(jen.Lit("call"))),
		),
		jen.Return(jen.Lit("HookKind(").Op("+").Qual("strconv", "Itoa").Call(jen.Int().Call(jen.Id("k"))).Op("+").Lit(")")),
	)
	f.Comment(lineComment(`Hook describes one export for generic dispatch. CallJSON takes the
arguments as JSON (the single parameter's value, or an object of all
parameters by snake_case name) and returns the result as JSON (null for
none and for actions).`))
	f.Type().Id("Hook").Struct(
		jen.Id("Name").String(),
		jen.Id("Interface").String(),
		jen.Id("Kind").Id("HookKind"),
		jen.Id("Index").Int(),
		jen.Id("Doc").String(),
		jen.Id("CallJSON").Func().Params(jen.Id("Guest"), jen.Qual("context", "Context"), jen.Index().Byte()).Params(jen.Index().Byte(), jen.Error()),
	)
	f.Comment("Filter is a typed filter hook.")
	f.Type().Id("Filter").Types(jen.Id("T").Any()).Struct(jen.Id("Hook"), jen.Id("Call").Func().Params(jen.Id("Guest"), jen.Qual("context", "Context"), jen.Id("T")).Params(jen.Op("*").Id("T"), jen.Error()))
	f.Comment("Action is a typed action hook; A holds its arguments.")
	f.Type().Id("Action").Types(jen.Id("A").Any()).Struct(jen.Id("Hook"), jen.Id("Call").Func().Params(jen.Id("Guest"), jen.Qual("context", "Context"), jen.Id("A")).Error())

	var list []jen.Code
	var typedFields []jen.Code
	typedVals := jen.Dict{}
	for _, fn := range g.allExports() {
		kind := hookKind(fn)
		if len(fn.Params) > 1 {
			var fs []jen.Code
			for _, p := range fn.Params {
				fs = append(fs, jen.Id(m.GoName(p.Name)).Add(GoType(p.Type)).Tag(map[string]string{"json": m.SnakeName(p.Name)}))
			}
			f.Comment(lineComment(fmt.Sprintf("%sArgs holds the arguments of %s.", fn.GoName, fn.Name)))
			f.Type().Id(fn.GoName + "Args").Struct(fs...)
		}
		var call []jen.Code
		var argExprs []jen.Code
		switch len(fn.Params) {
		case 0:
		case 1:
			argExprs = []jen.Code{jen.Id("a")}
		default:
			for _, p := range fn.Params {
				argExprs = append(argExprs, jen.Id("a").Dot(m.GoName(p.Name)))
			}
		}
		invoke := jen.Id("i").Dot(fn.GoName).Call(append([]jen.Code{jen.Id("ctx")}, argExprs...)...)
		call = append(call, jen.Var().Id("a").Add(g.argsType(fn)))
		if len(fn.Params) > 0 {
			call = append(call, jen.If(jen.Err().Op(":=").Qual("encoding/json", "Unmarshal").Call(jen.Id("args"), jen.Op("&").Id("a")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(fn.Name+": arguments: %w"), jen.Err()))))
		} else {
			call = append(call, jen.Id("_").Op("=").Id("a"))
		}
		t := fn.Result
		if t == nil || (t.Kind == m.Result && t.OK == nil) {
			call = append(call, jen.If(jen.Err().Op(":=").Add(invoke), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Index().Byte().Call(jen.Lit("null")), jen.Nil()))
		} else {
			call = append(call, jen.List(jen.Id("out"), jen.Err()).Op(":=").Add(invoke),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Qual("encoding/json", "Marshal").Call(jen.Id("out"))))
		}
		handles := fn.UsesHandles()
		if handles {
			call = jsonNoHandles(fn) // a resource handle has no JSON form
		}
		var callJSON jen.Code = jen.Func().Params(guestParam(), ctxParam(), jen.Id("args").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(call...)
		if len(fn.Params) == 1 && !handles {
			// One generic helper per shape (abi.CallJSON, abi.ActionJSON)
			// instead of a closure per hook.
			helper := "CallJSON"
			if t == nil || (t.Kind == m.Result && t.OK == nil) {
				helper = "ActionJSON"
			}
			callJSON = jen.Qual(pkgABI, helper).Call(jen.Lit(fn.Name), jen.Id("Guest").Dot(fn.GoName))
		}
		list = append(list, jen.Values(jen.Dict{
			jen.Id("Name"):      jen.Lit(fn.Name),
			jen.Id("Interface"): jen.Lit(fn.Iface.Name),
			jen.Id("Kind"):      jen.Id(kind),
			jen.Id("Index"):     jen.Lit(fn.Index),
			jen.Id("Doc"):       jen.Lit(docLines(m.WithGateDoc(fn.Doc, fn.Gate))),
			jen.Id("CallJSON"):  callJSON,
		}))
		hook := jen.Id("HookList").Index(jen.Lit(fn.Index))
		switch kind {
		case "HookFilter":
			typedFields = append(typedFields, jen.Id(fn.GoName).Id("Filter").Types(GoType(fn.Params[0].Type)))
			typedVals[jen.Id(fn.GoName)] = jen.Id("Filter").Types(GoType(fn.Params[0].Type)).Values(jen.Dict{jen.Id("Hook"): hook, jen.Id("Call"): jen.Id("Guest").Dot(fn.GoName)})
		case "HookAction":
			var callFn jen.Code = jen.Id("Guest").Dot(fn.GoName)
			if len(fn.Params) != 1 {
				callFn = jen.Func().Params(guestParam(), ctxParam(), jen.Id("a").Add(g.argsType(fn))).Error().Block(jen.Return(invoke))
			}
			typedFields = append(typedFields, jen.Id(fn.GoName).Id("Action").Types(g.argsType(fn)))
			typedVals[jen.Id(fn.GoName)] = jen.Id("Action").Types(g.argsType(fn)).Values(jen.Dict{jen.Id("Hook"): hook, jen.Id("Call"): callFn})
		}
	}
	f.Comment("HookList describes every export, by export index. It is read-only.")
	f.Var().Id("HookList").Op("=").Index().Id("Hook").Values(list...)
	f.Comment("HookNames returns the names of every export, by export index (a new slice).")
	f.Func().Id("HookNames").Params().Index().String().Block(
		jen.Id("names").Op(":=").Make(jen.Index().String(), jen.Len(jen.Id("HookList"))),
		jen.For(jen.List(jen.Id("i"), jen.Id("h")).Op(":=").Range().Id("HookList")).Block(
			jen.Id("names").Index(jen.Id("i")).Op("=").Id("h").Dot("Name"),
		),
		jen.Return(jen.Id("names")),
	)
	f.Comment(lineComment(`Hooks holds the typed filter and action hooks. It is read-only; a runtime
passes one of its fields to its generic dispatch.`))
	f.Var().Id("Hooks").Op("=").Struct(typedFields...).Values(typedVals)
	g.adapters()
}

// ifaceBase is an interface's name without its version as abi.CoreFunc
// spells it ("ns:pkg/iface"), "" for world-level functions.
func ifaceBase(i *m.Interface) string {
	return i.Base()
}
