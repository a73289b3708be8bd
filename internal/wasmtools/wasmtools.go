// Package wasmtools runs the reference toolchain, wasm-tools, from tests and
// small generators.
//
// It does not ship wasm-tools: it runs the wasm-tools 1.230 build that the
// go.bytecodealliance.org module (already a dependency, see go.mod) carries as
// internal/wasmtools/wasm-tools.wasm.gz. That build has only the `component`
// commands (embed, new, wit, targets, link, semver-check, unbundle). It runs
// under wazero with WASI preview1; only the host directories a call names are
// mounted.
//
// Compiling wasm-tools takes a second or two; the compiled code is kept for
// the life of the process and in a wazero file cache under the repository's
// .cache/ directory (or os.UserCacheDir when the repository cannot be found),
// so later runs start in well under a second.
//
// See RATIONALE.md next to this file for why it is built this way.
package wasmtools

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

const (
	// mainModule is this repository's module path.
	mainModule = "github.com/raisfast/wasmplug"
	// toolModule is the module whose directory holds the wasm-tools binary.
	toolModule = "go.bytecodealliance.org"
	// toolFile is the binary's path inside toolModule.
	toolFile = "internal/wasmtools/wasm-tools.wasm.gz"
)

// tool is the compiled wasm-tools module, shared by every call in a process.
type tool struct {
	runtime  wazero.Runtime
	compiled wazero.CompiledModule
}

var (
	loadOnce sync.Once
	loaded   *tool
	loadErr  error
)

// load compiles wasm-tools once per process.
func load() (*tool, error) {
	loadOnce.Do(func() { loaded, loadErr = compile(context.Background()) })
	return loaded, loadErr
}

func compile(ctx context.Context) (*tool, error) {
	path, err := BinaryPath()
	if err != nil {
		return nil, err
	}
	bin, err := gunzip(path)
	if err != nil {
		return nil, err
	}
	cfg := wazero.NewRuntimeConfig().WithCloseOnContextDone(true)
	if dir := cacheDir(); dir != "" {
		if cache, err := wazero.NewCompilationCacheWithDir(dir); err == nil {
			cfg = cfg.WithCompilationCache(cache)
		}
	}
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmtools: instantiating WASI: %w", err)
	}
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasmtools: compiling %s: %w", path, err)
	}
	return &tool{runtime: r, compiled: compiled}, nil
}

func gunzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wasmtools: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("wasmtools: %s: %w", path, err)
	}
	defer zr.Close()
	bin, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("wasmtools: %s: %w", path, err)
	}
	return bin, nil
}

var binaryPath = sync.OnceValues(findBinary)

// BinaryPath returns the path of wasm-tools.wasm.gz inside the module cache's
// copy of go.bytecodealliance.org, at the version go.mod requires.
func BinaryPath() (string, error) { return binaryPath() }

func findBinary() (string, error) {
	root := RepoRoot()
	// The go command knows where the required version lives.
	dir, listErr := goListDir(root)
	if dir == "" && listErr == nil {
		// Required but not downloaded yet (nothing in the build imports it).
		cmd := exec.Command("go", "mod", "download", toolModule)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			listErr = fmt.Errorf("go mod download %s: %v: %s", toolModule, err, bytes.TrimSpace(out))
		} else {
			dir, listErr = goListDir(root)
		}
	}
	if dir == "" {
		// Without the go command: GOMODCACHE plus the version go.mod requires.
		dir = modCacheDir(root)
	}
	if dir != "" {
		path := filepath.Join(dir, filepath.FromSlash(toolFile))
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	if listErr != nil {
		return "", fmt.Errorf("wasmtools: cannot find %s in %s: %w", toolFile, toolModule, listErr)
	}
	return "", fmt.Errorf("wasmtools: cannot find %s in %s (dir %q)", toolFile, toolModule, dir)
}

func goListDir(root string) (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", toolModule)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v: %s", toolModule, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return strings.TrimSpace(string(out)), nil
}

// modCacheDir derives the module directory from GOMODCACHE and go.mod.
func modCacheDir(root string) string {
	if root == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return ""
	}
	version := ""
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == toolModule {
			version = f[1]
			break
		}
	}
	if version == "" {
		return ""
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
	}
	// The module path has no upper-case letters, so needs no escaping.
	return filepath.Join(cache, toolModule+"@"+version)
}

var repoRoot = sync.OnceValue(findRepoRoot)

