package buildinfo

import (
	"strings"
	"testing"
)

// TestVersions: a test binary records the module path; wazero is linked in
// (this package's test imports nothing of it, so it may be unknown here,
// but never empty).
func TestVersions(t *testing.T) {
	mod, wz := Versions()
	if !strings.HasPrefix(mod, "github.com/raisfast/wasmplug") && mod != "(unknown)" {
		t.Errorf("module = %q", mod)
	}
	if wz == "" {
		t.Error("wazero version is empty")
	}
}
