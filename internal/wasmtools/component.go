package wasmtools

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Name-mangling schemes of core imports and exports that `component embed
// --dummy-names` accepts.
const (
	// Legacy is wit-component's historical scheme, the one wit-bindgen emits:
	// module "ns:pkg/iface@1.2.3", exports "ns:pkg/iface@1.2.3#func",
	// "cabi_post_…", "cabi_realloc", "memory", "_initialize".
	Legacy = "legacy"
	// Standard32 is the scheme of component-model#378 for 32-bit memories:
	// module "cm32p2|ns:pkg/iface@1.2", exports "cm32p2|ns:pkg/iface@1.2|func",
	// "…_post", "cm32p2_realloc", "cm32p2_memory", "cm32p2_initialize".
	Standard32 = "standard32"
)

// Manglings lists the schemes DummyModule accepts.
var Manglings = []string{Legacy, Standard32}

// witMount mounts a WIT file or directory read-only at /wit and returns the
// guest path naming it. A file's directory is mounted so that wasm-tools can
// see what lies beside it.
func witMount(witPath string) (Mount, string, error) {
	abs, err := filepath.Abs(witPath)
	if err != nil {
		return Mount{}, "", fmt.Errorf("wasmtools: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Mount{}, "", fmt.Errorf("wasmtools: %w", err)
	}
	if fi.IsDir() {
		return Mount{Host: abs, GuestPath: "/wit", ReadOnly: true}, "/wit", nil
	}
	return Mount{Host: filepath.Dir(abs), GuestPath: "/wit", ReadOnly: true},
		path.Join("/wit", filepath.Base(abs)), nil
}

// DummyModule returns the core module that
// `wasm-tools component embed --dummy-names <mangling> <witPath> -w <world>`
// generates: it has exactly the core imports and exports that world implies,
// with function bodies that trap, and the world embedded as a custom section.
// witPath is a .wit file or a directory (with its deps/); mangling is Legacy
// or Standard32.
func DummyModule(ctx context.Context, witPath, world, mangling string) ([]byte, error) {
	if mangling != Legacy && mangling != Standard32 {
		return nil, fmt.Errorf("wasmtools: unknown mangling %q (want %q or %q)", mangling, Legacy, Standard32)
	}
	m, guest, err := witMount(witPath)
	if err != nil {
		return nil, err
	}
	args := []string{"component", "embed", "--dummy-names", mangling, guest}
	if world != "" {
		args = append(args, "-w", world)
	}
	out, _, err := Invocation{Args: args, Mounts: []Mount{m}}.Run(ctx)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Embed returns core (a core module in binary or text format) with the
// component-type metadata of world from witPath embedded in it, as
// `wasm-tools component embed <witPath> -w <world>` makes it. Since core may be
// text, Embed also serves to assemble a test module from WAT.
func Embed(ctx context.Context, core []byte, witPath, world string) ([]byte, error) {
	m, guest, err := witMount(witPath)
	if err != nil {
		return nil, err
	}
	args := []string{"component", "embed", guest, "-"}
	if world != "" {
		args = append(args, "-w", world)
	}
	out, _, err := Invocation{Args: args, Mounts: []Mount{m}, Stdin: core}.Run(ctx)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ComponentOptions configures ComponentNew.
type ComponentOptions struct {
	// WIT and World, when WIT is set, are embedded into the core module first
	// (see Embed). Leave WIT empty if the module already carries its
	// component-type custom section (wit-bindgen output does).
	WIT   string
	World string
	// Adapters maps an import module name (such as "wasi_snapshot_preview1")
	// to the host path of an adapter module that implements it (--adapt).
	Adapters map[string]string
	// RejectLegacyNames accepts only the standard32 names.
	RejectLegacyNames bool
	// SkipValidation skips validating the output component.
	SkipValidation bool
}

// ComponentNew turns a core module into a component with
// `wasm-tools component new`. wasm-tools checks that every core import and
// export matches the embedded world (names and core signatures), so a nil
// error means the module agrees with its WIT; otherwise the *Error carries
// wasm-tools' explanation.
//
// A module that imports wasi_snapshot_preview1 (any Go or WASI build) needs
// an adapter for it in opts.Adapters; none ships with this package.
func ComponentNew(ctx context.Context, core []byte, opts ComponentOptions) ([]byte, error) {
	if opts.WIT != "" {
		embedded, err := Embed(ctx, core, opts.WIT, opts.World)
		if err != nil {
			return nil, err
		}
		core = embedded
	}
	args := []string{"component", "new", "-"}
	var mounts []Mount
	names := make([]string, 0, len(opts.Adapters))
	for name := range opts.Adapters {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		abs, err := filepath.Abs(opts.Adapters[name])
		if err != nil {
			return nil, fmt.Errorf("wasmtools: %w", err)
		}
		dir := fmt.Sprintf("/adapter%d", i)
		mounts = append(mounts, Mount{Host: filepath.Dir(abs), GuestPath: dir, ReadOnly: true})
		args = append(args, "--adapt", name+"="+path.Join(dir, filepath.Base(abs)))
	}
	if opts.RejectLegacyNames {
		args = append(args, "--reject-legacy-names")
	}
	if opts.SkipValidation {
		args = append(args, "--skip-validation")
	}
	out, _, err := Invocation{Args: args, Mounts: mounts, Stdin: core}.Run(ctx)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Validate reports whether the core module agrees with world of witPath: it
// embeds the world and runs `component new`, discarding the component.
func Validate(ctx context.Context, core []byte, witPath, world string) error {
	_, err := ComponentNew(ctx, core, ComponentOptions{WIT: witPath, World: world})
	return err
}