// RepoRoot returns the root directory of this repository (the directory of
// the go.mod declaring github.com/raisfast/wasmplug), searching upwards from
// this source file and then from the working directory. It returns "" if
// neither is inside the repository.
func RepoRoot() string { return repoRoot() }

func findRepoRoot() string {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && modulePath(data) == mainModule {
				return dir
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return ""
}

func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// cacheDir is where wazero keeps compiled code between processes.
func cacheDir() string {
	if root := RepoRoot(); root != "" {
		return filepath.Join(root, ".cache", "wazero-wasm-tools")
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "wasmplug", "wazero-wasm-tools")
	}
	return ""
}

// Mount makes the host directory Host visible to wasm-tools at GuestPath.
type Mount struct {
	Host      string // host directory
	GuestPath string // absolute path inside the guest, such as "/" or "/adapters"
	ReadOnly  bool
}

// Invocation is one wasm-tools command line with its environment.
type Invocation struct {
	Args   []string // arguments after the program name, such as "component", "new", …
	Mounts []Mount  // host directories to expose
	Stdin  []byte   // standard input; empty if nil
}

// Error is returned when wasm-tools exits with a non-zero status.
type Error struct {
	Args     []string
	ExitCode uint32
	Stderr   string // wasm-tools' own message
}

func (e *Error) Error() string {
	return fmt.Sprintf("wasm-tools %s: exit status %d: %s",
		strings.Join(e.Args, " "), e.ExitCode, strings.TrimSpace(e.Stderr))
}

// Run runs wasm-tools with args, the host directory dir mounted read-write as
// the guest's root directory "/" (paths in args are relative to dir, or
// absolute guest paths; dir "" mounts nothing). It returns what wasm-tools
// wrote to standard output and standard error; a non-zero exit status is
// reported as an *Error.
func Run(ctx context.Context, dir string, args ...string) (stdout, stderr []byte, err error) {
	inv := Invocation{Args: args}
	if dir != "" {
		inv.Mounts = []Mount{{Host: dir, GuestPath: "/"}}
	}
	return inv.Run(ctx)
}

// Run runs the invocation. See the package-level Run.
func (inv Invocation) Run(ctx context.Context) (stdout, stderr []byte, err error) {
	t, err := load()
	if err != nil {
		return nil, nil, err
	}
	var outBuf, errBuf bytes.Buffer
	fsConfig := wazero.NewFSConfig()
	for _, m := range inv.Mounts {
		host, err := filepath.Abs(m.Host)
		if err != nil {
			return nil, nil, fmt.Errorf("wasmtools: %w", err)
		}
		if fi, err := os.Stat(host); err != nil {
			return nil, nil, fmt.Errorf("wasmtools: %w", err)
		} else if !fi.IsDir() {
			return nil, nil, fmt.Errorf("wasmtools: mount %s: not a directory", host)
		}
		if m.ReadOnly {
			fsConfig = fsConfig.WithReadOnlyDirMount(host, m.GuestPath)
		} else {
			fsConfig = fsConfig.WithDirMount(host, m.GuestPath)
		}
	}
	config := wazero.NewModuleConfig().
		WithName(""). // anonymous, so that calls may run concurrently
		WithArgs(append([]string{"wasm-tools"}, inv.Args...)...).
		WithStdin(bytes.NewReader(inv.Stdin)).
		WithStdout(&outBuf).
		WithStderr(&errBuf).
		WithFSConfig(fsConfig).
		WithRandSource(rand.Reader).
		WithSysWalltime().
		WithSysNanotime().
		WithSysNanosleep()
	mod, err := t.runtime.InstantiateModule(ctx, t.compiled, config)
	if mod != nil {
		mod.Close(ctx)
	}
	if err != nil {
		var exit *sys.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == 0 {
				return outBuf.Bytes(), errBuf.Bytes(), nil
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				return outBuf.Bytes(), errBuf.Bytes(), fmt.Errorf("wasm-tools %s: %w", strings.Join(inv.Args, " "), ctxErr)
			}
			return outBuf.Bytes(), errBuf.Bytes(), &Error{Args: inv.Args, ExitCode: exit.ExitCode(), Stderr: errBuf.String()}
		}
		return outBuf.Bytes(), errBuf.Bytes(), fmt.Errorf("wasm-tools %s: %w", strings.Join(inv.Args, " "), err)
	}
	return outBuf.Bytes(), errBuf.Bytes(), nil
}

// Version returns wasm-tools' version line, such as "wasm-tools 1.230.0".
func Version(ctx context.Context) (string, error) {
	out, _, err := Run(ctx, "", "--version")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
