package witdiff

import (
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/abi"
)

func TestTrack(t *testing.T) {
	for v, want := range map[string][3]string{ // track, next track, next on track
		"1.2.3":      {"1", "2.0.0", "1.3.0"},
		"0.2.3":      {"0.2", "0.3.0", "0.2.4"},
		"0.1.0":      {"0.1", "0.2.0", "0.1.1"},
		"0.0.3":      {"0.0.3", "0.0.4", "0.0.4"},
		"1.0.0-rc.1": {"1.0.0-rc.1", "a version other than 1.0.0-rc.1", "a version other than 1.0.0-rc.1"},
		"2.0.0+b7":   {"2", "3.0.0", "2.1.0"},
	} {
		if got := [3]string{abi.Track(v), nextTrack(v), nextOnTrack(v)}; got != want {
			t.Errorf("%s: got %q, want %q", v, got, want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"0.1.1", "0.1.0", 1}, {"0.1.0", "0.1.0", 0}, {"0.9.0", "0.10.0", -1},
		{"1.0.0-rc.1", "1.0.0", -1}, {"1.0.0-rc.2", "1.0.0-rc.10", -1}, {"1.0.0-alpha", "1.0.0-1", 1},
		{"1.0.0+x", "1.0.0", 0},
	} {
		if got := abi.CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("abi.CompareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestVersionCheck(t *testing.T) {
	for _, c := range []struct {
		old, new          string
		breaking, changed bool
		want              string
		wrong             bool
	}{
		{"0.1.0", "0.1.1", true, true, "version: breaking change needs 0.2.0 (OLD 0.1.0, NEW 0.1.1 are on the same track 0.1)", true},
		{"0.1.0", "0.1.0", true, true, "version: breaking change needs 0.2.0 (OLD 0.1.0, NEW 0.1.0 are on the same track 0.1)", true},
		{"1.4.2", "1.5.0", true, true, "version: breaking change needs 2.0.0 (OLD 1.4.2, NEW 1.5.0 are on the same track 1)", true},
		{"0.1.0", "0.2.0", true, true, "version: 0.1.0 → 0.2.0 moves to track 0.2, as a breaking change must", false},
		{"0.0.1", "0.0.2", true, true, "version: 0.0.1 → 0.0.2 moves to track 0.0.2", false},
		{"0.1.0", "0.1.1", false, true, "version: 0.1.0 → 0.1.1, same track 0.1: right for compatible changes", false},
		{"0.1.0", "0.2.0", false, true, "version: new track: plugins built for 0.1.x will not load on this host unless it keeps the old major (OLD 0.1.0 on track 0.1, NEW 0.2.0 on track 0.2; compatible changes may stay on the track, e.g. 0.1.1)", false},
		{"1.2.0", "2.0.0", false, true, "version: new track: plugins built for 1.x will not load", false},
		{"0.1.0", "0.1.0", false, true, "version: unchanged at 0.1.0 although the contract changed: additive changes need a bump (0.1.1)", false},
		{"0.0.1", "0.0.1", false, true, "version: unchanged at 0.0.1 although the contract changed: additive changes need a bump (0.0.2)", false},
		{"0.1.0", "0.1.0", false, false, "version: 0.1.0, unchanged", false},
		{"0.1.0", "0.1.1", false, false, "version: 0.1.0 → 0.1.1 without contract changes", false},
		{"0.1.1", "0.1.0", false, true, "version: NEW 0.1.0 is older than OLD 0.1.1 (are OLD and NEW swapped?)", false},
		{"", "", true, true, "version: unversioned package: no version to check", false},
		{"", "0.1.0", false, true, "version: OLD is unversioned, NEW is 0.1.0", false},
		{"0.1.0", "", false, true, "version: NEW is unversioned (OLD 0.1.0)", false},
	} {
		got, wrong := versionCheck(c.old, c.new, c.breaking, c.changed)
		if !strings.HasPrefix(got, c.want) || wrong != c.wrong {
			t.Errorf("versionCheck(%q, %q, breaking=%v, changed=%v) = %q, %v; want %q…, %v", c.old, c.new, c.breaking, c.changed, got, wrong, c.want, c.wrong)
		}
	}
}
