package manifest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kinds of problem. Every *Error wraps exactly one of them, so callers can
// branch with errors.Is on an *Error, an Errors list or a *DirError.
var (
	// ErrNoManifest: the plugin directory has no manifest.toml.
	ErrNoManifest = errors.New("no manifest.toml")
	// ErrSyntax: the file is not valid TOML.
	ErrSyntax = errors.New("invalid TOML")
	// ErrUnknownKey: a key or table the format does not define.
	ErrUnknownKey = errors.New("unknown key")
	// ErrInvalid: a required key is missing or a value is malformed.
	ErrInvalid = errors.New("invalid value")
	// ErrUnsupportedRuntime: [plugin] runtime is not "wasm" (another kind of
	// plugin, for another loader).
	ErrUnsupportedRuntime = errors.New("unsupported runtime")
	// ErrUnknownHook: [hooks.X] names a hook the contract does not have.
	ErrUnknownHook = errors.New("unknown hook")
	// ErrEntry: the entry file is missing, escapes the plugin directory, or is
	// not a core WebAssembly module.
	ErrEntry = errors.New("bad entry file")
	// ErrDuplicateID: two plugin directories declare the same id.
	ErrDuplicateID = errors.New("duplicate plugin id")
	// ErrTooLarge: the manifest file is over MaxFileBytes (refused before it
	// is read whole). Values and lists inside a manifest over their limits
	// are ErrInvalid.
	ErrTooLarge = errors.New("manifest too large")
)

// Error is one problem in one manifest, located by file and line.
type Error struct {
	File string // path of the manifest.toml
	Line int    // 1-based line, 0 when the problem has no place (e.g. a missing [plugin] table)
	Key  string // key path such as "plugin.version", "hooks.on-post-created.priority" or "cron[1].cron_expr"; "" for the file
	Msg  string // what is wrong, for people
	Err  error  // the kind: one of the Err* values of this package
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the kind of the error.
func (e *Error) Unwrap() error { return e.Err }

// Errors lists every problem found in one manifest, in line order.
type Errors []*Error

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(es))
	for _, e := range es {
		b.WriteString("\n\t")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As look at every problem.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		// Located problems first, by line; unlocated ones (line 0) last.
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return es
}

// DirError is why one plugin directory was not loaded by LoadDir.
type DirError struct {
	Dir string // the plugin directory
	Err error  // an Errors list, an *Error, or an I/O error
}

func (e *DirError) Error() string {
	var one *Error
	var many Errors
	if errors.As(e.Err, &many) || errors.As(e.Err, &one) {
		return e.Err.Error() // already names the file
	}
	return fmt.Sprintf("plugin %s: %v", e.Dir, e.Err)
}

// Unwrap returns the underlying error.
func (e *DirError) Unwrap() error { return e.Err }
