// Package witdiff compares two versions of a WIT world, the contract
// between a host and its plugins, and says what each change does to
// plugins built for one version running on a host of the other.
//
// Plugins are core wasm modules linked by name (see abi.Link): a host
// function is a core import, a hook a core export, and what crosses is laid
// out by the canonical ABI. So a change matters when it changes a core name,
// a core signature, or the layout or meaning of a value that crosses; docs,
// type names that no function uses and world names do not. RATIONALE.md
// records each rule and where `wasm-tools component semver-check`, which
// judges components rather than core modules, sees it differently.
package witdiff

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/raisfast/wasmplug/abi"
	"go.bytecodealliance.org/wit"
)

// Options configures Compare.
type Options struct {
	// World names the world to compare on both sides ("plugin-world" or
	// "ns:pkg/plugin-world"); "" picks the only world of each main package.
	World string
	// Features are the @unstable(feature = F) features to compare; items
	// behind other features are left out (and listed as not compared when
	// they changed).
	Features []string
	// AllFeatures compares every @unstable item.
	AllFeatures bool
}

// Class is how a change affects plugins built for OLD on a host of NEW.
type Class uint8

const (
	Compatible  Class = iota // plugins built for OLD keep working on NEW
	Breaking                 // some plugins built for OLD stop loading or working on NEW
	DocOnly                  // documentation only
	NotCompared              // behind an @unstable feature that is not enabled
)

func (c Class) String() string {
	return [...]string{"compatible", "BREAKING", "doc-only", "not compared"}[c]
}

// Change is one difference between OLD and NEW.
type Change struct {
	Op      string // "+" added, "-" removed, "~" changed, "=" doc only, "?" not compared
	Kind    string // func (host function), hook, interface, record, variant, enum, flags, resource, type, package, world
	Subject string // "raisfast:plugin-wit/host-api.db-insert", without version
	What    string // "added host function"
	Class   Class
	Feature string // NotCompared: the feature that leaves it out
	Why     string // the reason for the class
	// The effect on plugins built for OLD running on a host of NEW, and on
	// plugins built for NEW running on a host of OLD.
	OldOnNew, NewOnOld string
}

// String spells the change as one line, the op first, then fields
// separated by " | ":
//
//	"+ func ns:pkg/host-api.f: added host function | compatible | old plugins on new host: ok | new plugins on old host: refused at load if they import it"
//	"? func ns:pkg/host-api.g: added | unstable (feature fancy), not compared"
func (c Change) String() string {
	s := c.Op + " " + c.Kind + " " + c.Subject + ": " + c.What + " | "
	if c.Class == NotCompared {
		return s + "unstable (feature " + c.Feature + "), not compared"
	}
	s += c.Class.String()
	if c.Why != "" {
		s += ": " + c.Why
	}
	return s + " | old plugins on new host: " + c.OldOnNew + " | new plugins on old host: " + c.NewOnOld
}

// Report is the outcome of Compare.
type Report struct {
	OldPackage, NewPackage string // "raisfast:plugin-wit@0.1.0"
	OldWorld, NewWorld     string
	OldVersion, NewVersion string // "" when unversioned
	Changes                []Change
	Notes                  []string // suspicious feature-gate versions, one sentence each
	VersionLine            string   // the version bump's judgement, "version: …"
	VersionWrong           bool     // a breaking change on the same track
}

// Breaking counts the breaking changes.
func (r *Report) Breaking() int {
	n := 0
	for _, c := range r.Changes {
		if c.Class == Breaking {
			n++
		}
	}
	return n
}

// OK reports whether plugins built for OLD keep working on NEW and the
// version bump fits: the exit status 0 of `witgen diff`.
func (r *Report) OK() bool { return r.Breaking() == 0 && !r.VersionWrong }

// built names the plugins of a side for the verdict: "0.1.0", or the
// side's name when its package is unversioned.
func built(label, v string) string {
	if v == "" {
		return label
	}
	return v
}

