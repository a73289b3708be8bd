// Package witmodel resolves a WIT world once into everything the generators
// need: Go names, canonical-ABI layouts and flattenings, core function
// signatures and the core names under every accepted mangling. Emitters
// (host, guest) only walk this model; they never look at WIT again.
package witmodel

import (
	"fmt"
	"iter"
	"slices"
	"sort"
	"strings"

	"go.bytecodealliance.org/wit"
)

// Kind is the kind of a WIT type after resolving aliases.
type Kind uint8

const (
	Bool Kind = iota
	S8
	U8
	S16
	U16
	S32
	U32
	S64
	U64
	F32
	F64
	Char
	String
	List
	Option
	Result
	Tuple
	Record
	Variant
	Enum
	Flags
	Own    // own<R>: a handle the receiver owns (see resources.go)
	Borrow // borrow<R>: a handle lent for the duration of one call
)

var kindNames = [...]string{"bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64",
	"char", "string", "list", "option", "result", "tuple", "record", "variant", "enum", "flags", "own", "borrow"}

func (k Kind) String() string { return kindNames[k] }

// IsPrimitive reports whether k has no components.
func (k Kind) IsPrimitive() bool { return k <= String }

// CoreType is a core wasm value type of a flattened WIT value.
type CoreType uint8

const (
	I32 CoreType = iota
	I64
	CF32
	CF64
)

func (c CoreType) String() string { return [...]string{"i32", "i64", "f32", "f64"}[c] }

// Sig spells a core signature as "(i32 i32) -> (i32)".
func Sig(params, results []CoreType) string {
	j := func(ts []CoreType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = t.String()
		}
		return strings.Join(s, " ")
	}
	return "(" + j(params) + ") -> (" + j(results) + ")"
}

// Type is a resolved WIT type. Named types are shared pointers; anonymous
// types are deduplicated by their WIT spelling.
type Type struct {
	Kind Kind
	WIT  string // WIT spelling: "option<list<string>>", or the name of a named type
	Key  string // unique Go identifier fragment for helper functions: "OptionListString"

	// Named types (record, variant, enum, flags, and aliases of them).
	Name   string // WIT name, "" if anonymous
	GoName string // Go type declared in the generated package, "" if anonymous
	Owner  string // qualified name of the owning interface or world
	Doc    string
	Gate   Gate // @since, @unstable, @deprecated of the type definition

	Elem    *Type    // list, option
	OK, Err *Type    // result; nil stands for `_`
	Fields  []*Field // record, tuple (tuple fields are F0, F1, ...)
	Cases   []*Case  // variant, enum (enum cases have no type), option (none, some), result (ok, error)
	Flags   []*Flag

	Resource *Resource // own, borrow: the resource the handle refers to

	Size, Align   uint32
	DiscSize      uint32 // variant, option, result, enum
	PayloadOffset uint32 // variant, option, result
	Flat          []CoreType
}

// Field is a record field or tuple element.
type Field struct {
	Name     string // WIT name ("" for tuple elements)
	GoName   string // "CategoryID", or "F0" for tuples
	JSONName string // "category_id"
	Doc      string
	Type     *Type
	Offset   uint32 // byte offset in memory
	FlatAt   int    // index of the first flat value
}

// Case is a variant, enum, option or result case.
type Case struct {
	Name   string
	GoName string // variant case struct "ShapeCircle"; enum constant "ColorRed"
	Doc    string
	Type   *Type // payload, nil if none
}

// Flag is one flag of a flags type.
type Flag struct {
	Name   string
	GoName string // constant "PermsRead"
	Doc    string
	Bit    int
}

// HasPointers reports whether values of t refer to other memory (strings or
// lists), so lowering them needs cabi_realloc and lifting them reads memory.
func (t *Type) HasPointers() bool {
	switch t.Kind {
	case String, List:
		return true
	case Option:
		return t.Elem.HasPointers()
	}
	for _, f := range t.Fields {
		if f.Type.HasPointers() {
			return true
		}
	}
	for _, c := range t.Cases {
		if c.Type != nil && c.Type.HasPointers() {
			return true
		}
	}
	return false
}

// World is a resolved WIT world.
type World struct {
	Name      string // "plugin-world"
	Package   string // "raisfast:plugin-wit@0.1.0"
	GoName    string // "PluginWorld"
	Doc       string
	Imports   []*Interface // interfaces first, then world-level functions (Name == "")
	Exports   []*Interface
	Types     []*Type     // named types to declare, in dependency order
	AnonTypes []*Type     // anonymous types used anywhere, in dependency order
	Resources []*Resource // resource types of imported and exported interfaces, by ID
}

