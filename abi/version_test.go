package abi

import "testing"

func TestTrack(t *testing.T) {
	for v, want := range map[string]string{
		"1.2.3": "1", "10.0.0": "10", "0.2.3": "0.2", "0.1.0": "0.1", "0.0.3": "0.0.3",
		"1.0.0-rc.1": "1.0.0-rc.1", "0.2.0+build.5": "0.2", "0.2": "0.2", "1": "1", "": "",
	} {
		if got := Track(v); got != want {
			t.Errorf("Track(%q) = %q, want %q", v, got, want)
		}
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"0.1.0", "0.1.9", true}, {"0.1.0", "0.2.0", false}, {"1.0.0", "1.7.2", true}, {"1.0.0", "2.0.0", false},
		{"0.0.1", "0.0.2", false}, {"0.0.1", "0.0.1", true}, {"1.0.0-rc.1", "1.0.0", false},
		{"0.1", "0.1.4", true}, {"", "0.3.0", true},
	} {
		if got := SameTrack(c.a, c.b); got != c.same {
			t.Errorf("SameTrack(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	order := []string{"0.0.1", "0.1.0-alpha", "0.1.0-alpha.1", "0.1.0-alpha.beta", "0.1.0-beta.2", "0.1.0-beta.11", "0.1.0", "0.1.2", "0.10.0", "1.0.0"}
	for i := range order {
		for j := range order {
			want := cmpInt(uint64(i), uint64(j))
			if got := CompareVersions(order[i], order[j]); got != want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func TestParseNames(t *testing.T) {
	for _, c := range []struct {
		module, field string
		want          coreName
	}{
		{"raisfast:plugin-wit/host-api@0.1.0", "log", coreName{pkg: "raisfast:plugin-wit", iface: "host-api", version: "0.1.0", fn: "log"}},
		{"raisfast:plugin-wit/host-api", "log", coreName{pkg: "raisfast:plugin-wit", iface: "host-api", fn: "log"}},
		{"cm32p2|raisfast:plugin-wit/host-api@0.1", "log", coreName{pkg: "raisfast:plugin-wit", iface: "host-api", version: "0.1", fn: "log", standard32: true}},
		{"$root", "f", coreName{fn: "f", root: true}},
		{"cm32p2", "f", coreName{fn: "f", root: true, standard32: true}},
		// inline interfaces of a world are named by their world key
		{"store", "open", coreName{iface: "store", fn: "open"}},
		{"[export]cache", "[resource-new]entry", coreName{iface: "[export]cache", fn: "[resource-new]entry"}},
		{"cm32p2|store", "open", coreName{iface: "store", fn: "open", standard32: true}},
	} {
		if got, ok := parseImport(c.module, c.field); !ok || got != c.want {
			t.Errorf("parseImport(%q, %q) = %+v %v, want %+v", c.module, c.field, got, ok, c.want)
		}
	}
	for _, module := range []string{"a:b", "a:b/", "", "x@1.0.0", "cm32p2|"} {
		if n, ok := parseImport(module, "f"); ok {
			t.Errorf("parseImport(%q) accepted: %+v", module, n)
		}
	}
	if n, _ := parseImport("store", "open"); n.base() != "store" {
		t.Errorf(`base of inline "store" = %q`, n.base())
	}
	for name, want := range map[string]coreName{
		"ns:p/i@1.2.3#on-x":  {pkg: "ns:p", iface: "i", version: "1.2.3", fn: "on-x"},
		"ns:p/i#on-x":        {pkg: "ns:p", iface: "i", fn: "on-x"},
		"cm32p2|ns:p/i@1|fx": {pkg: "ns:p", iface: "i", version: "1", fn: "fx", standard32: true},
		"cm32p2||fx":         {fn: "fx", root: true, standard32: true},
		"fx":                 {fn: "fx", root: true},
		"cache#lookup":       {iface: "cache", fn: "lookup"},
		"cache#[dtor]entry":  {iface: "cache", fn: "[dtor]entry"},
	} {
		if got, ok := parseExport(name); !ok || got != want {
			t.Errorf("parseExport(%q) = %+v %v, want %+v", name, got, ok, want)
		}
	}
}
