package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/manifest"
)

// errOtherRuntime reports a manifest of another kind of plugin.
var errOtherRuntime = errors.New("not a wasm plugin")

// readManifest parses path strictly with runtime/manifest (the parser the
// runtime loads plugins with). The entry file is checked separately by
// check, so it is not required here. On failure the error is a
// manifest.Errors list (one problem per line of the report), an
// errOtherRuntime (skipped by the runtime, as here), or an I/O error.
func readManifest(path string) (*manifest.Manifest, error) {
	data, err := manifest.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s in the plugin directory", manifest.FileName)
	}
	if err != nil {
		return nil, err
	}
	m, err := manifest.Parse(path, data, plugin.HookNames())
	if errors.Is(err, manifest.ErrUnsupportedRuntime) {
		// As the runtime does: another loader's plugin (runtime = "js", …).
		return nil, fmt.Errorf("%w: %v", errOtherRuntime, err)
	}
	return m, err
}
