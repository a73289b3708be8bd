package witdiff

import (
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/raisfast/wasmplug/internal/witmodel"
	"go.bytecodealliance.org/wit"
)

// gate is what WIT's feature-gate attributes say about one item.
// gate is an item's @since/@unstable/@deprecated attributes, as the
// generators read them.
type gate = witmodel.Gate

// unit is what a world imports or exports as one piece: an interface, or
// the world-level functions and types of one direction (iface == nil).
type unit struct {
	export bool
	iface  *wit.Interface // nil: world-level items
	item   string         // the world's key for an inline interface ("" otherwise)
	gates  []gate         // of the world's import/export and of the interface declaration
	docs   string
	funcs  []*wit.Function
	types  []*wit.TypeDef
}

// fn is one function of a side with what a type change needs of it.
type fn struct {
	f       *wit.Function
	export  bool
	display string // "host-api.log"
	kept    bool   // not left out by a feature gate
}

// side is one of the two worlds being compared.
type side struct {
	label    string // "OLD" or "NEW"
	world    *wit.World
	pkg      *wit.Package
	version  string // "" when the package is unversioned
	features func(string) bool
	units    []*unit

	// Identity renames applied to this side's names so that they match the
	// other side's (set on OLD when a package or interface was renamed).
	pkgRename   map[string]string // "old:pkg" → "new:pkg"
	ifaceRename map[string]string // "ns:pkg/old" → "ns:pkg/new"

	funcs map[string]*fn      // by funcKey
	users map[string][]string // type id → funcKeys of kept functions that reach it
}

func newSide(label string, res *wit.Resolve, world string, features func(string) bool) (*side, error) {
	w, err := findWorld(res, world)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	s := &side{label: label, world: w, pkg: w.Package, features: features,
		pkgRename: map[string]string{}, ifaceRename: map[string]string{}}
	if v := w.Package.Name.Version; v != nil {
		s.version = v.String()
	}
	s.addItems(w.Imports.All(), false)
	s.addItems(w.Exports.All(), true)
	return s, nil
}

func (s *side) addItems(all iter.Seq2[string, wit.WorldItem], export bool) {
	var root *unit
	for name, item := range all {
		switch item := item.(type) {
		case *wit.InterfaceRef:
			i := item.Interface
			u := &unit{export: export, iface: i, docs: i.Docs.Contents,
				gates: []gate{witmodel.GateOf(item.Stability), witmodel.GateOf(i.Stability)}}
			if i.Name == nil {
				u.item = name
			}
			for _, f := range i.Functions.All() {
				u.funcs = append(u.funcs, f)
			}
			for _, td := range i.TypeDefs.All() {
				u.types = append(u.types, td)
			}
			s.units = append(s.units, u)
		case *wit.Function, *wit.TypeDef:
			if root == nil {
				root = &unit{export: export}
				s.units = append(s.units, root)
			}
			if f, ok := item.(*wit.Function); ok {
				root.funcs = append(root.funcs, f)
			} else {
				root.types = append(root.types, item.(*wit.TypeDef))
			}
		}
	}
}

// findWorld picks the world named name ("plugin-world" or
// "ns:pkg/plugin-world"), or the only world of the main package when name
// is "".
func findWorld(res *wit.Resolve, name string) (*wit.World, error) {
	var found []*wit.World
	for _, w := range res.Worlds {
		if name == "" || w.Match(name) {
			found = append(found, w)
		}
	}
	if name == "" && len(found) > 1 {
		// The main package is the last: wasm-tools orders dependencies first.
		main := res.Worlds[len(res.Worlds)-1].Package
		found = slices.DeleteFunc(found, func(w *wit.World) bool { return w.Package != main })
		if len(found) > 1 {
			return nil, fmt.Errorf("%d worlds (%s): choose one with -world", len(found), worldNames(found))
		}
	}
	switch len(found) {
	case 0:
		if name == "" {
			return nil, fmt.Errorf("no world")
		}
		return nil, fmt.Errorf("world %q not found; have %s", name, worldNames(res.Worlds))
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("world %q is ambiguous (%s); qualify it as ns:pkg/world", name, worldNames(found))
}

func worldNames(ws []*wit.World) string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = pkgID(w.Package) + "/" + w.Name
	}
	return strings.Join(names, ", ")
}

// pkgID is a package's name without its version: "raisfast:plugin-wit".
func pkgID(p *wit.Package) string {
	return p.Name.Namespace + ":" + p.Name.Package
}

// pkgName is this side's identity of package p, renames applied.
func (s *side) pkgName(p *wit.Package) string {
	id := pkgID(p)
	if r, ok := s.pkgRename[id]; ok {
		return r
	}
	return id
}

// ifaceName is the identity of an interface, without version and with
// renames applied: "raisfast:plugin-wit/host-api". An inline interface
// (`import x: interface {…}`) is named after its world item.
func (s *side) ifaceName(i *wit.Interface) string {
	if i.Name == nil {
		for _, u := range s.units {
			if u.iface == i {
				return s.pkgName(s.pkg) + "/" + s.world.Name + "." + u.item
			}
		}
		return s.pkgName(s.pkg) + "/" + s.world.Name + ".(inline)"
	}
	n := s.pkgName(i.Package) + "/" + *i.Name
	if r, ok := s.ifaceRename[n]; ok {
		return r
	}
	return n
}

