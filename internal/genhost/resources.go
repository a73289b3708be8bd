package genhost

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	m "github.com/raisfast/wasmplug/internal/witmodel"
)

// Resources. The generated Instance keeps the guest's handle table
// (abi.Handles in its abi.Guest) as a component runtime would:
//
//   - a resource of an imported interface is a Go interface the host
//     implements (its methods, and Drop); constructors and static functions
//     are methods of the interface's host interface. Lowering one into the
//     guest puts it in the table; the guest's [resource-drop] calls Drop.
//   - a resource of an exported interface is a *R handle type bound to the
//     instance that made it, with the resource's methods and Drop (which
//     runs the guest's destructor); constructors and static functions are
//     Instance methods.
//
// Bad handles from the guest trap it with an *abi.HandleError; bad handles
// from the host (dropped, moved, of another instance) are errors.

func hasResources(w *m.World) bool { return len(w.Resources) > 0 }

// resourceDoc is the package doc's paragraph on resources ("" without any).
func resourceDoc(w *m.World) string {
	if !hasResources(w) {
		return ""
	}
	return `

Resources: a resource of an imported interface is a Go interface the host
implements (its methods and Drop); its constructor and static functions
are methods of the interface's host interface. A resource of an exported
interface is a *R handle bound to the instance that made it, with the
resource's methods and Drop (the guest's destructor). Each Instance keeps
the guest's handle table: bad handles from the guest trap it with an
*abi.HandleError, bad handles from the host are errors, and Close drops
the host resources the guest still holds. See docs/resources.md.`
}

func resLift(own bool, r *m.Resource) string {
	if own {
		return "liftOwn" + r.GoName
	}
	return "liftBorrow" + r.GoName
}

func resLower(own bool, r *m.Resource) string {
	if own {
		return "lowerOwn" + r.GoName
	}
	return "lowerBorrow" + r.GoName
}

// handleGoType is the Go type of a handle of r.
func handleGoType(r *m.Resource) jen.Code {
	if r.Export {
		return jen.Op("*").Id(r.GoName)
	}
	return jen.Id(r.GoName)
}

// memArg is what a helper of t takes for guest memory: g when the type
// holds handles (they need the handle table), else mem.
func memArg(t *m.Type) jen.Code {
	if t.HasHandles() {
		return jen.Id("g")
	}
	return jen.Id("mem")
}

// liftHandle assigns to dst the handle whose index is idx.
func liftHandle(dst jen.Code, t *m.Type, idx jen.Code, onErr jen.Code) []jen.Code {
	return []jen.Code{jen.List(dst, jen.Err()).Op("=").Id(resLift(t.Kind == m.Own, t.Resource)).Call(jen.Id("g"), idx), errCheck(onErr)}
}

// lowerHandle lowers v and hands the index to use.
func lowerHandle(v jen.Code, t *m.Type, onErr jen.Code, use func(idx jen.Code) jen.Code) []jen.Code {
	return []jen.Code{jen.Block(
		jen.Var().Id("hq").Uint32(),
		jen.List(jen.Id("hq"), jen.Err()).Op("=").Id(resLower(t.Kind == m.Own, t.Resource)).Call(jen.Id("g"), v),
		errCheck(onErr),
		use(jen.Id("hq")),
	)}
}

// importCall is the host call of an imported function: a method of the
// resource value for methods, of the interface's implementation otherwise.
func importCall(iface *m.Interface, fn *m.Func, args []jen.Code) *jen.Statement {
	if fn.Kind == m.Method {
		rest := append([]jen.Code{args[0]}, args[2:]...)
		return jen.Add(args[1]).Dot(fn.MethodName).Call(rest...)
	}
	return jen.Id("inst").Dot("Imports").Call().Dot(iface.GoName).Dot(fn.GoName).Call(args...)
}