// Verdict is the last line.
func (r *Report) Verdict() string {
	oldB, newB := built("OLD", r.OldVersion), built("NEW", r.NewVersion)
	if n := r.Breaking(); n > 0 {
		s := fmt.Sprintf("verdict: BREAKING for plugins built for %s (%d breaking %s", oldB, n, plural(n, "change", "changes"))
		if r.VersionWrong {
			s += "; the version bump is wrong too"
		}
		return s + ")"
	}
	if r.OldVersion != "" && r.NewVersion != "" && abi.Track(r.OldVersion) != abi.Track(r.NewVersion) {
		return fmt.Sprintf("verdict: compatible contract on a new track (plugins built for %s load on a host of %s only if it keeps track %s)",
			oldB, newB, abi.Track(r.OldVersion))
	}
	if len(r.Changes) == 0 {
		return fmt.Sprintf("verdict: compatible, no changes (plugins built for %s load on a host of %s)", oldB, newB)
	}
	return fmt.Sprintf("verdict: compatible (plugins built for %s load on a host of %s)", oldB, newB)
}

// WriteTo writes the report: a header, one line per change (or "no
// changes"), notes, the version line and the verdict.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "comparing OLD %s world %s with NEW %s world %s\n", r.OldPackage, r.OldWorld, r.NewPackage, r.NewWorld)
	if len(r.Changes) == 0 {
		b.WriteString("no changes\n")
	}
	for _, c := range r.Changes {
		b.WriteString(c.String() + "\n")
	}
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	b.WriteString(r.VersionLine + "\n")
	b.WriteString(r.Verdict() + "\n")
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// Compare compares the world of old with the world of new. It fails only
// when a world cannot be chosen.
func Compare(old, new *wit.Resolve, opts Options) (*Report, error) {
	enabled := func(f string) bool { return opts.AllFeatures || slices.Contains(opts.Features, f) }
	o, err := newSide("OLD", old, opts.World, enabled)
	if err != nil {
		return nil, err
	}
	n, err := newSide("NEW", new, opts.World, enabled)
	if err != nil {
		return nil, err
	}
	c := &comparer{old: o, new: n}
	c.compare()
	r := &Report{
		OldPackage: o.pkg.Name.String(), NewPackage: n.pkg.Name.String(),
		OldWorld: o.world.Name, NewWorld: n.world.Name,
		OldVersion: o.version, NewVersion: n.version,
		Changes: c.changes, Notes: c.notes,
	}
	changed := slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Class == Compatible || c.Class == Breaking })
	r.VersionLine, r.VersionWrong = versionCheck(o.version, n.version, r.Breaking() > 0, changed)
	return r, nil
}

// comparer collects the changes between two sides.
type comparer struct {
	old, new *side
	changes  []Change
	notes    []string
	// vers are the package versions (OLD, NEW) of the unit being compared,
	// which its items' @since and @deprecated are checked against.
	vers [2]string
}

func (c *comparer) add(ch Change) { c.changes = append(c.changes, ch) }

