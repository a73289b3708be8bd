package witdiff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/internal/witmodel"
	"go.bytecodealliance.org/wit"
)

// This file holds the rules: how each kind of change is classified and
// what it does in each direction. RATIONALE.md explains them.

const ok = "ok"

func packageRenamed(old, new string) Change {
	return Change{Op: "~", Kind: "package", Subject: new, What: "renamed from " + old, Class: Breaking,
		Why:      "every core import and export name carries the package name (" + old + "/<interface>@<version>)",
		OldOnNew: "refused at load (their imports name " + old + ") or not called (their exports name " + old + ")",
		NewOnOld: "refused at load (their imports name " + new + ") or not called (their exports name " + new + ")"}
}

func worldRenamed(subject, old string) Change {
	return Change{Op: "~", Kind: "world", Subject: subject, What: "renamed from " + old, Class: Compatible,
		Why: "no core import or export name carries the world's name", OldOnNew: ok, NewOnOld: ok}
}

func dependencyVersion(pkg, old, new string) Change {
	ch := Change{Op: "~", Kind: "package", Subject: pkg, What: fmt.Sprintf("dependency version %s → %s", cmpOr(old, "(none)"), cmpOr(new, "(none)"))}
	if old != "" && new != "" && abi.Track(old) == abi.Track(new) {
		ch.Class, ch.OldOnNew, ch.NewOnOld = Compatible, ok, ok
		ch.Why = "core names carry the version, and both are on track " + abi.Track(old) + ", which hosts match"
		return ch
	}
	ch.Class = Breaking
	ch.Why = "core names carry the version, and the versions are on different tracks"
	ch.OldOnNew = "refused at load if they import from " + pkg
	ch.NewOnOld = ch.OldOnNew
	return ch
}

// keptFuncs lists the names of a unit's functions that its side keeps.
func (s *side) keptFuncs(u *unit) []string {
	var names []string
	for _, f := range u.funcs {
		if s.off(witmodel.GateOf(f.Stability)) == "" {
			names = append(names, f.Name)
		}
	}
	return names
}

func direction(export bool) string {
	if export {
		return "exported"
	}
	return "imported"
}

func offSuffix(side, feature string) string {
	if feature == "" {
		return ""
	}
	return fmt.Sprintf(" (%s has it behind @unstable(feature = %s), which is not enabled)", side, feature)
}

// unit compares an interface (or the world-level items of a direction) of
// both sides; either may be nil.
func (c *comparer) unit(ou, nu *unit, renamedFrom string) {
	o, n := c.old, c.new
	if nu != nil {
		id := n.pkgName(n.unitPkg(nu))
		c.vers = [2]string{o.versionOf(id), n.versionOf(id)}
	} else {
		id := o.pkgName(o.unitPkg(ou))
		c.vers = [2]string{o.versionOf(id), n.versionOf(id)}
	}
	if ou != nil && ou.iface == nil || nu != nil && nu.iface == nil {
		// World-level functions and types are items of the world itself.
		if ou == nil {
			ou = &unit{export: nu.export}
		}
		if nu == nil {
			nu = &unit{export: ou.export}
		}
		c.items(ou, nu)
		return
	}
	var subject, oOff, nOff string
	if ou != nil {
		subject, oOff = o.unitName(ou), o.off(ou.gates...)
	}
	if nu != nil {
		subject, nOff = n.unitName(nu), n.off(nu.gates...)
	}
	c.pair("interface", subject, ou != nil, nu != nil, oOff, nOff,
		func(wasOff string) { c.unitAdded(nu, wasOff) },
		func(nowOff string) { c.unitRemoved(ou, nowOff) },
		func(d *comparer) { d.unitChanged(ou, nu, renamedFrom) })
}