// resourceInterfaces declares the Go interfaces of an imported interface's
// resources.
func (g *gen) resourceInterfaces(iface *m.Interface) {
	for _, r := range iface.Resources {
		var methods []jen.Code
		for _, fn := range r.Methods {
			methods = append(methods, jen.Comment(lineComment(fmt.Sprintf("%s implements %s.%s", fn.MethodName, fn.QualifiedName(), funcDoc(fn)))))
			ps := params(fn)
			methods = append(methods, jen.Id(fn.MethodName).Params(append(ps[:1:1], ps[2:]...)...).Params(importResults(fn.Result)...))
		}
		methods = append(methods,
			jen.Comment("Drop releases the resource: the guest dropped its handle, or the instance was closed while the guest held it."),
			jen.Id("Drop").Params(ctxParam()))
		doc := fmt.Sprintf("%s is the resource %s of %s, implemented by the host.\nA value lowered into the guest is held in the instance's handle table\nuntil the guest drops it.", r.GoName, r.Name, r.Owner)
		if d := docLines(m.WithGateDoc(r.Doc, r.Gate)); d != "" {
			doc += "\n\n" + d
		}
		g.f.Comment(lineComment(doc))
		g.f.Type().Id(r.GoName).Interface(methods...)
	}
}

func handleErr(op string, r *m.Resource, why string) jen.Code {
	return jen.Op("&").Qual(pkgABI, "HandleError").Values(jen.Dict{jen.Id("Op"): jen.Lit(op), jen.Id("Want"): jen.Lit(r.Name), jen.Id("Why"): jen.Lit(why)})
}

// resourceHostTable lists the intrinsics' core functions and their host
// functions for the world's Imports and Host.
func (g *gen) resourceHostTable() (funcs, hosts []jen.Code) {
	cf := func(r *m.Resource, ifaceName, name string, params, results []m.CoreType) jen.Code {
		d := jen.Dict{
			jen.Id("WIT"):       jen.Lit(r.Owner + "#" + name),
			jen.Id("Interface"): jen.Lit(ifaceName),
			jen.Id("Name"):      jen.Lit(name),
			jen.Id("Params"):    valueTypes(params),
			jen.Id("Results"):   valueTypes(results),
		}
		if r.Iface.Version != "" {
			d[jen.Id("Version")] = jen.Lit(r.Iface.Version)
		}
		return jen.Values(d)
	}
	// The intrinsics' host functions are abi's, for the resource's type tag.
	host := func(r *m.Resource, intrinsic, wit string) jen.Code {
		return jen.Qual(pkgABI, intrinsic).Types(jen.Id("Imports")).Call(jen.Lit(int(r.ID)), jen.Lit(wit))
	}
	i32 := []m.CoreType{m.I32}
	for _, r := range g.w.Resources {
		if r.Export {
			base := r.Iface.ExportModuleBase()
			wit := func(s string) string { return base + "#" + s }
			funcs = append(funcs, cf(r, base, r.NewName(), i32, i32), cf(r, base, r.RepName(), i32, i32), cf(r, base, r.DropName(), i32, nil))
			hosts = append(hosts, host(r, "ResourceNew", wit(r.NewName())), host(r, "ResourceRep", wit(r.RepName())), host(r, "ResourceDrop", wit(r.DropName())))
		} else {
			funcs = append(funcs, cf(r, ifaceBase(r.Iface), r.DropName(), i32, nil))
			hosts = append(hosts, host(r, "HostResourceDrop", r.Owner+"#"+r.DropName()))
		}
	}
	return funcs, hosts
}

// resourceTables are the world table's Resources and Dtors (nil without
// resources).
func (g *gen) resourceTables() (names, dtors jen.Code) {
	if !hasResources(g.w) {
		return nil, nil
	}
	ns := []jen.Code{jen.Lit("")}
	ds := []jen.Code{jen.Nil()}
	for _, r := range g.w.Resources {
		ns = append(ns, jen.Lit(r.Name))
		if r.Export {
			ds = append(ds, strs(r.DtorNames()))
		} else {
			ds = append(ds, jen.Nil())
		}
	}
	return jen.Index().String().Values(ns...), jen.Index().Index().String().Values(ds...)
}

