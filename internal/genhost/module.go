package genhost

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

func (g *gen) maxStack() int {
	n := 1
	for _, fn := range g.allExports() {
		n = max(n, len(fn.CoreParams), len(fn.CoreResults))
	}
	return n
}

// module emits the link tables, Define, Compile, Module and Instance.
func (g *gen) module() {
	f := g.f
	exports, imports := g.allExports(), g.allImports()
	n := len(exports)

	// link tables
	coreFunc := func(fn *m.Func) jen.Code {
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
	var imp, exp []jen.Code
	for _, fn := range imports {
		imp = append(imp, coreFunc(fn))
	}
	for _, fn := range exports {
		exp = append(exp, coreFunc(fn))
	}
	imp = append(imp, g.resourceCoreFuncs()...)
	f.Comment("importFuncs lists the core functions the host provides.")
	f.Var().Id("importFuncs").Op("=").Index().Qual(pkgABI, "CoreFunc").Values(imp...)
	f.Comment("exportFuncs lists the core functions a guest exports, by export index.")
	f.Var().Id("exportFuncs").Op("=").Index().Qual(pkgABI, "CoreFunc").Values(exp...)

	pkgName, pkgVersion, _ := strings.Cut(g.w.Package, "@")
	f.Comment("WorldPackage and WorldVersion name the contract these bindings were generated from.")
	f.Const().Defs(
		jen.Id("WorldPackage").Op("=").Lit(pkgName),
		jen.Id("WorldVersion").Op("=").Lit(pkgVersion),
	)

	// defineModule
	var ifaceCases []jen.Code
	for _, iface := range g.w.Imports {
		var fns []jen.Code
		for _, fn := range iface.Funcs {
			fns = append(fns, jen.Id("b").Dot("NewFunctionBuilder").Call().
				Dot("WithGoModuleFunction").Call(jen.Qual(pkgAPI, "GoModuleFunc").Call(jen.Id("host"+iface.GoName+fn.GoName)), valueTypes(fn.CoreParams), valueTypes(fn.CoreResults)).
				Dot("WithName").Call(jen.Lit(fn.Name)).Dot("Export").Call(jen.Lit(fn.Name)))
		}
		fns = append(fns, g.resourceDefines(iface)...)
		ifaceCases = append(ifaceCases, jen.Case(jen.Lit(ifaceBase(iface))).Block(fns...))
	}
	ifaceCases = append(ifaceCases, g.exportModuleCases()...)
	ifaceCases = append(ifaceCases, jen.Default().Block(
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("define host module %s: the world imports no interface %q"), jen.Id("name"), jen.Id("iface")))))
	f.Comment(lineComment(`defineModule instantiates the host functions of the imported interface
iface (ifaceBase; "" for world-level functions) as the host module name,
unless r has a module of that name already. Two concurrent calls for one
name are fine: the loser finds the winner's module.`))
	defineBody := []jen.Code{
		jen.If(jen.Id("r").Dot("Module").Call(jen.Id("name")).Op("!=").Nil()).Block(jen.Return(jen.Nil())),
		jen.Id("b").Op(":=").Id("r").Dot("NewHostModuleBuilder").Call(jen.Id("name")),
		jen.Switch(jen.Id("iface")).Block(ifaceCases...),
		jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("b").Dot("Instantiate").Call(jen.Id("ctx")), jen.Err().Op("!=").Nil().Op("&&").Id("r").Dot("Module").Call(jen.Id("name")).Op("==").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("define host module %s: %w"), jen.Id("name"), jen.Err()))),
		jen.Return(jen.Nil()),
	}
	if len(ifaceCases) == 1 { // nothing to define: only the default case's error
		defineBody = []jen.Code{
			jen.If(jen.Id("r").Dot("Module").Call(jen.Id("name")).Op("!=").Nil()).Block(jen.Return(jen.Nil())),
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("define host module %s: the world imports no interface %q"), jen.Id("name"), jen.Id("iface"))),
		}
	}
	f.Func().Id("defineModule").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime"), jen.List(jen.Id("name"), jen.Id("iface")).String()).Error().Block(defineBody...)

	// Define
	var defs []jen.Code
	for _, iface := range g.w.Imports {
		defs = append(defs, jen.For(jen.List(jen.Id("_"), jen.Id("name")).Op(":=").Range().Add(strs(iface.ImportModules()))).Block(
			jen.If(jen.Err().Op(":=").Id("defineModule").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("name"), jen.Lit(ifaceBase(iface))), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))))
	}
	defs = append(defs, g.exportModuleDefines()...)
	defs = append(defs,
		jen.If(jen.Id("r").Dot("Module").Call(jen.Qual(pkgWASI, "ModuleName")).Op("==").Nil()).Block(
			jen.Id("b").Op(":=").Id("r").Dot("NewHostModuleBuilder").Call(jen.Qual(pkgWASI, "ModuleName")),
			jen.Qual(pkgWASI, "NewFunctionExporter").Call().Dot("ExportFunctions").Call(jen.Id("b")),
			jen.Comment("Guests of wit-bindgen's Go generator import this function of the preview1"),
			jen.Comment("component adapter (it pauses the adapter's clock during GC); without the"),
			jen.Comment("adapter there is no clock to pause."),
			jen.Id("b").Dot("NewFunctionBuilder").Call().Dot("WithGoFunction").Call(
				jen.Qual(pkgAPI, "GoFunc").Call(jen.Func().Params(jen.Qual("context", "Context"), jen.Index().Uint64()).Block()),
				jen.Index().Qual(pkgAPI, "ValueType").Values(jen.Qual(pkgAPI, "ValueTypeI32")), jen.Nil()).
				Dot("Export").Call(jen.Lit("adapter_monotonic_clock_set_paused")),
			jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("b").Dot("Instantiate").Call(jen.Id("ctx")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("define WASI preview1: %w"), jen.Err())))),
		jen.Return(jen.Nil()))
	f.Comment(lineComment(`Define registers the host side of every imported interface on r, under
the legacy, unversioned and standard32 module names, and WASI preview1 for
guests that import it (standard Go guests do). Call it once per runtime
before Compile; calling it again is a no-op. Modules built for another
version on the world's semver track name other modules; Link defines
those as it meets them. The host functions find the calling Instance
through the context of the export call.`))
	f.Func().Id("Define").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime")).Error().Block(defs...)

	// Module
	mem, realloc := g.needs()
	f.Comment("Module is a guest module compiled and checked against the world.")
	f.Type().Id("Module").Struct(
		jen.Id("r").Qual(pkgWazero, "Runtime"),
		jen.Id("compiled").Qual(pkgWazero, "CompiledModule"),
		jen.Id("linked").Op("*").Qual(pkgABI, "Linked"),
	)
	f.Comment("CompileOption changes what Compile requires of a module.")
	f.Type().Id("CompileOption").Func().Params(jen.Op("*").Qual(pkgABI, "LinkOptions"))
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
	var cases []jen.Code
	// A bare name ("on-login") or an interface-relative one
	// ("plugin-hooks#on-login") two exports share is ambiguous: only the
	// qualified name finds them.
	spellings := func(fn *m.Func) []string {
		if fn.Iface.Name == "" {
			return []string{fn.Name}
		}
		return []string{fn.Name, fn.Iface.Name + "#" + fn.Name, fn.QualifiedName()}
	}
	count := map[string]int{}
	for _, fn := range exports {
		for _, s := range spellings(fn) {
			count[s]++
		}
	}
	for _, fn := range exports {
		var names []jen.Code
		seen := map[string]bool{}
		for _, s := range spellings(fn) {
			if !seen[s] && (count[s] == 1 || s == fn.QualifiedName()) {
				names = append(names, jen.Lit(s))
			}
			seen[s] = true
		}
		cases = append(cases, jen.Case(names...).Return(jen.Lit(fn.Index)))
	}
	f.Comment(lineComment(`ExportIndex returns the index of an export by WIT name ("on-login",
"plugin-hooks#on-login" or fully qualified), or -1.`))
	f.Func().Id("ExportIndex").Params(jen.Id("name").String()).Int().Block(
		jen.Switch(jen.Id("name")).Block(cases...), jen.Return(jen.Lit(-1)))

	f.Comment(lineComment(`Compile compiles wasm on r (which Define has prepared) and checks it
against the world: every import must be a function of the world with the
same core signature, exports must have theirs, and memory and cabi_realloc
must exist where the world needs them. All problems are reported in one
*abi.LinkError.`))
	f.Func().Id("Compile").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime"), jen.Id("wasm").Index().Byte(), jen.Id("opts").Op("...").Id("CompileOption")).Params(jen.Op("*").Id("Module"), jen.Error()).Block(
		jen.List(jen.Id("cm"), jen.Err()).Op(":=").Id("r").Dot("CompileModule").Call(jen.Id("ctx"), jen.Id("wasm")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("compile: %w"), jen.Err()))),
		jen.List(jen.Id("mod"), jen.Err()).Op(":=").Id("Link").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("cm"), jen.Id("opts").Op("...")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Id("_").Op("=").Id("cm").Dot("Close").Call(jen.Id("ctx")), jen.Return(jen.Nil(), jen.Err())),
		jen.Return(jen.Id("mod"), jen.Nil()),
	)
	f.Comment(lineComment(`Link checks an already compiled module against the world (see Compile)
and defines on r the host modules it imports under names Define did not
cover (another version on the world's track).`))
	f.Func().Id("Link").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime"), jen.Id("cm").Qual(pkgWazero, "CompiledModule"), jen.Id("opts").Op("...").Id("CompileOption")).Params(jen.Op("*").Id("Module"), jen.Error()).Block(
		jen.Id("o").Op(":=").Qual(pkgABI, "LinkOptions").Values(jen.Dict{
			jen.Id("NeedMemory"): jen.Lit(mem), jen.Id("NeedRealloc"): jen.Lit(realloc),
			jen.Id("Package"): jen.Id("WorldPackage"), jen.Id("Version"): jen.Id("WorldVersion"),
		}),
		jen.For(jen.List(jen.Id("_"), jen.Id("opt")).Op(":=").Range().Id("opts")).Block(jen.Id("opt").Call(jen.Op("&").Id("o"))),
		jen.List(jen.Id("l"), jen.Err()).Op(":=").Qual(pkgABI, "Link").Call(jen.Id("cm"), jen.Id("importFuncs"), jen.Id("exportFuncs"), jen.Id("o")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.For(jen.List(jen.Id("_"), jen.Id("ref")).Op(":=").Range().Id("l").Dot("Modules")).Block(
			jen.If(jen.Err().Op(":=").Id("defineModule").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("ref").Dot("Name"), jen.Id("ref").Dot("Interface")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Err()))),
		jen.Return(jen.Op("&").Id("Module").Values(jen.Dict{jen.Id("r"): jen.Id("r"), jen.Id("compiled"): jen.Id("cm"), jen.Id("linked"): jen.Id("l")}), jen.Nil()),
	)
	f.Comment("Contract says which contract version the module was built for and how these bindings take it.")
	f.Func().Params(jen.Id("m").Op("*").Id("Module")).Id("Contract").Params().Qual(pkgABI, "Contract").Block(jen.Return(jen.Id("m").Dot("linked").Dot("Contract")))
	f.Comment("HasExport reports whether the module exports the function with index k.")
	f.Func().Params(jen.Id("m").Op("*").Id("Module")).Id("HasExport").Params(jen.Id("k").Int()).Bool().Block(
		jen.Return(jen.Id("k").Op(">=").Lit(0).Op("&&").Id("k").Op("<").Len(jen.Id("m").Dot("linked").Dot("Exports")).Op("&&").Id("m").Dot("linked").Dot("Exports").Index(jen.Id("k")).Op("!=").Lit("")))
	f.Comment("Compiled returns the underlying wazero module.")
	f.Func().Params(jen.Id("m").Op("*").Id("Module")).Id("Compiled").Params().Qual(pkgWazero, "CompiledModule").Block(jen.Return(jen.Id("m").Dot("compiled")))
	f.Comment("Close releases the compiled module.")
	f.Func().Params(jen.Id("m").Op("*").Id("Module")).Id("Close").Params(ctxParam()).Error().Block(jen.Return(jen.Id("m").Dot("compiled").Dot("Close").Call(jen.Id("ctx"))))

	// Instance
	f.Comment(lineComment(`Instance is one instantiated guest. It is not safe for concurrent use: a
pool hands each instance to one caller at a time. After a call fails with
an error matching abi.ErrTrap the instance refuses further calls; replace it.`))
	f.Type().Id("Instance").Struct(append([]jen.Code{
		jen.Id("mod").Qual(pkgAPI, "Module"),
		jen.Id("g").Qual(pkgABI, "Guest"),
		jen.Id("imports").Id("Imports"),
		jen.Id("funcs").Index(jen.Lit(n)).Qual(pkgAPI, "Function"),
		jen.Id("posts").Index(jen.Lit(n)).Qual(pkgAPI, "Function"),
		jen.Id("stack").Index().Uint64(),
		jen.Id("busy").Bool(),
		jen.Id("last").Op("*").Id("callContext"),
		jen.Id("err").Error(),
	}, g.instanceFields()...)...)
	var nilChecks []jen.Code
	// An implementation is needed only for an interface the module imports
	// from: a host of a later minor version can leave out what its older
	// plugins never call.
	for _, iface := range g.w.Imports {
		name := ifaceBase(iface)
		what := name
		if what == "" {
			what = "world-level functions"
		}
		nilChecks = append(nilChecks, jen.If(jen.Id("imports").Dot(iface.GoName).Op("==").Nil().Op("&&").Id("m").Dot("linked").Dot("ImportsInterface").Call(jen.Lit(name))).Block(
			jen.Return(jen.Nil(), jen.Qual("errors", "New").Call(jen.Lit("instantiate: the module imports "+what+" but Imports."+iface.GoName+" is nil")))))
	}
	setup := g.instanceSetup()
	inst := append(nilChecks,
		jen.If(jen.Id("cfg").Op("==").Nil()).Block(jen.Id("cfg").Op("=").Qual(pkgWazero, "NewModuleConfig").Call()),
		jen.Comment("Anonymous, so a pool can hold many; no start function (the reactor's"),
		jen.Comment("_initialize runs below with the instance in context); real clocks, without"),
		jen.Comment("which a standard Go guest's GC stalls and its memory grows without bound."),
		jen.Id("cfg").Op("=").Id("cfg").Dot("WithName").Call(jen.Lit("")).Dot("WithStartFunctions").Call().Dot("WithSysNanotime").Call().Dot("WithSysWalltime").Call(),
		jen.Id("i").Op(":=").Op("&").Id("Instance").Values(jen.Dict{jen.Id("imports"): jen.Id("imports"), jen.Id("stack"): jen.Make(jen.Index().Uint64(), jen.Lit(g.maxStack()))}),
		jen.List(jen.Id("mod"), jen.Err()).Op(":=").Id("m").Dot("r").Dot("InstantiateModule").Call(jen.Id("ctx"), jen.Id("m").Dot("compiled"), jen.Id("cfg")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("instantiate: %w"), jen.Err()))),
		jen.Id("i").Dot("mod").Op("=").Id("mod"),
		jen.If(jen.Id("f").Op(":=").Qual(pkgABI, "Instantiated").Call(jen.Id("ctx")), jen.Id("f").Op("!=").Nil()).Block(jen.Id("f").Call(jen.Id("mod"))),
		jen.Id("l").Op(":=").Id("m").Dot("linked"),
		jen.Var().Id("realloc").Qual(pkgAPI, "Function"),
		jen.If(jen.Id("l").Dot("Realloc").Op("!=").Lit("")).Block(jen.Id("realloc").Op("=").Id("mod").Dot("ExportedFunction").Call(jen.Id("l").Dot("Realloc"))),
		jen.Id("i").Dot("g").Op("=").Qual(pkgABI, "NewGuest").Call(jen.Id("mod").Dot("ExportedMemory").Call(jen.Id("l").Dot("Memory")), jen.Id("realloc")),
		jen.For(jen.Id("k").Op(":=").Range().Id("i").Dot("funcs")).Block(
			jen.If(jen.Id("l").Dot("Exports").Index(jen.Id("k")).Op("!=").Lit("")).Block(
				jen.Id("i").Dot("funcs").Index(jen.Id("k")).Op("=").Id("mod").Dot("ExportedFunction").Call(jen.Id("l").Dot("Exports").Index(jen.Id("k")))),
			jen.If(jen.Id("l").Dot("Posts").Index(jen.Id("k")).Op("!=").Lit("")).Block(
				jen.Id("i").Dot("posts").Index(jen.Id("k")).Op("=").Id("mod").Dot("ExportedFunction").Call(jen.Id("l").Dot("Posts").Index(jen.Id("k")))),
		),
		jen.If(jen.Id("l").Dot("Init").Op("!=").Lit("")).Block(
			jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("mod").Dot("ExportedFunction").Call(jen.Id("l").Dot("Init")).Dot("Call").Call(jen.Id("i").Dot("enter").Call(jen.Id("ctx"))), jen.Err().Op("!=").Nil()).Block(
				jen.Id("i").Dot("leave").Call(),
				jen.Id("_").Op("=").Id("mod").Dot("Close").Call(jen.Id("ctx")),
				jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("instantiate: %s: %w"), jen.Id("l").Dot("Init"), jen.Err()))),
			jen.Id("i").Dot("leave").Call(),
		),
		jen.Return(jen.Id("i"), jen.Nil()),
	)
	if len(setup) > 0 {
		at := len(nilChecks) + 14 // after i.g = abi.NewGuest(…)
		inst = append(inst[:at:at], append(setup, inst[at:]...)...)
	}
	f.Comment(lineComment(`Instantiate creates an instance whose imports are served by imports. cfg
may be nil; whatever it says, the instance is anonymous, has no start
function, and uses the system clocks. _initialize runs once if exported,
after the function abi.WithInstantiated put in ctx (if any) has seen the
module.`))
	f.Func().Params(jen.Id("m").Op("*").Id("Module")).Id("Instantiate").Params(ctxParam(), jen.Id("imports").Id("Imports"), jen.Id("cfg").Qual(pkgWazero, "ModuleConfig")).Params(jen.Op("*").Id("Instance"), jen.Error()).Block(inst...)

	f.Comment("Close closes the wasm instance.")
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("Close").Params(ctxParam()).Error().Block(append(g.closeResources(), jen.Return(jen.Id("i").Dot("mod").Dot("Close").Call(jen.Id("ctx"))))...)
	f.Comment("Err returns the failure that made the instance unusable, or nil.")
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("Err").Params().Error().Block(jen.Return(jen.Id("i").Dot("err")))
	f.Comment("Has reports whether the guest exports the function with index k.")
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("Has").Params(jen.Id("k").Int()).Bool().Block(
		jen.Return(jen.Id("k").Op(">=").Lit(0).Op("&&").Id("k").Op("<").Lit(n).Op("&&").Id("i").Dot("funcs").Index(jen.Id("k")).Op("!=").Nil()))
	f.Comment("Module returns the underlying wazero module (its memory, for instance).")
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("Module").Params().Qual(pkgAPI, "Module").Block(jen.Return(jen.Id("i").Dot("mod")))

	g.callPlumbing(n)
}