// Interface is an imported or exported interface, or the world-level
// functions of one direction (Name == "").
type Interface struct {
	Name      string // "host-api"; "" for world-level functions
	Qualified string // "raisfast:plugin-wit/host-api@0.1.0"; "" for world-level
	Package   string // "raisfast:plugin-wit"
	Version   string // "0.1.0"
	GoName    string // "HostAPI"; world GoName + "Imports"/"Exports" for world-level
	Doc       string
	Gate      Gate // of the world's import/export of the interface, completed by its declaration's
	Funcs     []*Func
	Export    bool
	Resources []*Resource // resources this interface defines
}

// Func is a function of an interface with its canonical-ABI signature.
type Func struct {
	Name     string // "on-post-creating"
	GoName   string // "OnPostCreating" (method name; prefixed on collisions)
	Doc      string
	Gate     Gate
	Params   []*Param
	Result   *Type // nil if none
	Iface    *Interface
	Index    int // index among all functions of its direction
	FlatArgs []CoreType
	FlatRets []CoreType
	// ParamsInMemory: more than 16 flat params; they are passed as a pointer
	// to a tuple of all params (laid out as ParamTuple).
	ParamsInMemory bool
	ParamTuple     *Type
	// ResultInMemory: more than 1 flat result; exports return a pointer to
	// it, imports take a pointer to write it to as their last parameter.
	ResultInMemory bool
	CoreParams     []CoreType // the core function's parameters
	CoreResults    []CoreType // the core function's results
	// Kind says whether this is a freestanding function or a resource's
	// constructor, method or static function; Resource is nil for the first.
	Kind       FuncKind
	Resource   *Resource
	MethodName string // the Go name of a method on its resource type: "Read"
}

// Param is a function parameter.
type Param struct {
	Name   string // WIT name
	GoName string // Go parameter name
	Type   *Type
}

// Limits of the canonical ABI flattening.
const (
	MaxFlatParams  = 16
	MaxFlatResults = 1
)

// Load parses the WIT at path (a file or a directory with deps/) with the
// wasm-tools embedded in go.bytecodealliance.org and resolves world, with
// no unstable features enabled.
func Load(path, world string) (*World, error) {
	return LoadWith(path, world, LoadOptions{})
}

// LoadWith is Load with options (the unstable features to enable).
func LoadWith(path, world string, opts LoadOptions) (*World, error) {
	res, err := wit.LoadWIT(path) // with --all-features: the builder filters
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return ResolveWith(res, world, opts)
}

// Resolve builds the model of world in res. world may be "" when res has a
// single world in its main package. No unstable features are enabled.
func Resolve(res *wit.Resolve, world string) (*World, error) {
	return ResolveWith(res, world, LoadOptions{})
}

