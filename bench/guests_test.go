package bench

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// requireEnv makes a missing guest fail instead of skip (as in CI).
const requireEnv = "WASMPLUG_REQUIRE_GUESTS"

// repoRoot is the repository root (bench's parent).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// guestPath returns where build-guests.sh leaves guest name.
func guestPath(name string) string {
	switch name {
	case "c-plugin", "slug-rust": // built by .ci/build-guests.sh
		return filepath.Join(repoRoot(), ".cache", "guests", name+".wasm")
	}
	return filepath.Join(repoRoot(), ".cache", "bench", name+".wasm")
}

// loadGuest returns the bytes of guest name, or skips tb with the command
// that builds it.
func loadGuest(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(guestPath(name))
	if err == nil {
		return b
	}
	msg := "guest " + name + " is not built (" + err.Error() + "); run: bash bench/build-guests.sh"
	if os.Getenv(requireEnv) != "" {
		tb.Fatal(msg)
	}
	tb.Skip("SKIPPED: " + msg)
	return nil
}

// Guests under the generated bindings, by the short name benchmarks use.
var generatedGuests = []struct{ short, name string }{
	{"c", "c-plugin"},
	{"rust", "slug-rust"},
	{"go", "go-witgen"},
}