// unitName is the display name of a unit, which is also its identity
// within one direction.
func (s *side) unitName(u *unit) string {
	if u.iface == nil {
		return s.pkgName(s.pkg) + "/" + s.world.Name
	}
	return s.ifaceName(u.iface)
}

// unitKey tells units apart across both directions.
func (s *side) unitKey(u *unit) string {
	if u.iface == nil {
		// World-level items: the world's name does not matter (see renames).
		if u.export {
			return "export $world"
		}
		return "import $world"
	}
	if u.export {
		return "export " + s.unitName(u)
	}
	return "import " + s.unitName(u)
}

// unitPkg is the package a unit belongs to: its interface's, or the
// world's for world-level items.
func (s *side) unitPkg(u *unit) *wit.Package {
	if u.iface != nil && u.iface.Package != nil {
		return u.iface.Package
	}
	return s.pkg
}

// versionOf is this side's version of the package named id (renames
// applied), "" when it is unversioned or this side does not use it.
func (s *side) versionOf(id string) string {
	var p *wit.Package
	if s.pkgName(s.pkg) == id {
		p = s.pkg
	}
	for _, u := range s.units {
		if p == nil && u.iface != nil && u.iface.Package != nil && s.pkgName(u.iface.Package) == id {
			p = u.iface.Package
		}
	}
	if p == nil || p.Name.Version == nil {
		return ""
	}
	return p.Name.Version.String()
}

// shortUnit is a unit's name without its package: "host-api".
func (s *side) shortUnit(u *unit) string {
	n := s.unitName(u)
	return n[strings.LastIndexByte(n, '/')+1:]
}

// typeID is the identity of a named type: "raisfast:plugin-wit/types.post-input".
func (s *side) typeID(td *wit.TypeDef) string {
	switch o := td.Owner.(type) {
	case *wit.Interface:
		return s.ifaceName(o) + "." + td.TypeName()
	case *wit.World:
		return "$world." + td.TypeName()
	}
	return td.TypeName()
}

// off returns the feature that leaves an item out (its gates are listed
// outermost first), or "".
func (s *side) off(gates ...gate) string {
	for _, g := range gates {
		if g.Feature != "" && !s.features(g.Feature) {
			return g.Feature
		}
	}
	return ""
}

// index records every function and which types each kept one reaches; it
// runs once renames are known, since names are identities.
func (s *side) index() {
	s.funcs = map[string]*fn{}
	s.users = map[string][]string{}
	for _, u := range s.units {
		uoff := s.off(u.gates...)
		for _, f := range u.funcs {
			k := s.unitKey(u) + "#" + f.Name
			kept := uoff == "" && s.off(witmodel.GateOf(f.Stability)) == ""
			s.funcs[k] = &fn{f: f, export: u.export, display: s.shortUnit(u) + "." + f.Name, kept: kept}
			if !kept {
				continue
			}
			seen := map[string]bool{}
			for _, p := range slices.Concat(f.Params, f.Results) {
				s.reach(p.Type, seen)
			}
			for id := range seen {
				s.users[id] = append(s.users[id], k)
			}
		}
	}
}

// reach adds the ids of the named types t refers to, directly or not.
func (s *side) reach(t wit.Type, seen map[string]bool) {
	td, ok := t.(*wit.TypeDef)
	if !ok {
		return
	}
	if td.Name != nil && td.Owner != nil {
		id := s.typeID(td)
		if seen[id] {
			return
		}
		seen[id] = true
	}
	for _, c := range components(td.Kind) {
		s.reach(c, seen)
	}
}

// components lists the types a type definition is made of.
func components(k wit.TypeDefKind) []wit.Type {
	switch k := k.(type) {
	case *wit.TypeDef:
		return []wit.Type{k}
	case *wit.Record:
		var ts []wit.Type
		for _, f := range k.Fields {
			ts = append(ts, f.Type)
		}
		return ts
	case *wit.Variant:
		var ts []wit.Type
		for _, c := range k.Cases {
			if c.Type != nil {
				ts = append(ts, c.Type)
			}
		}
		return ts
	case *wit.Tuple:
		return k.Types
	case *wit.List:
		return []wit.Type{k.Type}
	case *wit.Option:
		return []wit.Type{k.Type}
	case *wit.Result:
		return slices.DeleteFunc([]wit.Type{k.OK, k.Err}, func(t wit.Type) bool { return t == nil })
	case *wit.Own:
		return []wit.Type{k.Type}
	case *wit.Borrow:
		return []wit.Type{k.Type}
	case *wit.Future:
		if k.Type != nil {
			return []wit.Type{k.Type}
		}
	case *wit.Stream:
		if k.Type != nil {
			return []wit.Type{k.Type}
		}
	}
	return nil
}
