package genguest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/genguest"
	"github.com/raisfast/wasmplug/internal/wasmtools"
	"github.com/raisfast/wasmplug/internal/witmodel"
	"github.com/tetratelabs/wazero"
)

const module = "github.com/raisfast/wasmplug"

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestAlltypesCurrent checks that internal/alltypes/guest is what the
// generator produces now (run `go generate ./internal/alltypes/...` if not).
func TestAlltypesCurrent(t *testing.T) {
	root := repoRoot(t)
	w, err := witmodel.Load(filepath.Join(root, "testdata", "alltypes"), "alltypes")
	if err != nil {
		t.Fatal(err)
	}
	files, err := genguest.Generate(w, genguest.Options{
		Package:    "guest",
		ImportPath: module + "/internal/alltypes/guest",
		Command:    "witgen guest -wit ../../../testdata/alltypes -world alltypes -out . -pkg guest (github.com/raisfast/wasmplug devel)",
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "internal", "alltypes", "guest")
	for name, src := range files {
		have, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || string(have) != string(src) {
			t.Errorf("%s is stale (run go generate ./internal/alltypes/guest)", name)
		}
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if _, ok := files[filepath.ToSlash(rel)]; !ok && rel != "generate.go" {
			t.Errorf("%s is not generated any more", rel)
		}
		return nil
	})
}

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{
		"host-api": "hostapi", "on-post-creating": "onpostcreating", "type": "typex", "main": "mainx",
		"3d": "x3d", "internal": "internalx", "%interface": "interfacex", "echo-u8": "echou8",
	} {
		if got := genguest.PackageName(in); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", in, got, want)
		}
	}
}

// goEnv returns the environment for building a wasip1 guest.
func goEnv(extra ...string) []string {
	return append(os.Environ(), append([]string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}, extra...)...)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// workspace is a scratch module example.com/<name> in dir that requires
// the repository through a replace directive, with the repository's go.sum.
//
// It is not a go.work: in workspace mode the go command loads the go.mod of
// every module in the graph, which a fresh module cache does not hold after
// `go test ./...` (lazy loading fetched only what the packages needed), so a
// workspace needs the network where this module does not.
type workspace struct {
	t              *testing.T
	root, tmp, dir string
	native, wasip1 []string // environments for host and guest builds
}

func newWorkspace(t *testing.T, name string) *workspace {
	if testing.Short() {
		t.Skip("builds a wasm guest")
	}
	root := repoRoot(t)
	tmp := t.TempDir()
	ws := &workspace{t: t, root: root, tmp: tmp, dir: filepath.Join(tmp, name)}
	if err := os.MkdirAll(ws.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	wazeroVersion := requiredVersion(t, filepath.Join(root, "go.mod"), "github.com/tetratelabs/wazero")
	ws.write(filepath.Join(ws.dir, "go.mod"), "module example.com/"+name+"\n\ngo 1.26\n\n"+
		"require (\n\t"+module+" v0.0.0-00010101000000-000000000000\n\tgithub.com/tetratelabs/wazero "+wazeroVersion+"\n)\n\n"+
		"replace "+module+" => "+filepath.ToSlash(root)+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	ws.write(filepath.Join(ws.dir, "go.sum"), string(sum))
	// -mod=mod lets the go command complete go.mod's requirements from the
	// module graph (the module cache already holds what the repository's own
	// tests built with).
	ws.native = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	ws.wasip1 = goEnv("GOWORK=off", "GOFLAGS=-mod=mod")
	return ws
}

// requiredVersion returns the version gomod requires of module path.
func requiredVersion(t *testing.T, gomod, path string) string {
	t.Helper()
	src, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	t.Fatalf("%s does not require %s", gomod, path)
	return ""
}

func (ws *workspace) write(path, src string) {
	ws.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		ws.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		ws.t.Fatal(err)
	}
}

// copy copies testdata/<from> to <module>/<to>.
func (ws *workspace) copy(from, to string) {
	ws.t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(from)))
	if err != nil {
		ws.t.Fatal(err)
	}
	ws.write(filepath.Join(ws.dir, filepath.FromSlash(to)), string(src))
}

// witgen runs the witgen command of the repository.
func (ws *workspace) witgen(args ...string) {
	ws.t.Helper()
	run(ws.t, ws.root, append(os.Environ(), "GOWORK=off"), "go", append([]string{"run", "./cmd/witgen"}, args...)...)
}

// build builds the module's package pkg as a wasip1 reactor and returns it.
func (ws *workspace) build(pkg string) ([]byte, string) {
	ws.t.Helper()
	out := filepath.Join(ws.tmp, filepath.Base(ws.dir)+".wasm")
	run(ws.t, ws.dir, ws.wasip1, "go", "build", "-buildmode=c-shared", "-o", out, pkg)
	wasm, err := os.ReadFile(out)
	if err != nil {
		ws.t.Fatal(err)
	}
	return wasm, out
}

