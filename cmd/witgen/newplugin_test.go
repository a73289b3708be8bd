package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/manifest"
)

// TestNewPlugin generates a plugin into a temporary directory (outside the
// checkout, while the working directory is inside it), builds it with the
// command its README gives, and runs it under the host bindings.
func TestNewPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm guest")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "hello-world")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"new-plugin", "-name", "hello-world", "-dir", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("new-plugin: %v\n%s", err, stderr.String())
	}
	t.Logf("new-plugin output:\n%s", stdout.String())
	if !strings.Contains(stdout.String(), buildCommand) {
		t.Errorf("output does not give the build command %q", buildCommand)
	}

	var names []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{".gitignore", "README.md", "go.mod", "main.go", "manifest.toml"}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	gomod := read(t, filepath.Join(dir, "go.mod"))
	for _, want := range []string{"module example.com/hello-world\n", "require github.com/raisfast/wasmplug ", "replace github.com/raisfast/wasmplug => " + filepath.ToSlash(root) + "\n"} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}
	if src := read(t, filepath.Join(dir, "main.go")); strings.Contains(src, "go:generate") || !strings.Contains(src, `"`+guestImport+`"`) {
		t.Errorf("main.go should use the shared bindings %s without generating any:\n%s", guestImport, src)
	}

	// Build exactly as the README says (one line, indented as code).
	var cmdLine string
	for _, l := range strings.Split(read(t, filepath.Join(dir, "README.md")), "\n") {
		if strings.Contains(l, "go build") {
			cmdLine = strings.TrimSpace(l)
		}
	}
	if cmdLine != buildCommand {
		t.Fatalf("README build line %q, want %q", cmdLine, buildCommand)
	}
	cmd := exec.Command("sh", "-c", cmdLine)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdLine, err, out)
	}
	wasm, err := os.ReadFile(filepath.Join(dir, "plugin.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plugin.wasm: %d KiB", len(wasm)>>10)

	// The manifest is valid and subscribes exactly the module's exports.
	known := make([]string, len(plugin.HookList))
	for i, h := range plugin.HookList {
		known[i] = h.Name
	}
	mfile := filepath.Join(dir, "manifest.toml")
	m, err := manifest.Parse(mfile, []byte(read(t, mfile)), known)
	if err != nil {
		t.Fatal(err)
	}
	var hooks []string
	for _, h := range m.Hooks {
		hooks = append(hooks, h.Name)
	}
	if want := []string{"on-post-created", "on-post-creating"}; !slices.Equal(hooks, want) {
		t.Errorf("manifest hooks %v, want %v", hooks, want)
	}
	if m.ID != "com.example.hello-world" || m.Entry != "plugin.wasm" || m.Runtime != "wasm" {
		t.Errorf("manifest: id %q entry %q runtime %q", m.ID, m.Entry, m.Runtime)
	}

	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := plugin.Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports(hooks...))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range plugin.HookList {
		if got, want := mod.HasExport(h.Index), slices.Contains(hooks, h.Name); got != want {
			t.Errorf("hook %s: exported %v, subscribed %v", h.Name, got, want)
		}
	}
	host := &logHost{}
	inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: host}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)

	long := strings.Repeat("word ", 60)
	out, err := inst.OnPostCreating(ctx, plugin.PostInput{Title: "  Hello \t World ", Content: long})
	if err != nil {
		t.Fatal(err)
	}
	if out == nil || out.Title != "Hello World" || out.Excerpt == nil || !strings.HasSuffix(*out.Excerpt, "…") || len([]rune(*out.Excerpt)) > 161 || out.Content != long {
		t.Fatalf("on-post-creating: %+v", out)
	}
	excerpt := "given"
	if out, err := inst.OnPostCreating(ctx, plugin.PostInput{Title: "Tidy", Content: "x", Excerpt: &excerpt}); err != nil || out != nil {
		t.Errorf("on-post-creating of a tidy post with an excerpt: %+v, %v; want none", out, err)
	}
	if err := inst.OnPostCreated(ctx, plugin.PostOutput{ID: "p1", Slug: "hello-world"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"info: hello-world: post p1 created: hello-world"}; !slices.Equal(host.logs, want) {
		t.Errorf("logs %q, want %q", host.logs, want)
	}
}

