package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/runtimetest"
)

// A render-markdown filter written in WAT: it returns some("<p>" + input).
var paragraph = runtimetest.Guest{
	Data: map[int]string{1024: "<p>"},
	Funcs: `
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.1#render-markdown") (param $p i32) (param $l i32) (result i32)
    (call $some (call $concat (i32.const 1024) (i32.const 3) (local.get $p) (local.get $l))
                (i32.add (i32.const 3) (local.get $l))))`,
}

const manifest = `[plugin]
id = "com.example.paragraph"
name = "Paragraph"
version = "0.1.0"
runtime = "wasm"
entry = "plugin.wasm"

[hooks.render-markdown]
priority = 10
`

func Example() {
	ctx := context.Background()
	plugins, _ := os.MkdirTemp("", "plugins")
	defer os.RemoveAll(plugins)

	// extensions/plugins/paragraph/{manifest.toml,plugin.wasm}
	wasm, err := runtimetest.Assemble(ctx, paragraph.WAT())
	if err != nil {
		fmt.Println(err)
		return
	}
	dir := filepath.Join(plugins, "paragraph")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "manifest.toml"), []byte(manifest), 0o644)
	os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644)

	rt, err := runtime.New(ctx, runtime.Config{
		PluginsDir:          plugins,
		PoolSize:            2,
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		CompilationCacheDir: runtime.NoCompilationCache,
		WatchInterval:       -1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close(ctx)

	html, _ := runtime.Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "hello")
	fmt.Println(html)
	out, _ := runtime.CallJSON(ctx, rt, "render-markdown", []byte(`"world"`))
	fmt.Println(string(out))
	// Output:
	// <p>hello
	// "<p>world"
}
