// Package buildinfo reports what a binary of this module was built from,
// for the tools' `version` commands.
package buildinfo

import "runtime/debug"

// Versions returns this module's path and version as the go command
// recorded them ("(devel)" in a checkout) and the version of wazero linked
// in; "(unknown)" for what the binary does not record.
func Versions() (module, wazero string) {
	module, wazero = "(unknown)", "(unknown)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return module, wazero
	}
	module = bi.Main.Path + " " + bi.Main.Version
	for _, d := range bi.Deps {
		if d.Path == "github.com/tetratelabs/wazero" {
			wazero = d.Version
		}
	}
	return module, wazero
}
