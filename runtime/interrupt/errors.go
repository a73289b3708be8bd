package interrupt

import (
	"errors"
	"fmt"
)

// Kinds of refusal. Every error Instrument returns is an *Error whose Kind is
// one of these, so callers test with errors.Is and find the offset with
// errors.As.
var (
	// ErrMalformed: the input is not a well-formed core module (truncated,
	// a bad LEB128, a section or body whose size disagrees with its
	// contents, sections out of order, an index out of range).
	ErrMalformed = errors.New("malformed module")
	// ErrUnsupported: the input may be well formed but uses something this
	// rewriter does not know (an opcode of a proposal it does not decode,
	// a section id past the tag section, a component instead of a core
	// module).
	ErrUnsupported = errors.New("unsupported module")
	// ErrInstrumented: the module already exports ExportName. Instrument
	// does not trust such a module to be its own output (a plugin could
	// export a global of that name that no code ever reads), so it refuses
	// it; instrument the original bytes instead.
	ErrInstrumented = errors.New("module already exports " + ExportName)
)

// Error is a refusal of Instrument: what was wrong and where.
type Error struct {
	Kind   error  // ErrMalformed, ErrUnsupported or ErrInstrumented
	Offset int    // byte offset in the input module
	Reason string // what was found there
}

func (e *Error) Error() string {
	return fmt.Sprintf("interrupt: %v at offset %d (%#x): %s", e.Kind, e.Offset, e.Offset, e.Reason)
}

// Unwrap returns e.Kind.
func (e *Error) Unwrap() error { return e.Kind }
