package abi

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ErrLink is matched by every error that rejects a module at load time.
var ErrLink = errors.New("module does not match the world")

// LinkError lists every reason a compiled module was rejected.
type LinkError struct{ Problems []string }

func (e *LinkError) Error() string {
	return "abi: " + ErrLink.Error() + ":\n  " + strings.Join(e.Problems, "\n  ")
}
func (e *LinkError) Unwrap() error { return ErrLink }

// CoreFunc describes one core function a world implies: the names it may
// have under each accepted mangling and its core signature.
type CoreFunc struct {
	WIT     string   // "raisfast:plugin-wit/host-api@0.1.0#log", for messages
	Modules []string // imports: accepted module names (legacy, unversioned, standard32)
	Names   []string // imports: the field; exports: accepted export names
	Posts   []string // exports: accepted post-return names
	Params  []api.ValueType
	Results []api.ValueType
}

// Linked is what a module provides of a world's exports.
type Linked struct {
	Exports []string // core name per export function, "" when absent
	Posts   []string // core post-return name per export function, "" when absent
	Memory  string   // exported memory, "" when absent
	Realloc string   // cabi_realloc (or cm32p2_realloc), "" when absent
	Init    string   // _initialize (or cm32p2_initialize), "" when absent
	WASI    bool     // the module imports wasi_snapshot_preview1
}

// LinkOptions says what a module must provide.
type LinkOptions struct {
	// Required lists the indexes of export functions that must be present;
	// nil means all of them.
	Required []int
	// NeedMemory and NeedRealloc are set when the world's functions move
	// values through memory in the directions that need them.
	NeedMemory, NeedRealloc bool
}

// WASIModule is the import module name of WASI preview1.
const WASIModule = "wasi_snapshot_preview1"

// Link checks a compiled module against a world's imports and exports:
// every import must be one the host provides with the same core signature,
// required exports must exist with the right signatures. All problems are
// reported together, naming the function and both signatures.
func Link(cm wazero.CompiledModule, imports, exports []CoreFunc, opts LinkOptions) (*Linked, error) {
	var problems []string
	l := &Linked{Exports: make([]string, len(exports)), Posts: make([]string, len(exports))}

	byModule := map[string]map[string]*CoreFunc{}
	for i := range imports {
		f := &imports[i]
		for _, m := range f.Modules {
			if byModule[m] == nil {
				byModule[m] = map[string]*CoreFunc{}
			}
			for _, n := range f.Names {
				byModule[m][n] = f
			}
		}
	}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		if mod == WASIModule {
			l.WASI = true
			continue
		}
		fields, ok := byModule[mod]
		if !ok {
			problems = append(problems, fmt.Sprintf("import %s#%s: the host provides no module %q", mod, name, mod))
			continue
		}
		want, ok := fields[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("import %s#%s: the host provides no function %q in %s", mod, name, name, mod))
			continue
		}
		if !sameSig(def, want.Params, want.Results) {
			problems = append(problems, fmt.Sprintf("import %s: module has %s, world wants %s",
				want.WIT, SigString(def.ParamTypes(), def.ResultTypes()), SigString(want.Params, want.Results)))
		}
	}
	for _, def := range cm.ImportedMemories() {
		mod, name, _ := def.Import()
		problems = append(problems, fmt.Sprintf("import %s#%s: importing a memory is not supported", mod, name))
	}

	got := cm.ExportedFunctions()
	required := opts.Required
	if required == nil {
		required = make([]int, len(exports))
		for i := range required {
			required[i] = i
		}
	}
	for i := range exports {
		f := &exports[i]
		for _, n := range f.Names {
			if def, ok := got[n]; ok {
				l.Exports[i] = n
				if !sameSig(def, f.Params, f.Results) {
					problems = append(problems, fmt.Sprintf("export %s (%s): module has %s, world wants %s",
						f.WIT, n, SigString(def.ParamTypes(), def.ResultTypes()), SigString(f.Params, f.Results)))
				}
				break
			}
		}
		for _, n := range f.Posts {
			if def, ok := got[n]; ok && l.Exports[i] != "" {
				l.Posts[i] = n
				if !sameSig(def, f.Results, nil) {
					problems = append(problems, fmt.Sprintf("post-return %s: module has %s, world wants %s",
						n, SigString(def.ParamTypes(), def.ResultTypes()), SigString(f.Results, nil)))
				}
				break
			}
		}
	}
	for _, i := range required {
		if l.Exports[i] == "" {
			problems = append(problems, fmt.Sprintf("export %s is missing (looked for %s)", exports[i].WIT, strings.Join(exports[i].Names, ", ")))
		}
	}

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
		problems = append(problems, "export memory is missing: the world passes values through linear memory")
	}
	i32 := api.ValueTypeI32
	for _, n := range []string{"cabi_realloc", "cm32p2_realloc"} {
		if def, ok := got[n]; ok {
			l.Realloc = n
			if !sameSig(def, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}) {
				problems = append(problems, fmt.Sprintf("export %s: module has %s, the canonical ABI wants (i32 i32 i32 i32) -> (i32)",
					n, SigString(def.ParamTypes(), def.ResultTypes())))
			}
			break
		}
	}
	if opts.NeedRealloc && l.Realloc == "" {
		problems = append(problems, "export cabi_realloc is missing: the host must allocate strings or lists in guest memory")
	}
	for _, n := range []string{"_initialize", "cm32p2_initialize"} {
		if def, ok := got[n]; ok {
			l.Init = n
			if len(def.ParamTypes())+len(def.ResultTypes()) != 0 {
				problems = append(problems, fmt.Sprintf("export %s: module has %s, want () -> ()", n, SigString(def.ParamTypes(), def.ResultTypes())))
			}
			break
		}
	}
	if len(problems) > 0 {
		return nil, &LinkError{Problems: problems}
	}
	return l, nil
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
