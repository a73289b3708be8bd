package abi

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ErrLink is matched by every error that rejects a module at load time.
var ErrLink = errors.New("module does not match the world")

// LinkError lists every reason a compiled module was rejected.
type LinkError struct {
	Problems []string
	Contract Contract // what the module was built for; Take is TakeRefused
}

func (e *LinkError) Error() string {
	return "abi: " + ErrLink.Error() + ":\n  " + strings.Join(e.Problems, "\n  ")
}
func (e *LinkError) Unwrap() error { return ErrLink }

// CoreFunc describes one core function a world implies: which interface
// it belongs to, at which version, and its core signature. The names a
// module may use for it (legacy and standard32 manglings, versioned or not,
// any version on the interface's semver track) are derived from these.
type CoreFunc struct {
	WIT       string // "raisfast:plugin-wit/host-api@0.1.0#log", for messages
	Interface string // "raisfast:plugin-wit/host-api"; "" for world-level functions
	Version   string // the interface's package version, "" when unversioned
	Name      string // "log"
	Params    []api.ValueType
	Results   []api.ValueType
}

// ModuleRef is one import module a linked module needs and the world
// interface (CoreFunc.Interface) whose host functions must be defined
// under that name.
type ModuleRef struct{ Name, Interface string }

// ImportsInterface reports whether the module imports any function of the
// world interface iface ("ns:pkg/name", or "" for world-level functions):
// an instance needs the host's implementation of iface only then.
func (l *Linked) ImportsInterface(iface string) bool {
	for _, m := range l.Modules {
		if m.Interface == iface {
			return true
		}
	}
	return false
}

// Linked is what a module provides of a world's exports.
type Linked struct {
	Exports []string // core name per export function, "" when absent
	Posts   []string // core post-return name per export function, "" when absent
	Memory  string   // exported memory, "" when absent
	Realloc string   // cabi_realloc (or cm32p2_realloc), "" when absent
	Init    string   // _initialize (or cm32p2_initialize), "" when absent
	WASI    bool     // the module imports wasi_snapshot_preview1
	// Modules lists the import modules of the world the module names, in
	// order of first use. A module built for another version on the track
	// names modules the host has not defined yet; the generated Link
	// defines them.
	Modules  []ModuleRef
	Contract Contract // the contract version the module was built for
}

// LinkOptions says what a module must provide.
type LinkOptions struct {
	// Required lists the indexes of export functions that must be present;
	// nil means all of them.
	Required []int
	// NeedMemory and NeedRealloc are set when the world's functions move
	// values through memory in the directions that need them.
	NeedMemory, NeedRealloc bool
	// Package and Version name the world's own package ("raisfast:plugin-wit",
	// "0.1.0"): the contract whose version Contract reports.
	Package, Version string
}

// Take says how a host takes a module built for some contract version.
type Take uint8

const (
	TakeSame        Take = iota // built for the host's version
	TakeCompatible              // built for another version on the host's track
	TakeUnversioned             // the module names no version
	TakeAdapted                 // built for an older major, run through an adapter
	TakeRefused                 // not loadable
)

func (t Take) String() string {
	return [...]string{"same version", "compatible, same track", "unversioned names", "adapted older major", "refused"}[t]
}

// Contract is the contract version a module was built for, as its import
// and export names say, and how a host of version Host takes it.
type Contract struct {
	Package string // the world's package, "raisfast:plugin-wit"
	Built   string // highest version the module names ("0.1" when only standard32 names carry it); "" when none
	Host    string // the host's version
	Take    Take
	Why     string // for TakeRefused and TakeAdapted: the reason
}

func (c Contract) String() string {
	built := c.Built
	if built == "" {
		built = "(unversioned)"
	}
	s := fmt.Sprintf("built for %s@%s, host %s: %s", c.Package, built, c.Host, c.Take)
	if c.Take == TakeCompatible {
		s += " " + Track(c.Host)
	}
	if c.Why != "" {
		s += " (" + c.Why + ")"
	}
	return s
}

// WASIModule is the import module name of WASI preview1.
const WASIModule = "wasi_snapshot_preview1"