func (c *comparer) unitAdded(nu *unit, wasOff string) {
	n := c.new
	name, fs := n.unitName(nu), n.keptFuncs(nu)
	ch := Change{Op: "+", Kind: "interface", Subject: name, What: "added " + direction(nu.export) + " interface", Class: Compatible}
	switch {
	case len(fs) > 0 && nu.export:
		ch.What += " (hooks " + list(fs) + ")"
	case len(fs) > 0:
		ch.What += " (functions " + list(fs) + ")"
	default:
		ch.What += " (types only)"
	}
	ch.What += offSuffix("OLD", wasOff)
	switch {
	case nu.export:
		ch.OldOnNew = "ok (they do not export it, so it is not called for them)"
		ch.NewOnOld = "ok (the old host ignores the extra exports)"
	case len(fs) > 0:
		ch.OldOnNew = ok
		ch.NewOnOld = "refused at load if they import any of its functions"
	default:
		ch.OldOnNew, ch.NewOnOld = ok, ok
	}
	c.add(ch)
	c.sinceAdded("interface", name, merged(nu.gates...))
}

func (c *comparer) unitRemoved(ou *unit, nowOff string) {
	o := c.old
	name, fs := o.unitName(ou), o.keptFuncs(ou)
	ch := Change{Op: "-", Kind: "interface", Subject: name, What: "removed " + direction(ou.export) + " interface"}
	switch {
	case len(fs) == 0:
		ch.What += " (types only)"
		ch.Class, ch.OldOnNew, ch.NewOnOld = Compatible, ok, ok
		ch.Why = "it has no functions, so no core name refers to it; functions that used its types are listed on their own"
	case ou.export:
		ch.What += " (hooks " + list(fs) + ")"
		ch.Class = Breaking
		ch.Why = "the new host never calls its hooks: the behaviour of plugins that export them silently stops"
		ch.OldOnNew = "load, but their exports of it are ignored: those hooks no longer run"
		ch.NewOnOld = "ok (they do not export it)"
	default:
		ch.What += " (functions " + list(fs) + ")"
		ch.Class = Breaking
		ch.Why = "plugins built for OLD that import its functions are refused at load"
		ch.OldOnNew = "refused at load if they import any of its functions"
		ch.NewOnOld = ok
	}
	ch.What += offSuffix("NEW", nowOff)
	c.add(ch)
}

func (c *comparer) unitChanged(ou, nu *unit, renamedFrom string) {
	name := c.new.unitName(nu)
	if renamedFrom != "" {
		ch := Change{Op: "~", Kind: "interface", Subject: name, What: "renamed from " + renamedFrom, Class: Breaking,
			Why: "core names carry the interface name (" + renamedFrom + "@… → " + name + "@…)"}
		if nu.export {
			ch.OldOnNew = "load, but their exports under the old name are not called: those hooks no longer run"
			ch.NewOnOld = "load, but their exports under the new name are not called"
		} else {
			ch.OldOnNew = "refused at load if they import any of its functions"
			ch.NewOnOld = ch.OldOnNew
		}
		c.add(ch)
	}
	c.gates("interface", name, merged(ou.gates...), merged(nu.gates...))
	c.docs("interface", name, "", ou.docs, nu.docs)
	c.items(ou, nu)
}

// items compares the types and then the functions of two units.
func (c *comparer) items(ou, nu *unit) {
	typeNamed := func(ts []*wit.TypeDef, name string) *wit.TypeDef {
		i := slices.IndexFunc(ts, func(t *wit.TypeDef) bool { return t.TypeName() == name })
		if i < 0 {
			return nil
		}
		return ts[i]
	}
	for _, ot := range ou.types {
		c.typePair(ou, nu, ot, typeNamed(nu.types, ot.TypeName()))
	}
	for _, nt := range nu.types {
		if typeNamed(ou.types, nt.TypeName()) == nil {
			c.typePair(ou, nu, nil, nt)
		}
	}
	funcNamed := func(fs []*wit.Function, name string) *wit.Function {
		i := slices.IndexFunc(fs, func(f *wit.Function) bool { return f.Name == name })
		if i < 0 {
			return nil
		}
		return fs[i]
	}
	for _, of := range ou.funcs {
		c.funcPair(ou, nu, of, funcNamed(nu.funcs, of.Name))
	}
	for _, nf := range nu.funcs {
		if funcNamed(ou.funcs, nf.Name) == nil {
			c.funcPair(ou, nu, nil, nf)
		}
	}
}