// ResolveWith is Resolve with options. Items gated by
// @unstable(feature = F) whose feature is not enabled (functions,
// interfaces the world imports or exports, types) are left out; a kept item
// that uses a left-out type is an error (a *GatedError naming the type,
// wrapped in the kept item's context).
func ResolveWith(res *wit.Resolve, world string, opts LoadOptions) (*World, error) {
	w, err := findWorld(res, world)
	if err != nil {
		return nil, err
	}
	if g := GateOf(w.Stability); g.Feature != "" && !opts.Enabled(g.Feature) {
		return nil, fmt.Errorf("world %s is @unstable(feature = %s), which is not enabled", w.Name, g.Feature)
	}
	b := &builder{types: map[*wit.TypeDef]*Type{}, anon: map[string]*Type{}, goNames: map[string]*Type{}, opts: opts,
		resources: map[*wit.TypeDef]*Resource{}, ifaces: map[string]*Interface{},
		exportTypes: map[*wit.TypeDef]*Type{}, exportResources: map[*wit.TypeDef]*Resource{},
		exportIfaces: map[string]*Interface{}, copies: map[*wit.TypeDef]bool{},
		inline: inlineInterfaces(w)}
	m := &World{
		Name:    w.Name,
		Package: w.Package.Name.String(),
		GoName:  GoName(w.Name),
		Doc:     w.Docs.Contents,
	}
	b.findDual(w)
	for dir, items := range []*ordOf{ordered(&w.Imports), ordered(&w.Exports)} {
		export := dir == 1
		b.side = export
		var root *Interface
		for _, it := range items.items {
			switch v := it.item.(type) {
			case *wit.InterfaceRef:
				gate, off := b.ifaceGate(v)
				if off {
					continue
				}
				iface, err := b.iface(v.Interface, export)
				if err != nil {
					return nil, err
				}
				iface.Gate = gate
				if len(iface.Funcs) == 0 && !definesResources(v.Interface) {
					continue // a types-only interface (such as one `use`d): nothing to bind
				}
				if export {
					m.Exports = append(m.Exports, iface)
				} else {
					m.Imports = append(m.Imports, iface)
				}
			case *wit.Function:
				if b.off(GateOf(v.Stability)) {
					continue
				}
				if root == nil {
					root = b.worldRoot(m, export)
				}
				f, err := b.function(v, root)
				if err != nil {
					return nil, err
				}
				root.Funcs = append(root.Funcs, f)
			case *wit.TypeDef:
				if b.typeOff(v) != nil {
					continue
				}
				if _, ok := v.Kind.(*wit.Resource); ok {
					// A world's own resource (always an import): bound to
					// the world-level functions of its direction.
					if root == nil {
						root = b.worldRoot(m, export)
					}
					b.worldResource(v, root)
				}
				if _, err := b.typ(v); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("world %s: unsupported item %s (%T)", w.Name, it.name, it.item)
			}
		}
		if root != nil {
			if export {
				m.Exports = append(m.Exports, root)
			} else {
				m.Imports = append(m.Imports, root)
			}
		}
	}
	for _, set := range [][]*Interface{m.Imports, m.Exports} {
		index := 0
		seen := map[string]int{}
		for _, iface := range set {
			for _, f := range iface.Funcs {
				f.Index = index
				index++
				seen[f.GoName]++
			}
		}
		// Method names of one direction share a namespace (the Instance's
		// methods, or the host interfaces): prefix colliding ones.
		for _, iface := range set {
			for _, f := range iface.Funcs {
				if seen[f.GoName] > 1 && iface.Name != "" {
					f.GoName = iface.GoName + f.GoName
				}
			}
		}
	}
	if err := b.finishResources(m); err != nil {
		return nil, err
	}
	if err := b.nameTypes(); err != nil {
		return nil, err
	}
	b.nameInterfaces(m)
	m.Types = b.named
	m.AnonTypes = b.anonOrder
	return m, nil
}

type ordItem struct {
	name string
	item wit.WorldItem
}
type ordOf struct{ items []ordItem }

func ordered(m interface {
	All() iter.Seq2[string, wit.WorldItem]
}) *ordOf {
	o := &ordOf{}
	for k, v := range m.All() {
		o.items = append(o.items, ordItem{k, v})
	}
	return o
}

func findWorld(res *wit.Resolve, name string) (*wit.World, error) {
	var found []*wit.World
	for _, w := range res.Worlds {
		if w.Name == name || w.Match(name) || name == "" {
			found = append(found, w)
		}
	}
	if name == "" && len(found) > 1 {
		// prefer the main package: the last one, as wasm-tools orders dependencies first
		found = found[len(found)-1:]
	}
	if len(found) == 0 {
		var names []string
		for _, w := range res.Worlds {
			names = append(names, w.Package.Name.String()+"/"+w.Name)
		}
		return nil, fmt.Errorf("world %q not found; have %s", name, strings.Join(names, ", "))
	}
	if len(found) > 1 {
		return nil, fmt.Errorf("world %q is ambiguous: %d matches; qualify it as ns:pkg/world", name, len(found))
	}
	return found[0], nil
}

type builder struct {
	types     map[*wit.TypeDef]*Type
	anon      map[string]*Type
	named     []*Type
	anonOrder []*Type
	goNames   map[string]*Type
	opts      LoadOptions
	resources map[*wit.TypeDef]*Resource
	resOrder  []*Resource
	ifaces    map[string]*Interface

	// An interface both imported and exported (dual) has two copies of
	// each resource, the host's and the guest's, and of every type holding
	// their handles: the export side's live in these maps.
	side            bool // resolving the export direction
	dual            map[string]bool
	exportTypes     map[*wit.TypeDef]*Type
	exportResources map[*wit.TypeDef]*Resource
	exportIfaces    map[string]*Interface
	copies          map[*wit.TypeDef]bool // memo of copyOnExport

	// inline names the world's anonymous interfaces (`export x: interface
	// {...}`) by their world key.
	inline map[*wit.Interface]string
}

