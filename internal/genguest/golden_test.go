package genguest_test

import (
	"flag"
	"path"
	"path/filepath"
	"testing"

	"github.com/raisfast/wasmplug/internal/gengo/goldentest"
	"github.com/raisfast/wasmplug/internal/genguest"
	"github.com/raisfast/wasmplug/internal/witmodel"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// TestGolden generates the guest bindings of the host's golden world
// (internal/genhost/testdata/golden/golden.wit), compares them with the
// golden tree testdata/golden (each file's path plus .golden), and builds
// them for wasip1 and natively in a scratch module.
func TestGolden(t *testing.T) {
	w, err := witmodel.Load(filepath.Join("..", "genhost", "testdata", "golden", "golden.wit"), "golden")
	if err != nil {
		t.Fatal(err)
	}
	const importPath = "example.com/golden/g"
	files, err := genguest.Generate(w, genguest.Options{Package: "g", ImportPath: importPath, Command: "witgen guest (golden test)"})
	if err != nil {
		t.Fatal(err)
	}
	goldentest.CheckDir(t, filepath.Join("testdata", "golden"), files, *update,
		"go test ./internal/genguest -run Golden -update")

	ws := newWorkspace(t, path.Base(path.Dir(importPath))) // skips under -short
	for name, src := range files {
		ws.write(filepath.Join(ws.dir, "g", filepath.FromSlash(name)), string(src))
	}
	run(t, ws.dir, ws.wasip1, "go", "build", "./...")
	run(t, ws.dir, ws.native, "go", "build", "./...")
}
