package witmodel

import (
	"fmt"
	"strings"
)

// MaxTupleFields is the largest tuple the Go mapping has a type for
// (witval.Tuple2 … witval.Tuple16).
const MaxTupleFields = 16

// Unsupported lists what of w the Go generators cannot bind: tuples of more
// than MaxTupleFields elements. It returns nil when there is nothing.
func (w *World) Unsupported() error {
	var bad []string
	for _, t := range w.AnonTypes {
		if t.Kind == Tuple && len(t.Fields) > MaxTupleFields {
			bad = append(bad, fmt.Sprintf("%s: tuples of more than %d elements are not supported", t.WIT, MaxTupleFields))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return nil
}