func (b *builder) iface(i *wit.Interface, export bool) (*Interface, error) {
	out := &Interface{Doc: i.Docs.Contents, Export: export}
	if key, ok := b.inline[i]; ok {
		// An inline interface: no package, named by its world key. Its core
		// modules are the plain name ("x", "[export]x").
		out.Name, out.Qualified, out.GoName = key, key, GoName(key)
	} else {
		id := i.Package.Name
		out.Name, out.Qualified, out.GoName = *i.Name, qualified(i), GoName(*i.Name)
		out.Package = id.Namespace + ":" + id.Package
		if id.Version != nil {
			out.Version = id.Version.String()
		}
	}
	if export {
		b.exportIfaces[out.Qualified] = out
	} else {
		b.ifaces[out.Qualified] = out
	}
	for _, td := range i.TypeDefs.All() {
		if b.typeOff(td) != nil {
			continue
		}
		if _, err := b.typ(td); err != nil {
			return nil, fmt.Errorf("interface %s: %w", out.Qualified, err)
		}
	}
	for _, f := range i.Functions.All() {
		if b.off(GateOf(f.Stability)) {
			continue
		}
		fn, err := b.function(f, out)
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", out.Qualified, err)
		}
		out.Funcs = append(out.Funcs, fn)
	}
	return out, nil
}

// inlineInterfaces maps the anonymous interfaces of w to their world keys.
func inlineInterfaces(w *wit.World) map[*wit.Interface]string {
	out := map[*wit.Interface]string{}
	for _, items := range []*ordOf{ordered(&w.Imports), ordered(&w.Exports)} {
		for _, it := range items.items {
			if ref, ok := it.item.(*wit.InterfaceRef); ok && ref.Interface.Name == nil {
				out[ref.Interface] = it.name
			}
		}
	}
	return out
}

func qualified(i *wit.Interface) string {
	id := i.Package.Name
	s := id.Namespace + ":" + id.Package + "/" + *i.Name
	if id.Version != nil {
		s += "@" + id.Version.String()
	}
	return s
}

func (b *builder) function(f *wit.Function, owner *Interface) (*Func, error) {
	fn := &Func{Name: f.Name, GoName: GoName(f.Name), Doc: f.Docs.Contents, Gate: GateOf(f.Stability), Iface: owner}
	if !f.IsFreestanding() {
		if err := b.resourceFunc(f, fn); err != nil {
			return nil, err
		}
	}
	used := map[string]bool{}
	var tupleFields []*Field
	for _, p := range f.Params {
		t, err := b.ref(p.Type)
		if err != nil {
			return nil, fmt.Errorf("function %s, param %s: %w", f.Name, p.Name, err)
		}
		name := Unique(ParamName(p.Name), func(n string) bool { return used[n] })
		used[name] = true
		fn.Params = append(fn.Params, &Param{Name: p.Name, GoName: name, Type: t})
		fn.FlatArgs = append(fn.FlatArgs, t.Flat...)
		tupleFields = append(tupleFields, &Field{Type: t})
	}
	if fn.Kind == Method && len(fn.Params) > 0 && fn.Params[0].Type.Kind == Own {
		fn.Params[0].Type = fn.Resource.Borrow // self
		tupleFields[0].Type = fn.Resource.Borrow
	}
	switch len(f.Results) {
	case 0:
	case 1:
		t, err := b.ref(f.Results[0].Type)
		if err != nil {
			return nil, fmt.Errorf("function %s, result: %w", f.Name, err)
		}
		fn.Result = t
		fn.FlatRets = t.Flat
	default:
		return nil, fmt.Errorf("function %s: multiple named results are not supported by WIT any more", f.Name)
	}
	fn.ParamsInMemory = len(fn.FlatArgs) > MaxFlatParams
	if fn.ParamsInMemory {
		tt := &Type{Kind: Tuple, Fields: tupleFields}
		layoutStruct(tt)
		fn.ParamTuple = tt
		fn.CoreParams = []CoreType{I32}
	} else {
		fn.CoreParams = slices.Clone(fn.FlatArgs)
	}
	fn.ResultInMemory = len(fn.FlatRets) > MaxFlatResults
	switch {
	case !fn.ResultInMemory:
		fn.CoreResults = slices.Clone(fn.FlatRets)
	case owner.Export:
		fn.CoreResults = []CoreType{I32}
	default:
		fn.CoreParams = append(fn.CoreParams, I32)
	}
	return fn, nil
}

