// Package guest011 holds Go guest bindings generated from the test contract
// testdata/evolve/v0.1.1 (see internal/evolve).
package guest011

//go:generate go run ../../../cmd/witgen guest -wit ../../../testdata/evolve/v0.1.1/plugin.wit -world plugin-world -out . -pkg guest011
