package restest_test

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/genguest"
	"github.com/raisfast/wasmplug/internal/genhost"
	"github.com/raisfast/wasmplug/internal/witmodel"
)

// TestResourceShapes generates host and guest bindings of the worlds in
// testdata into a scratch package of this module, vets both (native and
// wasip1), builds a guest that links in every export, and checks that the
// host bindings accept and instantiate it.
//
// testdata/edge/edge.wit: resources in variants, tuples, options of
// results, borrows in records and lists, method names that clash with the
// handle types' own, two resources of one name, resources without
// functions, params in memory, world-level functions.
//
// testdata/inline/inline.wit: inline interfaces (imported and exported,
// holding resources), interfaces named like generated declarations (Guest,
// Imports) with types of their own name, a variant without payloads, and
// an export name shared by an inline interface and the world.
func TestResourceShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm guest")
	}
	for _, world := range []string{"edge", "inline"} {
		t.Run(world, func(t *testing.T) { testShape(t, world) })
	}
}

func testShape(t *testing.T, world string) {
	w, err := witmodel.Load("testdata/"+world, world)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "gen-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hostSrc, err := genhost.Generate(w, genhost.Options{Package: "h", Command: "shapes_test"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "h", "bindings.go"), hostSrc)
	gdir := filepath.Join(dir, "g")
	ip := "github.com/raisfast/wasmplug/internal/restest/" + filepath.ToSlash(gdir) // dir is inside this module
	files, err := genguest.Generate(w, genguest.Options{Package: "g", ImportPath: ip, Command: "shapes_test"})
	if err != nil {
		t.Fatal(err)
	}
	var exports []string
	for name, src := range files {
		write(t, filepath.Join(gdir, filepath.FromSlash(name)), src)
		if d := path.Dir(name); strings.Count(d, "/") == 1 && !strings.HasPrefix(d, "internal") && path.Base(name) == "bindings.go" {
			if strings.Contains(string(src), "//go:wasmexport") {
				exports = append(exports, ip+"/"+d)
			}
		}
	}
	sort.Strings(exports)
	main := "package main\n\nimport (\n"
	for _, e := range exports {
		main += "\t_ \"" + e + "\"\n"
	}
	main += ")\n\nfunc main() {}\n"
	write(t, filepath.Join(dir, "cmd", "main.go"), []byte(main))

	root := "./" + filepath.ToSlash(dir)
	goCmd(t, nil, "vet", root+"/h", root+"/g/...")
	wasip1 := []string{"GOOS=wasip1", "GOARCH=wasm"}
	goCmd(t, wasip1, "vet", root+"/g/...", root+"/cmd")
	out := filepath.Join(t.TempDir(), world+".wasm")
	goCmd(t, wasip1, "build", "-buildmode=c-shared", "-o", out, root+"/cmd")
	// The host bindings' own test links and instantiates the guest.
	write(t, filepath.Join(dir, "h", "link_test.go"), []byte(linkTest))
	goCmd(t, []string{"EDGE_WASM=" + out}, "test", "-count=1", root+"/h")
}

const linkTest = `package h

import (
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
)

func TestLink(t *testing.T) {
	ctx := context.Background()
	wasm, err := os.ReadFile(os.Getenv("EDGE_WASM"))
	if err != nil {
		t.Fatal(err)
	}
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := Compile(ctx, r, wasm)
	if err != nil {
		t.Fatal(err)
	}
	for k := range HookList {
		if !mod.HasExport(k) {
			t.Errorf("export %s missing", HookList[k].Name)
		}
	}
	inst, err := mod.Instantiate(ctx, Imports{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := inst.LiveHandles(); n != 0 {
		t.Fatalf("%d live handles after instantiation", n)
	}
	if err := inst.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
`

func write(t *testing.T, p string, src []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
}

func goCmd(t *testing.T, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
