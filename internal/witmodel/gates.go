package witmodel

import (
	"fmt"
	"slices"
	"strings"

	"go.bytecodealliance.org/wit"
)

// LoadOptions changes how a world is resolved.
type LoadOptions struct {
	// Features enables the items gated by @unstable(feature = F) for each F
	// listed. Items behind a feature that is not enabled are left out of
	// the model, as wasm-tools leaves them out without --features.
	Features []string
	// AllFeatures enables every @unstable item (wasm-tools --all-features).
	AllFeatures bool
}

// Enabled reports whether items gated by @unstable(feature = feature) are
// kept.
func (o LoadOptions) Enabled(feature string) bool {
	return o.AllFeatures || slices.Contains(o.Features, feature)
}

// Gate is what WIT's feature-gate attributes say about an item. The
// generators document it; which items exist at all has been decided when
// the model is built (see LoadOptions).
type Gate struct {
	Since      string // @since(version = X): "0.1.1"; "" if not given
	Deprecated string // @deprecated(version = X): "0.1.2"; "" if not deprecated
	Feature    string // @unstable(feature = F): "F"; "" if stable
}

// IsZero reports whether the item has no gate attributes.
func (g Gate) IsZero() bool { return g == Gate{} }

// Doc spells g as doc-comment paragraphs for generated Go code:
//
//	Since 0.1.1.                                 (@since)
//	Unstable: feature F.                         (@unstable)
//
//	Deprecated: since 0.1.2 (WIT @deprecated).   (@deprecated)
//
// The last follows Go's convention for deprecation notices, so vet-like
// tools and editors flag uses. Doc is "" for an ungated item.
func (g Gate) Doc() string {
	var paras []string
	var first []string
	if g.Since != "" {
		first = append(first, "Since "+g.Since+".")
	}
	if g.Feature != "" {
		first = append(first, "Unstable: feature "+g.Feature+".")
	}
	if len(first) > 0 {
		paras = append(paras, strings.Join(first, "\n"))
	}
	if g.Deprecated != "" {
		paras = append(paras, "Deprecated: since "+g.Deprecated+" (WIT @deprecated).")
	}
	return strings.Join(paras, "\n\n")
}

// WithGateDoc appends g's paragraphs (see Gate.Doc) to the doc text doc,
// separated by a blank line. It returns doc unchanged for an ungated item.
func WithGateDoc(doc string, g Gate) string {
	gd := g.Doc()
	if gd == "" {
		return doc
	}
	if d := strings.TrimSpace(doc); d != "" {
		return d + "\n\n" + gd
	}
	return gd
}

// WithGateDocs returns types with each gated type replaced by a copy whose
// Doc has its gate's paragraphs appended (see WithGateDoc), for emitters
// that declare types from their Doc. Without gated types it returns types.
func WithGateDocs(types []*Type) []*Type {
	out := types
	cloned := false
	for k, t := range types {
		if t.Gate.IsZero() {
			continue
		}
		if !cloned {
			out, cloned = slices.Clone(types), true
		}
		c := *t // a shallow copy: components stay shared, only the doc differs
		c.Doc = WithGateDoc(t.Doc, t.Gate)
		out[k] = &c
	}
	return out
}

// GatedError reports a kept item that uses a type left out because its
// feature is not enabled. The item is named by the error's context
// ("interface …: function f, param p: …").
type GatedError struct {
	Type    string // WIT name of the left-out type
	Owner   string // qualified name of its interface or world
	Feature string // the feature that is not enabled
	// ByInterface: the gate is on the type's interface, not on the type.
	ByInterface bool
}

func (e *GatedError) Error() string {
	what := "type " + e.Type
	if e.Owner != "" {
		what += " of " + e.Owner
	}
	if e.ByInterface {
		return fmt.Sprintf("%s is left out: its interface is @unstable(feature = %s), which is not enabled", what, e.Feature)
	}
	return fmt.Sprintf("%s is left out: it is @unstable(feature = %s), which is not enabled", what, e.Feature)
}

// gateOf reads the stability attributes of an item.
// GateOf reads the @since/@unstable/@deprecated attributes of an item.
func GateOf(s wit.Stability) Gate {
	switch s := s.(type) {
	case *wit.Stable:
		g := Gate{Since: s.Since.String()}
		if s.Deprecated != nil {
			g.Deprecated = s.Deprecated.String()
		}
		return g
	case *wit.Unstable:
		g := Gate{Feature: s.Feature}
		if s.Deprecated != nil {
			g.Deprecated = s.Deprecated.String()
		}
		return g
	}
	return Gate{}
}

// off reports whether an item with gate g is left out.
func (b *builder) off(g Gate) bool { return g.Feature != "" && !b.opts.Enabled(g.Feature) }

// ifaceGate is the gate of an interface as a world imports or exports it:
// the attributes of the import/export item, completed by those of the
// interface's declaration. The interface is left out when either is off.
func (b *builder) ifaceGate(ref *wit.InterfaceRef) (Gate, bool) {
	decl, use := GateOf(ref.Interface.Stability), GateOf(ref.Stability)
	off := b.off(decl) || b.off(use)
	g := use
	if g.Since == "" && g.Feature == "" {
		g.Since, g.Feature = decl.Since, decl.Feature
	}
	if g.Deprecated == "" {
		g.Deprecated = decl.Deprecated
	}
	return g, off
}

// typeOff returns a *GatedError when typedef td is left out: it is gated
// by a feature that is not enabled, or its interface is. Anonymous types
// (list<r>, option<r>) are not checked: wasm-tools gives them the gate of
// where they occur, and what matters is the named types inside them.
func (b *builder) typeOff(td *wit.TypeDef) error {
	if td.TypeName() == "" {
		return nil
	}
	if g := GateOf(td.Stability); b.off(g) {
		return &GatedError{Type: td.TypeName(), Owner: b.ownerName(td.Owner), Feature: g.Feature}
	}
	if i, ok := td.Owner.(*wit.Interface); ok {
		if g := GateOf(i.Stability); b.off(g) {
			return &GatedError{Type: td.TypeName(), Owner: b.ownerName(td.Owner), Feature: g.Feature, ByInterface: true}
		}
	}
	return nil
}
