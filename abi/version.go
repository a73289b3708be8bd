package abi

import (
	"strconv"
	"strings"
)

// Track returns the semver track of a contract version, the part of it
// that canonical interface names keep (the component model's rule, and
// wasmtime's linker's): "1.2.3" → "1", "0.2.3" → "0.2", while "0.0.3" and
// pre-releases ("1.0.0-rc.1") are tracks of their own. Build metadata is
// ignored. A version already shortened to a track (standard32 names spell
// "@0.2" or "@1") is returned unchanged; "" stays "".
//
// Two versions on one track are compatible by the semver promise: a host
// generated for one links modules built for the other.
func Track(v string) string {
	core, _, _ := strings.Cut(v, "+")
	if core == "" || strings.Contains(core, "-") {
		return core
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return core
	}
	switch {
	case parts[0] != "0":
		return parts[0]
	case parts[1] != "0":
		return "0." + parts[1]
	}
	return core
}

// SameTrack reports whether versions a and b are on one semver track. An
// unversioned name is on no track but matches any version, as names
// without versions always have.
func SameTrack(a, b string) bool {
	return a == "" || b == "" || Track(a) == Track(b)
}

// CompareVersions orders two versions as semver does (major, minor, patch
// numerically, a pre-release before its release, pre-release identifiers
// numerically or lexically); versions given only as a track ("0.2") have
// their missing parts read as 0. It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	ac, apre := splitVersion(a)
	bc, bpre := splitVersion(b)
	for i := range 3 {
		if ac[i] != bc[i] {
			return cmpInt(ac[i], bc[i])
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	ap, bp := strings.Split(apre, "."), strings.Split(bpre, ".")
	for i := 0; i < len(ap) && i < len(bp); i++ {
		if ap[i] == bp[i] {
			continue
		}
		an, aerr := strconv.ParseUint(ap[i], 10, 64)
		bn, berr := strconv.ParseUint(bp[i], 10, 64)
		switch {
		case aerr == nil && berr == nil:
			return cmpInt(an, bn)
		case aerr == nil: // numeric identifiers sort first
			return -1
		case berr == nil:
			return 1
		}
		return strings.Compare(ap[i], bp[i])
	}
	return cmpInt(uint64(len(ap)), uint64(len(bp)))
}

func splitVersion(v string) (core [3]uint64, pre string) {
	v, _, _ = strings.Cut(v, "+")
	v, pre, _ = strings.Cut(v, "-")
	for i, p := range strings.SplitN(v, ".", 3) {
		core[i], _ = strconv.ParseUint(p, 10, 64)
	}
	return core, pre
}

func cmpInt(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// coreName is an import module name or an export name of a core module,
// taken apart: which interface (package "ns:pkg", interface name) at which
// version, and which function.
type coreName struct {
	pkg, iface, version string
	fn                  string
	standard32          bool
	root                bool // a world-level function
}

// base is "ns:pkg/iface", the interface's name without its version, or the
// plain name of a world's inline interface.
func (n coreName) base() string {
	switch {
	case n.root:
		return ""
	case n.pkg == "":
		return n.iface
	}
	return n.pkg + "/" + n.iface
}

// parseInterface takes apart "ns:pkg/iface@1.2.3" (or without the version),
// or the plain name of an inline interface ("store", "[export]store").
func parseInterface(s string) (pkg, iface, version string, ok bool) {
	if s != "" && !strings.ContainsAny(s, ":/@|#") {
		return "", s, "", true
	}
	slash := strings.LastIndexByte(s, '/')
	if slash <= 0 || !strings.Contains(s[:slash], ":") {
		return "", "", "", false
	}
	pkg, rest := s[:slash], s[slash+1:]
	iface, version, _ = strings.Cut(rest, "@")
	if iface == "" {
		return "", "", "", false
	}
	return pkg, iface, version, true
}

// parseImport takes apart an import's module and field names under the
// legacy ("ns:pkg/iface@1.2.3", "$root") and standard32
// ("cm32p2|ns:pkg/iface@1", "cm32p2") manglings.
func parseImport(module, field string) (coreName, bool) {
	switch module {
	case "$root":
		return coreName{fn: field, root: true}, true
	case "cm32p2":
		return coreName{fn: field, root: true, standard32: true}, true
	}
	n := coreName{fn: field}
	if rest, ok := strings.CutPrefix(module, "cm32p2|"); ok {
		n.standard32, module = true, rest
	}
	var ok bool
	n.pkg, n.iface, n.version, ok = parseInterface(module)
	return n, ok
}

// parseExport takes apart an export name: "ns:pkg/iface@1.2.3#fn" (legacy),
// "cm32p2|ns:pkg/iface@1|fn" and "cm32p2||fn" (standard32). A plain name is
// a legacy world-level function.
func parseExport(name string) (coreName, bool) {
	if rest, ok := strings.CutPrefix(name, "cm32p2|"); ok {
		i := strings.LastIndexByte(rest, '|')
		if i < 0 {
			return coreName{}, false
		}
		if i == 0 {
			return coreName{fn: rest[1:], root: true, standard32: true}, true
		}
		n := coreName{fn: rest[i+1:], standard32: true}
		var ok bool
		n.pkg, n.iface, n.version, ok = parseInterface(rest[:i])
		return n, ok
	}
	if i := strings.LastIndexByte(name, '#'); i > 0 {
		n := coreName{fn: name[i+1:]}
		var ok bool
		n.pkg, n.iface, n.version, ok = parseInterface(name[:i])
		return n, ok
	}
	return coreName{fn: name, root: true}, true
}