func TestNewPluginRefuses(t *testing.T) {
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "-name is required"},
		{[]string{"-name", "My Plugin"}, `invalid name "My Plugin"`},
		{[]string{"-name", "my_plugin"}, `invalid name "my_plugin"`},
		{[]string{"-name", "9lives"}, `invalid name "9lives"`},
		{[]string{"-name", "a--b"}, `invalid name "a--b"`},
		{[]string{"-name", "trailing-"}, `invalid name "trailing-"`},
		{[]string{"-name", strings.Repeat("a", 65)}, "invalid name"},
		{[]string{"-name", "ok", "-id", "Com.Example"}, `invalid id "Com.Example"`},
		{[]string{"-name", "ok", "-module", "bad path"}, `invalid module path "bad path"`},
		{[]string{"-name", "ok", "-version", "1.0"}, `invalid -version "1.0"`},
		{[]string{"-name", "ok", "-dir", full}, "is not empty"},
		{[]string{"-name", "ok", "-dir", file}, "is not a directory"},
		{[]string{"-name", "ok", "extra"}, `unexpected argument "extra"`},
	} {
		err := run(context.Background(), append([]string{"new-plugin"}, c.args...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("new-plugin %q: %v, want an error containing %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(full, "go.mod")); err == nil {
		t.Error("new-plugin wrote into a non-empty directory")
	}
}

// TestNewPluginDependency checks how go.mod gets this module: a replace
// (relative) for a plugin inside the checkout, an absolute one for a plugin
// outside it made from inside, and a plain require of -version otherwise.
func TestNewPluginDependency(t *testing.T) {
	tmp := t.TempDir()
	checkout := filepath.Join(tmp, "wasmplug")
	if err := os.MkdirAll(checkout, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(checkout, "go.mod"), []byte("module github.com/raisfast/wasmplug\n\ngo 1.99.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(tmp, "elsewhere")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Chdir(outside)
	d, err := dependency(filepath.Join(checkout, "extensions", "plugins", "p"), "")
	if err != nil || d.replace != "../../.." || d.goVersion != "1.99.1" || d.version != develVersion {
		t.Errorf("inside the checkout: %+v, %v", d, err)
	}
	if _, err := dependency(filepath.Join(outside, "p"), ""); err == nil || !strings.Contains(err.Error(), "-version") {
		t.Errorf("outside any checkout without -version: %v, want an error naming -version", err)
	}
	d, err = dependency(filepath.Join(outside, "p"), "v1.2.3")
	if err != nil || d.replace != "" || d.version != "v1.2.3" {
		t.Errorf("outside with -version: %+v, %v", d, err)
	}

	t.Chdir(checkout)
	d, err = dependency(filepath.Join(outside, "p"), "")
	if err != nil || d.replace != checkout || d.goVersion != "1.99.1" {
		t.Errorf("plugin outside, run inside the checkout: %+v, %v", d, err)
	}

	// A directory of another module (a go.mod of its own) is not the checkout.
	other := filepath.Join(tmp, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(other)
	if _, err := dependency(filepath.Join(other, "p"), ""); err == nil {
		t.Error("inside another module: no error")
	}

	// -version wins over a checkout, and go.mod then has no replace.
	dir := filepath.Join(outside, "pinned")
	var out bytes.Buffer
	t.Chdir(checkout)
	if err := run(context.Background(), []string{"new-plugin", "-name", "pinned", "-dir", dir, "-version", "v0.4.0"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	gomod := read(t, filepath.Join(dir, "go.mod"))
	if !strings.Contains(gomod, "require github.com/raisfast/wasmplug v0.4.0\n") || strings.Contains(gomod, "replace") {
		t.Errorf("go.mod with -version:\n%s", gomod)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// logHost records log calls; the plugin calls no other host function (the
// nil embedded interface would panic).
type logHost struct {
	plugin.HostAPI
	logs []string
}

func (h *logHost) Log(_ context.Context, level, msg string) { h.logs = append(h.logs, level+": "+msg) }