// TestEdgeWorld generates host and guest bindings of testdata/edge/edge.wit
// (awkward names and shapes), builds a guest that calls every import and
// checks the results, and runs it from a host test on the host bindings.
func TestEdgeWorld(t *testing.T) {
	ws := newWorkspace(t, "edge")
	wit := filepath.Join(ws.root, "internal", "genguest", "testdata", "edge", "edge.wit")
	ws.witgen("guest", "-wit", wit, "-world", "edge", "-out", filepath.Join(ws.dir, "g"), "-pkg", "g")
	ws.witgen("host", "-wit", wit, "-world", "edge", "-out", filepath.Join(ws.dir, "h"), "-pkg", "h")
	ws.copy("edge/main.go", "cmd/main.go")
	ws.copy("edge/host_test.go", "h/host_test.go")
	run(t, ws.dir, ws.wasip1, "go", "vet", "./g/...", "./cmd")
	_, wasmPath := ws.build("./cmd")
	run(t, ws.dir, append(ws.native, "EDGE_WASM="+wasmPath), "go", "test", "-count=1", "./h")
}

// TestQuickStart generates plugin-world's guest bindings into a scratch
// module with the witgen command, builds the Go quick start
// (testdata/quickstart) on them, checks that the module exports exactly
// the three hooks it implements, and runs them through the host bindings
// in gen/plugin.
func TestQuickStart(t *testing.T) {
	ws := newWorkspace(t, "quickstart")
	root, qs := ws.root, ws.dir
	ws.copy("quickstart/main.go", "main.go")
	wit := filepath.Join(root, "wit", "plugin.wit")
	ws.witgen("guest", "-wit", wit, "-world", "plugin-world", "-out", filepath.Join(qs, "plugin"), "-pkg", "plugin")
	// A stale generated file from an earlier run is removed by the next one.
	stale := filepath.Join(qs, "plugin", "pluginhooks", "gone", "bindings.go")
	ws.write(stale, "// Code generated by witgen guest … DO NOT EDIT.\n\npackage gone\n")
	ws.witgen("guest", "-wit", wit, "-world", "plugin-world", "-out", filepath.Join(qs, "plugin"), "-pkg", "plugin")
	if _, err := os.Stat(filepath.Dir(stale)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale generated package survived regeneration: %v", err)
	}

	run(t, qs, ws.wasip1, "go", "vet", "./...")
	run(t, qs, ws.native, "go", "vet", "./...") // the bindings also build natively (imports panic)
	wasm, _ := ws.build(".")
	t.Logf("quick start module: %d KiB", len(wasm)>>10)

	ctx := context.Background()
	imports, exports, err := wasmtools.CoreSignatures(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range append(imports, exports...) {
		if !strings.Contains(s.String(), "wasi_snapshot_preview1") {
			got = append(got, s.String())
		}
	}
	sort.Strings(got)
	hooks := `raisfast:plugin-wit/plugin-hooks@0.1.1#`
	want := []string{
		`export func "_initialize" () -> ()`,
		`export func "` + hooks + `on-cron-tick" (i32 i32 i32) -> ()`,
		`export func "` + hooks + `on-post-created" (i32) -> ()`,
		`export func "` + hooks + `on-post-creating" (i32) -> (i32)`,
		`export func "cabi_post_` + hooks + `on-post-creating" (i32) -> ()`,
		`export func "cabi_realloc" (i32 i32 i32 i32) -> (i32)`,
		`export memory "memory"`,
		// guest/cabi's marker for hosts that carve cabi_realloc blocks
		// (abi.CarvableExport); component tools pass it through.
		`export func "wasmplug_carvable_realloc" () -> ()`,
		`import func "raisfast:plugin-wit/host-api@0.1.1" "log" (i32 i32 i32 i32) -> ()`,
		`import func "raisfast:plugin-wit/host-api@0.1.1" "vfs-write" (i32 i32 i32 i32) -> (i32)`,
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("core imports and exports:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := plugin.Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports())
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{files: map[string]string{}}
	inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: h}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := inst.OnPostCreating(ctx, plugin.PostInput{Title: "Hello Go World", Content: "body"})
	if err != nil || out == nil || out.Slug == nil || *out.Slug != "hello-go-world" || out.Content != "body" {
		t.Fatalf("on-post-creating: %+v, %v", out, err)
	}
	if err := inst.OnPostCreated(ctx, plugin.PostOutput{Slug: "hello-go-world"}); err != nil {
		t.Fatal(err)
	}
	payload := "every 6h"
	if err := inst.OnCronTick(ctx, &payload); err != nil {
		t.Fatal(err)
	}
	wantLogs := []string{"info: published: hello-go-world", "info: cron fired: every 6h"}
	if strings.Join(h.logs, "\n") != strings.Join(wantLogs, "\n") || h.files["cache/posts/hello-go-world.json"] != "{}" {
		t.Errorf("host saw logs %q and files %v", h.logs, h.files)
	}
	if err := inst.OnLogin(ctx, "u1"); !errors.Is(err, abi.ErrNotExported) {
		t.Errorf("on-login (not implemented, so not exported): %v, want ErrNotExported", err)
	}
}

// fakeHost implements the two host functions the quick start uses; the
// others panic through the nil embedded interface.
type fakeHost struct {
	plugin.HostAPI
	logs  []string
	files map[string]string
}

func (h *fakeHost) Log(_ context.Context, level, msg string) { h.logs = append(h.logs, level+": "+msg) }
func (h *fakeHost) VFSWrite(_ context.Context, path, content string) bool {
	h.files[path] = content
	return true
}
