package evolve

import (
	"os"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
)

// TestMain prints one line when interop tests skipped (guests.Main).
func TestMain(m *testing.M) { os.Exit(guests.Main(m)) }
