package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/raisfast/wasmplug/internal/buildinfo"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/raisfast/wasmplug/gen/plugin"
)

const usage = `usage:
  pluginhost serve [-plugins DIR] [-db FILE] [-addr HOST:PORT] [flags]   run the blog API with the plugins
  pluginhost check DIR                                                  validate one plugin directory
  pluginhost call HOOK [-plugins DIR] -json '…'                         run one hook chain and print the result
  pluginhost build DIR                                                  build a Go plugin into its manifest's entry (wasip1)
  pluginhost version                                                    pluginhost's, wazero's and the contract's versions
Run "pluginhost COMMAND -h" for a command's flags.`

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

// errFailed marks a check or call that ran and failed; the details were
// already printed (exit status 1).
var errFailed = errors.New("failed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "pluginhost:", err)
		os.Exit(2)
	case errors.Is(err, errFailed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "pluginhost:", err)
		os.Exit(1)
	}
}

// run executes one sub-command; ctx ends on SIGINT/SIGTERM.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command\n%s", errUsage, usage)
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], stdout, stderr)
	case "check":
		return checkCmd(ctx, args[1:], stdout, stderr)
	case "call":
		return callCmd(ctx, args[1:], stdout, stderr)
	case "build":
		return buildCmd(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		return printVersion(stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q\n%s", errUsage, args[0], usage)
}

// printVersion is `pluginhost version`: this module's version (as the go
// command recorded it: "(devel)" in a checkout), wazero's, and the
// contract the host's bindings (gen/plugin) were generated from.
func printVersion(w io.Writer) error {
	mod, wazero := buildinfo.Versions()
	_, err := fmt.Fprintf(w, "pluginhost %s\nwazero     %s\ncontract   %s@%s (wit/plugin.wit, gen/plugin)\n", mod, wazero, plugin.WorldPackage, plugin.WorldVersion)
	return err
}
