package witmodel

import (
	"fmt"
	"strings"

	"go.bytecodealliance.org/wit"
)

// FuncKind is what kind of function a Func is.
type FuncKind uint8

const (
	Freestanding FuncKind = iota
	Constructor           // [constructor]r: returns own<r>
	Method                // [method]r.name: self is borrow<r>, the first param
	Static                // [static]r.name
)

// Resource is a WIT resource type of an imported or exported interface.
// Its handles are Own and Borrow types (Type.Resource points here).
//
// In the canonical ABI a handle is an i32 index into the guest instance's
// handle table. For a resource of an imported interface the host holds the
// representation (a Go value) and the guest imports [resource-drop]r from
// the interface's module. For one of an exported interface the guest holds
// it (an i32 rep); the guest imports [resource-new]r, [resource-rep]r and
// [resource-drop]r from module "[export]" + the interface's name, and
// exports its destructor as "ns:pkg/iface@v#[dtor]r".
type Resource struct {
	Name   string // WIT name, "blob"
	GoName string // "Blob"
	ID     uint32 // 1-based index among the world's resources: the handle table's type tag
	Doc    string
	Gate   Gate
	Owner  string     // qualified name of the defining interface
	Iface  *Interface // the defining interface as the world imports or exports it
	Export bool       // defined by an exported interface: the guest implements it

	Constructor *Func
	Methods     []*Func
	Statics     []*Func

	Own, Borrow *Type
}

// DropName is the core name of the resource's drop intrinsic.
func (r *Resource) DropName() string { return "[resource-drop]" + r.Name }

// NewName and RepName are the core names of an exported resource's
// [resource-new] and [resource-rep] intrinsics.
func (r *Resource) NewName() string { return "[resource-new]" + r.Name }
func (r *Resource) RepName() string { return "[resource-rep]" + r.Name }

// DtorNames lists the export names a guest's destructor of an exported
// resource may have (versioned first).
func (r *Resource) DtorNames() []string {
	i := r.Iface
	if i.Name == "" {
		return []string{"[dtor]" + r.Name}
	}
	base := i.Base()
	var out []string
	if i.Version != "" {
		out = append(out, base+"@"+i.Version+"#[dtor]"+r.Name)
	}
	return append(out, base+"#[dtor]"+r.Name)
}

// ExportModules lists the module names a guest imports an exported
// resource's intrinsics from: "[export]ns:pkg/iface@v", then unversioned.
func (i *Interface) ExportModules() []string {
	if i.Name == "" {
		return []string{"[export]$root"}
	}
	base := "[export]" + i.Base()
	if i.Version == "" {
		return []string{base}
	}
	return []string{base + "@" + i.Version, base}
}

// ExportModuleBase is "[export]ns:pkg/iface": the Interface key of the
// exported resources' intrinsics in link tables.
func (i *Interface) ExportModuleBase() string {
	if i.Name == "" {
		return "[export]/$root"
	}
	return "[export]" + i.Base()
}

// HasHandles reports whether values of t hold resource handles.
func (t *Type) HasHandles() bool {
	return t.hasHandles(0)
}

func (t *Type) hasHandles(depth int) bool {
	if t == nil || depth > 64 {
		return false
	}
	switch t.Kind {
	case Own, Borrow:
		return true
	}
	if t.IsAlias() {
		return t.Elem.hasHandles(depth + 1)
	}
	if t.Elem != nil && t.Elem.hasHandles(depth+1) {
		return true
	}
	for _, f := range t.Fields {
		if f.Type.hasHandles(depth + 1) {
			return true
		}
	}
	for _, c := range t.Cases {
		if c.Type != nil && c.Type.hasHandles(depth+1) {
			return true
		}
	}
	return t.OK.hasHandles(depth+1) || t.Err.hasHandles(depth+1)
}

// HasBorrows reports whether values of t hold borrow handles.
func (t *Type) HasBorrows() bool {
	if t == nil {
		return false
	}
	if t.Kind == Borrow {
		return true
	}
	if t.IsAlias() {
		return t.Elem.HasBorrows()
	}
	if t.Elem != nil && t.Elem.HasBorrows() {
		return true
	}
	for _, f := range t.Fields {
		if f.Type.HasBorrows() {
			return true
		}
	}
	for _, c := range t.Cases {
		if c.Type != nil && c.Type.HasBorrows() {
			return true
		}
	}
	return false
}

