package genhost

import "github.com/dave/jennifer/jen"

// adapters emits Guest (the world's exports as an interface), GuestModule,
// Adapter and LinkAny: what lets a runtime run modules built for an older
// major of the contract next to current ones, through a hand-written
// adapter that implements Guest on the older major's bindings. Nothing
// here names a hook.
func (g *gen) adapters() {
	f := g.f
	var methods []jen.Code
	for _, fn := range g.allExports() {
		methods = append(methods, jen.Id(fn.GoName).Params(params(fn)...).Params(exportResults(fn.Result)...))
	}
	methods = append(methods,
		jen.Comment("Has reports whether the guest exports the function with export index k."),
		jen.Id("Has").Params(jen.Id("k").Int()).Bool(),
		jen.Comment("Err returns the failure that made the guest unusable, or nil."),
		jen.Id("Err").Params().Error(),
		jen.Comment("Close releases the guest."),
		jen.Id("Close").Params(ctxParam()).Error(),
		jen.Comment("Module returns the underlying wazero module (its memory and globals)."),
		jen.Id("Module").Params().Qual(pkgAPI, "Module"),
	)
	f.Comment(lineComment(`Guest is what a runtime calls on one guest: the world's exports, one
method per export with the same contract as Instance's. *Instance
implements it, and so does an adapter that runs a module built for an
older major of the contract (see Adapter). The typed hooks in Hooks call
through it.`))
	f.Type().Id("Guest").Interface(methods...)
	f.Var().Id("_").Id("Guest").Op("=").Parens(jen.Op("*").Id("Instance")).Parens(jen.Nil())

	f.Comment(lineComment(`GuestModule is a compiled, linked module ready to instantiate: *Module
for modules on this contract's semver track, or what an Adapter links.`))
	f.Type().Id("GuestModule").Interface(
		jen.Comment("Contract says which contract version the module was built for and how it is taken."),
		jen.Id("Contract").Params().Qual(pkgABI, "Contract"),
		jen.Comment("HasExport reports whether the module exports the function with export index k."),
		jen.Id("HasExport").Params(jen.Id("k").Int()).Bool(),
		jen.Comment("NewGuest instantiates the module with imports serving its host calls."),
		jen.Id("NewGuest").Params(ctxParam(), jen.Id("imports").Id("Imports"), jen.Id("cfg").Qual(pkgWazero, "ModuleConfig")).Params(jen.Id("Guest"), jen.Error()),
		jen.Comment("Close releases the compiled module."),
		jen.Id("Close").Params(ctxParam()).Error(),
	)
	f.Var().Id("_").Id("GuestModule").Op("=").Parens(jen.Op("*").Id("Module")).Parens(jen.Nil())
	f.Comment("NewGuest instantiates the module as a Guest (see Instantiate).")
	f.Func().Params(jen.Id("m").Op("*").Id("Module")).Id("NewGuest").Params(ctxParam(), jen.Id("imports").Id("Imports"), jen.Id("cfg").Qual(pkgWazero, "ModuleConfig")).Params(jen.Id("Guest"), jen.Error()).Block(
		jen.List(jen.Id("i"), jen.Err()).Op(":=").Id("m").Dot("Instantiate").Call(jen.Id("ctx"), jen.Id("imports"), jen.Id("cfg")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Return(jen.Id("i"), jen.Nil()),
	)

	f.Comment(lineComment(`Adapter runs modules built for an older major of the contract as this
contract's Guest. It is hand-written over bindings generated from the
older contract: its guests map each hook of this contract onto the older
one (new record fields get documented defaults; hooks the older major
lacks report abi.ErrNotExported), and its host side serves the older
host functions with this contract's Imports.`))
	f.Type().Id("Adapter").Interface(
		jen.Comment(lineComment(`Version is the older contract's version ("0.0.9"); modules built for
any version on its semver track are given to this adapter.`)),
		jen.Id("Version").Params().String(),
		jen.Comment(lineComment(`Link checks cm against the older contract, with the exports named in
required (this contract's names) required, and defines on r the host
modules it imports. Its Contract's Take is abi.TakeAdapted.`)),
		jen.Id("Link").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime"), jen.Id("cm").Qual(pkgWazero, "CompiledModule"), jen.Id("required").Op("...").String()).Params(jen.Id("GuestModule"), jen.Error()),
	)

	f.Comment(lineComment(`LinkAny links cm against this contract (Link with the exports named in
required required). A module built for another semver track goes to the
first adapter whose version is on that track; without one it is refused
with Link's error, which names both versions. r must have been prepared
by Define.`))
	f.Func().Id("LinkAny").Params(ctxParam(), jen.Id("r").Qual(pkgWazero, "Runtime"), jen.Id("cm").Qual(pkgWazero, "CompiledModule"), jen.Id("adapters").Index().Id("Adapter"), jen.Id("required").Op("...").String()).Params(jen.Id("GuestModule"), jen.Error()).Block(
		jen.List(jen.Id("mod"), jen.Err()).Op(":=").Id("Link").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("cm"), jen.Id("OptionalExports").Call(jen.Id("required").Op("..."))),
		jen.If(jen.Err().Op("==").Nil()).Block(jen.Return(jen.Id("mod"), jen.Nil())),
		jen.Var().Id("le").Op("*").Qual(pkgABI, "LinkError"),
		jen.If(jen.Op("!").Qual("errors", "As").Call(jen.Err(), jen.Op("&").Id("le")).Op("||").Qual(pkgABI, "SameTrack").Call(jen.Id("le").Dot("Contract").Dot("Built"), jen.Id("WorldVersion"))).Block(
			jen.Return(jen.Nil(), jen.Err())),
		jen.For(jen.List(jen.Id("_"), jen.Id("a")).Op(":=").Range().Id("adapters")).Block(
			jen.If(jen.Op("!").Qual(pkgABI, "SameTrack").Call(jen.Id("a").Dot("Version").Call(), jen.Id("le").Dot("Contract").Dot("Built"))).Block(jen.Continue()),
			jen.List(jen.Id("am"), jen.Id("aerr")).Op(":=").Id("a").Dot("Link").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("cm"), jen.Id("required").Op("...")),
			jen.If(jen.Id("aerr").Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("built for %s@%s, taken by the adapter for %s: %w"), jen.Id("WorldPackage"), jen.Id("le").Dot("Contract").Dot("Built"), jen.Id("a").Dot("Version").Call(), jen.Id("aerr")))),
			jen.Return(jen.Id("am"), jen.Nil()),
		),
		jen.Return(jen.Nil(), jen.Err()),
	)
}

// guestParam is the receiver-like first parameter of the hook functions.
func guestParam() jen.Code { return jen.Id("i").Id("Guest") }
