// Package guests locates wasm guests built by .ci/build-guests.sh for
// tests. Locally a missing guest skips the test with the command that
// builds it; under CI (WASMPLUG_REQUIRE_GUESTS=1) it fails, so interop
// tests can never pass by not running.
package guests

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireEnv makes missing guests fail instead of skip.
const RequireEnv = "WASMPLUG_REQUIRE_GUESTS"

// Root returns the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Load returns the bytes of .cache/guests/<name>.wasm.
func Load(tb testing.TB, name string) []byte {
	tb.Helper()
	path := filepath.Join(Root(), ".cache", "guests", name+".wasm")
	b, err := os.ReadFile(path)
	if err == nil {
		return b
	}
	msg := "guest " + name + " is not built (" + err.Error() + "); run: bash .ci/install-toolchains.sh && bash .ci/build-guests.sh"
	if os.Getenv(RequireEnv) != "" {
		tb.Fatal(msg)
	}
	tb.Skip("SKIPPED (interop): " + msg)
	return nil
}
