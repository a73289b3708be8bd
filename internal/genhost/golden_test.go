package genhost_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/raisfast/wasmplug/internal/gengo/goldentest"
	"github.com/raisfast/wasmplug/internal/genhost"
	"github.com/raisfast/wasmplug/internal/witmodel"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/bindings.go.golden")

// TestGolden generates the host bindings of testdata/golden/golden.wit (one
// of each kind of type, an import, a filter and an action), compares them
// with testdata/golden/bindings.go.golden, and builds them in a scratch
// module.
func TestGolden(t *testing.T) {
	w, err := witmodel.Load(filepath.Join("testdata", "golden", "golden.wit"), "golden")
	if err != nil {
		t.Fatal(err)
	}
	src, err := genhost.Generate(w, genhost.Options{Package: "golden", Command: "witgen host (golden test)"})
	if err != nil {
		t.Fatal(err)
	}
	goldentest.Check(t, filepath.Join("testdata", "golden", "bindings.go.golden"), src, *update,
		"go test ./internal/genhost -run Golden -update")

	if testing.Short() {
		t.Skip("builds the generated code in a scratch module")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := scratchModule(t, root)
	writeFile(t, filepath.Join(dir, "golden", "bindings.go"), src)
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}
