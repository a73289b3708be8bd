// Command refdump regenerates the reference tables in testdata/reference: the
// core imports and exports wasm-tools derives from each world listed in
// wasmtools.References, in every name mangling.
//
// Usage, from anywhere in the repository:
//
//	go run ./internal/wasmtools/cmd/refdump [-root dir]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/raisfast/wasmplug/internal/wasmtools"
)

func main() {
	root := flag.String("root", "", "repository root (default: found from the working directory)")
	flag.Parse()
	if *root == "" {
		*root = wasmtools.RepoRoot()
	}
	if *root == "" {
		fmt.Fprintln(os.Stderr, "refdump: cannot find the repository root; pass -root")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	written, err := wasmtools.WriteReferences(ctx, *root)
	for _, name := range written {
		fmt.Println("wrote", name)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "refdump:", err)
		os.Exit(1)
	}
}