// ref resolves a type reference (primitive or typedef).
func (b *builder) ref(t wit.Type) (*Type, error) {
	switch t := t.(type) {
	case *wit.TypeDef:
		return b.typ(t)
	case wit.Bool:
		return b.prim(Bool), nil
	case wit.S8:
		return b.prim(S8), nil
	case wit.U8:
		return b.prim(U8), nil
	case wit.S16:
		return b.prim(S16), nil
	case wit.U16:
		return b.prim(U16), nil
	case wit.S32:
		return b.prim(S32), nil
	case wit.U32:
		return b.prim(U32), nil
	case wit.S64:
		return b.prim(S64), nil
	case wit.U64:
		return b.prim(U64), nil
	case wit.F32:
		return b.prim(F32), nil
	case wit.F64:
		return b.prim(F64), nil
	case wit.Char:
		return b.prim(Char), nil
	case wit.String:
		return b.prim(String), nil
	}
	return nil, fmt.Errorf("unsupported type %T", t)
}

var primKeys = [...]string{"Bool", "S8", "U8", "S16", "U16", "S32", "U32", "S64", "U64", "F32", "F64", "Char", "String"}

func (b *builder) prim(k Kind) *Type {
	spell := k.String()
	if t, ok := b.anon[spell]; ok {
		return t
	}
	t := &Type{Kind: k, WIT: spell, Key: primKeys[k]}
	switch k {
	case Bool, S8, U8:
		t.Size, t.Align, t.Flat = 1, 1, []CoreType{I32}
	case S16, U16:
		t.Size, t.Align, t.Flat = 2, 2, []CoreType{I32}
	case S32, U32, Char:
		t.Size, t.Align, t.Flat = 4, 4, []CoreType{I32}
	case F32:
		t.Size, t.Align, t.Flat = 4, 4, []CoreType{CF32}
	case S64, U64:
		t.Size, t.Align, t.Flat = 8, 8, []CoreType{I64}
	case F64:
		t.Size, t.Align, t.Flat = 8, 8, []CoreType{CF64}
	case String:
		t.Size, t.Align, t.Flat = 8, 4, []CoreType{I32, I32}
	}
	b.anon[spell] = t
	return t
}

