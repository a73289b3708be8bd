// Package host holds the host bindings of the resource test world
// (internal/restest/wit/res.wit), used by the resource round-trip tests.
package host

//go:generate go run ../../../cmd/witgen host -wit ../wit -world res -out . -pkg host
