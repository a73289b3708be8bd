package witdiff

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/raisfast/wasmplug/abi"
)

// version is a parsed semantic version.
type version struct {
	major, minor, patch uint64
	pre                 string
}

// parseVersion reads "1.2.3", "1.2.3-rc.1" or "1.2.3+build"; ok is false
// for anything else.
func parseVersion(v string) (sv version, ok bool) {
	v, _, _ = strings.Cut(v, "+")
	v, sv.pre, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return version{}, false
	}
	n := [3]*uint64{&sv.major, &sv.minor, &sv.patch}
	for i, p := range parts {
		x, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return version{}, false
		}
		*n[i] = x
	}
	return sv, true
}

func (v version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	if v.pre != "" {
		s += "-" + v.pre
	}
	return s
}

// nextTrack is the first version of the track after v's: what a breaking
// change needs. For a pre-release, any other version is another track.
func nextTrack(v string) string {
	sv, ok := parseVersion(v)
	switch {
	case !ok || sv.pre != "":
		return "a version other than " + v
	case sv.major > 0:
		return fmt.Sprintf("%d.0.0", sv.major+1)
	case sv.minor > 0:
		return fmt.Sprintf("0.%d.0", sv.minor+1)
	}
	return fmt.Sprintf("0.0.%d", sv.patch+1)
}

// nextOnTrack is the next minor (x > 0) or patch (0.x) version on v's
// track: what an additive change needs. A track of one version has no
// other version, so that is nextTrack.
func nextOnTrack(v string) string {
	sv, ok := parseVersion(v)
	switch {
	case !ok || sv.pre != "" || sv.major == 0 && sv.minor == 0:
		return nextTrack(v)
	case sv.major > 0:
		return fmt.Sprintf("%d.%d.0", sv.major, sv.minor+1)
	}
	return fmt.Sprintf("0.%d.%d", sv.minor, sv.patch+1)
}

// trackFamily spells the versions of v's track: "0.1.x", "1.x", or the
// version itself.
func trackFamily(v string) string {
	sv, ok := parseVersion(v)
	if !ok || sv.pre != "" || sv.major == 0 && sv.minor == 0 {
		return abi.Track(v)
	}
	return abi.Track(v) + ".x"
}

// versionCheck judges the package version bump against the changes. It
// returns the line to print and whether the bump is wrong.
func versionCheck(oldV, newV string, breaking, changed bool) (line string, wrong bool) {
	switch {
	case oldV == "" && newV == "":
		return "version: unversioned package: no version to check", false
	case oldV == "":
		return fmt.Sprintf("version: OLD is unversioned, NEW is %s: plugins built for OLD name no version and match any", newV), false
	case newV == "":
		return fmt.Sprintf("version: NEW is unversioned (OLD %s): plugins built for NEW cannot be told apart by version", oldV), false
	}
	same := abi.Track(oldV) == abi.Track(newV)
	order := abi.CompareVersions(newV, oldV)
	switch {
	case breaking && same:
		return fmt.Sprintf("version: breaking change needs %s (OLD %s, NEW %s are on the same track %s)",
			nextTrack(oldV), oldV, newV, abi.Track(oldV)), true
	case order < 0:
		return fmt.Sprintf("version: NEW %s is older than OLD %s (are OLD and NEW swapped?)", newV, oldV), false
	case breaking:
		return fmt.Sprintf("version: %s → %s moves to track %s, as a breaking change must; plugins built for %s need a rebuild or an adapter on this host",
			oldV, newV, abi.Track(newV), trackFamily(oldV)), false
	case !changed && order == 0:
		return fmt.Sprintf("version: %s, unchanged", oldV), false
	case !changed:
		return fmt.Sprintf("version: %s → %s without contract changes", oldV, newV), false
	case order == 0:
		return fmt.Sprintf("version: unchanged at %s although the contract changed: additive changes need a bump (%s) for plugins built for NEW to be told apart from plugins built for OLD",
			oldV, nextOnTrack(oldV)), false
	case !same:
		return fmt.Sprintf("version: new track: plugins built for %s will not load on this host unless it keeps the old major (OLD %s on track %s, NEW %s on track %s; compatible changes may stay on the track, e.g. %s)",
			trackFamily(oldV), oldV, abi.Track(oldV), newV, abi.Track(newV), nextOnTrack(oldV)), false
	}
	return fmt.Sprintf("version: %s → %s, same track %s: right for compatible changes", oldV, newV, abi.Track(oldV)), false
}