// typ resolves a typedef: named types get one *Type each; `use`d types and
// aliases resolve to the type they name.
func (b *builder) typ(td *wit.TypeDef) (*Type, error) {
	if t, ok := b.typeCache(td)[td]; ok {
		return t, nil
	}
	if err := b.typeOff(td); err != nil {
		return nil, err
	}
	name := td.TypeName()
	owner := b.ownerName(td.Owner)
	if b.side && b.dual[owner] && b.copyOnExport(td) {
		owner = "[export]" + owner // the exported copy of an interface the world also imports
	}
	gate := GateOf(td.Stability)
	// `use` or `type a = b`: the same Go type (aliases get a Go alias later).
	if target, ok := td.Kind.(wit.Type); ok {
		t, err := b.ref(target)
		if err != nil {
			if name != "" {
				return nil, fmt.Errorf("type %s: %w", name, err)
			}
			return nil, err
		}
		b.typeCache(td)[td] = t
		if name != "" && (t.Name != name || t.Name == "") && !isUse(td, target) {
			alias := &Type{Kind: t.Kind, Name: name, Owner: owner, Doc: td.Docs.Contents, Gate: gate}
			b.named = append(b.named, aliasOf(alias, t))
		}
		return t, nil
	}
	var t *Type
	var err error
	switch k := td.Kind.(type) {
	case *wit.Record:
		t = &Type{Kind: Record}
		for _, f := range k.Fields {
			ft, err := b.ref(f.Type)
			if err != nil {
				return nil, fmt.Errorf("record %s, field %s: %w", name, f.Name, err)
			}
			t.Fields = append(t.Fields, &Field{Name: f.Name, GoName: GoName(f.Name), JSONName: SnakeName(f.Name), Doc: f.Docs.Contents, Type: ft})
		}
		layoutStruct(t)
	case *wit.Tuple:
		t = &Type{Kind: Tuple}
		for i, e := range k.Types {
			et, err := b.ref(e)
			if err != nil {
				return nil, err
			}
			t.Fields = append(t.Fields, &Field{GoName: fmt.Sprintf("F%d", i), JSONName: fmt.Sprintf("f%d", i), Type: et})
		}
		layoutStruct(t)
	case *wit.Variant:
		t = &Type{Kind: Variant}
		for _, c := range k.Cases {
			var ct *Type
			if c.Type != nil {
				if ct, err = b.ref(c.Type); err != nil {
					return nil, fmt.Errorf("variant %s, case %s: %w", name, c.Name, err)
				}
			}
			t.Cases = append(t.Cases, &Case{Name: c.Name, Doc: c.Docs.Contents, Type: ct})
		}
		layoutVariant(t)
	case *wit.Enum:
		t = &Type{Kind: Enum}
		for _, c := range k.Cases {
			t.Cases = append(t.Cases, &Case{Name: c.Name, Doc: c.Docs.Contents})
		}
		layoutVariant(t)
	case *wit.Flags:
		t = &Type{Kind: Flags}
		if len(k.Flags) > 64 {
			return nil, fmt.Errorf("flags %s: %d flags; at most 64 are supported", name, len(k.Flags))
		}
		for i, f := range k.Flags {
			t.Flags = append(t.Flags, &Flag{Name: f.Name, Doc: f.Docs.Contents, Bit: i})
		}
		layoutFlags(t)
	case *wit.Option:
		et, err := b.ref(k.Type)
		if err != nil {
			return nil, err
		}
		t = &Type{Kind: Option, Elem: et, Cases: []*Case{{Name: "none"}, {Name: "some", Type: et}}}
		layoutVariant(t)
	case *wit.Result:
		t = &Type{Kind: Result}
		if k.OK != nil {
			if t.OK, err = b.ref(k.OK); err != nil {
				return nil, err
			}
		}
		if k.Err != nil {
			if t.Err, err = b.ref(k.Err); err != nil {
				return nil, err
			}
		}
		t.Cases = []*Case{{Name: "ok", Type: t.OK}, {Name: "error", Type: t.Err}}
		layoutVariant(t)
	case *wit.List:
		et, err := b.ref(k.Type)
		if err != nil {
			return nil, err
		}
		t = &Type{Kind: List, Elem: et, Size: 8, Align: 4, Flat: []CoreType{I32, I32}}
	case *wit.Resource, *wit.Own, *wit.Borrow:
		h, err := b.handle(td)
		if err != nil {
			return nil, err
		}
		b.typeCache(td)[td] = h
		return h, nil
	default:
		return nil, fmt.Errorf("type %s: %T is not supported (futures and streams are out of scope)", name, td.Kind)
	}
	t.WIT = spell(t)
	t.Key = key(t)
	switch t.Kind {
	case Record, Variant, Enum, Flags:
		if name == "" {
			return nil, fmt.Errorf("anonymous %s", t.Kind)
		}
		t.Name, t.Owner, t.Doc, t.Gate = name, owner, td.Docs.Contents, gate
		t.WIT = name
		b.named = append(b.named, t)
	default:
		if name != "" {
			// a named list, option, result or tuple: an alias of the anonymous type
			anon := b.dedupAnon(t)
			alias := &Type{Kind: anon.Kind, Name: name, Owner: owner, Doc: td.Docs.Contents, Gate: gate}
			b.named = append(b.named, aliasOf(alias, anon))
			b.typeCache(td)[td] = anon
			return anon, nil
		}
		t = b.dedupAnon(t)
	}
	b.typeCache(td)[td] = t
	return t, nil
}

func (b *builder) dedupAnon(t *Type) *Type {
	k := uniqSpell(t)
	if have, ok := b.anon[k]; ok {
		return have
	}
	b.anon[k] = t
	b.anonOrder = append(b.anonOrder, t)
	return t
}

// isUse reports whether td is a `use` of target (same name, other owner).
func isUse(td *wit.TypeDef, target wit.Type) bool {
	tt, ok := target.(*wit.TypeDef)
	return ok && tt.TypeName() == td.TypeName()
}

// aliasOf marks alias as a Go alias of target: Elem holds the target.
func aliasOf(alias, target *Type) *Type {
	alias.Elem = target
	alias.Kind = target.Kind
	alias.WIT = alias.Name
	alias.Size, alias.Align = target.Size, target.Align
	alias.Flat = target.Flat
	alias.Key = "alias" // aliases never get helpers of their own
	return alias
}

