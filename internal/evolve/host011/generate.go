// Package host011 holds host bindings generated from the test contract
// testdata/evolve/v0.1.1 (see internal/evolve).
package host011

//go:generate go run ../../../cmd/witgen host -wit ../../../testdata/evolve/v0.1.1/plugin.wit -world plugin-world -out . -pkg host011
