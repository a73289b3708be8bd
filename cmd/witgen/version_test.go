package main

import (
	"runtime/debug"
	"testing"
)

func TestGeneratorVersion(t *testing.T) {
	dep := func(m debug.Module) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "(devel)"}, Deps: []*debug.Module{&m}}
	}
	for name, c := range map[string]struct {
		bi   *debug.BuildInfo
		want string
	}{
		"no build info":   {nil, "devel"},
		"checkout":        {&debug.BuildInfo{Main: debug.Module{Path: witgenModule, Version: "(devel)"}}, "devel"},
		"stamped":         {&debug.BuildInfo{Main: debug.Module{Path: witgenModule, Version: "v0.3.1-0.20250101000000-0123456789ab+dirty"}}, "devel"},
		"test binary":     {&debug.BuildInfo{Main: debug.Module{Path: witgenModule}}, "devel"},
		"go run @version": {&debug.BuildInfo{Main: debug.Module{Path: witgenModule, Version: "v0.3.0", Sum: "h1:x"}}, "v0.3.0"},
		"dependency":      {dep(debug.Module{Path: witgenModule, Version: "v0.2.0", Sum: "h1:x"}), "v0.2.0"},
		"replaced by dir": {dep(debug.Module{Path: witgenModule, Version: "v0.2.0", Replace: &debug.Module{Path: "../wasmplug"}}), "devel"},
		"replaced by version": {dep(debug.Module{Path: witgenModule, Version: "v0.2.0",
			Replace: &debug.Module{Path: "example.com/fork", Version: "v0.2.1", Sum: "h1:y"}}), "v0.2.1"},
	} {
		if got := generatorVersion(c.bi); got != witgenModule+" "+c.want {
			t.Errorf("%s: %q, want %q", name, got, witgenModule+" "+c.want)
		}
	}
}