func (c *comparer) note(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

// dry returns a comparer that records into its own lists, to find out
// whether items left out by a feature changed at all.
func (c *comparer) dry() *comparer { return &comparer{old: c.old, new: c.new, vers: c.vers} }

// pair is the feature-gate logic shared by interfaces, types and
// functions: an item that a feature leaves out on one side counts as
// absent there; one left out on both sides (or on one, absent on the
// other) is only listed, as not compared, if it changed.
func (c *comparer) pair(kind, subject string, hasOld, hasNew bool, oldOff, newOff string,
	added func(wasOff string), removed func(nowOff string), changed func(*comparer)) {
	nc := func(what, feature string) {
		c.add(Change{Op: "?", Kind: kind, Subject: subject, What: what, Class: NotCompared, Feature: feature})
	}
	switch {
	case !hasOld && !hasNew:
	case !hasOld:
		if newOff != "" {
			nc("added", newOff)
		} else {
			added("")
		}
	case !hasNew:
		if oldOff != "" {
			nc("removed", oldOff)
		} else {
			removed("")
		}
	case oldOff != "" && newOff != "":
		d := c.dry()
		changed(d)
		if len(d.changes) > 0 {
			nc("changed", newOff)
		}
	case oldOff != "":
		added(oldOff)
	case newOff != "":
		removed(newOff)
	default:
		changed(c)
	}
}

func (c *comparer) compare() {
	o, n := c.old, c.new
	if a, b := pkgID(o.pkg), pkgID(n.pkg); a != b {
		o.pkgRename[a] = b
		c.add(packageRenamed(a, b))
	}
	c.docs("package", pkgID(n.pkg), "", o.pkg.Docs.Contents, n.pkg.Docs.Contents)
	if o.world.Name != n.world.Name {
		c.add(worldRenamed(pkgID(n.pkg)+"/"+n.world.Name, o.world.Name))
	}
	c.docs("world", pkgID(n.pkg)+"/"+n.world.Name, "", o.world.Docs.Contents, n.world.Docs.Contents)
	c.depVersions()

	renamed := c.pairRenamed()
	o.index()
	n.index()
	newByKey := map[string]*unit{}
	for _, u := range n.units {
		newByKey[n.unitKey(u)] = u
	}
	matched := map[*unit]bool{}
	for _, ou := range o.units {
		nu := newByKey[o.unitKey(ou)]
		matched[nu] = true
		c.unit(ou, nu, renamed[ou])
	}
	for _, nu := range n.units {
		if !matched[nu] {
			c.unit(nil, nu, "")
		}
	}
}

// pairRenamed finds interfaces renamed between OLD and NEW: one only OLD
// has and one only NEW has, in the same direction, with the same function
// names. It makes the OLD name an alias of the NEW one and returns the
// OLD name of each renamed unit.
func (c *comparer) pairRenamed() map[*unit]string {
	o, n := c.old, c.new
	keys := func(s *side) map[string]*unit {
		m := map[string]*unit{}
		for _, u := range s.units {
			m[s.unitKey(u)] = u
		}
		return m
	}
	ok, nk := keys(o), keys(n)
	fnames := func(u *unit) string {
		var names []string
		for _, f := range u.funcs {
			names = append(names, f.Name)
		}
		slices.Sort(names)
		return strings.Join(names, ",")
	}
	out := map[*unit]string{}
	taken := map[*unit]bool{}
	for _, ou := range o.units {
		if ou.iface == nil || ou.iface.Name == nil || nk[o.unitKey(ou)] != nil || len(ou.funcs) == 0 {
			continue
		}
		for _, nu := range n.units {
			if nu.iface == nil || nu.iface.Name == nil || nu.export != ou.export || taken[nu] || ok[n.unitKey(nu)] != nil {
				continue
			}
			if fnames(ou) == fnames(nu) {
				old := o.unitName(ou)
				o.ifaceRename[old] = n.unitName(nu)
				out[ou] = old
				taken[nu] = true
				break
			}
		}
	}
	return out
}

// depVersions reports version changes of the other packages whose
// interfaces the world uses: core names carry their versions too.
func (c *comparer) depVersions() {
	versions := func(s *side) (map[string]string, []string) {
		m := map[string]string{}
		var order []string
		for _, u := range s.units {
			if u.iface == nil || u.iface.Package == nil || u.iface.Package == s.pkg {
				continue
			}
			id := pkgID(u.iface.Package)
			if _, ok := m[id]; !ok {
				order = append(order, id)
			}
			m[id] = ""
			if v := u.iface.Package.Name.Version; v != nil {
				m[id] = v.String()
			}
		}
		return m, order
	}
	ov, _ := versions(c.old)
	nv, order := versions(c.new)
	for _, id := range order {
		a, ok := ov[id]
		if b := nv[id]; ok && a != b {
			c.add(dependencyVersion(id, a, b))
		}
	}
}

// docs adds a doc-only change when two doc comments differ.
func (c *comparer) docs(kind, subject, part, old, new string) {
	old, new = strings.TrimSpace(old), strings.TrimSpace(new)
	if old == new {
		return
	}
	what := "doc comment changed"
	switch {
	case old == "":
		what = "doc comment added"
	case new == "":
		what = "doc comment removed"
	}
	if part != "" {
		what = part + ": " + what
	}
	c.add(Change{Op: "=", Kind: kind, Subject: subject, What: what, Class: DocOnly, OldOnNew: "ok", NewOnOld: "ok"})
}

// merged is the effective gate of an item given its gates outermost first.
func merged(gates ...gate) gate {
	var g gate
	for _, x := range gates {
		g.Since = cmpOr(g.Since, x.Since)
		g.Deprecated = cmpOr(g.Deprecated, x.Deprecated)
		g.Feature = cmpOr(g.Feature, x.Feature)
	}
	return g
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// gates reports the feature-gate changes of an item both sides keep, and
// notes suspicious versions on the NEW side.
func (c *comparer) gates(kind, subject string, og, ng gate) {
	switch {
	case og.Deprecated == "" && ng.Deprecated != "":
		c.add(Change{Op: "~", Kind: kind, Subject: subject, What: "deprecated since " + ng.Deprecated,
			Class: Compatible, Why: "deprecation is advice: the item still exists", OldOnNew: "ok", NewOnOld: "ok"})
	case og.Deprecated != "" && ng.Deprecated == "":
		c.add(Change{Op: "~", Kind: kind, Subject: subject, What: "no longer deprecated (was since " + og.Deprecated + ")",
			Class: Compatible, OldOnNew: "ok", NewOnOld: "ok"})
	case og.Deprecated != ng.Deprecated:
		c.add(Change{Op: "~", Kind: kind, Subject: subject, What: "deprecated since " + ng.Deprecated + " (was " + og.Deprecated + ")",
			Class: Compatible, OldOnNew: "ok", NewOnOld: "ok"})
	}
	switch {
	case og.Feature != "" && ng.Feature == "":
		c.add(Change{Op: "~", Kind: kind, Subject: subject, What: "stabilized (was @unstable(feature = " + og.Feature + "))",
			Class: Compatible, Why: "hosts built without the feature now have it too", OldOnNew: "ok", NewOnOld: "ok"})
	case ng.Feature != "" && og.Feature != ng.Feature:
		c.note("%s %s: now @unstable(feature = %s): hosts and plugins built without that feature no longer have it", kind, subject, ng.Feature)
	}
	if og.Since != "" && ng.Since != "" && og.Since != ng.Since {
		c.note("%s %s: @since changed from %s to %s; an item keeps the version it first appeared in", kind, subject, og.Since, ng.Since)
	} else if og.Since == "" && ng.Since != "" && c.vers[0] != "" && abi.CompareVersions(ng.Since, c.vers[0]) > 0 {
		c.note("%s %s: @since(version = %s) but OLD %s already has it", kind, subject, ng.Since, c.vers[0])
	}
	c.sane(kind, subject, ng)
}

// sane notes gate versions newer than the NEW package version (wasm-tools
// rejects such an @since when it parses; a Resolve from elsewhere may
// have one).
func (c *comparer) sane(kind, subject string, g gate) {
	v := c.vers[1]
	if v == "" {
		return
	}
	if g.Since != "" && abi.CompareVersions(g.Since, v) > 0 {
		c.note("%s %s: @since(version = %s) is newer than the package version %s", kind, subject, g.Since, v)
	}
	if g.Deprecated != "" && abi.CompareVersions(g.Deprecated, v) > 0 {
		c.note("%s %s: @deprecated(version = %s) is newer than the package version %s", kind, subject, g.Deprecated, v)
	}
}

// sinceAdded notes an added item whose @since says OLD already had it.
func (c *comparer) sinceAdded(kind, subject string, g gate) {
	if g.Since != "" && c.vers[0] != "" && abi.CompareVersions(g.Since, c.vers[0]) <= 0 {
		c.note("%s %s: added, but @since(version = %s) says OLD %s already had it", kind, subject, g.Since, c.vers[0])
	}
	c.sane(kind, subject, g)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// list spells names for a sentence, the first few of them.
func list(names []string) string {
	const most = 6
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	return strings.Join(names, ", ")
}
