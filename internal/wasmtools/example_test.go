package wasmtools_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/raisfast/wasmplug/internal/wasmtools"
)

// The core names and signatures wasm-tools derives from the contract.
func ExampleCoreSignatures() {
	ctx := context.Background()
	wit := filepath.Join(wasmtools.RepoRoot(), "wit", "plugin.wit")
	for _, mangling := range wasmtools.Manglings {
		wasm, err := wasmtools.DummyModule(ctx, wit, "plugin-world", mangling)
		if err != nil {
			panic(err)
		}
		imports, exports, err := wasmtools.CoreSignatures(ctx, wasm)
		if err != nil {
			panic(err)
		}
		fmt.Println(imports[0])
		for _, e := range exports {
			if strings.Contains(e.Name, "on-login") || !strings.Contains(e.Name, "plugin-hooks") {
				fmt.Println(e)
			}
		}
	}
	// Output:
	// import func "raisfast:plugin-wit/host-api@0.1.1" "log" (i32 i32 i32 i32) -> ()
	// export func "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login" (i32 i32) -> ()
	// export func "cabi_post_raisfast:plugin-wit/plugin-hooks@0.1.1#on-login" () -> ()
	// export memory "memory"
	// export func "cabi_realloc" (i32 i32 i32 i32) -> (i32)
	// export func "_initialize" () -> ()
	// import func "cm32p2|raisfast:plugin-wit/host-api@0.1" "log" (i32 i32 i32 i32) -> ()
	// export func "cm32p2|raisfast:plugin-wit/plugin-hooks@0.1|on-login" (i32 i32) -> ()
	// export func "cm32p2|raisfast:plugin-wit/plugin-hooks@0.1|on-login_post" () -> ()
	// export memory "cm32p2_memory"
	// export func "cm32p2_realloc" (i32 i32 i32 i32) -> (i32)
	// export func "cm32p2_initialize" () -> ()
}