// linker is the state of one Link call.
type linker struct {
	cm       wazero.CompiledModule
	opts     LinkOptions
	problems []string
	built    string          // highest version seen among the world's package names
	offTrack map[string]bool // versions of the world's package not on the host's track
	missing  []missingImport // imported functions of the world's package the host lacks
}

type missingImport struct{ module, field, label string }

// Link checks a compiled module against a world's imports and exports.
// Names may carry any version on the world's semver track (see Track):
// a module built for an earlier version lacks newer exports (optional ones
// are simply absent), one built for a later version must import only
// functions the host has. A module naming another track of the world's
// package is refused with both versions. Core signatures must match
// exactly. All problems are reported together, naming the function and
// both signatures; the *LinkError carries the Contract too.
func Link(cm wazero.CompiledModule, imports, exports []CoreFunc, opts LinkOptions) (*Linked, error) {
	lk := &linker{cm: cm, opts: opts, offTrack: map[string]bool{}}
	l := &Linked{Exports: make([]string, len(exports)), Posts: make([]string, len(exports))}
	lk.imports(l, imports)
	lk.exports(l, exports)
	lk.extras(l)

	c := Contract{Package: opts.Package, Built: lk.built, Host: opts.Version}
	switch {
	case len(lk.offTrack) > 0:
		c.Take = TakeRefused
		c.Why = fmt.Sprintf("%s is on track %s, this host's %s on track %s", lk.built, Track(lk.built), opts.Version, Track(opts.Version))
		lk.problems = append([]string{fmt.Sprintf("contract version: the module was built for %s@%s, this host provides %s@%s: different semver tracks (%s and %s)",
			opts.Package, lk.built, opts.Package, opts.Version, Track(lk.built), Track(opts.Version))}, lk.problems...)
	case len(lk.missing) > 0 && lk.built != "" && CompareVersions(lk.built, opts.Version) > 0:
		// A later version on the track: it may use what this host lacks.
		labels := make([]string, len(lk.missing))
		for i, m := range lk.missing {
			labels[i] = m.label
		}
		c.Take = TakeRefused
		c.Why = "imports " + strings.Join(labels, ", ") + ", which this host lacks"
		lk.problems = append([]string{fmt.Sprintf("the module was built for %s@%s, a later version than this host's %s@%s, and imports %d function(s) the host does not provide: %s",
			opts.Package, lk.built, opts.Package, opts.Version, len(labels), strings.Join(labels, ", "))}, lk.problems...)
	case len(lk.missing) > 0:
		c.Take = TakeRefused
		for _, m := range lk.missing {
			lk.problems = append(lk.problems, fmt.Sprintf("import %s#%s: the host provides no function %q in %s", m.module, m.field, m.field, m.module))
		}
		c.Why = lk.problems[0]
	case lk.built == "":
		c.Take = TakeUnversioned
	case lk.built == opts.Version:
		c.Take = TakeSame
	default:
		c.Take = TakeCompatible
	}
	l.Contract = c
	if len(lk.problems) > 0 {
		if c.Take != TakeRefused {
			c.Take = TakeRefused
			c.Why = lk.problems[0]
		}
		return nil, &LinkError{Problems: lk.problems, Contract: c}
	}
	return l, nil
}

func orNone(v string) string {
	if v == "" {
		return "(unversioned)"
	}
	return v
}

// isTrackOnly reports whether v is a standard32 short version ("0.2", "1").
func isTrackOnly(v string) bool { return strings.Count(v, ".") < 2 }

// see records a version of the world's package that the module names and
// reports whether it is on the host's track.
func (lk *linker) see(n coreName) bool {
	if n.version == "" {
		return true
	}
	full := !isTrackOnly(n.version)
	if lk.built == "" || full && (isTrackOnly(lk.built) || CompareVersions(n.version, lk.built) > 0) {
		lk.built = n.version
	}
	if !SameTrack(n.version, lk.opts.Version) {
		lk.offTrack[n.version] = true
		return false
	}
	return true
}