// UsesHandles reports whether any parameter or the result holds handles.
func (f *Func) UsesHandles() bool {
	for _, p := range f.Params {
		if p.Type.HasHandles() {
			return true
		}
	}
	return f.Result.HasHandles()
}

// BorrowsParams reports whether a parameter holds borrow handles.
func (f *Func) BorrowsParams() bool {
	for _, p := range f.Params {
		if p.Type.HasBorrows() {
			return true
		}
	}
	return false
}

func handleKey(t *Type) string {
	if t.Kind == Own {
		return "Own" + t.Resource.GoName
	}
	return "Borrow" + t.Resource.GoName
}

// resource returns the Resource of a resource typedef (following `use`s).
func (b *builder) resource(td *wit.TypeDef) (*Resource, error) {
	for {
		alias, ok := td.Kind.(*wit.TypeDef)
		if !ok {
			break
		}
		td = alias
	}
	if _, ok := td.Kind.(*wit.Resource); !ok {
		return nil, fmt.Errorf("type %s is not a resource", td.TypeName())
	}
	set, owner := b.resources, b.ownerName(td.Owner)
	if b.side && b.dual[owner] {
		set, owner = b.exportResources, "[export]"+owner
	}
	if r, ok := set[td]; ok {
		return r, nil
	}
	if _, ok := td.Owner.(*wit.Interface); !ok {
		return nil, fmt.Errorf("resource %s: a world's resource must be declared before it is used", td.TypeName())
	}
	r := &Resource{Name: td.TypeName(), GoName: GoName(td.TypeName()), Doc: td.Docs.Contents,
		Gate: GateOf(td.Stability), Owner: owner}
	set[td] = r
	b.resOrder = append(b.resOrder, r)
	r.ID = uint32(len(b.resOrder))
	r.Own = &Type{Kind: Own, Resource: r, Size: 4, Align: 4, Flat: []CoreType{I32}}
	r.Borrow = &Type{Kind: Borrow, Resource: r, Size: 4, Align: 4, Flat: []CoreType{I32}}
	// Spelled by the defining interface too: two resources of one name stay apart.
	r.Own.WIT, r.Borrow.WIT = "own<"+r.Owner+"#"+r.Name+">", "borrow<"+r.Owner+"#"+r.Name+">"
	r.Own.GoName, r.Borrow.GoName = r.GoName, r.GoName
	r.Own.Key, r.Borrow.Key = handleKey(r.Own), handleKey(r.Borrow)
	return r, nil
}

// handle resolves a resource typedef (a use of it means own<r>), own<r> or
// borrow<r>.
func (b *builder) handle(td *wit.TypeDef) (*Type, error) {
	switch k := td.Kind.(type) {
	case *wit.Resource:
		r, err := b.resource(td)
		if err != nil {
			return nil, err
		}
		return r.Own, nil
	case *wit.Own:
		r, err := b.resource(k.Type)
		if err != nil {
			return nil, err
		}
		return r.Own, nil
	case *wit.Borrow:
		r, err := b.resource(k.Type)
		if err != nil {
			return nil, err
		}
		return r.Borrow, nil
	}
	return nil, fmt.Errorf("type %s is not a handle", td.TypeName())
}

// reservedMethods are the method names the generated handle types declare
// themselves (Drop on both sides, Handle and Impl in guests).
var reservedMethods = map[string]bool{"Drop": true, "Handle": true, "Impl": true}

