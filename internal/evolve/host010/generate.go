// Package host010 holds host bindings generated from the test contract
// testdata/evolve/v0.1.0 (see internal/evolve).
package host010

//go:generate go run ../../../cmd/witgen host -wit ../../../testdata/evolve/v0.1.0/plugin.wit -world plugin-world -out . -pkg host010