// --- functions ---

func funcKind(export bool) string {
	if export {
		return "hook"
	}
	return "func"
}

func (c *comparer) funcPair(ou, nu *unit, of, nf *wit.Function) {
	o, n := c.old, c.new
	export := nu.export
	var subject, oOff, nOff string
	if of != nil {
		subject, oOff = o.unitName(ou)+"."+of.Name, o.off(witmodel.GateOf(of.Stability))
	}
	if nf != nil {
		subject, nOff = n.unitName(nu)+"."+nf.Name, n.off(witmodel.GateOf(nf.Stability))
	}
	kind := funcKind(export)
	c.pair(kind, subject, of != nil, nf != nil, oOff, nOff,
		func(wasOff string) {
			c.add(funcAdded(kind, subject, export, wasOff))
			c.sinceAdded(kind, subject, witmodel.GateOf(nf.Stability))
		},
		func(nowOff string) { c.add(funcRemoved(kind, subject, export, nowOff)) },
		func(d *comparer) { d.funcChanged(kind, subject, export, of, nf) })
}

func funcAdded(kind, subject string, export bool, wasOff string) Change {
	ch := Change{Op: "+", Kind: kind, Subject: subject, Class: Compatible}
	if export {
		ch.What = "added hook"
		ch.OldOnNew = "ok (they do not export it, so it is not called for them)"
		ch.NewOnOld = "ok (the old host ignores the extra export)"
	} else {
		ch.What = "added host function"
		ch.OldOnNew = ok
		ch.NewOnOld = "refused at load if they import it"
	}
	ch.What += offSuffix("OLD", wasOff)
	return ch
}

func funcRemoved(kind, subject string, export bool, nowOff string) Change {
	ch := Change{Op: "-", Kind: kind, Subject: subject, Class: Breaking}
	if export {
		ch.What = "removed hook"
		ch.Why = "the new host never calls it: the behaviour of plugins that export it silently stops"
		ch.OldOnNew = "load, but their export is ignored: the hook no longer runs"
		ch.NewOnOld = "ok (they do not export it)"
	} else {
		ch.What = "removed host function"
		ch.Why = "plugins built for OLD that import it are refused at load"
		ch.OldOnNew = "refused at load if they import it"
		ch.NewOnOld = ok
	}
	ch.What += offSuffix("NEW", nowOff)
	return ch
}

func (c *comparer) funcChanged(kind, subject string, export bool, of, nf *wit.Function) {
	o, n := c.old, c.new
	c.gates(kind, subject, witmodel.GateOf(of.Stability), witmodel.GateOf(nf.Stability))
	c.docs(kind, subject, "", of.Docs.Contents, nf.Docs.Contents)
	op, np := o.params(of.Params, false, true), n.params(nf.Params, false, true)
	or, nr := o.results(of.Results, false, true), n.results(nf.Results, false, true)
	if op == np && or == nr {
		return
	}
	var what []string
	if op != np {
		what = append(what, "params "+o.params(of.Params, true, true)+" → "+n.params(nf.Params, true, true))
	}
	if or != nr {
		what = append(what, "results "+o.results(of.Results, true, true)+" → "+n.results(nf.Results, true, true))
	}
	renameOnly := o.params(of.Params, false, false) == n.params(nf.Params, false, false) &&
		o.results(of.Results, false, false) == n.results(nf.Results, false, false)
	os, ns := coreSig(of, export), coreSig(nf, export)
	ch := Change{Op: "~", Kind: kind, Subject: subject, What: strings.Join(what, "; "), Class: Breaking}
	use := "import"
	if export {
		use = "export"
	}
	switch {
	case renameOnly:
		ch.Why = "names are part of the WIT function type (component-model hosts and bindings see another function); the core signature stays " + os
		ch.OldOnNew = "load; the same values cross (same core signature and layout), under other names"
		ch.NewOnOld = ch.OldOnNew
	case os != ns:
		ch.Why = "its core signature changes from " + os + " to " + ns
		ch.OldOnNew = "refused at load if they " + use + " it"
		ch.NewOnOld = ch.OldOnNew
	default:
		ch.Why = "its core signature stays " + os + ", but the values that cross are different"
		ch.OldOnNew = "load, but misread its values if they " + use + " it"
		ch.NewOnOld = ch.OldOnNew
	}
	c.add(ch)
}