func (lk *linker) imports(l *Linked, imports []CoreFunc) {
	type key struct{ iface, fn string }
	byName := map[key]*CoreFunc{}
	hostIfaces := map[string]string{} // interface → host version
	for i := range imports {
		f := &imports[i]
		byName[key{f.Interface, f.Name}] = f
		hostIfaces[f.Interface] = f.Version
	}
	seenModule := map[string]bool{}
	for _, def := range lk.cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		if mod == WASIModule {
			l.WASI = true
			continue
		}
		n, ok := parseImport(mod, name)
		if !ok {
			lk.problems = append(lk.problems, fmt.Sprintf("import %s#%s: the host provides no module %q", mod, name, mod))
			continue
		}
		own := !n.root && n.pkg == lk.opts.Package // the world's package: versions tell the contract
		hostVersion, known := hostIfaces[n.base()]
		switch {
		case own && !lk.see(n):
			continue // reported once, as the contract version
		case !own && known && !SameTrack(n.version, hostVersion):
			lk.problems = append(lk.problems, fmt.Sprintf("import %s#%s: the module was built for %s@%s, this host provides %s (different semver tracks)",
				mod, name, n.base(), n.version, hostVersion))
			continue
		}
		want, ok := byName[key{n.base(), n.fn}]
		switch {
		case !ok && own: // judged at the end, by the version the module was built for
			lk.missing = append(lk.missing, missingImport{mod, name, n.iface + "#" + n.fn})
			continue
		case !known:
			lk.problems = append(lk.problems, fmt.Sprintf("import %s#%s: the host provides no module %q", mod, name, mod))
			continue
		case !ok:
			lk.problems = append(lk.problems, fmt.Sprintf("import %s#%s: the host provides no function %q in %s", mod, name, name, mod))
			continue
		}
		if !sameSig(def, want.Params, want.Results) {
			lk.problems = append(lk.problems, fmt.Sprintf("import %s: module has %s, world wants %s",
				want.WIT, SigString(def.ParamTypes(), def.ResultTypes()), SigString(want.Params, want.Results)))
			continue
		}
		if !seenModule[mod] {
			seenModule[mod] = true
			l.Modules = append(l.Modules, ModuleRef{Name: mod, Interface: want.Interface})
		}
	}
	for _, def := range lk.cm.ImportedMemories() {
		mod, name, _ := def.Import()
		lk.problems = append(lk.problems, fmt.Sprintf("import %s#%s: importing a memory is not supported", mod, name))
	}
}

// candidate is an export of the module that names a world function.
type candidate struct {
	name string
	n    coreName
}

func (lk *linker) exports(l *Linked, exports []CoreFunc) {
	got := lk.cm.ExportedFunctions()
	type key struct{ iface, fn string }
	byFunc := map[key][]candidate{}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		n, ok := parseExport(name)
		if !ok {
			continue
		}
		if !n.root && n.pkg == lk.opts.Package {
			lk.see(n) // every name of the world's package tells the version, matched or not
		}
		k := key{n.base(), n.fn}
		byFunc[k] = append(byFunc[k], candidate{name, n})
	}
	for i := range exports {
		f := &exports[i]
		cands := byFunc[key{f.Interface, f.Name}]
		slices.SortStableFunc(cands, func(a, b candidate) int { return rank(a, f) - rank(b, f) })
		onTrack := cands[:0:0]
		for _, c := range cands {
			if !c.n.root && c.n.pkg == lk.opts.Package && !SameTrack(c.n.version, lk.opts.Version) {
				continue // reported once, as the contract version
			}
			onTrack = append(onTrack, c)
		}
		for _, c := range onTrack {
			if !SameTrack(c.n.version, f.Version) {
				lk.problems = append(lk.problems, fmt.Sprintf("export %s: the module was built for %s@%s, this host provides %s (different semver tracks)",
					c.name, c.n.base(), c.n.version, f.Version))
				break
			}
			def := got[c.name]
			l.Exports[i] = c.name
			if !sameSig(def, f.Params, f.Results) {
				lk.problems = append(lk.problems, fmt.Sprintf("export %s (%s): module has %s, world wants %s",
					f.WIT, c.name, SigString(def.ParamTypes(), def.ResultTypes()), SigString(f.Params, f.Results)))
			}
			post := "cabi_post_" + c.name
			if c.n.standard32 {
				post = c.name + "_post"
			}
			if def, ok := got[post]; ok {
				l.Posts[i] = post
				if !sameSig(def, f.Results, nil) {
					lk.problems = append(lk.problems, fmt.Sprintf("post-return %s: module has %s, world wants %s",
						post, SigString(def.ParamTypes(), def.ResultTypes()), SigString(f.Results, nil)))
				}
			}
			break
		}
	}
	required := lk.opts.Required
	if required == nil {
		required = make([]int, len(exports))
		for i := range required {
			required[i] = i
		}
	}
	for _, i := range required {
		if l.Exports[i] == "" {
			lk.problems = append(lk.problems, fmt.Sprintf("export %s is missing (looked for %s under any version on track %s)",
				exports[i].WIT, exports[i].Name, orNone(Track(exports[i].Version))))
		}
	}
}