// IsAlias reports whether t is a Go alias declaration of another type.
func (t *Type) IsAlias() bool { return t.Key == "alias" }

func (b *builder) ownerName(o wit.TypeOwner) string {
	switch o := o.(type) {
	case *wit.Interface:
		if key, ok := b.inline[o]; ok {
			return key
		}
		if o.Name != nil {
			return qualified(o)
		}
	case *wit.World:
		return o.Package.Name.String() + "/" + o.Name
	}
	return ""
}

func spell(t *Type) string {
	if t.Name != "" {
		return t.Name
	}
	switch t.Kind {
	case List:
		return "list<" + t.Elem.WIT + ">"
	case Option:
		return "option<" + t.Elem.WIT + ">"
	case Result:
		s := func(x *Type) string {
			if x == nil {
				return "_"
			}
			return x.WIT
		}
		if t.Err == nil {
			if t.OK == nil {
				return "result"
			}
			return "result<" + t.OK.WIT + ">"
		}
		return "result<" + s(t.OK) + ", " + s(t.Err) + ">"
	case Tuple:
		var parts []string
		for _, f := range t.Fields {
			parts = append(parts, f.Type.WIT)
		}
		return "tuple<" + strings.Join(parts, ", ") + ">"
	}
	return t.Kind.String()
}

func key(t *Type) string {
	switch t.Kind {
	case List:
		return "List" + t.Elem.Key
	case Option:
		return "Option" + t.Elem.Key
	case Result:
		k := func(x *Type) string {
			if x == nil {
				return "Unit"
			}
			return x.Key
		}
		return "Result" + k(t.OK) + k(t.Err)
	case Tuple:
		s := fmt.Sprintf("Tuple%d", len(t.Fields))
		for _, f := range t.Fields {
			s += f.Type.Key
		}
		return s
	case Own, Borrow:
		return handleKey(t)
	}
	return "" // named types get their Go name later
}

// generatorNames are the package-level identifiers the generators declare
// next to the WIT types (genhost's hook table, module and instance types,
// genguest's equivalents). A WIT type whose Go name is one of them gets its
// owner's name as a prefix, as for two WIT types of the same name: a
// `type filter` of interface data is DataFilter, since Filter is the
// generated filter-hook type.
var generatorNames = map[string]bool{
	"Action": true, "Adapter": true, "Compile": true, "CompileOption": true, "Define": true,
	"ExportIndex": true, "Filter": true, "Guest": true, "GuestModule": true, "Hook": true,
	"HookKind": true, "HookList": true, "Hooks": true, "Imports": true, "Instance": true,
	"Link": true, "LinkAny": true, "Module": true, "Names": true, "OptionalExports": true,
	"WorldPackage": true, "WorldVersion": true, "HookFilter": true, "HookAction": true,
	"HookCall": true, "Contract": true,
}

// nameTypes assigns Go names to named types, prefixing the owner's name when
// two types would share one (or a type would take a generator's name), and
// fixes up keys that embed them.
func (b *builder) nameTypes() error {
	count := map[string]int{}
	for _, t := range b.named {
		count[GoName(t.Name)]++
	}
	taken := map[string]bool{}
	for _, r := range b.resOrder {
		taken[r.GoName] = true
	}
	for _, t := range b.named {
		n := GoName(t.Name)
		if count[n] > 1 || generatorNames[n] {
			n = ownerGoName(t.Owner) + n
		}
		n = Unique(n, func(n string) bool { return taken[n] })
		taken[n] = true
		t.GoName = n
		if !t.IsAlias() {
			t.Key = n
		}
		switch t.Kind {
		case Variant:
			if !t.IsAlias() {
				for _, c := range t.Cases {
					c.GoName = n + GoName(c.Name)
				}
			}
		case Enum:
			for _, c := range t.Cases {
				c.GoName = n + GoName(c.Name)
			}
		case Flags:
			for _, f := range t.Flags {
				f.GoName = n + GoName(f.Name)
			}
		}
	}
	// Keys of anonymous types were built before named types had Go names;
	// rebuild them innermost first, since a key embeds its components' keys.
	sort.SliceStable(b.anonOrder, func(i, j int) bool { return depth(b.anonOrder[i]) < depth(b.anonOrder[j]) })
	for _, t := range b.anonOrder {
		t.Key = key(t)
	}
	return nil
}

