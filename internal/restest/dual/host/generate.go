// Package host holds the host bindings of the dual test world
// (internal/restest/dual/wit/dual.wit: one interface imported and exported).
package host

//go:generate go run ../../../../cmd/witgen host -wit ../wit -world dual -out . -pkg host