func (g *gen) callPlumbing(n int) {
	f := g.f
	f.Comment("callContext carries the instance into host functions (one small allocation per call).")
	f.Type().Id("callContext").Struct(jen.Qual("context", "Context"), jen.Id("inst").Op("*").Id("Instance"))
	f.Type().Id("instanceKey").Struct()
	f.Func().Params(jen.Id("c").Op("*").Id("callContext")).Id("Value").Params(jen.Id("key").Any()).Any().Block(
		jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Id("key").Assert(jen.Id("instanceKey")), jen.Id("ok")).Block(jen.Return(jen.Id("c").Dot("inst"))),
		jen.Return(jen.Id("c").Dot("Context").Dot("Value").Call(jen.Id("key"))),
	)
	f.Func().Id("instanceFrom").Params(ctxParam(), jen.Id("fn").String()).Op("*").Id("Instance").Block(
		jen.If(jen.List(jen.Id("c"), jen.Id("ok")).Op(":=").Id("ctx").Assert(jen.Op("*").Id("callContext")), jen.Id("ok")).Block(jen.Return(jen.Id("c").Dot("inst"))),
		jen.If(jen.List(jen.Id("inst"), jen.Id("ok")).Op(":=").Id("ctx").Dot("Value").Call(jen.Id("instanceKey").Values()).Assert(jen.Op("*").Id("Instance")), jen.Id("ok")).Block(jen.Return(jen.Id("inst"))),
		jen.Panic(jen.Op("&").Qual(pkgABI, "TrapError").Values(jen.Dict{jen.Id("Func"): jen.Id("fn"), jen.Id("Err"): jen.Qual(pkgABI, "ErrNoInstance")})),
	)
	// A callContext is never changed once made: with wazero's
	// WithCloseOnContextDone a watcher goroutine reads the call's context
	// concurrently and may outlive the call, so rewriting a shared one would
	// be a data race. The last one is reused when the caller passes the same
	// context again (no allocation); otherwise a new one is made.
	f.Comment(lineComment(`enter marks the instance busy and returns the context export calls run
under: the caller's, carrying the instance to host functions.`))
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("enter").Params(ctxParam()).Qual("context", "Context").Block(
		jen.Id("i").Dot("busy").Op("=").True(),
		jen.If(jen.Id("i").Dot("last").Op("!=").Nil().Op("&&").Id("sameContext").Call(jen.Id("i").Dot("last").Dot("Context"), jen.Id("ctx"))).Block(
			jen.Return(jen.Id("i").Dot("last"))),
		jen.Id("i").Dot("last").Op("=").Op("&").Id("callContext").Values(jen.Dict{jen.Id("Context"): jen.Id("ctx"), jen.Id("inst"): jen.Id("i")}),
		jen.Return(jen.Id("i").Dot("last")),
	)
	f.Comment("sameContext reports a == b; a Context of a non-comparable type counts as different.")
	f.Func().Id("sameContext").Params(jen.List(jen.Id("a"), jen.Id("b")).Qual("context", "Context")).Params(jen.Id("same").Bool()).Block(
		jen.Defer().Func().Params().Block(jen.Id("_").Op("=").Recover()).Call(),
		jen.Return(jen.Id("a").Op("==").Id("b")),
	)
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("leave").Params().Block(
		jen.Id("i").Dot("busy").Op("=").False(),
	)
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("unavailable").Params(jen.Id("k").Int()).Error().Block(
		jen.Id("name").Op(":=").Id("exportFuncs").Index(jen.Id("k")).Dot("WIT"),
		jen.Switch().Block(
			jen.Case(jen.Id("i").Dot("err").Op("!=").Nil()).Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("call %s: instance unusable after an earlier failure: %w"), jen.Id("name"), jen.Id("i").Dot("err"))),
			jen.Case(jen.Id("i").Dot("busy")).Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("call %s: instance is already in a call (reentrant calls are not allowed)"), jen.Id("name"))),
		),
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("call %s: %w"), jen.Id("name"), jen.Qual(pkgABI, "ErrNotExported"))),
	)
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("trapped").Params(jen.Id("k").Int(), jen.Err().Error()).Error().Block(
		jen.Id("i").Dot("err").Op("=").Op("&").Qual(pkgABI, "CallError").Values(jen.Dict{jen.Id("Func"): jen.Id("exportFuncs").Index(jen.Id("k")).Dot("WIT"), jen.Id("Err"): jen.Err()}),
		jen.Return(jen.Id("i").Dot("err")),
	)
	f.Comment("lowerFailed reports arguments the host could not lower; only a failed cabi_realloc makes the instance unusable.")
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("lowerFailed").Params(jen.Id("k").Int(), jen.Err().Error()).Error().Block(
		jen.If(jen.Qual("errors", "Is").Call(jen.Err(), jen.Qual(pkgABI, "ErrRealloc"))).Block(jen.Return(jen.Id("i").Dot("trapped").Call(jen.Id("k"), jen.Err()))),
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("call %s: arguments: %w"), jen.Id("exportFuncs").Index(jen.Id("k")).Dot("WIT"), jen.Err())),
	)
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