// rank orders the names a module may export a function under: the host's
// exact version first, then other versions on its track, unversioned last;
// legacy before standard32.
func rank(c candidate, f *CoreFunc) int {
	r := 0
	switch {
	case c.n.version == f.Version:
	case c.n.version == "":
		r = 4
	default:
		r = 2
	}
	if c.n.standard32 {
		r++
	}
	return r
}

// extras finds memory, cabi_realloc and _initialize.
func (lk *linker) extras(l *Linked) {
	cm, opts := lk.cm, lk.opts
	got := cm.ExportedFunctions()
	for _, n := range []string{"memory", "cm32p2_memory"} {
		if _, ok := cm.ExportedMemories()[n]; ok {
			l.Memory = n
			break
		}
	}
	if l.Memory == "" && len(cm.ExportedMemories()) == 1 {
		for n := range cm.ExportedMemories() {
			l.Memory = n
		}
	}
	if opts.NeedMemory && l.Memory == "" {
		lk.problems = append(lk.problems, "export memory is missing: the world passes values through linear memory")
	}
	i32 := api.ValueTypeI32
	for _, n := range []string{"cabi_realloc", "cm32p2_realloc"} {
		if def, ok := got[n]; ok {
			l.Realloc = n
			if !sameSig(def, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}) {
				lk.problems = append(lk.problems, fmt.Sprintf("export %s: module has %s, the canonical ABI wants (i32 i32 i32 i32) -> (i32)",
					n, SigString(def.ParamTypes(), def.ResultTypes())))
			}
			break
		}
	}
	if opts.NeedRealloc && l.Realloc == "" {
		lk.problems = append(lk.problems, "export cabi_realloc is missing: the host must allocate strings or lists in guest memory")
	}
	for _, n := range []string{"_initialize", "cm32p2_initialize"} {
		if def, ok := got[n]; ok {
			l.Init = n
			if len(def.ParamTypes())+len(def.ResultTypes()) != 0 {
				lk.problems = append(lk.problems, fmt.Sprintf("export %s: module has %s, want () -> ()", n, SigString(def.ParamTypes(), def.ResultTypes())))
			}
			break
		}
	}
}

func sameSig(def api.FunctionDefinition, params, results []api.ValueType) bool {
	return slices.Equal(def.ParamTypes(), params) && slices.Equal(def.ResultTypes(), results)
}

// SigString spells a core signature as "(i32 i32) -> (i32)".
func SigString(params, results []api.ValueType) string {
	j := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, " ")
	}
	return "(" + j(params) + ") -> (" + j(results) + ")"
}

// CallError is the error of a guest call that trapped, timed out, or
// returned values that could not be lifted. After one, the instance must
// not be used again (the canonical ABI's rule after a trap); errors.Is(err,
// ErrTrap) tells a pool to replace it.
type CallError struct {
	Func string // WIT name of the export
	Err  error
}

// ErrTrap is matched by every CallError.
var ErrTrap = errors.New("guest call failed")

func (e *CallError) Error() string   { return fmt.Sprintf("call %s: %v", e.Func, e.Err) }
func (e *CallError) Unwrap() []error { return []error{ErrTrap, e.Err} }

// ErrNotExported is returned by a call to an export the module lacks.
var ErrNotExported = errors.New("function not exported by the module")
