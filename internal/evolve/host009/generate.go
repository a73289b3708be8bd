// Package host009 holds host bindings generated from the older-major test
// contract testdata/evolve/v0.0.9, used by internal/evolve/adapt009.
package host009

//go:generate go run ../../../cmd/witgen host -wit ../../../testdata/evolve/v0.0.9/plugin.wit -world plugin-world -out . -pkg host009