// resourceFunc classifies a constructor, method or static function and
// attaches it to its resource.
func (b *builder) resourceFunc(f *wit.Function, fn *Func) error {
	rt, ok := f.Type().(*wit.TypeDef)
	if !ok {
		return fmt.Errorf("function %s: no resource type", f.Name)
	}
	r, err := b.resource(rt)
	if err != nil {
		return fmt.Errorf("function %s: %w", f.Name, err)
	}
	fn.Resource = r
	base := f.BaseName()
	switch {
	case f.IsConstructor():
		fn.Kind = Constructor
		fn.GoName = "New" + r.GoName
		fn.MethodName = "New"
		r.Constructor = fn
	case f.IsMethod():
		fn.Kind = Method
		fn.MethodName = GoName(base)
		if reservedMethods[fn.MethodName] {
			fn.MethodName += "Method" // the generated handle types have methods of these names
		}
		fn.GoName = r.GoName + fn.MethodName
		r.Methods = append(r.Methods, fn)
	case f.IsStatic():
		fn.Kind = Static
		fn.MethodName = GoName(base)
		fn.GoName = r.GoName + fn.MethodName
		r.Statics = append(r.Statics, fn)
	default:
		return fmt.Errorf("function %s: unsupported kind %T", f.Name, f.Kind)
	}
	if strings.ContainsAny(base, "[]") {
		return fmt.Errorf("function %s: unsupported resource function", f.Name)
	}
	return nil
}

// worldRoot makes the Interface of a world's functions of one direction.
func (b *builder) worldRoot(m *World, export bool) *Interface {
	suffix := "Imports"
	if export {
		suffix = "Exports"
	}
	return &Interface{GoName: m.GoName + suffix, Export: export, Doc: "World-level functions of " + m.Name + "."}
}

// worldResource registers a resource declared in a world (an import of
// the world: its functions are world-level, from module $root).
func (b *builder) worldResource(td *wit.TypeDef, root *Interface) {
	if _, ok := b.resources[td]; ok {
		return
	}
	r := &Resource{Name: td.TypeName(), GoName: GoName(td.TypeName()), Doc: td.Docs.Contents,
		Gate: GateOf(td.Stability), Owner: b.ownerName(td.Owner), Iface: root}
	b.resources[td] = r
	b.resOrder = append(b.resOrder, r)
	r.ID = uint32(len(b.resOrder))
	r.Own = &Type{Kind: Own, Resource: r, Size: 4, Align: 4, Flat: []CoreType{I32}}
	r.Borrow = &Type{Kind: Borrow, Resource: r, Size: 4, Align: 4, Flat: []CoreType{I32}}
	r.Own.WIT, r.Borrow.WIT = "own<"+r.Owner+"#"+r.Name+">", "borrow<"+r.Owner+"#"+r.Name+">"
	r.Own.GoName, r.Borrow.GoName = r.GoName, r.GoName
	r.Own.Key, r.Borrow.Key = handleKey(r.Own), handleKey(r.Borrow)
}

// findDual records the interfaces the world both imports and exports.
func (b *builder) findDual(w *wit.World) {
	b.dual = map[string]bool{}
	imported := map[string]bool{}
	for _, it := range w.Imports.All() {
		if ref, ok := it.(*wit.InterfaceRef); ok && ref.Interface.Name != nil {
			imported[qualified(ref.Interface)] = true
		}
	}
	for _, it := range w.Exports.All() {
		if ref, ok := it.(*wit.InterfaceRef); ok && ref.Interface.Name != nil && imported[qualified(ref.Interface)] {
			b.dual[qualified(ref.Interface)] = true
		}
	}
}

// typeCache is the cache a typedef's Type lives in: on the export side,
// types holding handles of a dual interface's resources get their own.
func (b *builder) typeCache(td *wit.TypeDef) map[*wit.TypeDef]*Type {
	if b.side && len(b.dual) > 0 && b.copyOnExport(td) {
		return b.exportTypes
	}
	return b.types
}

// copyOnExport reports whether td holds a resource of a dual interface.
func (b *builder) copyOnExport(td *wit.TypeDef) bool {
	if len(b.dual) == 0 {
		return false
	}
	if v, ok := b.copies[td]; ok {
		return v
	}
	b.copies[td] = false // cycles cannot hold resources
	v := b.holdsDual(td)
	b.copies[td] = v
	return v
}

