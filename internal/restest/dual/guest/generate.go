// Package guest holds the Go guest bindings of the dual test world
// (internal/restest/dual/wit/dual.wit), used by internal/restest/dual/guestimpl.
package guest

//go:generate go run ../../../../cmd/witgen guest -wit ../wit -world dual -out . -pkg guest