// --- types ---

// isUse reports whether td is a `use` of another interface's (or world's)
// type: bookkeeping that is compared through the type it names.
func isUse(td *wit.TypeDef) bool {
	target, ok := td.Kind.(*wit.TypeDef)
	return ok && target.Name != nil && target.Owner != td.Owner
}

func (c *comparer) typePair(ou, nu *unit, ot, nt *wit.TypeDef) {
	o, n := c.old, c.new
	if ot == nil && isUse(nt) || nt == nil && isUse(ot) {
		return // a `use` added or removed: what matters is who uses the type
	}
	var subject, kind, oOff, nOff string
	if ot != nil {
		subject, kind, oOff = o.unitName(ou)+"."+ot.TypeName(), kindWord(ot), o.off(witmodel.GateOf(ot.Stability))
	}
	if nt != nil {
		subject, kind, nOff = n.unitName(nu)+"."+nt.TypeName(), kindWord(nt), n.off(witmodel.GateOf(nt.Stability))
	}
	c.pair(kind, subject, ot != nil, nt != nil, oOff, nOff,
		func(wasOff string) {
			c.add(Change{Op: "+", Kind: kind, Subject: subject, What: "added type" + offSuffix("OLD", wasOff),
				Class: Compatible, OldOnNew: ok, NewOnOld: ok})
			c.sinceAdded(kind, subject, witmodel.GateOf(nt.Stability))
		},
		func(nowOff string) {
			c.typeChange(kind, subject, "removed type"+offSuffix("NEW", nowOff), "", o.typeID(ot), false, "-")
		},
		func(d *comparer) { d.typeChanged(kind, subject, ot, nt) })
}

// usage is who passes a changed type: every function that reaches it on
// either side, and of those on both sides, whose core signature changes.
type usage struct {
	all, sig, same []string
}

func (c *comparer) usage(id string) usage {
	var u usage
	seen := map[string]bool{}
	for _, k := range slices.Concat(c.old.users[id], c.new.users[id]) {
		if seen[k] {
			continue
		}
		seen[k] = true
		of, nf := c.old.funcs[k], c.new.funcs[k]
		f := nf
		if f == nil || !f.kept {
			f = of
		}
		u.all = append(u.all, f.display)
		if of == nil || nf == nil || !of.kept || !nf.kept {
			continue
		}
		if coreSig(of.f, of.export) != coreSig(nf.f, nf.export) {
			u.sig = append(u.sig, f.display)
		} else {
			u.same = append(u.same, f.display)
		}
	}
	return u
}