// resources emits LiveHandles, the handle types and their lift/lower
// helpers (the intrinsics' host functions are abi's; see resourceHostTable).
func (g *gen) resources() {
	if !hasResources(g.w) {
		return
	}
	f := g.f
	f.Comment(lineComment(`LiveHandles returns the number of handles in the guest's table: owned
handles the guest holds, and borrows lent for the running call.`))
	f.Func().Params(jen.Id("i").Op("*").Id("Instance")).Id("LiveHandles").Params().Int().Block(jen.Return(core().Dot("Guest").Call().Dot("Handles").Dot("Len").Call()))

	gp := jen.Id("g").Op("*").Qual(pkgABI, "Guest")
	for _, r := range g.w.Resources {
		k := jen.Lit(int(r.ID))
		T := handleGoType(r)
		if r.Export {
			g.exportedHandleType(r)
			inst := jen.Id("g").Dot("Handles").Dot("Owner").Assert(jen.Op("*").Id("Instance"))
			f.Func().Id(resLift(true, r)).Params(gp, jen.Id("h").Uint32()).Params(T, jen.Error()).Block(
				jen.List(jen.Id("e"), jen.Err()).Op(":=").Id("g").Dot("Handles").Dot("Take").Call(k, jen.Id("h")),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Op("&").Id(r.GoName).Values(jen.Dict{jen.Id("inst"): inst, jen.Id("rep"): jen.Id("e").Dot("Rep")}), jen.Nil()))
			f.Func().Id(resLift(false, r)).Params(gp, jen.Id("h").Uint32()).Params(T, jen.Error()).Block(
				jen.List(jen.Id("e"), jen.Err()).Op(":=").Id("g").Dot("Handles").Dot("Get").Call(jen.Lit("lift borrow"), k, jen.Id("h")),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Op("&").Id(r.GoName).Values(jen.Dict{jen.Id("inst"): inst, jen.Id("rep"): jen.Id("e").Dot("Rep"), jen.Id("borrowed"): jen.True()}), jen.Nil()))
			f.Func().Id(resLower(true, r)).Params(gp, jen.Id("v").Add(T)).Params(jen.Uint32(), jen.Error()).Block(
				jen.If(jen.Err().Op(":=").Id("v").Dot("usable").Call(jen.Id("g"), jen.Lit("lower own")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Lit(0), jen.Err())),
				jen.If(jen.Id("v").Dot("borrowed")).Block(jen.Return(jen.Lit(0), handleErr("lower own", r, "a borrowed handle cannot be given away"))),
				jen.List(jen.Id("h"), jen.Err()).Op(":=").Id("g").Dot("Handles").Dot("New").Call(k, jen.Id("v").Dot("rep"), jen.Nil()),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Lit(0), jen.Err())),
				jen.Id("v").Dot("gone").Op("=").True(), // moved into the guest
				jen.Return(jen.Id("h"), jen.Nil()))
			f.Comment("The guest defines the resource: a borrow lowered into it is the rep itself (canonical ABI lower_borrow).")
			f.Func().Id(resLower(false, r)).Params(gp, jen.Id("v").Add(T)).Params(jen.Uint32(), jen.Error()).Block(
				jen.If(jen.Err().Op(":=").Id("v").Dot("usable").Call(jen.Id("g"), jen.Lit("lower borrow")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Lit(0), jen.Err())),
				jen.Return(jen.Id("v").Dot("rep"), jen.Nil()))
			continue
		}
		f.Func().Id(resLift(true, r)).Params(gp, jen.Id("h").Uint32()).Params(T, jen.Error()).Block(
			jen.List(jen.Id("e"), jen.Err()).Op(":=").Id("g").Dot("Handles").Dot("Take").Call(k, jen.Id("h")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Id("e").Dot("Val").Assert(T), jen.Nil()))
		f.Func().Id(resLift(false, r)).Params(gp, jen.Id("h").Uint32()).Params(T, jen.Error()).Block(
			jen.List(jen.Id("e"), jen.Err()).Op(":=").Id("g").Dot("Handles").Dot("Get").Call(jen.Lit("lift borrow"), k, jen.Id("h")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Id("e").Dot("Val").Assert(T), jen.Nil()))
		f.Func().Id(resLower(true, r)).Params(gp, jen.Id("v").Add(T)).Params(jen.Uint32(), jen.Error()).Block(
			jen.If(jen.Id("v").Op("==").Nil()).Block(jen.Return(jen.Lit(0), handleErr("lower own", r, "nil value"))),
			jen.Return(jen.Id("g").Dot("Handles").Dot("New").Call(k, jen.Lit(0), jen.Id("v"))))
		f.Comment("A borrow lent to the guest lives until the export call ends.")
		f.Func().Id(resLower(false, r)).Params(gp, jen.Id("v").Add(T)).Params(jen.Uint32(), jen.Error()).Block(
			jen.If(jen.Id("v").Op("==").Nil()).Block(jen.Return(jen.Lit(0), handleErr("lower borrow", r, "nil value"))),
			jen.Return(jen.Id("g").Dot("Handles").Dot("Lend").Call(k, jen.Lit(0), jen.Id("v"))))
	}
}

