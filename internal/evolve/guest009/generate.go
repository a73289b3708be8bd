// Package guest009 holds Go guest bindings generated from the older-major
// test contract testdata/evolve/v0.0.9 (see internal/evolve).
package guest009

//go:generate go run ../../../cmd/witgen guest -wit ../../../testdata/evolve/v0.0.9/plugin.wit -world plugin-world -out . -pkg guest009
