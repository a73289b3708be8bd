package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/raisfast/wasmplug/internal/witdiff"
	"go.bytecodealliance.org/wit"
)

const diffUsage = `usage: witgen diff OLD NEW [-world NAME] [-features A,B] [-all-features]

Compares the world of OLD with the world of NEW (each a .wit file or a
directory with deps/) and prints every change, one per line, with what it
does to plugins built for OLD on a host of NEW and to plugins built for NEW
on a host of OLD, then notes, the version bump's check and a verdict.

Exit status: 0 when plugins built for OLD keep working on NEW (and the
version bump fits), 1 when something breaks them, 2 on bad input.

  -world         world to compare on both sides (may be omitted when each has one)
  -features      comma-separated features whose @unstable items to compare
  -all-features  compare every @unstable item`

// errBreaking is what diff returns when plugins built for OLD break on
// NEW: main exits with status 1.
var errBreaking = errors.New("diff: plugins built for OLD break on NEW (see the lines marked BREAKING)")

// badInput is an error of the input (unreadable WIT, unknown world): main
// exits with status 2, as for usage errors, printing only the cause.
type badInput struct{ err error }

func (e badInput) Error() string   { return e.err.Error() }
func (e badInput) Unwrap() []error { return []error{errUsage, e.err} }

// diff is `witgen diff`.
func diff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("witgen diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // -h is answered below, on stdout
	world := fs.String("world", "", "world to compare on both sides")
	features := fs.String("features", "", "comma-separated features whose @unstable items to compare")
	allFeatures := fs.Bool("all-features", false, "compare every @unstable item")
	// Flags may come before, between or after OLD and NEW.
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(stdout, diffUsage)
				return nil
			}
			return fmt.Errorf("%w: %v\n%s", errUsage, err, diffUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		paths = append(paths, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(paths) != 2 {
		return fmt.Errorf("%w: diff wants OLD and NEW, got %d path(s)\n%s", errUsage, len(paths), diffUsage)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var res [2]*wit.Resolve
	for i, p := range paths {
		r, err := loadForDiff(p)
		if err != nil {
			return badInput{fmt.Errorf("diff: %s %s: %w", [2]string{"OLD", "NEW"}[i], p, err)}
		}
		res[i] = r
	}
	report, err := witdiff.Compare(res[0], res[1], witdiff.Options{
		World: *world, Features: featureList(*features), AllFeatures: *allFeatures})
	if err != nil {
		return badInput{fmt.Errorf("diff: %w", err)}
	}
	if _, err := report.WriteTo(stdout); err != nil {
		return err
	}
	if !report.OK() {
		return errBreaking
	}
	return nil
}

// loadForDiff parses a WIT file or directory with the wasm-tools embedded
// in go.bytecodealliance.org (all features on; witdiff filters).
func loadForDiff(path string) (*wit.Resolve, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return wit.LoadWIT(path)
}