func (b *builder) holdsDual(td *wit.TypeDef) bool {
	sub := func(t wit.Type) bool {
		if d, ok := t.(*wit.TypeDef); ok {
			return b.copyOnExport(d)
		}
		return false
	}
	switch k := td.Kind.(type) {
	case *wit.Resource:
		return b.dual[b.ownerName(td.Owner)]
	case *wit.Own:
		return sub(k.Type)
	case *wit.Borrow:
		return sub(k.Type)
	case *wit.TypeDef:
		return sub(k)
	case *wit.Record:
		for _, f := range k.Fields {
			if sub(f.Type) {
				return true
			}
		}
	case *wit.Tuple:
		for _, e := range k.Types {
			if sub(e) {
				return true
			}
		}
	case *wit.Variant:
		for _, c := range k.Cases {
			if c.Type != nil && sub(c.Type) {
				return true
			}
		}
	case *wit.Option:
		return sub(k.Type)
	case *wit.List:
		return sub(k.Type)
	case *wit.Result:
		return (k.OK != nil && sub(k.OK)) || (k.Err != nil && sub(k.Err))
	}
	return false
}

// uniqSpell spells t for deduplicating anonymous types: like its WIT
// spelling, with named types qualified by their owner (two records named
// foo of two interfaces are different types).
func uniqSpell(t *Type) string {
	if t == nil {
		return "_"
	}
	if t.Name != "" {
		return t.Owner + "#" + t.Name
	}
	switch t.Kind {
	case List:
		return "list<" + uniqSpell(t.Elem) + ">"
	case Option:
		return "option<" + uniqSpell(t.Elem) + ">"
	case Result:
		return "result<" + uniqSpell(t.OK) + ", " + uniqSpell(t.Err) + ">"
	case Tuple:
		var parts []string
		for _, f := range t.Fields {
			parts = append(parts, uniqSpell(f.Type))
		}
		return "tuple<" + strings.Join(parts, ", ") + ">"
	}
	return t.WIT
}

// definesResources reports whether i declares a resource type: such an
// interface is bound even without functions (its handles need [resource-drop]).
func definesResources(i *wit.Interface) bool {
	for _, td := range i.TypeDefs.All() {
		if _, ok := td.Kind.(*wit.Resource); ok {
			return true
		}
	}
	return false
}

// finishResources links each resource to the interface the world imports
// or exports it through and names them.
func (b *builder) finishResources(w *World) error {
	count := map[string]int{}
	for _, r := range b.resOrder {
		count[r.GoName]++
	}
	// A resource's Go type shares the package with the interfaces' Go types
	// and the generators' own declarations: take the owner's name as a prefix.
	for _, set := range [][]*Interface{w.Imports, w.Exports} {
		for _, i := range set {
			count[i.GoName] += 2
		}
	}
	for n := range generatorNames {
		count[n] += 2
	}
	for _, r := range b.resOrder {
		iface := r.Iface // set for a world's own resources
		if iface == nil {
			var ok bool
			if q, exp := strings.CutPrefix(r.Owner, "[export]"); exp {
				iface, ok = b.exportIfaces[q]
			} else if iface, ok = b.ifaces[r.Owner]; !ok {
				iface, ok = b.exportIfaces[r.Owner]
			}
			if !ok {
				return fmt.Errorf("resource %s: its interface %s is neither imported nor exported by the world", r.Name, r.Owner)
			}
			r.Iface = iface
		}
		r.Export = iface.Export
		iface.Resources = append(iface.Resources, r)
		if count[r.GoName] > 1 {
			r.GoName = ownerGoName(r.Owner) + r.GoName
		} else {
			goto named
		}
		for _, fn := range append(append([]*Func{r.Constructor}, r.Methods...), r.Statics...) {
			if fn == nil {
				continue
			}
			switch fn.Kind {
			case Constructor:
				fn.GoName = "New" + r.GoName
			default:
				fn.GoName = r.GoName + fn.MethodName
			}
		}
	named:
		r.Own.GoName, r.Borrow.GoName = r.GoName, r.GoName
		r.Own.Key, r.Borrow.Key = handleKey(r.Own), handleKey(r.Borrow)
	}
	w.Resources = b.resOrder
	return nil
}
