// Command witgen generates Go bindings from WIT.
//
//	witgen host  -wit PATH -world NAME -out DIR [-pkg NAME]   host bindings for wazero
//	witgen guest -wit PATH -world NAME -out DIR [-pkg NAME]   guest bindings for standard Go (wasip1)
//
// PATH is a .wit file or a directory (with deps/). Output is gofmt'd, marked
// generated, and the same for the same input, so `go generate` is idempotent.
// Items gated by @unstable(feature = F) are left out unless -features A,B
// lists F (or -all-features is given); the header records those flags.
//
// The header also names the witgen that wrote the file, by module and
// version: "(github.com/raisfast/wasmplug v0.3.0)" for a downloaded witgen
// (go run …@v0.3.0, or a version required in go.mod), "(… devel)" for one
// built from a checkout of this module, so that regenerating in a checkout
// writes the same bytes on every machine and at every commit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/raisfast/wasmplug/internal/buildinfo"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/genguest"
	"github.com/raisfast/wasmplug/internal/genhost"
	"github.com/raisfast/wasmplug/internal/witmodel"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "witgen:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `usage:
  witgen host  -wit PATH -world NAME -out DIR [-pkg NAME] [-features A,B] [-all-features]
  witgen guest -wit PATH -world NAME -out DIR [-pkg NAME] [-import PATH] [-features A,B] [-all-features]
  witgen new-plugin -name NAME [-dir DIR] [-id ID] [-module PATH] [-version V]
  witgen diff OLD NEW [-world NAME] [-features A,B]
  witgen version
  witgen help [COMMAND]

commands:
  host        Go host bindings for wazero (canonical-ABI lift/lower, Link, the hook table)
  guest       Go guest bindings for standard Go plugins (GOOS=wasip1, -buildmode=c-shared)
  new-plugin  a new Go plugin module: main.go, manifest.toml, README
  diff        what changed between two versions of a contract, and whether it is compatible
  version     witgen's, wazero's and the contract's versions

"witgen help COMMAND" or "witgen COMMAND -h" lists a command's flags.`

// request is what a generator needs: the resolved world and where its
// output goes.
type request struct {
	world      *witmodel.World
	pkg        string // Go package name of the output directory
	command    string // the command line, for the generated-code header
	out        string // output directory
	importPath string // Go import path of out ("" when -import was not given)
}

// generator produces the files of one sub-command, by path relative to
// the output directory.
type generator func(req request) (map[string][]byte, error)