// typeChange adds one change of a named type. effect says what the change
// does to the type's values; renameOnly marks changes of names alone.
func (c *comparer) typeChange(kind, subject, what, effect, id string, renameOnly bool, op string) {
	u := c.usage(id)
	name := subject[strings.LastIndexByte(subject, '.')+1:]
	ch := Change{Op: op, Kind: kind, Subject: subject, What: what}
	var why []string
	if effect != "" {
		why = append(why, effect)
	}
	if len(u.all) == 0 {
		ch.Class, ch.OldOnNew, ch.NewOnOld = Compatible, ok, ok
		ch.Why = strings.Join(append(why, "no function uses "+name+", so no core signature or value that crosses changes"), "; ")
		c.add(ch)
		return
	}
	ch.Class = Breaking
	switch {
	case renameOnly || len(u.sig)+len(u.same) == 0:
		why = append(why, "used by "+list(u.all))
	case len(u.same) == 0:
		why = append(why, "so every function that passes it changes its core signature ("+list(u.sig)+")")
	case len(u.sig) == 0:
		why = append(why, "the functions that pass it keep their core signature ("+list(u.same)+"): plugins load, and the difference shows in the values")
	default:
		why = append(why, list(u.sig)+plural(len(u.sig), " changes its", " change their")+" core signature; "+
			list(u.same)+plural(len(u.same), " keeps", " keep")+" it (the difference shows in the values)")
	}
	ch.Why = strings.Join(why, "; ")
	var effects []string
	if len(u.sig) > 0 {
		effects = append(effects, "refused at load if they use "+list(u.sig))
	}
	if len(u.same) > 0 {
		if renameOnly {
			effects = append(effects, "load; "+list(u.same)+" pass the same values (only names differ)")
		} else {
			effects = append(effects, "load, but misread "+name+" values in "+list(u.same))
		}
	}
	if len(effects) == 0 {
		effects = append(effects, "through "+list(u.all)+" (see their lines)")
	}
	ch.OldOnNew = strings.Join(effects, "; ")
	ch.NewOnOld = ch.OldOnNew
	c.add(ch)
}

// member is a record field, a variant or enum case, or a flag.
type member struct {
	name string
	typ  string // the spelled type of a field or case payload ("" for none)
	show string // typ for display ("none" for none)
	docs string
}

func (s *side) members(td *wit.TypeDef) (word string, ms []member) {
	switch k := td.Kind.(type) {
	case *wit.Record:
		for _, f := range k.Fields {
			ms = append(ms, member{f.Name, s.spell(f.Type, false), s.spell(f.Type, true), f.Docs.Contents})
		}
		return "field", ms
	case *wit.Variant:
		for _, x := range k.Cases {
			t, show := "", "none"
			if x.Type != nil {
				t, show = s.spell(x.Type, false), s.spell(x.Type, true)
			}
			ms = append(ms, member{x.Name, t, show, x.Docs.Contents})
		}
		return "case", ms
	case *wit.Enum:
		for _, x := range k.Cases {
			ms = append(ms, member{x.Name, "", "none", x.Docs.Contents})
		}
		return "case", ms
	case *wit.Flags:
		for _, x := range k.Flags {
			ms = append(ms, member{x.Name, "", "none", x.Docs.Contents})
		}
		return "flag", ms
	}
	return "", nil
}