// exportedHandleType declares *R of an exported resource: bound to its
// instance, with the resource's methods and Drop.
func (g *gen) exportedHandleType(r *m.Resource) {
	f := g.f
	doc := fmt.Sprintf(`%s is an owned or borrowed handle of the resource %s of %s, which the
guest implements. It is usable only with the instance that made it. Drop
runs the guest's destructor; passing it to a function that takes an owned
%s moves it (it is unusable afterwards).`, r.GoName, r.Name, r.Owner, r.Name)
	if d := docLines(m.WithGateDoc(r.Doc, r.Gate)); d != "" {
		doc += "\n\n" + d
	}
	f.Comment(lineComment(doc))
	f.Type().Id(r.GoName).Struct(
		jen.Id("inst").Op("*").Id("Instance"),
		jen.Id("rep").Uint32(),
		jen.Id("borrowed").Bool(),
		jen.Id("gone").Bool(),
	)
	f.Func().Params(jen.Id("v").Op("*").Id(r.GoName)).Id("usable").Params(jen.Id("g").Op("*").Qual(pkgABI, "Guest"), jen.Id("op").String()).Error().Block(
		jen.Switch().Block(
			jen.Case(jen.Id("v").Op("==").Nil()).Return(jen.Op("&").Qual(pkgABI, "HandleError").Values(jen.Dict{jen.Id("Op"): jen.Id("op"), jen.Id("Want"): jen.Lit(r.Name), jen.Id("Why"): jen.Lit("nil handle")})),
			jen.Case(jen.Id("v").Dot("gone")).Return(jen.Op("&").Qual(pkgABI, "HandleError").Values(jen.Dict{jen.Id("Op"): jen.Id("op"), jen.Id("Want"): jen.Lit(r.Name), jen.Id("Why"): jen.Lit("dropped or moved")})),
			jen.Case(jen.Id("g").Op("!=").Nil().Op("&&").Id("v").Dot("inst").Op("!=").Id("g").Dot("Handles").Dot("Owner")).Return(jen.Op("&").Qual(pkgABI, "HandleError").Values(jen.Dict{jen.Id("Op"): jen.Id("op"), jen.Id("Want"): jen.Lit(r.Name), jen.Id("Why"): jen.Lit("made by another instance")})),
		),
		jen.Return(jen.Nil()),
	)
	for _, fn := range r.Methods {
		ps := params(fn)
		args := []jen.Code{jen.Id("ctx"), jen.Id("v")}
		for _, p := range fn.Params[1:] {
			args = append(args, jen.Id(p.GoName))
		}
		f.Comment(lineComment(fmt.Sprintf("%s calls the guest's %s.%s", fn.MethodName, fn.QualifiedName(), funcDoc(fn))))
		f.Func().Params(jen.Id("v").Op("*").Id(r.GoName)).Id(fn.MethodName).Params(append(ps[:1:1], ps[2:]...)...).Params(exportResults(fn.Result)...).Block(
			jen.Return(jen.Id("v").Dot("inst").Dot(fn.GoName).Call(args...)))
	}
	f.Comment(lineComment(`Drop drops the handle: for an owned one the guest's destructor runs. A
borrowed handle, or one already dropped or moved, is refused.`))
	f.Func().Params(jen.Id("v").Op("*").Id(r.GoName)).Id("Drop").Params(ctxParam()).Error().Block(
		jen.If(jen.Err().Op(":=").Id("v").Dot("usable").Call(jen.Nil(), jen.Lit("drop")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
		jen.If(jen.Id("v").Dot("borrowed")).Block(jen.Return(handleErr("drop", r, "a borrowed handle is not the caller's to drop"))),
		jen.Id("v").Dot("gone").Op("=").True(),
		jen.Return(jen.Id("v").Dot("inst").Dot("core").Dot("Destroy").Call(jen.Id("ctx"), jen.Lit(int(r.ID)), jen.Id("v").Dot("rep"))),
	)
}

// jsonNoHandles is the CallJSON body of an export whose parameters or
// result hold resource handles: they have no JSON form.
func jsonNoHandles(fn *m.Func) []jen.Code {
	return []jen.Code{
		jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(fn.Name+": resource handles cannot travel as JSON; call the typed method"))),
	}
}
