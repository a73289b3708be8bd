package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/manifest"
)

// buildProblem is a Go plugin that could not be built.
type buildProblem struct {
	Dir    string `json:"dir"`
	Error  string `json:"error"`
	Output string `json:"output,omitempty"`
	// Stale is set when an older entry wasm exists (and is what the runtime
	// loads).
	Stale bool `json:"stale"`
}

// builder builds Go plugins (a plugin directory with go.mod or main.go)
// whose entry wasm is missing or older than their sources:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o <entry> .
//
// into a temporary file renamed over the entry, so the runtime's watcher
// never sees half a module. A build that failed is not retried until the
// sources change.
type builder struct {
	GoCmd   string        // the go command (default: "go" on PATH)
	Timeout time.Duration // per build (default 5 minutes)
	Log     *slog.Logger

	mu     sync.Mutex
	failed map[string]failedBuild // dir → last failure
	built  map[string]time.Time   // dir → newest source mtime at its last successful build
}

type failedBuild struct {
	stamp time.Time // newest source mtime at that build
	prob  buildProblem
}

// buildAll builds every Go plugin of pluginsDir that needs it and returns
// the plugins that failed (now or before, with unchanged sources).
func (b *builder) buildAll(ctx context.Context, pluginsDir string) []buildProblem {
	ents, err := os.ReadDir(pluginsDir)
	if err != nil {
		return []buildProblem{{Dir: pluginsDir, Error: err.Error()}}
	}
	var probs []buildProblem
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(pluginsDir, e.Name())
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		if p := b.buildDir(ctx, dir); p != nil {
			probs = append(probs, *p)
		}
	}
	return probs
}

// isGoPlugin reports whether dir holds a Go plugin's sources: a
// manifest.toml (a directory without one is not a plugin, whatever else it
// holds — a sibling Go module, a tool) and a go.mod or main.go.
func isGoPlugin(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, "manifest.toml")); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	for _, f := range []string{"go.mod", "main.go"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// buildDir builds dir if it is a Go plugin whose entry is missing or stale.
func (b *builder) buildDir(ctx context.Context, dir string) *buildProblem {
	if !isGoPlugin(dir) {
		return nil
	}
	entry := manifestEntry(dir)
	if !filepath.IsLocal(entry) {
		return &buildProblem{Dir: dir, Error: fmt.Sprintf("entry %q is not a path inside the plugin directory", entry)}
	}
	out := filepath.Join(dir, entry)
	newest, err := newestSource(dir)
	if err != nil {
		return &buildProblem{Dir: dir, Error: err.Error()}
	}
	reason := ""
	fi, err := os.Stat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "no " + entry
	case err != nil:
		return &buildProblem{Dir: dir, Error: err.Error()}
	case fi.ModTime().Before(newest) && !b.builtFrom(dir, newest):
		// (A source dated in the future stays "newer" than any build; one
		// build per change of the sources is enough.)
		reason = "sources newer than " + entry
	default:
		b.forget(dir)
		return nil
	}
	b.mu.Lock()
	f, failedBefore := b.failed[dir]
	b.mu.Unlock()
	if failedBefore && f.stamp.Equal(newest) {
		return &f.prob
	}
	return b.build(ctx, dir, entry, reason, newest)
}

// buildNow builds the Go plugin in dir whatever the age of its entry.
func (b *builder) buildNow(ctx context.Context, dir string) *buildProblem {
	if !isGoPlugin(dir) {
		return &buildProblem{Dir: dir, Error: "not a Go plugin directory (it needs a manifest.toml and a go.mod or main.go)"}
	}
	entry := manifestEntry(dir)
	if !filepath.IsLocal(entry) {
		return &buildProblem{Dir: dir, Error: fmt.Sprintf("entry %q is not a path inside the plugin directory", entry)}
	}
	newest, err := newestSource(dir)
	if err != nil {
		return &buildProblem{Dir: dir, Error: err.Error()}
	}
	reason := "requested"
	if _, err := os.Stat(filepath.Join(dir, entry)); errors.Is(err, fs.ErrNotExist) {
		reason = "no " + entry
	}
	return b.build(ctx, dir, entry, reason, newest)
}

