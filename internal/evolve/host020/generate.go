// Package host020 holds host bindings generated from the test contract
// testdata/evolve/v0.2.0 (see internal/evolve).
package host020

//go:generate go run ../../../cmd/witgen host -wit ../../../testdata/evolve/v0.2.0/plugin.wit -world plugin-world -out . -pkg host020
