package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goLoginPlugin is a hand-written standard Go plugin (no generated
// bindings): on-login stores the user id under "go-login" with set-data.
const goLoginPlugin = `package main

import "unsafe"

//go:wasmimport raisfast:plugin-wit/host-api@0.1.1 set-data
func setData(kp, kl, vp, vl uint32) uint32

// Allocations handed to the host stay referenced until a later call.
var keep [64][]byte
var next int

//go:wasmexport cabi_realloc
func cabiRealloc(old, oldSize, align, size uint32) uint32 {
	if align == 0 {
		align = 1
	}
	b := make([]byte, size+align)
	keep[next%len(keep)] = b
	next++
	p := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	return (p + align - 1) &^ (align - 1)
}

//go:wasmexport raisfast:plugin-wit/plugin-hooks@0.1.1#on-login
func onLogin(p, l uint32) {
	const key = "go-login"
	setData(uint32(uintptr(unsafe.Pointer(unsafe.StringData(key)))), uint32(len(key)), p, l)
}

func main() {}
`

func writeGoPlugin(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"go.mod":        "module example.com/gologin\n\ngo 1.26\n",
		"main.go":       goLoginPlugin,
		"manifest.toml": testManifest("com.test.golang", map[string]int{"on-login": 1}, ""),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildGoPlugin: serve builds a Go plugin that has sources but no wasm,
// leaves a fresh wasm alone, rebuilds a stale one, and the built plugin
// serves its hook.
func TestBuildGoPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go plugin")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	// Deployed as a symbolic link to the sources, as extensions/plugins does.
	root := t.TempDir()
	plugins := filepath.Join(root, "plugins")
	dir := filepath.Join(root, "src", "gologin")
	writeGoPlugin(t, dir)
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(plugins, "gologin")); err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(dir, "plugin.wasm")

	b := &builder{Log: testLogger(t)}
	ctx := context.Background()
	// A relative plugins directory (serve's default is one): the go
	// command runs in the plugin's directory.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, plugins)
	if err != nil {
		t.Fatal(err)
	}
	if probs := b.buildAll(ctx, rel); len(probs) != 0 {
		t.Fatalf("build problems: %+v", probs)
	}
	fi, err := os.Stat(wasm)
	if err != nil {
		t.Fatalf("no wasm after build: %v", err)
	}
	// Up to date: nothing happens.
	if probs := b.buildAll(ctx, plugins); len(probs) != 0 {
		t.Fatal(probs)
	}
	if fi2, _ := os.Stat(wasm); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("an up-to-date plugin was rebuilt")
	}
	// Sources newer than the wasm: rebuilt.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "main.go"), future, future); err != nil {
		t.Fatal(err)
	}
	if probs := b.buildAll(ctx, plugins); len(probs) != 0 {
		t.Fatal(probs)
	}
	if fi3, _ := os.Stat(wasm); !fi3.ModTime().After(fi.ModTime()) {
		t.Fatal("a stale plugin was not rebuilt")
	}

	// The built plugin serves on-login.
	h := newHarness(t, func(c *serverConfig) {
		c.PluginsDir = plugins
		c.Build = true
		c.WatchInterval = 50 * time.Millisecond
	})
	h.expect(200, "POST", "/api/login", `{"user_id":"gopher"}`, nil)
	if v, _ := h.data("com.test.golang", "go-login"); v != "gopher" {
		t.Fatalf("go plugin stored %q", v)
	}

	// Edited while serving: rebuilt, hot-reloaded, serving the new code.
	src := strings.Replace(goLoginPlugin, `const key = "go-login"`, `const key = "go-login-v2"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	future = future.Add(time.Hour) // newer than the wasm built an hour "ahead"
	os.Chtimes(filepath.Join(dir, "main.go"), future, future)
	waitFor(t, "the edited plugin to be rebuilt and reloaded", func() bool {
		h.expect(200, "POST", "/api/login", `{"user_id":"gopher2"}`, nil)
		v, _ := h.data("com.test.golang", "go-login-v2")
		return v == "gopher2"
	})
}

// TestBuildFailure: a Go plugin that does not compile is reported (with the
// compiler's output), and not rebuilt until its sources change.
func TestBuildFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	plugins := t.TempDir()
	dir := filepath.Join(plugins, "broken")
	writeGoPlugin(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &builder{Log: testLogger(t)}
	probs := b.buildAll(context.Background(), plugins)
	if len(probs) != 1 || !strings.Contains(probs[0].Output, "undefined") || probs[0].Stale {
		t.Fatalf("problems %+v", probs)
	}
	b.GoCmd = "/nonexistent/go" // a retry would now fail differently
	again := b.buildAll(context.Background(), plugins)
	if len(again) != 1 || again[0].Output != probs[0].Output {
		t.Fatalf("retried an unchanged failing build: %+v", again)
	}
	// No leftover temporary files.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".pluginhost-build-") {
			t.Fatalf("left %s", e.Name())
		}
	}
}

func TestManifestEntry(t *testing.T) {
	dir := t.TempDir()
	if got := manifestEntry(dir); got != "plugin.wasm" {
		t.Fatal(got)
	}
	os.WriteFile(filepath.Join(dir, "manifest.toml"), []byte("[plugin]\nid = \"x\"\nentry = \"build/x.wasm\" # built\n"), 0o644)
	if got := manifestEntry(dir); got != "build/x.wasm" {
		t.Fatal(got)
	}
}

// TestCallOneGoPluginAmongModules: `call -plugins` builds only directories
// that have a manifest (a sibling Go module is not a plugin and is left
// alone), and -plugins may name one plugin's own directory.
func TestCallOneGoPluginAmongModules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go plugin")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root := t.TempDir()
	plugin := filepath.Join(root, "gologin")
	writeGoPlugin(t, plugin)
	tool := filepath.Join(root, "tool") // a Go module that does not build for wasip1
	if err := os.MkdirAll(tool, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"go.mod":  "module example.com/tool\n\ngo 1.26\n",
		"main.go": "package main\n\nimport \"syscall\"\n\nfunc main() { syscall.Kill(1, 0) }\n",
	} {
		if err := os.WriteFile(filepath.Join(tool, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{root, plugin} {
		out, errOut, err := runCLI(t, "call", "on-login", "-plugins", dir, "-json", `"u1"`)
		if err != nil || !strings.Contains(out, "ok") {
			t.Fatalf("call -plugins %s: %v\nstdout %s\nstderr %s", dir, err, out, errOut)
		}
		if strings.Contains(errOut, "build failed") {
			t.Errorf("call -plugins %s tried to build the module without a manifest:\n%s", dir, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(tool, "plugin.wasm")); err == nil {
		t.Error("a directory without a manifest was built")
	}
}

// newPluginDir writes a Go plugin with `witgen new-plugin -name NAME` into
// a temporary directory (its go.mod points at this checkout) and returns
// the directory. The go command then builds offline, in module mode.
func newPluginDir(t *testing.T, name string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	t.Setenv("GOFLAGS", "")
	t.Setenv("GOWORK", "off")
	t.Setenv("GOPROXY", "off")
	dir := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "run", "../witgen", "new-plugin", "-name", name, "-dir", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("witgen new-plugin: %v\n%s", err, out)
	}
	return dir
}

// TestBuildCommand: `pluginhost build DIR` builds a plugin of witgen
// new-plugin into its manifest's entry (a module that runs its hooks), and
// a plugin that does not compile exits 1 with the compiler's output,
// leaving the older wasm as it was.
func TestBuildCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go plugin")
	}
	dir := newPluginDir(t, "tiny")
	mpath := filepath.Join(dir, "manifest.toml")
	m, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	m2 := strings.Replace(string(m), `entry = "plugin.wasm"`, `entry = "out/tiny.wasm"`, 1)
	if m2 == string(m) {
		t.Fatalf("manifest names no plugin.wasm entry:\n%s", m)
	}
	if err := os.WriteFile(mpath, []byte(m2), 0o644); err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(dir, "out", "tiny.wasm")

	out, errOut, err := runCLI(t, "build", dir)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, errOut)
	}
	wantLines(t, out, "built "+wasm+" (")
	built, err := os.ReadFile(wasm)
	if err != nil || len(built) < 8 || string(built[:4]) != "\x00asm" {
		t.Fatalf("no wasm module at the manifest's entry: %v", err)
	}
	// The module is the plugin: its on-post-creating tidies the title.
	out, errOut, err = runCLI(t, "call", "on-post-creating", "-plugins", dir, "-build=false", "-json", `{"title":"  Hello \t World ","content":"x"}`)
	if err != nil {
		t.Fatalf("call: %v\n%s", err, errOut)
	}
	wantLines(t, out, `"title": "Hello World"`)

	// A compile error: exit status 1, the compiler's output, the old wasm kept.
	if err := os.WriteFile(filepath.Join(dir, "broken.go"), []byte("package main\n\nvar broken int = \"not an int\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = runCLI(t, "build", dir)
	if !errors.Is(err, errFailed) || out != "" {
		t.Fatalf("broken build: err = %v, stdout %q", err, out)
	}
	wantLines(t, errOut, "build "+dir+": go build: exit status 1", "broken.go:3:", "not an int", "the older out/tiny.wasm was left as it was")
	if again, _ := os.ReadFile(wasm); !bytes.Equal(again, built) {
		t.Fatal("a failed build changed the wasm")
	}

	// Not a Go plugin; no directory.
	if _, errOut, err := runCLI(t, "build", t.TempDir()); !errors.Is(err, errFailed) || !strings.Contains(errOut, "not a Go plugin directory") {
		t.Fatalf("not a plugin: %v %q", err, errOut)
	}
	for _, args := range [][]string{{"build"}, {"build", filepath.Join(dir, "missing")}, {"build", dir, dir}} {
		if _, _, err := runCLI(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
}