var generators = map[string]generator{
	"host": func(req request) (map[string][]byte, error) {
		src, err := genhost.Generate(req.world, genhost.Options{Package: req.pkg, Command: req.command})
		if err != nil {
			return nil, err
		}
		return map[string][]byte{"bindings.go": src}, nil
	},
	// The guest bindings are a tree of packages that import each other, so
	// they need the output directory's import path (default: from the
	// enclosing go.mod); files an earlier run generated and this one does
	// not are removed.
	"guest": func(req request) (map[string][]byte, error) {
		ip := req.importPath
		if ip == "" {
			var err error
			if ip, err = importPath(req.out); err != nil {
				return nil, fmt.Errorf("%w (or pass -import)", err)
			}
		}
		files, err := genguest.Generate(req.world, genguest.Options{Package: req.pkg, ImportPath: ip, Command: req.command})
		if err != nil {
			return nil, err
		}
		return files, prepareDir(req.out, files)
	},
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w:\n%s", errUsage, usage)
	}
	sub := args[0]
	switch sub {
	case "-h", "-help", "--help", "help":
		if sub == "help" && len(args) > 1 && args[1] != "help" {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		fmt.Fprintln(stdout, usage)
		return nil
	case "version", "-version", "--version":
		return printVersion(stdout)
	}
	if sub == "new-plugin" {
		return newPlugin(ctx, args[1:], stdout)
	}
	if sub == "diff" {
		return diff(ctx, args[1:], stdout, stderr)
	}
	gen, ok := generators[sub]
	if !ok {
		return fmt.Errorf("%w: unknown command %q\n%s", errUsage, sub, usage)
	}
	fs := flag.NewFlagSet("witgen "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // -h is answered below, on stdout
	witPath := fs.String("wit", "", "WIT file or directory")
	world := fs.String("world", "", "world to generate (may be omitted when there is one)")
	out := fs.String("out", "", "output directory")
	pkg := fs.String("pkg", "", "Go package name (default: the output directory's name)")
	importPath := new(string)
	if sub == "guest" {
		importPath = fs.String("import", "", "Go import path of -out (default: from the enclosing go.mod)")
	}
	features := fs.String("features", "", "comma-separated WIT features whose @unstable(feature = F) items to keep")
	allFeatures := fs.Bool("all-features", false, "keep every @unstable item")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage: witgen %s -wit PATH -world NAME -out DIR [flags]\n\nflags:\n", sub)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *witPath == "" || *out == "" {
		return fmt.Errorf("%w: -wit and -out are required\n%s", errUsage, usage)
	}
	if *pkg == "" {
		abs, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		*pkg = goPackageName(filepath.Base(abs))
	}
	feats := featureList(*features)
	w, err := witmodel.LoadWith(*witPath, *world, witmodel.LoadOptions{Features: feats, AllFeatures: *allFeatures})
	if err != nil {
		return err
	}
	header := append(commandArgs(sub, *witPath, *world, *out, *pkg), featureArgs(feats, *allFeatures)...)
	bi, _ := debug.ReadBuildInfo()
	command := "witgen " + strings.Join(header, " ") + " (" + generatorVersion(bi) + ")"
	files, err := gen(request{world: w, pkg: *pkg, command: command, out: *out, importPath: *importPath})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for name, src := range files {
		path := filepath.Join(*out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := writeIfChanged(path, src); err != nil {
			return err
		}
	}
	return nil
}

// witgenModule is the module witgen is part of.
const witgenModule = "github.com/raisfast/wasmplug"

// generatorVersion names the witgen that writes a generated-code header:
// its module and version, "github.com/raisfast/wasmplug v0.3.0". The
// version is the one the go command recorded for a downloaded module (go
// run …/cmd/witgen@v0.3.0, or witgen as a dependency in go.mod), which the
// same go.mod always resolves alike. A witgen built from a checkout of its
// own module (go generate, go run ./cmd/witgen, the tests) says devel,
// whatever version control stamping would give (a pseudo-version that
// changes with every commit would make every regeneration differ, and the
// stale-file test, whose binary is never stamped, fail).
func generatorVersion(bi *debug.BuildInfo) string {
	v := "devel"
	switch {
	case bi == nil:
	case bi.Main.Path == witgenModule:
		if bi.Main.Sum != "" {
			v = bi.Main.Version
		}
	default:
		for _, d := range bi.Deps {
			if d.Path != witgenModule {
				continue
			}
			if d.Replace == nil {
				v = d.Version
			} else if d.Replace.Sum != "" { // replaced by another version, not a directory
				v = d.Replace.Version
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	return witgenModule + " " + v
}

// commandArgs spells the command line for the generated-code header with
// slash paths, so output does not depend on the machine.
func commandArgs(sub, wit, world, out, pkg string) []string {
	a := []string{sub, "-wit", filepath.ToSlash(wit)}
	if world != "" {
		a = append(a, "-world", world)
	}
	return append(a, "-out", filepath.ToSlash(out), "-pkg", pkg)
}

// featureList parses -features: comma-separated names, spaces and empty
// entries ignored, sorted and deduplicated so the header does not depend on
// how they were listed.
func featureList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// featureArgs spells the feature flags for the generated-code header;
// nothing when none were given.
func featureArgs(features []string, all bool) []string {
	var a []string
	if len(features) > 0 {
		a = append(a, "-features", strings.Join(features, ","))
	}
	if all {
		a = append(a, "-all-features")
	}
	return a
}

func goPackageName(dir string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(dir) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || b.String()[0] >= '0' && b.String()[0] <= '9' {
		return "bindings"
	}
	return b.String()
}

func writeIfChanged(path string, src []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(src) {
		return nil
	}
	return os.WriteFile(path, src, 0o644)
}

// printVersion is `witgen version`: this module's version (as the go
// command recorded it: "(devel)" in a checkout), wazero's, and the
// contract the module's own bindings (gen/plugin) were generated from.
func printVersion(w io.Writer) error {
	mod, wazero := buildinfo.Versions()
	fmt.Fprintf(w, "witgen   %s\nwazero   %s\ncontract %s@%s (wit/plugin.wit, gen/plugin)\n", mod, wazero, plugin.WorldPackage, plugin.WorldVersion)
	return nil
}