func (c *comparer) typeChanged(kind, subject string, ot, nt *wit.TypeDef) {
	o, n := c.old, c.new
	c.gates(kind, subject, witmodel.GateOf(ot.Stability), witmodel.GateOf(nt.Stability))
	c.docs(kind, subject, "", ot.Docs.Contents, nt.Docs.Contents)
	id := n.typeID(nt)
	name := nt.TypeName()
	var lay string
	if ol, nl := layout(ot), layout(nt); ol != nl {
		lay = "the canonical ABI layout of " + name + " changes (" + ol + " → " + nl + ")"
	}
	withLayout := func(effect string) string {
		switch {
		case lay == "":
			return effect
		case effect == "":
			return lay
		}
		return effect + "; " + lay
	}
	oword, oms := o.members(ot)
	nword, nms := n.members(nt)
	if kindWord(ot) != kindWord(nt) || oword == "" {
		if od, nd := o.spellKind(ot.Kind, false), n.spellKind(nt.Kind, false); od != nd {
			c.typeChange(kind, subject, "definition "+o.spellKind(ot.Kind, true)+" → "+n.spellKind(nt.Kind, true),
				withLayout(""), id, false, "~")
		}
		return
	}
	// Members only one side has, a rename being one of each at one place.
	oIdx, nIdx := map[string]int{}, map[string]int{}
	for i, m := range oms {
		oIdx[m.name] = i
	}
	for i, m := range nms {
		nIdx[m.name] = i
	}
	var gone, come []int
	for i, m := range oms {
		if _, ok := nIdx[m.name]; !ok {
			gone = append(gone, i)
		}
	}
	for i, m := range nms {
		if _, ok := oIdx[m.name]; !ok {
			come = append(come, i)
		}
	}
	if len(gone) == 1 && len(come) == 1 && gone[0] == come[0] && oms[gone[0]].typ == nms[come[0]].typ {
		om, nm := oms[gone[0]], nms[come[0]]
		c.typeChange(kind, subject, oword+" "+om.name+" renamed to "+nm.name,
			withLayout("only the name changes, the value stays where it was"), id, lay == "", "~")
		c.docs(kind, subject, oword+" "+nm.name, om.docs, nm.docs)
		gone, come = nil, nil
	}
	// later reports whether members both sides have follow position i.
	later := func(ms []member, other map[string]int, i int) bool {
		for _, m := range ms[i+1:] {
			if _, ok := other[m.name]; ok {
				return true
			}
		}
		return false
	}
	for _, i := range gone {
		m := oms[i]
		effect := ""
		switch oword {
		case "case":
			effect = "plugins built for OLD may still send or expect case " + m.name
		case "flag":
			effect = "the bit of flag " + m.name + " is gone"
		}
		if oword != "field" && later(oms, nIdx, i) {
			effect += "; the " + oword + "s after it move to other " + positions(oword)
		}
		c.typeChange(kind, subject, oword+" "+m.name+" removed", withLayout(effect), id, false, "~")
	}
	for _, i := range come {
		m := nms[i]
		effect := ""
		switch nword {
		case "case":
			effect = "plugins built for OLD cannot take case " + m.name + " (lifting an unknown case traps)"
		case "flag":
			effect = "plugins built for OLD do not know flag " + m.name
		}
		if nword != "field" && later(nms, oIdx, i) {
			effect += "; the " + nword + "s after it move to other " + positions(nword)
		}
		c.typeChange(kind, subject, nword+" "+m.name+" added", withLayout(effect), id, false, "~")
	}
	// Members both sides have: retyped, reordered, re-documented.
	var oOrder, nOrder []string
	for _, m := range oms {
		j, both := nIdx[m.name]
		if !both {
			continue
		}
		oOrder = append(oOrder, m.name)
		nm := nms[j]
		if m.typ != nm.typ {
			effect := lay
			if effect == "" {
				effect = "the layout of " + name + " stays, but " + oword + " " + m.name + " holds another type"
			}
			c.typeChange(kind, subject, oword+" "+m.name+": "+m.show+" → "+nm.show, effect, id, false, "~")
		}
		c.docs(kind, subject, oword+" "+m.name, m.docs, nm.docs)
	}
	for _, m := range nms {
		if _, both := oIdx[m.name]; both {
			nOrder = append(nOrder, m.name)
		}
	}
	if !slices.Equal(oOrder, nOrder) {
		effect := "values land in other " + oword + "s"
		if oword != "field" {
			effect = "the " + oword + "s move to other " + positions(oword)
		}
		c.typeChange(kind, subject, oword+"s reordered: "+strings.Join(oOrder, ", ")+" → "+strings.Join(nOrder, ", "),
			withLayout(effect), id, false, "~")
	}
}

func positions(word string) string {
	if word == "flag" {
		return "bits"
	}
	return "discriminants"
}