// nameInterfaces gives every imported interface a Go name that no other
// declaration of the host package has: the host implements it as a Go
// interface of that name, and Imports has a field of it. A clash (with a
// type, a resource, a generator's name or another imported interface of the
// same name from another package) takes the package's name as a prefix,
// then a number.
func (b *builder) nameInterfaces(m *World) {
	taken := map[string]bool{}
	for n := range generatorNames {
		taken[n] = true
	}
	for _, t := range b.named {
		taken[t.GoName] = true
	}
	for _, r := range b.resOrder {
		taken[r.GoName] = true
	}
	count := map[string]int{}
	for _, i := range m.Imports {
		count[i.GoName]++
	}
	for _, i := range m.Imports {
		n := i.GoName
		if (taken[n] || count[n] > 1) && i.Package != "" {
			n = GoName(strings.NewReplacer(":", "-", "/", "-").Replace(i.Package)) + n
		}
		for base, k := n, 2; taken[n]; k++ {
			n = fmt.Sprintf("%s%d", base, k)
		}
		taken[n] = true
		i.GoName = n
	}
}

func depth(t *Type) int {
	d := 0
	for _, c := range components(t) {
		d = max(d, depth(c)+1)
	}
	return d
}

// components lists the direct component types of t.
func components(t *Type) []*Type {
	var out []*Type
	if t.Elem != nil {
		out = append(out, t.Elem)
	}
	for _, f := range t.Fields {
		out = append(out, f.Type)
	}
	for _, c := range t.Cases {
		if c.Type != nil && t.Kind != Option {
			out = append(out, c.Type)
		}
	}
	return out
}

func ownerGoName(q string) string {
	// "ns:pkg/iface@1.0.0" → "Iface"
	if rest, ok := strings.CutPrefix(q, "[export]"); ok {
		return "Export" + ownerGoName(rest)
	}
	s := q
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[:i]
	}
	return GoName(s)
}

// shortVersion is the version as the standard32 mangling spells it:
// 1.2.3 → 1, 0.2.3 → 0.2, 0.0.1 stays, pre-releases stay whole.
func shortVersion(v string) string {
	if v == "" || strings.ContainsAny(v, "-") {
		return v
	}
	v, _, _ = strings.Cut(v, "+")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return v
	}
	switch {
	case parts[0] != "0":
		return parts[0]
	case parts[1] != "0":
		return "0." + parts[1]
	}
	return v
}

// ImportModules lists the core module names a guest may import the
// interface's functions from: legacy (versioned, then unversioned) and
// standard32 (versioned, then unversioned).
func (i *Interface) ImportModules() []string {
	if i.Name == "" {
		return []string{"$root", "cm32p2"}
	}
	base := i.Base()
	out := []string{}
	if i.Version != "" {
		out = append(out, base+"@"+i.Version)
	}
	out = append(out, base)
	if i.Version != "" {
		out = append(out, "cm32p2|"+base+"@"+shortVersion(i.Version))
	}
	return append(out, "cm32p2|"+base)
}

// ExportNames lists the accepted core export names of f, legacy first.
func (f *Func) ExportNames() []string {
	i := f.Iface
	if i.Name == "" {
		return []string{f.Name, "cm32p2||" + f.Name}
	}
	base := i.Base()
	var out []string
	if i.Version != "" {
		out = append(out, base+"@"+i.Version+"#"+f.Name)
	}
	out = append(out, base+"#"+f.Name)
	if i.Version != "" {
		out = append(out, "cm32p2|"+base+"@"+shortVersion(i.Version)+"|"+f.Name)
	}
	return append(out, "cm32p2|"+base+"|"+f.Name)
}

// PostReturnNames lists the accepted post-return names, matching ExportNames.
func (f *Func) PostReturnNames() []string {
	var out []string
	for _, n := range f.ExportNames() {
		if strings.HasPrefix(n, "cm32p2|") {
			out = append(out, n+"_post")
		} else {
			out = append(out, "cabi_post_"+n)
		}
	}
	return out
}

// WIT spells the function's qualified name for messages.
// Base is "ns:pkg/iface" without the version, the plain world key of an
// inline interface, "" for world-level functions.
func (i *Interface) Base() string {
	if i.Name == "" || i.Package == "" {
		return i.Name
	}
	return i.Package + "/" + i.Name
}

func (f *Func) QualifiedName() string {
	if f.Iface.Name == "" {
		return f.Name
	}
	return f.Iface.Qualified + "#" + f.Name
}
