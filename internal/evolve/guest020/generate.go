// Package guest020 holds Go guest bindings generated from the test contract
// testdata/evolve/v0.2.0 (see internal/evolve).
package guest020

//go:generate go run ../../../cmd/witgen guest -wit ../../../testdata/evolve/v0.2.0/plugin.wit -world plugin-world -out . -pkg guest020