// build runs the build of dir's entry, remembering the outcome against the
// sources' newest modification time.
func (b *builder) build(ctx context.Context, dir, entry, reason string, newest time.Time) *buildProblem {
	log := b.Log
	if log == nil {
		log = slog.Default()
	}
	out := filepath.Join(dir, entry)
	log.Info("pluginhost: building Go plugin", "dir", dir, "reason", reason,
		"cmd", "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "+entry+" .")
	start := time.Now()
	output, err := b.goBuild(ctx, dir, out)
	if err != nil {
		p := buildProblem{Dir: dir, Error: err.Error(), Output: output, Stale: reason != "no "+entry}
		log.Error("pluginhost: building Go plugin failed", "dir", dir, "err", err, "output", output, "stale_entry_kept", p.Stale)
		b.mu.Lock()
		if b.failed == nil {
			b.failed = map[string]failedBuild{}
		}
		b.failed[dir] = failedBuild{stamp: newest, prob: p}
		b.mu.Unlock()
		return &p
	}
	b.forget(dir)
	b.mu.Lock()
	if b.built == nil {
		b.built = map[string]time.Time{}
	}
	b.built[dir] = newest
	b.mu.Unlock()
	size := int64(0)
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	log.Info("pluginhost: built Go plugin", "dir", dir, "entry", entry, "bytes", size, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// builtFrom reports whether the last successful build of dir saw sources
// as new as newest.
func (b *builder) builtFrom(dir string, newest time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.built[dir]
	return ok && !t.Before(newest)
}

func (b *builder) forget(dir string) {
	b.mu.Lock()
	delete(b.failed, dir)
	b.mu.Unlock()
}

// goBuild runs the build into a temporary file beside out, then renames it.
func (b *builder) goBuild(ctx context.Context, dir, out string) (string, error) {
	goCmd := b.GoCmd
	if goCmd == "" {
		p, err := exec.LookPath("go")
		if err != nil {
			return "", fmt.Errorf("the go command is needed to build this plugin: %w", err)
		}
		goCmd = p
	}
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The go command runs in dir: every path it gets must be absolute.
	out, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".pluginhost-build-*.wasm")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	cmd := exec.CommandContext(ctx, goCmd, "build", "-buildmode=c-shared", "-o", tmp.Name(), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("go build: %w (after %s)", ctx.Err(), timeout)
		} else {
			err = fmt.Errorf("go build: %w", err)
		}
		return trimOutput(buf.String()), err
	}
	if fi, err := os.Stat(tmp.Name()); err != nil || fi.Size() == 0 {
		return trimOutput(buf.String()), fmt.Errorf("go build wrote no module to %s", tmp.Name())
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return trimOutput(buf.String()), nil
}

func trimOutput(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 8<<10 {
		s = s[:8<<10] + "\n…"
	}
	return s
}

// newestSource returns the newest modification time of the Go sources
// (*.go except tests, go.mod, go.sum, embedded-looking assets are not
// tracked) under dir, skipping hidden, testdata and _-prefixed directories.
func newestSource(dir string) (time.Time, error) {
	// A deployed plugin is often a symbolic link to its sources; WalkDir
	// does not follow a link, even at the root.
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return time.Time{}, err
	}
	var newest time.Time
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !(name == "go.mod" || name == "go.sum" || strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		return nil
	})
	return newest, err
}

var entryRE = regexp.MustCompile(`(?m)^\s*entry\s*=\s*["']([^"'\\]*)["']\s*(?:#.*)?$`)

// manifestEntry returns the entry file named by dir's manifest.toml
// ("plugin.wasm" when there is none or it names none). A manifest the
// parser refuses still names its entry well enough to build it; the
// runtime then reports the manifest's problems when it loads it.
func manifestEntry(dir string) string {
	src, err := manifest.ReadFile(filepath.Join(dir, manifest.FileName))
	if err != nil {
		return manifest.DefaultEntry
	}
	if m, err := manifest.Parse(filepath.Join(dir, manifest.FileName), src, plugin.HookNames()); err == nil {
		return filepath.FromSlash(m.Entry)
	}
	if m := entryRE.FindSubmatch(src); m != nil && len(m[1]) > 0 {
		return filepath.FromSlash(string(m[1]))
	}
	return manifest.DefaultEntry
}
