package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// buildCmd: pluginhost build DIR.
//
// It builds the Go plugin in DIR as serve would, whatever the age of its
// wasm:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o <manifest entry> .
//
// and prints the module it wrote. When the build fails it prints the
// compiler's output on stderr and exits with status 1 (an older wasm is
// left as it was).
func buildCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pluginhost build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pluginhost build DIR\n\nbuilds the Go plugin in DIR (manifest.toml and go.mod or main.go) into its manifest's entry:\n  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o <entry> .")
		fs.PrintDefaults()
	}
	dir, err := parseDirArgs(fs, args, "build")
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: %s: not a directory", errUsage, dir)
	}
	b := &builder{Log: slog.New(slog.DiscardHandler)}
	if p := b.buildNow(ctx, dir); p != nil {
		fmt.Fprintf(stderr, "pluginhost: build %s: %s\n", dir, p.Error)
		if p.Output != "" {
			fmt.Fprintln(stderr, p.Output)
		}
		if p.Stale {
			fmt.Fprintf(stderr, "pluginhost: the older %s was left as it was\n", manifestEntry(dir))
		}
		return errFailed
	}
	entry := filepath.Join(dir, manifestEntry(dir))
	fi, err := os.Stat(entry)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %s (%s)\n", entry, byteSize(int(fi.Size())))
	return nil
}
